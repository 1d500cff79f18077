// Package audit holds the tamper-evident audit trail. Every state change and
// money movement appends an Entry in the same transaction as the change; each
// entry's hash covers the previous entry's hash, so Verify finds the first entry
// that was edited, removed or reordered.
//
// Writing and chaining are two steps, as in Certificate Transparency logs
// (Trillian): Record inserts the entry, pending, in the writer's transaction
// and takes no lock, so audited writes in different subdistricts never wait
// for each other; a single sequencer (Integrate, run by Sequencer in every
// `jiedao serve`, one replica at a time) gives the committed pending entries,
// in batches shortly after, their place in the chain (seq), the previous
// entry's hash and their own. Before, each writer read the chain's head and
// linked its entry to it under one lock held until its commit, which ran
// every audited write of the platform one at a time. What holds as before: an entry
// commits or rolls back with its change (it is written in the same
// transaction); nothing committed is ever left out (the sequencer takes every
// pending row, and a batch that fails or whose process dies rolls back whole
// and is taken again); the chain's order is the order of integration and
// Verify finds an edit, deletion, reordering or cut of it. The hash formula
// did not change, so history written before, and every head published of
// it, verifies unchanged. A database trigger allows one UPDATE only: a
// pending row getting its seq and hashes, nothing else changed.
//
// Chains per tenant anchored into one root were the other choice; they would
// change the formula of published heads and make Verify and every reader
// deal with many chains, for a write path no faster than an insert.
package audit

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/access"
)

// Entry is one row of audit_entries. ID is the order of insertion; Seq,
// PrevHash and Hash are zero while the entry is pending (not yet integrated
// into the chain), and only the sequencer writes them.
type Entry struct {
	ID         int64     `gorm:"primaryKey"`
	Seq        int64     `gorm:"<-:false"`
	OccurredAt time.Time `gorm:"column:occurred_at"`
	ActorID    *int64
	ActorName  string
	ActorRole  string
	Action     string
	EntityType string
	EntityID   string
	RequestID  string
	Data       string
	Digest     string
	PrevHash   string `gorm:"<-:false"`
	Hash       string `gorm:"<-:false"`
}

// TableName is the table of Entry.
func (Entry) TableName() string { return "audit_entries" }

// Pending reports whether e is not yet integrated into the chain.
func (e Entry) Pending() bool { return e.Seq == 0 }

// Genesis is the previous hash of the first entry.
var Genesis = strings.Repeat("0", 64)

// chainLock is the advisory lock of the chain's head: only a sequencer
// (Integrate) and PublishHead take it, never a writer.
const chainLock = 0x61756469740a

// Record appends an entry for action on the entity, with change (any value that
// marshals to JSON; never secrets or sealed content) as its data. It must run in
// the transaction that makes the change, so that the entry commits or rolls
// back with it. The entry is pending until the sequencer integrates it into
// the chain, shortly after the commit; Record takes no lock.
func Record(tx *gorm.DB, by access.Actor, action, entityType string, entityID any, change any) error {
	_, err := record(tx, by, action, entityType, entityID, change)
	return err
}

func record(tx *gorm.DB, by access.Actor, action, entityType string, entityID any, change any) (Entry, error) {
	e, err := newEntry(by, action, entityType, entityID, change)
	if err != nil {
		return Entry{}, err
	}
	// A plain statement rather than Create: every audited write runs it, and
	// GORM's reflection over the struct cost as much as the statement.
	if err := tx.Raw(`INSERT INTO audit_entries (`+entryColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		e.values()...).Scan(&e.ID).Error; err != nil {
		return Entry{}, fmt.Errorf("audit %s: insert: %w", action, err)
	}
	return e, nil
}

// RecordAlong is Record for a change made by one data-modifying statement
// (an INSERT, UPDATE or DELETE with its arguments, without RETURNING): the
// change and its entry are written by one statement, a round trip fewer for
// the busiest audited writes (a bid). The entry is written when the change
// touched a row, and then only; RecordAlong reports whether it did.
func RecordAlong(tx *gorm.DB, stmt string, args []any, by access.Actor, action, entityType string, entityID any, change any) (bool, error) {
	e, err := newEntry(by, action, entityType, entityID, change)
	if err != nil {
		return false, err
	}
	// The parameters of a SELECT list have no type of their own: the casts
	// give them their columns'.
	res := tx.Exec(`WITH change AS (`+stmt+` RETURNING 1)
		INSERT INTO audit_entries (`+entryColumns+`)
		SELECT ?::timestamptz, ?::bigint, ?::text, ?::text, ?::text, ?::text, ?::text, ?::text, ?::text, ?::text
		FROM (SELECT 1 FROM change LIMIT 1) changed`, append(slices.Clip(args), e.values()...)...)
	if res.Error != nil {
		return false, fmt.Errorf("audit %s: %w", action, res.Error)
	}
	return res.RowsAffected == 1, nil
}

// entryColumns are the columns a new entry sets, in the order of values.
const entryColumns = "occurred_at, actor_id, actor_name, actor_role, action, entity_type, entity_id, request_id, data, digest"

func (e Entry) values() []any {
	return []any{e.OccurredAt, e.ActorID, e.ActorName, e.ActorRole, e.Action, e.EntityType, e.EntityID, e.RequestID, e.Data, e.Digest}
}

