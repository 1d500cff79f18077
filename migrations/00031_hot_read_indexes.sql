-- Indexes the hot public reads were missing, found by the scale test
-- (internal/bench/explain, make test-scale) on the bench dataset at scale 1.
--
-- bids_organization_idx: the public provider profile counts the challenges
-- upheld against the organization's bids (track, "record"), and found its bids
-- by reading every bid of the platform (100,000 at scale 1, a Seq Scan per
-- upheld challenge). No index of bids began with organization_id.
--
-- organizations_active_name_idx: the capable-organization catalog lists
-- active organizations by name, twenty at a time; with the names in order the
-- page is read from the front of the index instead of sorting every
-- organization.

-- +goose Up
CREATE INDEX bids_organization_idx ON bids (organization_id);
CREATE INDEX organizations_active_name_idx ON organizations (legal_name, id) WHERE status = 'active';

-- +goose Down
DROP INDEX organizations_active_name_idx;
DROP INDEX bids_organization_idx;
