package evaluation

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/audit"
	"github.com/jiedao-market/jiedao/internal/civil"
)

// ScheduleInput is an officer's scheduling of an evaluation. Dates are
// "YYYY-MM-DD" China dates; empty ones take their defaults.
type ScheduleInput struct {
	// Kind is midterm, final or adhoc; a re-evaluation keeps the kind of the
	// evaluation it re-does (empty, or the same).
	Kind string
	// PeriodStart and PeriodEnd bound the period evaluated, inside the
	// service period. A final evaluation covers the whole service period; a
	// mid-term or ad-hoc one defaults to the service start (a
	// re-evaluation's, to the start of the evaluation it re-does) through
	// today, or the service end if sooner.
	PeriodStart, PeriodEnd string
	// DueOn is when the evaluator is to submit: today or later.
	DueOn string
	// EvaluatorID is the account that evaluates (checkEvaluator).
	EvaluatorID int64
	// ReevaluationOf names the failing evaluation this one re-does.
	ReevaluationOf *int64
}

// parseDate reads an optional date field.
func parseDate(f *apperr.Fields, field, s string) civil.Date {
	s = strings.TrimSpace(s)
	if s == "" {
		return civil.Date{}
	}
	d, err := civil.ParseDate(s)
	if err != nil {
		f.Add(field, "must be a date (YYYY-MM-DD)")
	}
	return d
}

// Schedule schedules an evaluation of contract contractID and assigns its
// evaluator, as the contract subdistrict's procurement officer (another
// role gets apperr.ErrForbidden; another subdistrict's contract
// apperr.ErrNotFound). Every metric of the contract becomes a figure with
// its target, the period's share of the service period and the target used
// (TargetUsed). The contract must be signed or active
// (ErrContractNotInForce), and hold no other live evaluation of a mid-term
// or final kind (ErrKindScheduled). A re-evaluation (ReevaluationOf) re-does
// a submitted failing evaluation of the contract (ErrNotFailing) that has
// none yet (ErrReevaluated) and a rectification order (ErrNoRectification).
// Bad input, an account that may not evaluate the contract included, is an
// apperr Invalid error naming each field. The evaluator and the
// organization are told.
func (s *Service) Schedule(ctx context.Context, by access.Actor, contractID int64, in ScheduleInput) (View, error) {
	if by.Role != access.ProcurementOfficer {
		return View{}, apperr.ErrForbidden
	}
	now := s.clock.Now()
	today := civil.ChinaDate(now)
	var id int64
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		c, err := readContract(tx, by, contractID, true)
		if err != nil {
			return err
		}
		var f apperr.Fields
		kind := strings.TrimSpace(in.Kind)
		start, end := parseDate(&f, "period_start", in.PeriodStart), parseDate(&f, "period_end", in.PeriodEnd)
		due := parseDate(&f, "due_on", in.DueOn)
		var redo *Evaluation
		if in.ReevaluationOf != nil {
			var old Evaluation
			err := tx.Table("evaluations").Select(columns).Where("id = ? AND contract_id = ?", *in.ReevaluationOf, c.ID).Take(&old).Error
			if err != nil {
				if !errors.Is(notFound(err), apperr.ErrNotFound) {
					return err
				}
				f.Add("reevaluation_of", "must be an evaluation of this contract")
			} else {
				redo = &old
				if kind == "" {
					kind = old.Kind
				}
				f.Check(kind == old.Kind, "kind", "a re-evaluation keeps the kind of the evaluation it re-does: "+old.Kind)
			}
		}
		f.Check(slices.Contains(Kinds, kind), "kind", "must be one of "+strings.Join(Kinds, ", "))
		if kind == KindFinal {
			f.Check(start.IsZero() || start == c.ServiceStart, "period_start", "a final evaluation covers the whole service period, from "+c.ServiceStart.String())
			f.Check(end.IsZero() || end == c.ServiceEnd, "period_end", "a final evaluation covers the whole service period, to "+c.ServiceEnd.String())
			start, end = c.ServiceStart, c.ServiceEnd
		}
		if start.IsZero() {
			start = c.ServiceStart
			if redo != nil {
				start = redo.PeriodStart
			}
		}
		if end.IsZero() {
			end = today
			if end.After(c.ServiceEnd) {
				end = c.ServiceEnd
			}
			if end.Before(start) {
				end = start
			}
		}
		inService := fmt.Sprintf("must be within the service period, %s to %s", c.ServiceStart, c.ServiceEnd)
		f.Check(!start.Before(c.ServiceStart) && !start.After(c.ServiceEnd), "period_start", inService)
		f.Check(!end.Before(c.ServiceStart) && !end.After(c.ServiceEnd), "period_end", inService)
		f.Check(!end.Before(start), "period_end", "must not be before period_start")
		switch {
		case strings.TrimSpace(in.DueOn) == "":
			f.Add("due_on", "is required")
		case !due.IsZero() && due.Before(today):
			f.Add("due_on", "must be today or later")
		}
		var agency *int64
		if in.EvaluatorID <= 0 {
			f.Add("evaluator_id", "is required")
		} else if agency, err = checkEvaluator(tx, c, in.EvaluatorID, now); err != nil {
			var why ineligible
			if !errors.As(err, &why) {
				return err
			}
			f.Add("evaluator_id", why.reason)
		}
		if err := f.Err(); err != nil {
			return err
		}
		if c.Status != "signed" && c.Status != "active" {
			return ErrContractNotInForce
		}
		if redo != nil {
			if err := checkRedo(tx, *redo); err != nil {
				return err
			}
		} else if kind != KindAdhoc {
			var live int64
			if err := tx.Table("evaluations").Where("contract_id = ? AND kind = ? AND reevaluation_of IS NULL AND status <> ?",
				c.ID, kind, StatusCancelled).Count(&live).Error; err != nil {
				return fmt.Errorf("count evaluations of contract %d: %w", c.ID, err)
			}
			if live > 0 {
				return ErrKindScheduled
			}
		}
		e := Evaluation{ContractID: c.ID, SubdistrictID: c.SubdistrictID, Kind: kind, PeriodStart: start, PeriodEnd: end, DueOn: due,
			EvaluatorID: in.EvaluatorID, AgencyID: agency, Status: StatusScheduled, CreatedBy: by.UserRef(), CreatedAt: now, UpdatedAt: now}
		if redo != nil {
			e.ReevaluationOf = &redo.ID
		}
		if err := tx.Create(&e).Error; err != nil {
			return fmt.Errorf("insert evaluation of contract %d: %w", c.ID, err)
		}
		id = e.ID
		if err := insertFigures(tx, c, e); err != nil {
			return err
		}
		if err := audit.Record(tx, by, "evaluation.schedule", "evaluation", e.ID, map[string]any{"contract_id": c.ID, "kind": kind,
			"period_start": start, "period_end": end, "due_on": due, "evaluator_id": e.EvaluatorID, "agency_id": agency,
			"reevaluation_of": e.ReevaluationOf}); err != nil {
			return err
		}
		if err := notifyUser(tx, c, e, KindAssigned, e.EvaluatorID, now); err != nil {
			return err
		}
		return notifyOrg(tx, c, e, KindScheduled, now)
	})
	if err != nil {
		return View{}, err
	}
	return s.Get(ctx, by, id)
}

