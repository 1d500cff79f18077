-- Bids: random ids, a seal version per bid, and links that do not change.
--
-- A bid's id came from one sequence, so a bidder who bid twice learned how
-- many bids the platform received in between. Ids are now drawn at random
-- from [2^52, 2^53): 16 digits, exact as JSON numbers in JavaScript, above
-- every id the sequence gave. SubmitBid draws one itself before sealing,
-- because the sealed body is bound to it; the default draws one the same way
-- for any other insert, so no insert counts bids again.
--
-- seal_version says what a sealed body is bound to (its additional data):
-- 1, the bids sealed before this migration, their tender and bidder; 2 also
-- the bid's id, the id of the bid it replaces and its receipt time, so a body
-- moved onto another row, or a row linked to another bid, does not open.

-- +goose Up
-- +goose StatementBegin
CREATE FUNCTION random_bid_id() RETURNS bigint
LANGUAGE sql VOLATILE AS $$
    -- 52 random bits of a version 4 UUID (all of its hex digits but the
    -- version digit, the 13th, are random), above 2^52.
    SELECT 4503599627370496 | ('x' || substr(h, 1, 12) || substr(h, 14, 1))::bit(52)::bigint
    FROM replace(gen_random_uuid()::text, '-', '') AS h
$$;
-- +goose StatementEnd
ALTER TABLE bids ALTER COLUMN id SET DEFAULT random_bid_id();
DROP SEQUENCE bids_id_seq;

-- Every bid from now on says how it was sealed: no default.
ALTER TABLE bids ADD COLUMN seal_version integer NOT NULL DEFAULT 1 CHECK (seal_version IN (1, 2));
ALTER TABLE bids ALTER COLUMN seal_version DROP DEFAULT;

-- Besides the sealed body, its digest, its time and its tender and bidder, a
-- bid's id, seal version and the bid it replaces never change, and a bid
-- withdrawn or replaced never becomes active again. (The opening checks the
-- same for whoever gets past this trigger.)
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION bids_seal_immutable() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'bids are never deleted' USING ERRCODE = 'restrict_violation';
    END IF;
    IF (NEW.id, NEW.tender_id, NEW.organization_id, NEW.sealed, NEW.digest, NEW.seal_key_id, NEW.seal_version, NEW.received_at, NEW.replaces_id)
       IS DISTINCT FROM (OLD.id, OLD.tender_id, OLD.organization_id, OLD.sealed, OLD.digest, OLD.seal_key_id, OLD.seal_version, OLD.received_at, OLD.replaces_id) THEN
        RAISE EXCEPTION 'a sealed bid does not change' USING ERRCODE = 'restrict_violation';
    END IF;
    IF OLD.status <> 'active' AND NEW.status IS DISTINCT FROM OLD.status THEN
        RAISE EXCEPTION 'a bid withdrawn or replaced stays so' USING ERRCODE = 'restrict_violation';
    END IF;
    IF OLD.opened_at IS NOT NULL AND (NEW.opened_at, NEW.price_fen, NEW.opened_body)
       IS DISTINCT FROM (OLD.opened_at, OLD.price_fen, OLD.opened_body) THEN
        RAISE EXCEPTION 'a bid is opened once' USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END $$;
-- +goose StatementEnd

-- +goose Down
-- Bids sealed under version 2 do not open under the code before this
-- migration; their ids stay as they are, and the sequence goes on above them.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION bids_seal_immutable() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'bids are never deleted' USING ERRCODE = 'restrict_violation';
    END IF;
    IF (NEW.tender_id, NEW.organization_id, NEW.sealed, NEW.digest, NEW.seal_key_id, NEW.received_at)
       IS DISTINCT FROM (OLD.tender_id, OLD.organization_id, OLD.sealed, OLD.digest, OLD.seal_key_id, OLD.received_at) THEN
        RAISE EXCEPTION 'a sealed bid does not change' USING ERRCODE = 'restrict_violation';
    END IF;
    IF OLD.opened_at IS NOT NULL AND (NEW.opened_at, NEW.price_fen, NEW.opened_body)
       IS DISTINCT FROM (OLD.opened_at, OLD.price_fen, OLD.opened_body) THEN
        RAISE EXCEPTION 'a bid is opened once' USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END $$;
-- +goose StatementEnd
ALTER TABLE bids DROP COLUMN seal_version;
CREATE SEQUENCE bids_id_seq OWNED BY bids.id;
SELECT setval('bids_id_seq', coalesce(max(id), 0) + 1, false) FROM bids;
ALTER TABLE bids ALTER COLUMN id SET DEFAULT nextval('bids_id_seq');
DROP FUNCTION random_bid_id();
