package tender

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/audit"
)

// Amendment is a recorded change to a published tender.
type Amendment struct {
	ID          int64          `json:"id"`
	TenderID    int64          `json:"-"`
	Number      int            `json:"number"`
	Reason      string         `json:"reason"`
	Changes     map[string]any `json:"changes" gorm:"serializer:json"`
	OldClosesAt time.Time      `json:"old_closes_at"`
	NewClosesAt time.Time      `json:"new_closes_at"`
	CreatedBy   *int64         `json:"-"`
	CreatedAt   time.Time      `json:"created_at"`
}

// TableName is the table of Amendment.
func (Amendment) TableName() string { return "tender_amendments" }

// AmendInput is an amendment: a reason and what changes.
type AmendInput struct {
	Reason           string
	Description      *string
	QuestionsCloseAt *time.Time
	ClosesAt         *time.Time
	OpensAt          *time.Time
}

// check trims the reason and checks that in gives one and names a change.
func (in *AmendInput) check() error {
	in.Reason = strings.TrimSpace(in.Reason)
	var f apperr.Fields
	f.Check(in.Reason != "" && len(in.Reason) <= 2000 && plain(in.Reason), "reason", "is required (at most 2000 bytes of text)")
	f.Check(in.Description != nil || in.QuestionsCloseAt != nil || in.ClosesAt != nil || in.OpensAt != nil, "changes", "name at least one change: description, questions_close_at, closes_at or opens_at")
	return f.Err()
}

// TypedAmendment is an amendment as an officer types it over the tender's
// current values, every field filled in, as the tender page's form has it:
// the service decides what changed. A description equal to the current one
// (spaces trimmed aside) is no change, nor a zero time, nor a time equal to
// the current one as a form shows it, to the minute.
type TypedAmendment struct {
	Reason           string
	Description      string
	QuestionsCloseAt time.Time
	ClosesAt         time.Time
	OpensAt          time.Time
}

// against returns the amendment of t that a names: only what differs.
func (a TypedAmendment) against(t Tender) AmendInput {
	in := AmendInput{Reason: a.Reason}
	if desc := strings.TrimSpace(a.Description); desc != strings.TrimSpace(t.Description) {
		in.Description = &desc
	}
	for _, p := range []struct {
		typed, cur time.Time
		into       **time.Time
	}{{a.QuestionsCloseAt, t.QuestionsCloseAt, &in.QuestionsCloseAt}, {a.ClosesAt, t.ClosesAt, &in.ClosesAt}, {a.OpensAt, t.OpensAt, &in.OpensAt}} {
		if !p.typed.IsZero() && !p.typed.Equal(p.cur) && !p.typed.Equal(p.cur.Truncate(time.Minute)) {
			*p.into = &p.typed
		}
	}
	return in
}

// Amend changes a published tender before its close, with a recorded reason.
// When fewer than AmendmentMinDays days remain before the close, the close
// moves to that many days after now (and the opening with it); the bids
// already in need reconfirmation (a replacement) to count at the opening. It
// returns apperr.Invalid naming "reason" without one and "changes" when in
// names nothing to change (a value equal to the current one counts as named),
// ErrNotPublished once bidding has closed, and apperr.ErrNotFound for a tender
// not of by's subdistrict.
func (s *Service) Amend(ctx context.Context, by access.Actor, id int64, in AmendInput) (View, error) {
	if err := in.check(); err != nil {
		return View{}, err
	}
	return s.amend(ctx, by, id, func(Tender) (AmendInput, error) { return in, nil })
}

// AmendTyped is Amend for what the officer typed over the current values:
// only the fields that differ from the tender's go into the amendment, and
// when none does it returns apperr.Invalid naming "changes" (with "reason"
// when that is missing too). Its other errors are Amend's.
func (s *Service) AmendTyped(ctx context.Context, by access.Actor, id int64, typed TypedAmendment) (View, error) {
	return s.amend(ctx, by, id, func(t Tender) (AmendInput, error) {
		in := typed.against(t)
		err := in.check() // trims in.Reason: before in is returned
		return in, err
	})
}

