package servicerequest

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"time"
	"unicode"
	"unicode/utf8"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/audit"
	"github.com/jiedao-market/jiedao/internal/civil"
)

// Limits of a request's text.
const (
	MaxNote        = 1000 // characters
	MaxContactName = 40   // characters
	MaxReason      = 500  // characters
)

var phonePattern = regexp.MustCompile(`^[0-9+() -]{5,20}$`)

// Input is a new request. A resident asks for its own community (CommunityID
// 0 or its own); an officer names a community of its subdistrict and the
// caller (ContactName and ContactPhone, required: the hotline). ContractID
// picks a service from the community's menu; without it the request
// describes an unmet need (Note required, CategoryCode optional).
type Input struct {
	CommunityID  int64
	ContractID   int64
	CategoryCode string
	Note         string
	PreferredAt  *time.Time
	ContactName  string
	ContactPhone string
}

func text(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) && r != '\n' {
			return false
		}
	}
	return true
}

// Create records a request by a resident for its own community or by a
// procurement officer on a caller's behalf (channel hotline) for a community
// of its subdistrict; other roles get apperr.ErrForbidden, a resident bound
// to no community ErrNoCommunity. Each bad field of in is named in one
// apperr.Invalid error: a contract not on the community's menu, an unknown
// category, a missing description of an unmet need, a community outside the
// officer's subdistrict. The organization of the contract is notified; the
// audit entry keeps digests of the note and contact, never the text.
func (s *Service) Create(ctx context.Context, by access.Actor, in Input) (View, error) {
	if !by.Is(Requesters...) {
		return View{}, apperr.ErrForbidden
	}
	var v View
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		now := s.clock.Now()
		r := Request{Channel: ChannelSelf, Note: trimmed(in.Note), ContactName: trimmed(in.ContactName),
			ContactPhone: trimmed(in.ContactPhone), PreferredAt: in.PreferredAt, Status: StatusRequested,
			RequestedAt: now, EnteredBy: by.UserRef(), CreatedAt: now, UpdatedAt: now}
		var bad apperr.Fields
		if by.Role == access.Resident {
			own, err := residentCommunity(tx, by.UserID)
			if err != nil {
				return err
			}
			bad.Check(in.CommunityID == 0 || in.CommunityID == own, "community_id", "must be your own community (or left out)")
			r.CommunityID, r.ResidentID = own, by.UserRef()
		} else {
			r.Channel, r.CommunityID = ChannelHotline, in.CommunityID
			bad.Check(r.ContactName != "", "contact_name", "is required: the caller's name")
			bad.Check(r.ContactPhone != "", "contact_phone", "is required: the caller's phone")
		}
		var sub int64
		if r.CommunityID > 0 {
			if err := tx.Table("communities").Select("subdistrict_id").Where("id = ?", r.CommunityID).Scan(&sub).Error; err != nil {
				return fmt.Errorf("read community %d: %w", r.CommunityID, err)
			}
		}
		r.SubdistrictID = sub
		if by.Role == access.ProcurementOfficer {
			bad.Check(sub != 0 && sub == by.Scope.SubdistrictID, "community_id", "must be a community of your subdistrict")
		}
		if err := s.checkInput(tx, &r, in, now, &bad); err != nil {
			return err
		}
		if err := bad.Err(); err != nil {
			return err
		}
		if err := tx.Omit("ID").Create(&r).Error; err != nil {
			return fmt.Errorf("insert service request: %w", err)
		}
		v = view(by, r)
		if err := audit.Record(tx, by, "service_request.create", "service_request", r.ID, map[string]any{
			"community_id": r.CommunityID, "contract_id": r.ContractID, "category_code": r.CategoryCode, "channel": r.Channel,
			"note_sha256": digest(r.Note), "contact_sha256": digest(r.ContactName + "\n" + r.ContactPhone)}); err != nil {
			return err
		}
		if r.OrganizationID != nil {
			return notifyRequest(tx, notice{kind: KindRequested, organizationID: r.OrganizationID, contractID: r.ContractID, id: r.ID}, now)
		}
		return nil
	})
	return v, err
}

