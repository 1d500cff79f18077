-- The award re-checks the winners' eligibility (issue 10, finding 11): at the
-- proposal, and when the award is made final at the end of the challenge
-- period. A winner no longer eligible then (suspended, its certification
-- suspended, revoked or expired) blocks the award: the proposal is withdrawn
-- and the tender waits in award_blocked, with the reason in status_reason,
-- for the officer to propose the next-ranked bid (a new challenge period) or
-- to cancel. No job retries it.

-- +goose Up
ALTER TABLE tenders DROP CONSTRAINT tenders_status_check;
ALTER TABLE tenders ADD CONSTRAINT tenders_status_check CHECK (status IN ('draft', 'published', 'closed', 'opened', 'evaluated',
    'award_proposed', 'award_blocked', 'awarded', 'cancelled', 'failed'));

-- +goose Down
UPDATE tenders SET status = 'evaluated' WHERE status = 'award_blocked';
ALTER TABLE tenders DROP CONSTRAINT tenders_status_check;
ALTER TABLE tenders ADD CONSTRAINT tenders_status_check CHECK (status IN ('draft', 'published', 'closed', 'opened', 'evaluated',
    'award_proposed', 'awarded', 'cancelled', 'failed'));
