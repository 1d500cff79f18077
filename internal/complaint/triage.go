package complaint

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/audit"
)

// View is a complaint as a signed-in reader sees it. Contact is set for the
// procurement officers of the complaint's subdistrict alone; RecordID (which
// names the beneficiary's record) is withheld from the organization.
type View struct {
	ID                   int64      `json:"id"`
	Reference            string     `json:"reference"`
	Status               string     `json:"status"`
	SubdistrictID        int64      `json:"subdistrict_id"`
	CommunityID          int64      `json:"community_id"`
	OrganizationID       int64      `json:"organization_id"`
	ContractID           *int64     `json:"contract_id"`
	RecordID             *int64     `json:"record_id,omitempty"`
	Description          string     `json:"description"`
	Contact              *string    `json:"contact,omitempty"`
	ReceivedAt           time.Time  `json:"received_at"`
	FirstResponseDue     time.Time  `json:"first_response_due"`
	DecisionDue          time.Time  `json:"decision_due"`
	FirstResponseOverdue bool       `json:"first_response_overdue"`
	DecisionOverdue      bool       `json:"decision_overdue"`
	Overdue              bool       `json:"overdue"`
	AssignedAt           *time.Time `json:"assigned_at"`
	Response             *string    `json:"response"`
	RespondedAt          *time.Time `json:"responded_at"`
	Outcome              *string    `json:"outcome"`
	DecisionReason       *string    `json:"decision_reason"`
	DecidedAt            *time.Time `json:"decided_at"`
}

// view returns c as by sees it.
func view(by access.Actor, c Complaint) View {
	v := View{ID: c.ID, Reference: c.Reference, Status: c.Status, SubdistrictID: c.SubdistrictID, CommunityID: c.CommunityID,
		OrganizationID: c.OrganizationID, ContractID: c.ContractID, Description: c.Description,
		ReceivedAt: c.ReceivedAt, FirstResponseDue: c.FirstResponseDue, DecisionDue: c.DecisionDue,
		FirstResponseOverdue: c.FirstResponseOverdueAt != nil, DecisionOverdue: c.DecisionOverdueAt != nil,
		AssignedAt: c.AssignedAt, Response: c.Response, RespondedAt: c.RespondedAt, Outcome: c.Outcome,
		DecisionReason: c.DecisionReason, DecidedAt: c.DecidedAt}
	v.Overdue = v.FirstResponseOverdue || v.DecisionOverdue
	if by.Role == access.ProcurementOfficer && by.Scope.SubdistrictID == c.SubdistrictID {
		v.Contact = c.Contact
	}
	if !by.Is(access.OrgStaff...) {
		v.RecordID = c.RecordID
	}
	return v
}

// visible limits q to the complaints by reads: an officer its subdistrict's,
// a district admin its district's, an organization's staff its own once
// forwarded to it (assigned) or decided; nothing for other roles.
func visible(q *gorm.DB, by access.Actor) *gorm.DB {
	switch by.Role {
	case access.ProcurementOfficer:
		return q.Where("complaints.subdistrict_id = ?", by.Scope.SubdistrictID)
	case access.DistrictAdmin:
		return q.Where("complaints.subdistrict_id IN (SELECT id FROM subdistricts WHERE district_id = ?)", by.Scope.DistrictID)
	case access.OrgAdmin, access.OrgMember:
		return q.Where("complaints.organization_id = ? AND (complaints.assigned_at IS NOT NULL OR complaints.status = ?)",
			by.Scope.OrganizationID, StatusDecided)
	}
	return q.Where("FALSE")
}

// Filter narrows a list of complaints; Offset and Limit page it.
type Filter struct {
	Status  string
	Overdue *bool // flagged overdue on either time limit, or on neither
	Offset  int
	Limit   int
}

