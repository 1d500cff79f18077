package evaluation

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/audit"
	"github.com/jiedao-market/jiedao/internal/civil"
)

// Submit scores and submits evaluation id, as its assigned evaluator (other
// roles get apperr.ErrForbidden, other evaluators apperr.ErrNotFound), once
// the evaluator declared no conflict (ErrNotDeclared; ErrNotOpen after a
// recusal or a cancellation, ErrSubmitted after a submission) and the period
// has ended (ErrPeriodOpen), while the evaluator may still evaluate the
// contract (ErrEvaluatorIneligible). The computed figures are computed a
// last time and frozen; every figure needs an actual (ErrFiguresMissing).
// The attainments, the score (one decimal) and the grade are stored; the
// officers and the organization are told; then every hook registered with
// OnSubmit runs in the same transaction, and an error from one rolls the
// submission back.
func (s *Service) Submit(ctx context.Context, by access.Actor, id int64) (View, error) {
	if by.Role != access.Evaluator {
		return View{}, apperr.ErrForbidden
	}
	now := s.clock.Now()
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		e, c, err := lockEvaluation(tx, by, id)
		if err != nil {
			return err
		}
		switch e.Status {
		case StatusSubmitted:
			return ErrSubmitted
		case StatusCancelled, StatusRecused:
			return ErrNotOpen
		case StatusScheduled:
			return ErrNotDeclared
		}
		if civil.ChinaDate(now).Before(e.PeriodEnd) {
			return ErrPeriodOpen
		}
		if _, err := checkEvaluator(tx, c, e.EvaluatorID, now); err != nil {
			var why ineligible
			if errors.As(err, &why) {
				return apperr.New(apperr.Conflict, ErrEvaluatorIneligible.Code, ErrEvaluatorIneligible.Message+": "+why.reason)
			}
			return err
		}
		rows, err := loadFigures(tx, e.ID)
		if err != nil {
			return err
		}
		if rows, err = compute(tx, c, e, rows, now); err != nil {
			return err
		}
		var missing []string
		ms := make([]Measure, len(rows))
		for i, r := range rows {
			if r.Actual == nil {
				missing = append(missing, r.Code)
				continue
			}
			ms[i] = Measure{Weight: r.Weight, Direction: r.Direction, TargetUsed: r.rat(r.TargetUsed), Actual: r.rat(*r.Actual)}
		}
		if len(missing) > 0 {
			return apperr.New(apperr.Conflict, ErrFiguresMissing.Code, ErrFiguresMissing.Message+"; missing: "+strings.Join(missing, ", "))
		}
		res, err := Score(ms)
		if err != nil {
			return fmt.Errorf("score evaluation %d: %w", e.ID, err)
		}
		figures := make([]map[string]any, len(rows))
		for i := range rows {
			a := Fixed(res.Attainments[i], 6)
			rows[i].Attainment = &a
			figures[i] = map[string]any{"code": rows[i].Code, "target_used": rows[i].TargetUsed, "actual": *rows[i].Actual, "attainment": a,
				"weight": rows[i].Weight}
		}
		if err := saveFigures(tx, rows); err != nil {
			return err
		}
		res2 := tx.Exec(`UPDATE evaluations SET status = ?, score = ?::numeric, grade = ?, submitted_at = ?, submitted_by = ?, updated_at = ?
			WHERE id = ? AND status = ?`, StatusSubmitted, ScoreString(res.Score), res.Grade, now, by.UserRef(), now, e.ID, StatusInProgress)
		if res2.Error != nil {
			return fmt.Errorf("submit evaluation %d: %w", e.ID, res2.Error)
		}
		if res2.RowsAffected != 1 {
			return fmt.Errorf("submit evaluation %d: %d rows changed, want 1", e.ID, res2.RowsAffected)
		}
		if err := audit.Record(tx, by, "evaluation.submit", "evaluation", e.ID, map[string]any{"contract_id": c.ID, "kind": e.Kind,
			"score": ScoreString(res.Score), "grade": res.Grade, "figures": figures, "reevaluation_of": e.ReevaluationOf}); err != nil {
			return err
		}
		if err := notifyOfficers(tx, c, e, KindSubmitted, now); err != nil {
			return err
		}
		if err := notifyOrg(tx, c, e, KindSubmitted, now); err != nil {
			return err
		}
		ev := Submitted{ID: e.ID, ContractID: c.ID, Kind: e.Kind, ScoreTenths: int(res.Score), Grade: res.Grade,
			ReevaluationOf: e.ReevaluationOf, SubmittedAt: now}
		for _, h := range s.hooks {
			if err := h(tx, by, ev); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return View{}, err
	}
	return s.Get(ctx, by, id)
}
