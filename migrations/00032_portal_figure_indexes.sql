-- Indexes for the portal's figures (the home page, /subdistricts and a
-- subdistrict's page: internal/portal, "subdistricts"), found with
-- EXPLAIN (ANALYZE) on the bench dataset at scale 1. Each subdistrict's figures
-- were read from the tables' rows: its open tenders and active contracts from
-- the heap behind the subdistrict index, and what it paid this year by reading
-- every payout of the platform once per subdistrict (a Seq Scan per
-- subdistrict, so the home page cost grew with subdistricts × payouts:
-- 36 ms at scale 1). With these the figures are index-only scans of the rows
-- they count (3 ms at scale 1).
--
-- tenders_open_idx: the published tenders of a subdistrict by closing time
-- (open ones close after now).
-- contracts_subdistrict_figures_idx: a subdistrict's contracts by signing
-- time, with the amount and state: the active ones, and the amount committed
-- this year.
-- payouts_paid_idx: a fund account's paid payouts by payment time, with the
-- amount: what was paid this year, and by month.
--
-- contract_communities_community_idx: a community's contracts, for its menu of
-- services (GET /api/v1/public/communities/:id/services), which read every
-- contract-community row to find a community's (14,803 at scale 1).

-- +goose Up
CREATE INDEX tenders_open_idx ON tenders (subdistrict_id, closes_at) WHERE status = 'published';
CREATE INDEX contracts_subdistrict_figures_idx ON contracts (subdistrict_id, signed_at) INCLUDE (amount_fen, status);
CREATE INDEX payouts_paid_idx ON payouts (fund_account_id, paid_at) INCLUDE (amount_fen) WHERE state = 'paid';
CREATE INDEX contract_communities_community_idx ON contract_communities (community_id);

-- +goose Down
DROP INDEX contract_communities_community_idx;
DROP INDEX payouts_paid_idx;
DROP INDEX contracts_subdistrict_figures_idx;
DROP INDEX tenders_open_idx;