// List returns a page of the complaints by reads (visible), newest first,
// and how many match f. Roles outside Readers get apperr.ErrForbidden.
func (s *Service) List(ctx context.Context, by access.Actor, f Filter) ([]View, int64, error) {
	if !by.Is(Readers...) {
		return nil, 0, apperr.ErrForbidden
	}
	q := visible(s.db.WithContext(ctx).Model(&Complaint{}), by)
	if f.Status != "" {
		q = q.Where("status = ?", f.Status)
	}
	if f.Overdue != nil {
		flagged := "(first_response_overdue_at IS NOT NULL OR decision_overdue_at IS NOT NULL)"
		if *f.Overdue {
			q = q.Where(flagged)
		} else {
			q = q.Where("NOT " + flagged)
		}
	}
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("count complaints: %w", err)
	}
	var rows []Complaint
	if err := q.Order("id DESC").Offset(f.Offset).Limit(f.Limit).Find(&rows).Error; err != nil {
		return nil, 0, fmt.Errorf("list complaints: %w", err)
	}
	out := make([]View, len(rows))
	for i, c := range rows {
		out[i] = view(by, c)
	}
	return out, total, nil
}

// lock reads and locks complaint id as by sees it (visible); one it cannot
// see is apperr.ErrNotFound.
func lock(tx *gorm.DB, by access.Actor, id int64) (Complaint, error) {
	var c Complaint
	err := visible(tx.Clauses(clause.Locking{Strength: "NO KEY UPDATE"}), by).Where("complaints.id = ?", id).Take(&c).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return c, apperr.ErrNotFound
	}
	if err != nil {
		return c, fmt.Errorf("read complaint %d: %w", id, err)
	}
	return c, nil
}

// step runs change on complaint id in a transaction, as by may: it locks
// the complaint, lets change check and update it (apply), then reads it
// back for by.
func (s *Service) step(ctx context.Context, by access.Actor, id int64, change func(tx *gorm.DB, c *Complaint, now time.Time) error) (View, error) {
	var v View
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		c, err := lock(tx, by, id)
		if err != nil {
			return err
		}
		if err := change(tx, &c, s.clock.Now().UTC().Truncate(time.Microsecond)); err != nil {
			return err
		}
		v = view(by, c)
		return nil
	})
	return v, err
}

// apply updates c's columns set when c still has status from (a guarded
// update whose row count must be one) and copies them into c.
func apply(tx *gorm.DB, c *Complaint, from string, set map[string]any) error {
	res := tx.Model(&Complaint{}).Where("id = ? AND status = ?", c.ID, from).Updates(set)
	if res.Error != nil {
		return fmt.Errorf("update complaint %d: %w", c.ID, res.Error)
	}
	if res.RowsAffected != 1 {
		return fmt.Errorf("update complaint %d: %d rows in state %s, want 1", c.ID, res.RowsAffected, from)
	}
	return tx.Where("id = ?", c.ID).Take(c).Error
}

// Assign links complaint id to contractID (a signed contract of the
// complaint's organization in the officer's subdistrict serving the
// complaint's community, as Contracts lists them; 0 keeps the contract the
// complaint was filed with) and asks the organization to respond: the first
// response. Only the subdistrict's procurement officers may (others
// apperr.ErrForbidden, another subdistrict's complaint apperr.ErrNotFound).
// It returns ErrDecided or ErrNotReceived for a complaint past triage and an
// apperr.Invalid naming contract_id for a contract it cannot be linked to.
func (s *Service) Assign(ctx context.Context, by access.Actor, id, contractID int64) (View, error) {
	if !by.Is(access.ProcurementOfficer) {
		return View{}, apperr.ErrForbidden
	}
	return s.step(ctx, by, id, func(tx *gorm.DB, c *Complaint, now time.Time) error {
		switch c.Status {
		case StatusDecided:
			return ErrDecided
		case StatusReceived:
		default:
			return ErrNotReceived
		}
		if contractID == 0 && c.ContractID != nil {
			contractID = *c.ContractID
		}
		if contractID == 0 {
			return apperr.InvalidField("contract_id", "name the contract the complaint is about")
		}
		var n int64
		if err := tx.Table("complaints").Joins("JOIN contracts ON "+linkable).
			Where("complaints.id = ? AND contracts.id = ?", c.ID, contractID).Count(&n).Error; err != nil {
			return fmt.Errorf("read contract %d: %w", contractID, err)
		}
		if n == 0 {
			return apperr.InvalidField("contract_id", "not a signed contract of the organization complained about, in your subdistrict, serving the complaint's community")
		}
		if err := apply(tx, c, StatusReceived, map[string]any{"status": StatusAssigned, "contract_id": contractID,
			"assigned_at": now, "assigned_by": by.UserRef(), "updated_at": now}); err != nil {
			return err
		}
		if err := notifyOrg(tx, *c, KindAssigned, now); err != nil {
			return err
		}
		return audit.Record(tx, by, "complaint.assign", "complaint", c.ID, map[string]any{"contract_id": contractID})
	})
}

