-- The performance record of each bidder (issue 13, item 5), taken once per
-- tender at its opening and stored with the opened bids, so that the score
-- table, the award proposal and every later reading of them use the same
-- record however the bidder's history moves afterwards.
--
-- P = 0.7 × S + 0.3 × R − 10 × T, clamped to 0–100 (internal/track): S the
-- amount-weighted mean final score of the bidder's contracts completed in the
-- three years before the tender's opening time, R its residents' satisfaction
-- over those contracts in percent (R = S below the public minimum of
-- ratings), T its contracts terminated for cause in those years; without a
-- completed contract the neutral 60 stands in for S and R. P is kept exact,
-- as the fraction percent_num ÷ percent_den; basis holds its inputs for the
-- score table to show.

-- +goose Up
CREATE TABLE bid_performance (
    bid_id          bigint PRIMARY KEY REFERENCES bids (id),
    tender_id       bigint NOT NULL REFERENCES tenders (id),
    organization_id bigint NOT NULL REFERENCES organizations (id),
    newcomer        boolean NOT NULL,
    percent_num     numeric NOT NULL CHECK (percent_num = trunc(percent_num) AND percent_num >= 0),
    percent_den     numeric NOT NULL CHECK (percent_den = trunc(percent_den) AND percent_den > 0),
    basis           jsonb NOT NULL CHECK (jsonb_typeof(basis) = 'object'),
    taken_at        timestamptz NOT NULL,
    UNIQUE (tender_id, organization_id),
    CHECK (percent_num <= 100 * percent_den)
);

-- A record taken at an opening never changes.
CREATE TRIGGER bid_performance_append_only BEFORE UPDATE OR DELETE ON bid_performance
    FOR EACH ROW EXECUTE FUNCTION append_only();

-- Bids opened before this migration keep the record the score table gave
-- them until now: the plain mean final score of the bidder's completed
-- contracts, or the newcomer's 60.
INSERT INTO bid_performance (bid_id, tender_id, organization_id, newcomer, percent_num, percent_den, basis, taken_at)
SELECT b.id, b.tender_id, b.organization_id, h.n IS NULL,
       coalesce(h.sum_tenths, 600), coalesce(h.n * 10, 10),
       jsonb_build_object('rule', 'mean_final_score', 'completed', coalesce(h.n, 0)), b.opened_at
FROM bids b
LEFT JOIN (SELECT organization_id, count(*) AS n, sum(final_score * 10) AS sum_tenths FROM contracts
           WHERE status = 'completed' AND final_score IS NOT NULL GROUP BY organization_id) h ON h.organization_id = b.organization_id
WHERE b.opened_at IS NOT NULL AND b.compliant;

-- +goose Down
DROP TABLE bid_performance;