// checkRedo checks that old may have a re-evaluation: submitted and failing,
// without one yet, with a rectification order.
func checkRedo(tx *gorm.DB, old Evaluation) error {
	if old.Status != StatusSubmitted || old.Grade == nil || *old.Grade != GradeFail {
		return ErrNotFailing
	}
	var n int64
	if err := tx.Table("evaluations").Where("reevaluation_of = ?", old.ID).Count(&n).Error; err != nil {
		return fmt.Errorf("count re-evaluations of %d: %w", old.ID, err)
	}
	if n > 0 {
		return ErrReevaluated
	}
	if err := tx.Table("rectification_orders").Where("evaluation_id = ?", old.ID).Count(&n).Error; err != nil {
		return fmt.Errorf("count rectification orders of %d: %w", old.ID, err)
	}
	if n == 0 {
		return ErrNoRectification
	}
	return nil
}

// insertFigures copies the contract's metrics into e's figures, with the
// share of the service period and the target used.
func insertFigures(tx *gorm.DB, c contractInfo, e Evaluation) error {
	var metrics []figureRow
	if err := tx.Raw(`SELECT code, name_zh, name_en, unit, direction, source, weight, target::text AS target
		FROM contract_metrics WHERE contract_id = ? ORDER BY code`, c.ID).Scan(&metrics).Error; err != nil {
		return fmt.Errorf("read metrics of contract %d: %w", c.ID, err)
	}
	share := Share(c.ServiceStart, c.ServiceEnd, e.PeriodStart, e.PeriodEnd)
	if e.Kind == KindFinal {
		share.SetInt64(1)
	}
	for _, m := range metrics {
		m.EvaluationID = e.ID
		m.Share = Fixed(share, 6)
		m.TargetUsed = Fixed(TargetUsed(m.rat(m.Target), share, Cumulative(m.Source, m.Code)), 2)
		m.Basis = jsonText(map[string]any{"period": Period{From: e.PeriodStart, To: e.PeriodEnd}, "pro_rating": proRating(c, e, m)})
		if err := tx.Exec(`INSERT INTO evaluation_figures (evaluation_id, code, name_zh, name_en, unit, direction, source, weight, target, share,
			target_used, basis) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?::numeric, ?::numeric, ?::numeric, ?::jsonb)`,
			m.EvaluationID, m.Code, m.NameZh, m.NameEn, m.Unit, m.Direction, m.Source, m.Weight, m.Target, m.Share, m.TargetUsed, m.Basis).Error; err != nil {
			return fmt.Errorf("insert figure %s of evaluation %d: %w", m.Code, e.ID, err)
		}
	}
	return nil
}

// saveFigures writes rows' actuals, attainments, bases, notes and entries.
func saveFigures(tx *gorm.DB, rows []figureRow) error {
	for _, r := range rows {
		if err := tx.Exec(`UPDATE evaluation_figures SET actual = ?::numeric, attainment = ?::numeric, basis = ?::jsonb, note = ?,
			computed_at = ?, entered_by = ?, entered_at = ? WHERE evaluation_id = ? AND code = ?`,
			r.Actual, r.Attainment, r.Basis, r.Note, r.ComputedAt, r.EnteredBy, r.EnteredAt, r.EvaluationID, r.Code).Error; err != nil {
			return fmt.Errorf("update figure %s of evaluation %d: %w", r.Code, r.EvaluationID, err)
		}
	}
	return nil
}
