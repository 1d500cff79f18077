package evaluation

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/audit"
	"github.com/jiedao-market/jiedao/internal/civil"
	"github.com/jiedao-market/jiedao/internal/rating"
)

// Limits of an evaluation's texts, in characters (as the database checks them).
const (
	MaxStatement    = 2000 // a conflict statement
	MaxNotes        = 5000 // the evaluation's notes
	MaxNote         = 2000 // a figure's note
	MaxCancelReason = 500
)

// Declaration is the assigned evaluator's declaration, as the tender
// committee makes it: no conflict of interest (the evaluation opens), or a
// conflict with a statement of what it is (the evaluator recuses itself and
// the officer assigns another).
type Declaration struct {
	Conflict  bool
	Statement string
}

// Entry is the evaluator's value of one figure: the actual ("" clears it;
// nil leaves it) and a note (nil leaves it). The evaluator enters the
// figures whose source is the evaluator, and those the system computes but
// finds nothing to measure (no ratings, no requests) — there the value
// counts until the records give one.
type Entry struct {
	Code   string
	Actual *string
	Note   *string
}

// Patch changes an evaluation; nil fields stay as they are. The officer
// assigns another evaluator (EvaluatorID), moves the due date (DueOn) or
// cancels it with a reason (CancelReason); the assigned evaluator declares,
// enters figures and writes the evaluation's notes.
type Patch struct {
	EvaluatorID  *int64
	DueOn        *string
	CancelReason *string

	Declaration *Declaration
	Figures     []Entry
	Notes       *string
}

func (p Patch) officerPart() bool {
	return p.EvaluatorID != nil || p.DueOn != nil || p.CancelReason != nil
}
func (p Patch) evaluatorPart() bool {
	return p.Declaration != nil || p.Figures != nil || p.Notes != nil
}

// text checks a free text of at most max characters (control characters
// aside from line breaks and tabs refused); required says it may not be blank.
func text(f *apperr.Fields, field, s string, max int, required bool) {
	switch {
	case required && strings.TrimSpace(s) == "":
		f.Add(field, "is required")
	case !utf8.ValidString(s) || utf8.RuneCountInString(s) > max ||
		strings.ContainsFunc(s, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t' }):
		f.Add(field, fmt.Sprintf("must be at most %d characters of text", max))
	}
}

// Update applies p to evaluation id. The officer of the evaluation's
// subdistrict may assign another evaluator while it is scheduled or after a
// recusal (ErrInProgress once the evaluator declared no conflict), move its
// due date, or cancel it with a reason (never a re-evaluation:
// ErrKeepReevaluation). The assigned evaluator declares once (ErrDeclared
// after), then (ErrNotDeclared before) enters figures and notes; the
// computed figures are computed again. Nothing changes once submitted
// (ErrSubmitted) or cancelled or recused (ErrNotOpen). Another
// subdistrict's or another evaluator's evaluation is apperr.ErrNotFound,
// other roles apperr.ErrForbidden, bad input an apperr Invalid error naming
// each field.
func (s *Service) Update(ctx context.Context, by access.Actor, id int64, p Patch) (View, error) {
	if !by.Is(Editors...) {
		return View{}, apperr.ErrForbidden
	}
	var f apperr.Fields
	switch {
	case !p.officerPart() && !p.evaluatorPart():
		f.Add("patch", "name at least one of evaluator_id, due_on, cancel_reason, declaration, figures, notes")
	case by.Role == access.ProcurementOfficer && p.evaluatorPart():
		f.Check(p.Declaration == nil, "declaration", "is the assigned evaluator's to write")
		f.Check(p.Figures == nil, "figures", "is the assigned evaluator's to write")
		f.Check(p.Notes == nil, "notes", "is the assigned evaluator's to write")
	case by.Role == access.Evaluator && p.officerPart():
		f.Check(p.EvaluatorID == nil, "evaluator_id", "is the procurement officer's to change")
		f.Check(p.DueOn == nil, "due_on", "is the procurement officer's to change")
		f.Check(p.CancelReason == nil, "cancel_reason", "is the procurement officer's to change")
	}
	if err := f.Err(); err != nil {
		return View{}, err
	}
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		e, c, err := lockEvaluation(tx, by, id)
		if err != nil {
			return err
		}
		switch e.Status {
		case StatusSubmitted:
			return ErrSubmitted
		case StatusCancelled:
			return ErrNotOpen
		}
		if by.Role == access.ProcurementOfficer {
			return s.officerUpdate(tx, by, e, c, p)
		}
		return s.evaluatorUpdate(tx, by, e, c, p)
	})
	if err != nil {
		return View{}, err
	}
	return s.Get(ctx, by, id)
}

