// Package trail shows the audit trail: to subdistrict staff, the entries of
// one record in their scope (Trail), and to everyone, the published heads of
// the chain (Heads). It reads audit_entries and, for the scope, the record's
// own table; it never writes.
package trail

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/audit"
	"github.com/jiedao-market/jiedao/internal/civil"
)

// Readers may read a record's trail, each within its Subdistricts: the
// platform every record, a district admin (the district's certifier) its
// district's, a procurement or finance officer its subdistrict's.
var Readers = access.SubdistrictStaff

// Types are the record types whose trail can be read, each with the table
// that holds the record's subdistrict, in the order the pages list them.
var Types = []string{"tender", "contract", "evaluation", "milestone_payment", "fund_account", "payout", "transfer_item", "complaint"}

// subdistrictOf is the query that gives a record's subdistrict, by type.
var subdistrictOf = map[string]string{
	"tender":            `SELECT subdistrict_id FROM tenders WHERE id = ?`,
	"contract":          `SELECT subdistrict_id FROM contracts WHERE id = ?`,
	"evaluation":        `SELECT subdistrict_id FROM evaluations WHERE id = ?`,
	"milestone_payment": `SELECT subdistrict_id FROM milestone_payments WHERE id = ?`,
	"fund_account":      `SELECT subdistrict_id FROM fund_accounts WHERE id = ?`,
	"payout":            `SELECT a.subdistrict_id FROM payouts p JOIN fund_accounts a ON a.id = p.fund_account_id WHERE p.id = ?`,
	"transfer_item":     `SELECT subdistrict_id FROM transfer_items WHERE id = ?`,
	"complaint":         `SELECT subdistrict_id FROM complaints WHERE id = ?`,
}

// Service reads trails and heads.
type Service struct {
	db *gorm.DB
}

// NewService returns the service on db.
func NewService(db *gorm.DB) *Service { return &Service{db: db} }

// Entry is one audit entry as the trail shows it; At is China time. Seq and
// Hash are nil for the moments the entry waits to be integrated into the
// chain (audit.Sequencer).
type Entry struct {
	Seq       *int64          `json:"seq"`
	At        time.Time       `json:"at"`
	ActorName string          `json:"actor_name"`
	ActorRole string          `json:"actor_role"`
	Action    string          `json:"action"`
	Data      json.RawMessage `json:"data"`
	Hash      *string         `json:"hash"`
}

// Trail is the audit trail of one record, oldest entry first.
type Trail struct {
	Type    string  `json:"type"`
	ID      int64   `json:"id"`
	Entries []Entry `json:"entries"`
	// HiddenUntilOpening tells that a tender not yet opened has bid entries
	// that are left out: who bid stays sealed until the opening.
	HiddenUntilOpening bool `json:"hidden_until_opening"`
}

// ErrUnknownType is the error of a type not in Types.
var ErrUnknownType = apperr.InvalidField("type", "must be one of "+strings.Join(Types, ", "))

// ParseID reads a record id as the query gives it; a malformed one is an
// Invalid error naming the field "id".
func ParseID(s string) (int64, error) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, apperr.InvalidField("id", "must be a positive whole number")
	}
	return id, nil
}

// Trail returns the audit trail of the record of entityType and id. It
// returns apperr.ErrForbidden to a role outside Readers, ErrUnknownType for
// a type outside Types, and apperr.ErrNotFound for a record that does not
// exist or lies outside the actor's subdistricts. The entries of bids
// (bid.submit, bid.withdraw) of a tender not yet opened are left out, and a
// tender question's entry does not name its asker (DOMAIN.md: the
// question's author stays anonymous).
func (s *Service) Trail(ctx context.Context, by access.Actor, entityType string, id int64) (Trail, error) {
	if !by.Is(Readers...) {
		return Trail{}, apperr.ErrForbidden
	}
	query, ok := subdistrictOf[entityType]
	if !ok {
		return Trail{}, ErrUnknownType
	}
	if id <= 0 {
		return Trail{}, apperr.InvalidField("id", "must be a positive whole number")
	}
	db := s.db.WithContext(ctx)
	cond, args := by.Subdistricts().Where("sd")
	var n int64
	if err := db.Raw(`SELECT count(*) FROM (`+query+`) AS r(sd) WHERE `+cond, append([]any{id}, args...)...).Scan(&n).Error; err != nil {
		return Trail{}, fmt.Errorf("trail of %s %d: scope: %w", entityType, id, err)
	}
	if n == 0 {
		return Trail{}, apperr.ErrNotFound
	}
	t := Trail{Type: entityType, ID: id, Entries: []Entry{}}
	sealed := false
	if entityType == "tender" {
		var opened []int64
		if err := db.Raw(`SELECT id FROM tenders WHERE id = ? AND opened_at IS NOT NULL`, id).Scan(&opened).Error; err != nil {
			return Trail{}, fmt.Errorf("trail of tender %d: %w", id, err)
		}
		sealed = len(opened) == 0
	}
	var rows []audit.Entry
	if err := db.Where("entity_type = ? AND entity_id = ?", entityType, strconv.FormatInt(id, 10)).Order("id").Find(&rows).Error; err != nil {
		return Trail{}, fmt.Errorf("trail of %s %d: %w", entityType, id, err)
	}
	for _, e := range rows {
		if sealed && strings.HasPrefix(e.Action, "bid.") {
			t.HiddenUntilOpening = true
			continue
		}
		name := e.ActorName
		if entityType == "tender" && e.Action == "tender.question" {
			name = "" // the asker of a question stays anonymous, to the officers too
		}
		out := Entry{At: e.OccurredAt.In(civil.China), ActorName: name, ActorRole: e.ActorRole, Action: e.Action,
			Data: json.RawMessage(e.Data)}
		if !e.Pending() {
			out.Seq, out.Hash = &e.Seq, &e.Hash
		}
		t.Entries = append(t.Entries, out)
	}
	return t, nil
}

// KnownType reports whether entityType is one of Types.
func KnownType(entityType string) bool { return slices.Contains(Types, entityType) }

// Heads returns every published head of the audit chain, oldest first.
func (s *Service) Heads(ctx context.Context) ([]audit.Head, error) {
	return audit.Heads(ctx, s.db)
}
