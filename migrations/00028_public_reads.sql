-- Public reads at speed (issue 16, item 4): the public tender list counts and
-- pages the tenders ever published, newest first, optionally of one category.
-- Its count was a sequential scan of every tender (2.6 ms at 5,000 tenders,
-- growing with them); these partial indexes make it an index-only scan
-- (0.5 ms) and the page a walk down the index.

-- +goose Up
CREATE INDEX tenders_published_idx ON tenders (id) WHERE published_at IS NOT NULL;
CREATE INDEX tenders_published_category_idx ON tenders (category_code, id) WHERE published_at IS NOT NULL;

-- +goose Down
DROP INDEX tenders_published_category_idx;
DROP INDEX tenders_published_idx;
