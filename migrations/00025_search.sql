-- Search for signed-in users (issue 15, item 4): trigram indexes on the
-- columns the search matches by substring (ILIKE '%…%'), Chinese included,
-- as the public catalog's search does (00002). The published versions of
-- transfer items have their own partial index there; officers also search
-- drafts and older versions' latest text, hence the full one here.

-- +goose Up
CREATE INDEX tenders_search ON tenders USING gin ((title || ' ' || description) gin_trgm_ops);
CREATE INDEX contracts_search ON contracts USING gin (title gin_trgm_ops);
CREATE INDEX organizations_search ON organizations USING gin (legal_name gin_trgm_ops);
CREATE INDEX transfer_item_versions_search_all ON transfer_item_versions
    USING gin ((title || ' ' || description || ' ' || target_population) gin_trgm_ops);

-- +goose Down
DROP INDEX transfer_item_versions_search_all;
DROP INDEX organizations_search;
DROP INDEX contracts_search;
DROP INDEX tenders_search;
