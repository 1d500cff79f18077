-- Bid commitments (issue 14, item 7): at the close of bidding, before the
-- opening, each tender commits to its bids: how many stand (neither withdrawn
-- nor replaced) and the RFC 6962 Merkle root (SHA-256) of their receipt
-- digests, ordered by digest. Every bidder can prove with its receipt that its
-- bid is counted; the opening recomputes the root from the bids it opens and
-- refuses to open on a difference. A commitment once made never changes.
-- Tenders closed before this migration have none.

-- +goose Up
CREATE TABLE bid_commitments (
    tender_id    bigint PRIMARY KEY REFERENCES tenders (id),
    bid_count    integer NOT NULL CHECK (bid_count >= 0),
    root         text NOT NULL CHECK (root ~ '^[0-9a-f]{64}$'),
    committed_at timestamptz NOT NULL
);

CREATE TRIGGER bid_commitments_append_only BEFORE UPDATE OR DELETE ON bid_commitments
    FOR EACH ROW EXECUTE FUNCTION append_only();
CREATE TRIGGER bid_commitments_no_truncate BEFORE TRUNCATE ON bid_commitments
    FOR EACH STATEMENT EXECUTE FUNCTION append_only();

-- +goose Down
DROP TABLE bid_commitments;