// text checks free text for field: not blank, at most MaxText characters.
func text(field, s string) (string, error) {
	s = strings.TrimSpace(s)
	var fields apperr.Fields
	fields.Check(s != "", field, "must not be empty")
	fields.Check(utf8.RuneCountInString(s) <= MaxText, field, fmt.Sprintf("at most %d characters", MaxText))
	return s, fields.Err()
}

// Respond records the organization's response to a complaint assigned to
// it. Only its staff may (others apperr.ErrForbidden; another
// organization's complaint, or one not yet forwarded, apperr.ErrNotFound).
// It returns ErrDecided or ErrNotAssigned when no response is awaited, and
// an apperr.Invalid naming response when it is empty or too long.
func (s *Service) Respond(ctx context.Context, by access.Actor, id int64, response string) (View, error) {
	if !by.Is(access.OrgStaff...) {
		return View{}, apperr.ErrForbidden
	}
	response, err := text("response", response)
	if err != nil {
		return View{}, err
	}
	return s.step(ctx, by, id, func(tx *gorm.DB, c *Complaint, now time.Time) error {
		switch c.Status {
		case StatusDecided:
			return ErrDecided
		case StatusAssigned:
		default:
			return ErrNotAssigned
		}
		if err := apply(tx, c, StatusAssigned, map[string]any{"status": StatusResponded, "response": response,
			"responded_at": now, "responded_by": by.UserRef(), "updated_at": now}); err != nil {
			return err
		}
		if err := notifyOfficers(tx, *c, KindResponded, now); err != nil {
			return err
		}
		return audit.Record(tx, by, "complaint.respond", "complaint", c.ID, map[string]any{"response_sha256": digest(response)})
	})
}

// Decide closes a complaint as upheld or not upheld with a reason. Only the
// subdistrict's procurement officers may (others apperr.ErrForbidden,
// another subdistrict's complaint apperr.ErrNotFound). It returns ErrDecided
// for a complaint already decided, ErrNoContract for upholding one linked to
// no contract, and an apperr.Invalid naming outcome or reason.
func (s *Service) Decide(ctx context.Context, by access.Actor, id int64, outcome, reason string) (View, error) {
	if !by.Is(access.ProcurementOfficer) {
		return View{}, apperr.ErrForbidden
	}
	var fields apperr.Fields
	fields.Check(slices.Contains([]string{Upheld, NotUpheld}, outcome), "outcome", "upheld or not_upheld")
	reason, err := text("reason", reason)
	if ae, ok := apperr.As(err); ok {
		for _, f := range ae.Fields {
			fields.Add(f.Field, f.Message)
		}
	}
	if err := fields.Err(); err != nil {
		return View{}, err
	}
	return s.step(ctx, by, id, func(tx *gorm.DB, c *Complaint, now time.Time) error {
		if c.Status == StatusDecided {
			return ErrDecided
		}
		if outcome == Upheld && c.ContractID == nil {
			return ErrNoContract
		}
		if err := apply(tx, c, c.Status, map[string]any{"status": StatusDecided, "outcome": outcome, "decision_reason": reason,
			"decided_at": now, "decided_by": by.UserRef(), "updated_at": now}); err != nil {
			return err
		}
		if err := notifyOrg(tx, *c, KindDecided, now); err != nil {
			return err
		}
		if err := notifyOfficers(tx, *c, KindDecided, now); err != nil {
			return err
		}
		return audit.Record(tx, by, "complaint.decide", "complaint", c.ID, map[string]any{"outcome": outcome,
			"contract_id": c.ContractID, "reason_sha256": digest(reason)})
	})
}
