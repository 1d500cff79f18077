-- Every tenant row finds its district in at most one step (issue 16, item 8).
-- The tables that other tenant tables hang from (tenders, contracts, transfer
-- items and their versions, fund accounts and their postings, evaluations,
-- service records) carry district_id, so each child reaches its district
-- through the one foreign key it already has (a bid through its tender, a
-- rating through its contract, a ledger line through its posting). Past one
-- primary this is the distribution column of Citus (README, "Past one
-- machine"); on one machine it costs one indexed lookup per insert.
--
-- The application does not write the column: a BEFORE INSERT trigger copies
-- it from the parent, and a composite foreign key to (parent id, district_id)
-- keeps it equal to the parent's, whoever inserts. A subdistrict never moves
-- to another district, so the copy never goes stale.

-- +goose Up
CREATE UNIQUE INDEX subdistricts_id_district ON subdistricts (id, district_id);

-- +goose StatementBegin
CREATE FUNCTION district_from_subdistrict() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    SELECT district_id INTO NEW.district_id FROM subdistricts WHERE id = NEW.subdistrict_id;
    RETURN NEW;
END;
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION district_from_transfer_item() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    SELECT district_id INTO NEW.district_id FROM transfer_items WHERE id = NEW.item_id;
    RETURN NEW;
END;
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION district_from_fund_account() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    SELECT district_id INTO NEW.district_id FROM fund_accounts WHERE id = NEW.fund_account_id;
    RETURN NEW;
END;
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION district_from_contract() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    SELECT district_id INTO NEW.district_id FROM contracts WHERE id = NEW.contract_id;
    RETURN NEW;
END;
$$;
-- +goose StatementEnd

-- Tables keyed by subdistrict. The backfill runs with the tables' own
-- guard triggers (immutable, append-only) off; nothing else changes.
ALTER TABLE tenders ADD COLUMN district_id bigint;
UPDATE tenders t SET district_id = s.district_id FROM subdistricts s WHERE s.id = t.subdistrict_id;
ALTER TABLE tenders ALTER COLUMN district_id SET NOT NULL,
    ADD CONSTRAINT tenders_district_fkey FOREIGN KEY (subdistrict_id, district_id) REFERENCES subdistricts (id, district_id);
CREATE TRIGGER tenders_district BEFORE INSERT ON tenders
    FOR EACH ROW EXECUTE FUNCTION district_from_subdistrict();

ALTER TABLE contracts ADD COLUMN district_id bigint;
UPDATE contracts c SET district_id = s.district_id FROM subdistricts s WHERE s.id = c.subdistrict_id;
ALTER TABLE contracts ALTER COLUMN district_id SET NOT NULL,
    ADD CONSTRAINT contracts_district_fkey FOREIGN KEY (subdistrict_id, district_id) REFERENCES subdistricts (id, district_id);
CREATE UNIQUE INDEX contracts_id_district ON contracts (id, district_id);
CREATE TRIGGER contracts_district BEFORE INSERT ON contracts
    FOR EACH ROW EXECUTE FUNCTION district_from_subdistrict();

ALTER TABLE transfer_items ADD COLUMN district_id bigint;
UPDATE transfer_items i SET district_id = s.district_id FROM subdistricts s WHERE s.id = i.subdistrict_id;
ALTER TABLE transfer_items ALTER COLUMN district_id SET NOT NULL,
    ADD CONSTRAINT transfer_items_district_fkey FOREIGN KEY (subdistrict_id, district_id) REFERENCES subdistricts (id, district_id);
CREATE UNIQUE INDEX transfer_items_id_district ON transfer_items (id, district_id);
CREATE TRIGGER transfer_items_district BEFORE INSERT ON transfer_items
    FOR EACH ROW EXECUTE FUNCTION district_from_subdistrict();

ALTER TABLE fund_accounts ADD COLUMN district_id bigint;
UPDATE fund_accounts f SET district_id = s.district_id FROM subdistricts s WHERE s.id = f.subdistrict_id;
ALTER TABLE fund_accounts ALTER COLUMN district_id SET NOT NULL,
    ADD CONSTRAINT fund_accounts_district_fkey FOREIGN KEY (subdistrict_id, district_id) REFERENCES subdistricts (id, district_id);
CREATE UNIQUE INDEX fund_accounts_id_district ON fund_accounts (id, district_id);
CREATE TRIGGER fund_accounts_district BEFORE INSERT ON fund_accounts
    FOR EACH ROW EXECUTE FUNCTION district_from_subdistrict();

ALTER TABLE evaluations DISABLE TRIGGER USER;
ALTER TABLE evaluations ADD COLUMN district_id bigint;
UPDATE evaluations e SET district_id = s.district_id FROM subdistricts s WHERE s.id = e.subdistrict_id;
ALTER TABLE evaluations ALTER COLUMN district_id SET NOT NULL,
    ADD CONSTRAINT evaluations_district_fkey FOREIGN KEY (subdistrict_id, district_id) REFERENCES subdistricts (id, district_id);
ALTER TABLE evaluations ENABLE TRIGGER USER;
CREATE TRIGGER evaluations_district BEFORE INSERT ON evaluations
    FOR EACH ROW EXECUTE FUNCTION district_from_subdistrict();

-- Tables keyed by a parent that now carries the district.
ALTER TABLE transfer_item_versions DISABLE TRIGGER USER;
ALTER TABLE transfer_item_versions ADD COLUMN district_id bigint;
UPDATE transfer_item_versions v SET district_id = i.district_id FROM transfer_items i WHERE i.id = v.item_id;
ALTER TABLE transfer_item_versions ALTER COLUMN district_id SET NOT NULL,
    ADD CONSTRAINT transfer_item_versions_district_fkey FOREIGN KEY (item_id, district_id) REFERENCES transfer_items (id, district_id);
ALTER TABLE transfer_item_versions ENABLE TRIGGER USER;
CREATE TRIGGER transfer_item_versions_district BEFORE INSERT ON transfer_item_versions
    FOR EACH ROW EXECUTE FUNCTION district_from_transfer_item();

ALTER TABLE ledger_postings DISABLE TRIGGER USER;
ALTER TABLE ledger_postings ADD COLUMN district_id bigint;
UPDATE ledger_postings p SET district_id = f.district_id FROM fund_accounts f WHERE f.id = p.fund_account_id;
ALTER TABLE ledger_postings ALTER COLUMN district_id SET NOT NULL,
    ADD CONSTRAINT ledger_postings_district_fkey FOREIGN KEY (fund_account_id, district_id) REFERENCES fund_accounts (id, district_id);
ALTER TABLE ledger_postings ENABLE TRIGGER USER;
CREATE TRIGGER ledger_postings_district BEFORE INSERT ON ledger_postings
    FOR EACH ROW EXECUTE FUNCTION district_from_fund_account();

ALTER TABLE service_records DISABLE TRIGGER USER;
ALTER TABLE service_records ADD COLUMN district_id bigint;
UPDATE service_records r SET district_id = c.district_id FROM contracts c WHERE c.id = r.contract_id;
ALTER TABLE service_records ALTER COLUMN district_id SET NOT NULL,
    ADD CONSTRAINT service_records_district_fkey FOREIGN KEY (contract_id, district_id) REFERENCES contracts (id, district_id);
ALTER TABLE service_records ENABLE TRIGGER USER;
CREATE TRIGGER service_records_district BEFORE INSERT ON service_records
    FOR EACH ROW EXECUTE FUNCTION district_from_contract();

-- +goose Down
DROP TRIGGER service_records_district ON service_records;
ALTER TABLE service_records DISABLE TRIGGER USER;
ALTER TABLE service_records DROP COLUMN district_id;
ALTER TABLE service_records ENABLE TRIGGER USER;
DROP TRIGGER ledger_postings_district ON ledger_postings;
ALTER TABLE ledger_postings DISABLE TRIGGER USER;
ALTER TABLE ledger_postings DROP COLUMN district_id;
ALTER TABLE ledger_postings ENABLE TRIGGER USER;
DROP TRIGGER transfer_item_versions_district ON transfer_item_versions;
ALTER TABLE transfer_item_versions DISABLE TRIGGER USER;
ALTER TABLE transfer_item_versions DROP COLUMN district_id;
ALTER TABLE transfer_item_versions ENABLE TRIGGER USER;
DROP TRIGGER evaluations_district ON evaluations;
ALTER TABLE evaluations DISABLE TRIGGER USER;
ALTER TABLE evaluations DROP COLUMN district_id;
ALTER TABLE evaluations ENABLE TRIGGER USER;
DROP TRIGGER fund_accounts_district ON fund_accounts;
DROP INDEX fund_accounts_id_district;
ALTER TABLE fund_accounts DROP COLUMN district_id;
DROP TRIGGER transfer_items_district ON transfer_items;
DROP INDEX transfer_items_id_district;
ALTER TABLE transfer_items DROP COLUMN district_id;
DROP TRIGGER contracts_district ON contracts;
DROP INDEX contracts_id_district;
ALTER TABLE contracts DROP COLUMN district_id;
DROP TRIGGER tenders_district ON tenders;
ALTER TABLE tenders DROP COLUMN district_id;
DROP FUNCTION district_from_contract();
DROP FUNCTION district_from_fund_account();
DROP FUNCTION district_from_transfer_item();
DROP FUNCTION district_from_subdistrict();
DROP INDEX subdistricts_id_district;