// checkInput checks in's contract, category, text and times into r, adding
// each bad field to bad.
func (s *Service) checkInput(tx *gorm.DB, r *Request, in Input, now time.Time, bad *apperr.Fields) error {
	if in.ContractID != 0 {
		items, err := menuItems(tx, r.CommunityID, in.ContractID, civil.ChinaDate(now))
		if err != nil {
			return err
		}
		if bad.Check(in.ContractID > 0 && len(items) == 1, "contract_id", "must be a service on the community's menu (an active contract serving it)"); len(items) == 1 {
			id, org, cat := items[0].ContractID, items[0].OrganizationID, items[0].CategoryCode
			r.ContractID, r.OrganizationID, r.CategoryCode = &id, &org, &cat
		}
		bad.Check(trimmed(in.CategoryCode) == "" || (r.CategoryCode != nil && *r.CategoryCode == trimmed(in.CategoryCode)),
			"category_code", "is the contract's category: leave it out")
	} else {
		bad.Check(r.Note != "", "note", "is required: describe the service you need")
		if code := trimmed(in.CategoryCode); code != "" {
			var n int64
			if err := tx.Table("service_categories").Where("code = ? AND kind = 'service'", code).Count(&n).Error; err != nil {
				return fmt.Errorf("read category %q: %w", code, err)
			}
			if bad.Check(n == 1, "category_code", "must be a service category"); n == 1 {
				r.CategoryCode = &code
			}
		}
	}
	bad.Check(utf8.RuneCountInString(r.Note) <= MaxNote && text(r.Note), "note", "must be at most 1000 characters of text")
	bad.Check(utf8.RuneCountInString(r.ContactName) <= MaxContactName && text(r.ContactName), "contact_name", "must be at most 40 characters of text")
	bad.Check(r.ContactPhone == "" || phonePattern.MatchString(r.ContactPhone), "contact_phone", "must be a phone number (5 to 20 digits, spaces, +, -, parentheses)")
	bad.Check(in.PreferredAt == nil || in.PreferredAt.After(now), "preferred_at", "must be in the future")
	return nil
}

// Filter selects requests: a state, and a page of PerPage (default 20, at
// most 100).
type Filter struct {
	Status  string
	Page    int
	PerPage int
}

// Page is one page of requests.
type Page struct {
	Items   []View `json:"items"`
	Total   int64  `json:"total"`
	Page    int    `json:"page"`
	PerPage int    `json:"per_page"`
}

// List returns a page of the requests by reads (Readers; others
// apperr.ErrForbidden), latest first.
func (s *Service) List(ctx context.Context, by access.Actor, f Filter) (Page, error) {
	q, err := scoped(s.db.WithContext(ctx).Model(&Request{}), by)
	if err != nil {
		return Page{}, err
	}
	if f.Status != "" {
		if !slices.Contains(States, f.Status) {
			return Page{}, apperr.InvalidField("status", "must be a request state")
		}
		q = q.Where("status = ?", f.Status)
	}
	if f.Page < 1 {
		f.Page = 1
	}
	if f.PerPage < 1 || f.PerPage > 100 {
		f.PerPage = 20
	}
	p := Page{Items: []View{}, Page: f.Page, PerPage: f.PerPage}
	if err := q.Count(&p.Total).Error; err != nil {
		return Page{}, fmt.Errorf("count service requests: %w", err)
	}
	var rows []Request
	if err := q.Order("id DESC").Offset((f.Page - 1) * f.PerPage).Limit(f.PerPage).Find(&rows).Error; err != nil {
		return Page{}, fmt.Errorf("list service requests: %w", err)
	}
	for _, r := range rows {
		p.Items = append(p.Items, view(by, r))
	}
	return p, nil
}

// lockOwn returns the request id of by's organization, locked (another
// organization's, an unmet need's or an unknown one: apperr.ErrNotFound; a
// role other than the organization's staff: apperr.ErrForbidden).
func lockOwn(tx *gorm.DB, by access.Actor, id int64) (Request, error) {
	if !by.Is(access.OrgStaff...) {
		return Request{}, apperr.ErrForbidden
	}
	var r Request
	err := tx.Clauses(clause.Locking{Strength: "NO KEY UPDATE"}).
		Where("id = ? AND organization_id = ?", id, by.Scope.OrganizationID).Take(&r).Error
	if err != nil {
		return Request{}, notFound(err, fmt.Sprintf("lock service request %d", id))
	}
	return r, nil
}

// transition runs change on request id of by's organization in one
// transaction: change checks and sets the new columns, the guarded update
// (WHERE status = from) applies them, then the audit entry and the
// resident's notification.
func (s *Service) transition(ctx context.Context, by access.Actor, id int64, action, kind string,
	change func(tx *gorm.DB, r *Request, now time.Time) (map[string]any, map[string]any, error)) (View, error) {
	var v View
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		r, err := lockOwn(tx, by, id)
		if err != nil {
			return err
		}
		from := r.Status
		now := s.clock.Now()
		cols, details, err := change(tx, &r, now)
		if err != nil {
			return err
		}
		cols["updated_at"] = now
		res := tx.Model(&Request{}).Where("id = ? AND status = ?", id, from).Updates(cols)
		if res.Error != nil {
			return fmt.Errorf("%s service request %d: %w", action, id, res.Error)
		}
		if res.RowsAffected != 1 {
			return fmt.Errorf("%s service request %d: status %s changed underneath", action, id, from)
		}
		r.UpdatedAt = now
		v = view(by, r)
		if err := audit.Record(tx, by, "service_request."+action, "service_request", id, details); err != nil {
			return err
		}
		if r.ResidentID != nil {
			return notifyRequest(tx, notice{kind: kind, userID: r.ResidentID, contractID: r.ContractID, id: r.ID}, now)
		}
		return nil
	})
	return v, err
}

