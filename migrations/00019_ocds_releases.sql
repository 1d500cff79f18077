-- OCDS releases (issue 14, items 1-3): every published event of a tender
-- (published, amended, cancelled, opened, award proposed and final, contract
-- signed, amended, terminated, milestone paid, evaluation submitted) is kept
-- as one OCDS release, built in the transaction of the event from what was
-- public at that moment. A release once published never changes: a later
-- event publishes a new release, and the record's compiled release merges
-- them in date order.

-- +goose Up
CREATE TABLE ocds_releases (
    id             bigserial PRIMARY KEY,
    ocid           text NOT NULL CHECK (ocid ~ '^ocds-[a-z0-9]{6}-[0-9]+$'),
    release_id     text NOT NULL UNIQUE CHECK (btrim(release_id) <> ''),
    tender_id      bigint NOT NULL REFERENCES tenders (id),
    subdistrict_id bigint NOT NULL REFERENCES subdistricts (id),
    date           timestamptz NOT NULL,
    tags           text[] NOT NULL CHECK (cardinality(tags) > 0),
    body           jsonb NOT NULL CHECK (jsonb_typeof(body) = 'object')
);
CREATE INDEX ocds_releases_date_idx ON ocds_releases (date, id);
CREATE INDEX ocds_releases_subdistrict_date_idx ON ocds_releases (subdistrict_id, date, id);
CREATE INDEX ocds_releases_ocid_idx ON ocds_releases (ocid, date, id);

CREATE TRIGGER ocds_releases_append_only BEFORE UPDATE OR DELETE ON ocds_releases
    FOR EACH ROW EXECUTE FUNCTION append_only();

-- +goose Down
DROP TABLE ocds_releases;
