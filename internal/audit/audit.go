// Package audit holds the tamper-evident audit trail. Every state change and
// money movement appends an Entry in the same transaction as the change; each
// entry's hash covers the previous entry's hash, so Verify finds the first entry
// that was edited, removed or reordered.
package audit

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/access"
)

// Entry is one row of audit_entries.
type Entry struct {
	Seq        int64     `gorm:"primaryKey;autoIncrement:false"`
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
	PrevHash   string
	Hash       string
}

// TableName is the table of Entry.
func (Entry) TableName() string { return "audit_entries" }

// Genesis is the previous hash of the first entry.
var Genesis = strings.Repeat("0", 64)

// appendLock serializes appends to the chain; it is held until the appending
// transaction ends, so the next append sees this one's hash.
const appendLock = 0x61756469740a

// Record appends an entry for action on the entity, with change (any value that
// marshals to JSON; never secrets or sealed content) as its data. It must run in
// the transaction that makes the change, at READ COMMITTED (the default), so
// that the entry commits or rolls back with it.
//
// It takes the chain's lock until the transaction ends, so a transaction
// takes every row lock it needs before its first Record; taking row locks
// after it can deadlock with another transaction that locks those rows first.
// Rows are locked FOR NO KEY UPDATE, never with the stronger UPDATE
// strength: an insert after a Record checks its foreign keys with a key-share
// lock on the rows it refers to (a notification's organization, a contract's
// community), which the UPDATE strength would block and NO KEY UPDATE does not.
func Record(tx *gorm.DB, by access.Actor, action, entityType string, entityID any, change any) error {
	data, err := canonicalJSON(change)
	if err != nil {
		return fmt.Errorf("audit %s: %w", action, err)
	}
	if err := tx.Exec(`SELECT pg_advisory_xact_lock(?)`, appendLock).Error; err != nil {
		return fmt.Errorf("audit %s: lock chain: %w", action, err)
	}
	var last struct {
		Seq  int64
		Hash string
	}
	if err := tx.Raw(`SELECT seq, hash FROM audit_entries ORDER BY seq DESC LIMIT 1`).Scan(&last).Error; err != nil {
		return fmt.Errorf("audit %s: read chain head: %w", action, err)
	}
	prev := last.Hash
	if last.Seq == 0 {
		prev = Genesis
	}
	e := Entry{
		Seq:        last.Seq + 1,
		OccurredAt: time.Now().UTC().Truncate(time.Microsecond),
		ActorName:  by.Username,
		ActorRole:  string(by.Role),
		Action:     action,
		EntityType: entityType,
		EntityID:   fmt.Sprint(entityID),
		RequestID:  by.RequestID,
		Data:       string(data),
		PrevHash:   prev,
	}
	if by.UserID != 0 {
		id := by.UserID
		e.ActorID = &id
	}
	e.Digest = digest(e.Data)
	e.Hash, err = e.computeHash()
	if err != nil {
		return err
	}
	if err := tx.Create(&e).Error; err != nil {
		return fmt.Errorf("audit %s: insert: %w", action, err)
	}
	return nil
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
	Entries int64 // entries checked
	// Broken is the first entry that fails, with the reason; nil when the chain holds.
	Broken *Break
}

// Break names the first broken link of the chain.
type Break struct {
	Seq    int64
	Reason string
}

func (b Break) String() string { return "entry " + strconv.FormatInt(b.Seq, 10) + ": " + b.Reason }

// Verify walks the whole chain in order and reports the first entry whose data,
// digest, link or hash does not match, or a gap in the sequence.
func Verify(ctx context.Context, db *gorm.DB) (Report, error) {
	var rep Report
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