// newEntry is the pending entry of an action, its change as canonical JSON.
func newEntry(by access.Actor, action, entityType string, entityID any, change any) (Entry, error) {
	data, err := canonicalJSON(change)
	if err != nil {
		return Entry{}, fmt.Errorf("audit %s: %w", action, err)
	}
	e := Entry{
		OccurredAt: time.Now().UTC().Truncate(time.Microsecond),
		ActorName:  by.Username,
		ActorRole:  string(by.Role),
		Action:     action,
		EntityType: entityType,
		EntityID:   fmt.Sprint(entityID),
		RequestID:  by.RequestID,
		Data:       string(data),
	}
	if by.UserID != 0 {
		id := by.UserID
		e.ActorID = &id
	}
	e.Digest = digest(e.Data)
	return e, nil
}

// computeHash returns SHA-256(previous hash ‖ canonical entry), in hex.
func (e Entry) computeHash() (string, error) {
	prev, err := hex.DecodeString(e.PrevHash)
	if err != nil {
		return "", fmt.Errorf("audit entry %d: previous hash: %w", e.Seq, err)
	}
	canonical, err := json.Marshal(struct {
		Seq        int64  `json:"seq"`
		OccurredAt string `json:"occurred_at"`
		ActorID    *int64 `json:"actor_id"`
		ActorName  string `json:"actor_name"`
		ActorRole  string `json:"actor_role"`
		Action     string `json:"action"`
		EntityType string `json:"entity_type"`
		EntityID   string `json:"entity_id"`
		RequestID  string `json:"request_id"`
		Digest     string `json:"digest"`
	}{e.Seq, e.OccurredAt.UTC().Format(time.RFC3339Nano), e.ActorID, e.ActorName, e.ActorRole,
		e.Action, e.EntityType, e.EntityID, e.RequestID, e.Digest})
	if err != nil {
		return "", err
	}
	h := sha256.New()
	h.Write(prev)
	h.Write(canonical)
	return hex.EncodeToString(h.Sum(nil)), nil
}

func digest(data string) string {
	sum := sha256.Sum256([]byte(data))
	return hex.EncodeToString(sum[:])
}

// canonicalJSON marshals v with object keys sorted and numbers kept as written.
func canonicalJSON(v any) ([]byte, error) {
	if v == nil {
		return []byte("{}"), nil
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var generic any
	if err := dec.Decode(&generic); err != nil {
		return nil, err
	}
	return json.Marshal(generic)
}

// Report is the outcome of Verify.
type Report struct {
	Entries int64 // integrated entries checked
	// Broken is the first entry that fails, with the reason; nil when the chain holds.
	Broken *Break
	// Pending counts the committed entries not yet integrated into the
	// chain; PendingAge is how long the oldest of them has waited (since its
	// Record, by the database's clock). A sequencer integrates them within
	// moments: an old pending entry means no sequencer is running.
	Pending    int64
	PendingAge time.Duration
}

// Break names the first broken link of the chain.
type Break struct {
	Seq    int64
	Reason string
}

func (b Break) String() string { return "entry " + strconv.FormatInt(b.Seq, 10) + ": " + b.Reason }

// Verify walks the whole integrated chain in seq order and reports the first
// entry whose data, digest, link or hash does not match, or a gap in the
// sequence; and it counts the pending entries and the age of the oldest.
func Verify(ctx context.Context, db *gorm.DB) (Report, error) {
	var rep Report
	var pending struct {
		N   int64
		Age float64 // seconds
	}
	if err := db.WithContext(ctx).Raw(`SELECT count(*) AS n, COALESCE(EXTRACT(EPOCH FROM now() - min(occurred_at)), 0) AS age
		FROM audit_entries WHERE seq IS NULL`).Scan(&pending).Error; err != nil {
		return rep, fmt.Errorf("audit verify: pending entries: %w", err)
	}
	rep.Pending, rep.PendingAge = pending.N, max(0, time.Duration(pending.Age*float64(time.Second)))
	prev, want := Genesis, int64(1)
	const batch = 2000
	for {
		var rows []Entry
		if err := db.WithContext(ctx).Where("seq >= ?", want).Order("seq").Limit(batch).Find(&rows).Error; err != nil {
			return rep, fmt.Errorf("audit verify: %w", err)
		}
		for _, e := range rows {
			if b := check(e, want, prev); b != nil {
				rep.Broken = b
				return rep, nil
			}
			rep.Entries++
			prev, want = e.Hash, e.Seq+1
		}
		if len(rows) < batch {
			return rep, nil
		}
	}
}

func check(e Entry, wantSeq int64, prev string) *Break {
	switch {
	case e.Seq != wantSeq:
		return &Break{Seq: wantSeq, Reason: fmt.Sprintf("missing (next entry is %d)", e.Seq)}
	case e.PrevHash != prev:
		return &Break{Seq: e.Seq, Reason: "previous hash does not match the entry before it"}
	case digest(e.Data) != e.Digest:
		return &Break{Seq: e.Seq, Reason: "data does not match its digest"}
	}
	h, err := e.computeHash()
	if err != nil || h != e.Hash {
		return &Break{Seq: e.Seq, Reason: "hash does not match the entry's content"}
	}
	return nil
}
