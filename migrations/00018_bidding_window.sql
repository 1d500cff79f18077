-- The minimum bidding window (issue 14, item 5): a tender published with a
-- window (publication to close) shorter than its purchase method's minimum
-- (tender.min_bidding_days) carries a written justification, kept here and
-- shown on the public notice; short_bidding_window records, at publication,
-- that the window was shorter, so that the red-flags job can count it.

-- +goose Up
ALTER TABLE tenders
    ADD COLUMN short_window_justification text NOT NULL DEFAULT '',
    ADD COLUMN short_bidding_window boolean NOT NULL DEFAULT false,
    ADD CONSTRAINT tenders_short_window_justified CHECK (NOT short_bidding_window OR short_window_justification <> '');

-- +goose Down
ALTER TABLE tenders
    DROP CONSTRAINT tenders_short_window_justified,
    DROP COLUMN short_bidding_window,
    DROP COLUMN short_window_justification;