func (s *Service) officerUpdate(tx *gorm.DB, by access.Actor, e Evaluation, c contractInfo, p Patch) error {
	now := s.clock.Now()
	var f apperr.Fields
	if p.CancelReason != nil {
		f.Check(p.EvaluatorID == nil && p.DueOn == nil, "cancel_reason", "cancels the evaluation: send it alone")
		text(&f, "cancel_reason", *p.CancelReason, MaxCancelReason, true)
		if err := f.Err(); err != nil {
			return err
		}
		if e.ReevaluationOf != nil {
			return ErrKeepReevaluation
		}
		reason := strings.TrimSpace(*p.CancelReason)
		if err := tx.Table("evaluations").Where("id = ? AND status = ?", e.ID, e.Status).
			Updates(map[string]any{"status": StatusCancelled, "cancel_reason": reason, "updated_at": now}).Error; err != nil {
			return fmt.Errorf("cancel evaluation %d: %w", e.ID, err)
		}
		if err := audit.Record(tx, by, "evaluation.cancel", "evaluation", e.ID, map[string]any{"from": e.Status,
			"reason_digest": rating.Digest(reason)}); err != nil {
			return err
		}
		if err := notifyUser(tx, c, e, KindCancelled, e.EvaluatorID, now); err != nil {
			return err
		}
		return notifyOrg(tx, c, e, KindCancelled, now)
	}
	set := map[string]any{"updated_at": now}
	change := map[string]any{}
	var agency *int64
	if p.DueOn != nil {
		due := parseDate(&f, "due_on", *p.DueOn)
		switch {
		case strings.TrimSpace(*p.DueOn) == "":
			f.Add("due_on", "is required")
		case !due.IsZero() && due.Before(civil.ChinaDate(now)):
			f.Add("due_on", "must be today or later")
		}
		set["due_on"], change["due_on"] = due, due
	}
	if p.EvaluatorID != nil {
		switch {
		case *p.EvaluatorID == e.EvaluatorID && e.Status == StatusRecused:
			f.Add("evaluator_id", "recused itself from this evaluation: assign another evaluator")
		case *p.EvaluatorID == e.EvaluatorID:
			f.Add("evaluator_id", "is already the evaluator")
		default:
			var err error
			if agency, err = checkEvaluator(tx, c, *p.EvaluatorID, now); err != nil {
				var why ineligible
				if !errors.As(err, &why) {
					return err
				}
				f.Add("evaluator_id", why.reason)
			}
		}
	}
	if err := f.Err(); err != nil {
		return err
	}
	if p.EvaluatorID != nil {
		if e.Status == StatusInProgress {
			return ErrInProgress
		}
		set["evaluator_id"], set["agency_id"], set["status"], set["declared_at"], set["conflict_statement"] =
			*p.EvaluatorID, agency, StatusScheduled, nil, ""
		change["evaluator_id"], change["agency_id"], change["previous_evaluator_id"] = *p.EvaluatorID, agency, e.EvaluatorID
	}
	if err := tx.Table("evaluations").Where("id = ?", e.ID).Updates(set).Error; err != nil {
		return fmt.Errorf("update evaluation %d: %w", e.ID, err)
	}
	if err := audit.Record(tx, by, "evaluation.update", "evaluation", e.ID, change); err != nil {
		return err
	}
	if p.EvaluatorID != nil {
		if err := notifyUser(tx, c, e, KindAssigned, *p.EvaluatorID, now); err != nil {
			return err
		}
		if e.Status == StatusScheduled {
			return notifyUser(tx, c, e, KindUnassigned, e.EvaluatorID, now)
		}
	}
	return nil
}

