-- The number of certified social workers a district admin has verified for a
-- certification (issue 10, finding 7). The organization's own figure stays
-- self-declared and editable; eligibility uses the lower of the two, taking
-- the verified figure of the certification that qualifies the organization.
-- A certification approved before this migration has no verified figure and
-- counts as zero until its district admin verifies one: the migration does not
-- invent a verification nobody made.

-- +goose Up
ALTER TABLE certifications
    ADD COLUMN verified_social_workers    integer CHECK (verified_social_workers BETWEEN 0 AND 100000),
    ADD COLUMN social_workers_verified_by bigint REFERENCES users (id),
    ADD COLUMN social_workers_verified_at timestamptz,
    ADD CHECK ((verified_social_workers IS NULL) = (social_workers_verified_at IS NULL)
           AND (verified_social_workers IS NULL) = (social_workers_verified_by IS NULL));

-- +goose Down
ALTER TABLE certifications
    DROP COLUMN verified_social_workers,
    DROP COLUMN social_workers_verified_by,
    DROP COLUMN social_workers_verified_at;