// Accept accepts a request on a contract of by's organization (its staff;
// other roles apperr.ErrForbidden; another organization's request or an unmet
// need apperr.ErrNotFound) at the clock's time, optionally scheduled at a
// time not in the past (an apperr.Invalid naming scheduled_at). An answered
// request is ErrNotRequested. The hours from requested_at to accepted_at are
// the contract's response time (ResponseHours).
func (s *Service) Accept(ctx context.Context, by access.Actor, id int64, scheduledAt *time.Time) (View, error) {
	return s.transition(ctx, by, id, "accept", KindAccepted, func(_ *gorm.DB, r *Request, now time.Time) (map[string]any, map[string]any, error) {
		if r.Status != StatusRequested {
			return nil, nil, ErrNotRequested
		}
		if scheduledAt != nil && scheduledAt.Before(now) {
			return nil, nil, apperr.InvalidField("scheduled_at", "must not be in the past")
		}
		r.Status, r.AcceptedAt, r.AcceptedBy, r.ScheduledAt = StatusAccepted, &now, by.UserRef(), scheduledAt
		return map[string]any{"status": StatusAccepted, "accepted_at": now, "accepted_by": by.UserRef(), "scheduled_at": scheduledAt},
			map[string]any{"accepted_at": now, "scheduled_at": scheduledAt, "response_hours": now.Sub(r.RequestedAt).Hours()}, nil
	})
}

// Decline declines a request, as Accept finds it, with a reason (1 to 500
// characters, else an apperr.Invalid naming reason). An answered request is
// ErrNotRequested. The audit entry keeps a digest of the reason.
func (s *Service) Decline(ctx context.Context, by access.Actor, id int64, reason string) (View, error) {
	reason = trimmed(reason)
	var bad apperr.Fields
	bad.Check(reason != "", "reason", "is required")
	bad.Check(utf8.RuneCountInString(reason) <= MaxReason && text(reason), "reason", "must be at most 500 characters of text")
	if err := bad.Err(); err != nil {
		return View{}, err
	}
	return s.transition(ctx, by, id, "decline", KindDeclined, func(_ *gorm.DB, r *Request, now time.Time) (map[string]any, map[string]any, error) {
		if r.Status != StatusRequested {
			return nil, nil, ErrNotRequested
		}
		r.Status, r.DeclinedAt, r.DeclinedBy, r.DeclineReason = StatusDeclined, &now, by.UserRef(), &reason
		return map[string]any{"status": StatusDeclined, "declined_at": now, "declined_by": by.UserRef(), "decline_reason": reason},
			map[string]any{"reason_sha256": digest(reason)}, nil
	})
}

// Fulfil links an accepted request (ErrNotAccepted otherwise), as Accept
// finds it, to the service record that delivered it: a record of the same
// contract, organization and community, dated on or after the request's day
// (China time) and fulfilling no other request; any other record is an
// apperr.Invalid naming service_record_id.
func (s *Service) Fulfil(ctx context.Context, by access.Actor, id, recordID int64) (View, error) {
	return s.transition(ctx, by, id, "fulfil", KindFulfilled, func(tx *gorm.DB, r *Request, now time.Time) (map[string]any, map[string]any, error) {
		if r.Status != StatusAccepted {
			return nil, nil, ErrNotAccepted
		}
		var n int64
		err := tx.Table("service_records").Where(`id = ? AND contract_id = ? AND organization_id = ? AND community_id = ? AND service_date >= ?
			AND NOT EXISTS (SELECT 1 FROM service_requests q WHERE q.service_record_id = service_records.id)`,
			recordID, r.ContractID, r.OrganizationID, r.CommunityID, civil.ChinaDate(r.RequestedAt)).Count(&n).Error
		if err != nil {
			return nil, nil, fmt.Errorf("read service record %d: %w", recordID, err)
		}
		if n != 1 {
			return nil, nil, apperr.InvalidField("service_record_id",
				"must be a record of this request's contract and community, dated on or after the request, fulfilling no other request")
		}
		r.Status, r.FulfilledAt, r.FulfilledBy, r.ServiceRecordID = StatusFulfilled, &now, by.UserRef(), &recordID
		return map[string]any{"status": StatusFulfilled, "fulfilled_at": now, "fulfilled_by": by.UserRef(), "service_record_id": recordID},
			map[string]any{"service_record_id": recordID}, nil
	})
}