func (s *Service) evaluatorUpdate(tx *gorm.DB, by access.Actor, e Evaluation, c contractInfo, p Patch) error {
	now := s.clock.Now()
	if e.Status == StatusRecused {
		return ErrNotOpen
	}
	declaring := p.Declaration != nil
	switch {
	case declaring && e.Status != StatusScheduled:
		return ErrDeclared
	case !declaring && e.Status == StatusScheduled:
		return ErrNotDeclared
	}
	var f apperr.Fields
	if declaring {
		d := *p.Declaration
		if d.Conflict {
			text(&f, "declaration.statement", d.Statement, MaxStatement, true)
			f.Check(p.Figures == nil && p.Notes == nil, "declaration", "a conflict recuses you from the evaluation: send it alone")
			if err := f.Err(); err != nil {
				return err
			}
			return s.recuse(tx, by, e, c, strings.TrimSpace(d.Statement), now)
		}
		f.Check(strings.TrimSpace(d.Statement) == "", "declaration.statement", "is written only with a conflict")
	}
	rows, err := loadFigures(tx, e.ID)
	if err != nil {
		return err
	}
	if rows, err = compute(tx, c, e, rows, now); err != nil {
		return err
	}
	entered := enter(&f, rows, p.Figures, by, now)
	if p.Notes != nil {
		text(&f, "notes", *p.Notes, MaxNotes, false)
	}
	if err := f.Err(); err != nil {
		return err
	}
	if declaring {
		if _, err := checkEvaluator(tx, c, e.EvaluatorID, now); err != nil {
			var why ineligible
			if errors.As(err, &why) {
				return apperr.New(apperr.Conflict, ErrEvaluatorIneligible.Code, ErrEvaluatorIneligible.Message+": "+why.reason)
			}
			return err
		}
	}
	// Entries on figures the system finds nothing to measure keep their
	// value; computing again writes that in their basis.
	if rows, err = compute(tx, c, e, rows, now); err != nil {
		return err
	}
	if err := saveFigures(tx, rows); err != nil {
		return err
	}
	set := map[string]any{"updated_at": now}
	change := map[string]any{"figures": entered}
	if declaring {
		set["status"], set["declared_at"] = StatusInProgress, now
		change["declaration"] = "no_conflict"
	}
	if p.Notes != nil {
		set["notes"] = strings.TrimSpace(*p.Notes)
		change["notes_digest"] = rating.Digest(strings.TrimSpace(*p.Notes))
	}
	if err := tx.Table("evaluations").Where("id = ? AND status = ?", e.ID, e.Status).Updates(set).Error; err != nil {
		return fmt.Errorf("update evaluation %d: %w", e.ID, err)
	}
	action := "evaluation.enter"
	if declaring {
		action = "evaluation.declare"
	}
	return audit.Record(tx, by, action, "evaluation", e.ID, change)
}

// recuse records the evaluator's declared conflict and tells the officers.
func (s *Service) recuse(tx *gorm.DB, by access.Actor, e Evaluation, c contractInfo, statement string, now time.Time) error {
	if err := tx.Table("evaluations").Where("id = ? AND status = ?", e.ID, StatusScheduled).Updates(map[string]any{
		"status": StatusRecused, "declared_at": now, "conflict_statement": statement, "updated_at": now}).Error; err != nil {
		return fmt.Errorf("recuse from evaluation %d: %w", e.ID, err)
	}
	if err := audit.Record(tx, by, "evaluation.declare", "evaluation", e.ID, map[string]any{"declaration": "conflict",
		"statement_digest": rating.Digest(statement)}); err != nil {
		return err
	}
	return notifyOfficers(tx, c, e, KindRecused, now)
}

// enter applies the evaluator's entries to rows (as computed), adding each
// bad one to f, and returns what was entered, for the audit entry (the
// notes as digests).
func enter(f *apperr.Fields, rows []figureRow, entries []Entry, by access.Actor, now time.Time) []map[string]any {
	out := []map[string]any{}
	seen := map[string]bool{}
	for i, en := range entries {
		field := fmt.Sprintf("figures[%d]", i)
		at := -1
		for j, r := range rows {
			if r.Code == en.Code {
				at = j
			}
		}
		if at < 0 || seen[en.Code] {
			f.Add(field+".code", "must be a figure of the evaluation, once")
			continue
		}
		seen[en.Code] = true
		if en.Actual == nil && en.Note == nil {
			f.Add(field, "name an actual or a note")
			continue
		}
		r := &rows[at]
		done := map[string]any{"code": en.Code}
		if en.Actual != nil {
			value := strings.TrimSpace(*en.Actual)
			measurable := r.computed() && r.EnteredBy == nil && r.Actual != nil
			v, ok := ParseAmount(value)
			switch {
			case measurable:
				f.Add(field+".actual", "is computed by the system from the contract's records")
			case value == "":
				r.Actual, r.EnteredBy, r.EnteredAt = nil, nil, nil
				done["actual"] = nil
			case !ok:
				f.Add(field+".actual", "must be a number of zero or more with at most two decimals")
			default:
				a := Fixed(v, 2)
				t, uid := now, by.UserID
				r.Actual, r.EnteredBy, r.EnteredAt = &a, &uid, &t
				done["actual"] = a
			}
		}
		if en.Note != nil {
			text(f, field+".note", *en.Note, MaxNote, false)
			r.Note = strings.TrimSpace(*en.Note)
			done["note_digest"] = rating.Digest(r.Note)
		}
		out = append(out, done)
	}
	return out
}