// amend amends the tender with what changesOf finds for it under its lock.
func (s *Service) amend(ctx context.Context, by access.Actor, id int64, changesOf func(Tender) (AmendInput, error)) (View, error) {
	now := s.clock.Now()
	var t Tender
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var err error
		if t, err = officerTender(tx, by, id); err != nil {
			return err
		}
		in, err := changesOf(t)
		if err != nil {
			return err
		}
		if t.StatusAt(now) != StatusPublished {
			return ErrNotPublished
		}
		old := t
		changes := map[string]any{}
		if in.Description != nil {
			desc := strings.TrimSpace(*in.Description)
			if len(desc) > 20000 || !plain(desc) {
				return apperr.InvalidField("description", "must be at most 20000 bytes of text")
			}
			t.Description, changes["description"] = desc, true
		}
		set(&t.QuestionsCloseAt, in.QuestionsCloseAt)
		set(&t.ClosesAt, in.ClosesAt)
		set(&t.OpensAt, in.OpensAt)
		var f apperr.Fields
		f.Check(!t.ClosesAt.Before(old.ClosesAt), "closes_at", "an amendment may extend the close, not bring it forward")
		f.Check(!t.OpensAt.Before(t.ClosesAt), "opens_at", "must not be before closes_at")
		f.Check(!t.QuestionsCloseAt.After(t.ClosesAt), "questions_close_at", "must not be after closes_at")
		if err := f.Err(); err != nil {
			return err
		}
		if minClose := now.AddDate(0, 0, s.opts.AmendmentMinDays); t.ClosesAt.Before(minClose) {
			shift := minClose.Sub(t.ClosesAt)
			t.ClosesAt = minClose
			if t.OpensAt.Before(t.ClosesAt) {
				t.OpensAt = t.OpensAt.Add(shift)
			}
			changes["extended_by_rule"] = shift.String()
		}
		for k, v := range map[string][2]time.Time{"questions_close_at": {old.QuestionsCloseAt, t.QuestionsCloseAt},
			"closes_at": {old.ClosesAt, t.ClosesAt}, "opens_at": {old.OpensAt, t.OpensAt}} {
			if !v[0].Equal(v[1]) {
				changes[k] = map[string]time.Time{"from": v[0], "to": v[1]}
			}
		}
		var number int
		if err := tx.Model(&Amendment{}).Where("tender_id = ?", id).Select("coalesce(max(number), 0) + 1").Scan(&number).Error; err != nil {
			return err
		}
		a := Amendment{TenderID: id, Number: number, Reason: in.Reason, Changes: changes, OldClosesAt: old.ClosesAt, NewClosesAt: t.ClosesAt, CreatedBy: by.UserRef(), CreatedAt: now}
		if err := tx.Create(&a).Error; err != nil {
			return fmt.Errorf("insert amendment: %w", err)
		}
		if err := tx.Model(&t).Select("description", "questions_close_at", "closes_at", "opens_at", "updated_at").
			Updates(map[string]any{"description": t.Description, "questions_close_at": t.QuestionsCloseAt, "closes_at": t.ClosesAt, "opens_at": t.OpensAt, "updated_at": now}).Error; err != nil {
			return fmt.Errorf("amend tender: %w", err)
		}
		if err := tx.Model(&Bid{}).Where("tender_id = ? AND status = 'active'", id).Update("needs_reconfirmation", true).Error; err != nil {
			return err
		}
		if err := audit.Record(tx, by, "tender.amend", "tender", id, map[string]any{"number": number, "reason": in.Reason, "changes": changes}); err != nil {
			return err
		}
		if err := s.released(tx, id, "tenderAmendment", now); err != nil {
			return err
		}
		// The organizations that may bid include every bidder: one notice each.
		return notifyInterested(tx, t, KindAmendment, now)
	})
	if err != nil {
		return View{}, err
	}
	s.schedule(ctx, t.ID, t.ClosesAt, t.OpensAt)
	return s.Get(ctx, by, id)
}
