// Package evaluation schedules, computes, scores and submits the evaluations
// (评估) of contracts, and issues rectification orders (整改) after a failing
// grade (migrations/00015_evaluations.sql).
package evaluation

import (
	"time"

	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/access"
)

// The kinds of evaluation. A re-evaluation keeps the kind of the evaluation
// it re-does (ReevaluationOf names that one).
const (
	KindMidterm = "midterm"
	KindFinal   = "final"
	KindAdhoc   = "adhoc"
)

// The grades of DOMAIN.md: 优秀 from 90, 良好 from 80, 合格 from 60, 不合格 below.
const (
	GradeExcellent = "excellent"
	GradeGood      = "good"
	GradePass      = "pass"
	GradeFail      = "fail"
)

// Submitted is what a submitted evaluation tells the rest of the platform
// (the milestones it makes due), inside the transaction that submits it.
type Submitted struct {
	ID             int64
	ContractID     int64
	Kind           string // KindMidterm, KindFinal or KindAdhoc
	ScoreTenths    int    // the score × 10, exact: 923 is 92.3
	Grade          string
	ReevaluationOf *int64 // the failing evaluation this one re-does
	SubmittedAt    time.Time
}

// SubmitHook runs inside the transaction that submits an evaluation, after
// the evaluation and its audit entry are written; an error rolls the
// submission back.
type SubmitHook func(tx *gorm.DB, by access.Actor, ev Submitted) error
