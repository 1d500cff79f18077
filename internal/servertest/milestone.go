package servertest

import (
	"testing"

	"github.com/jiedao-market/jiedao/internal/civil"
	"github.com/jiedao-market/jiedao/internal/evaluation"
)

// SubmittedEvaluation writes, with SQL, a submitted evaluation of contract
// contractID of kind (evaluation.KindMidterm, KindFinal or KindAdhoc) by
// demo-evaluator, scoring scoreTenths (923 is 92.3) with its grade, re-doing
// the evaluation reevaluationOf when it is not 0, and returns what its
// submission tells the platform (evaluation.Submitted), for tests of what a
// submission sets off. Test fixtures only: the evaluation service writes
// evaluations.
func (e *Env) SubmittedEvaluation(t testing.TB, contractID int64, kind string, scoreTenths int, reevaluationOf int64) evaluation.Submitted {
	t.Helper()
	grade := evaluation.GradeFail
	switch {
	case scoreTenths >= 900:
		grade = evaluation.GradeExcellent
	case scoreTenths >= 800:
		grade = evaluation.GradeGood
	case scoreTenths >= 600:
		grade = evaluation.GradePass
	}
	now := e.Clock.Now()
	today := civil.ChinaDate(now)
	ev := evaluation.Submitted{ContractID: contractID, Kind: kind, ScoreTenths: scoreTenths, Grade: grade, SubmittedAt: now}
	var redo *int64
	if reevaluationOf != 0 {
		redo = &reevaluationOf
		ev.ReevaluationOf = redo
	}
	err := e.DB.Raw(`INSERT INTO evaluations (contract_id, subdistrict_id, kind, period_start, period_end, due_on, evaluator_id,
		reevaluation_of, status, declared_at, score, grade, submitted_at, submitted_by, created_at, updated_at)
		SELECT c.id, c.subdistrict_id, ?, ?, ?, ?, u.id, ?, 'submitted', ?, ?::numeric / 10, ?, ?, u.id, ?, ?
		FROM contracts c, users u WHERE c.id = ? AND u.username = 'demo-evaluator' RETURNING id`,
		kind, today.AddDays(-30), today, today, redo, now, scoreTenths, grade, now, now, now, contractID).Scan(&ev.ID).Error
	if err != nil || ev.ID == 0 {
		t.Fatalf("insert a submitted %s evaluation of contract %d: %v", kind, contractID, err)
	}
	return ev
}
