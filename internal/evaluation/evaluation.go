package evaluation

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/civil"
	"github.com/jiedao-market/jiedao/internal/config"
	"github.com/jiedao-market/jiedao/internal/platform/clock"
)

// The states of an evaluation: scheduled until its evaluator declares;
// in_progress after a declaration of no conflict; recused after a declared
// conflict, until the officer assigns another evaluator (scheduled again);
// submitted, for good; or cancelled by the officer.
const (
	StatusScheduled  = "scheduled"
	StatusInProgress = "in_progress"
	StatusSubmitted  = "submitted"
	StatusRecused    = "recused"
	StatusCancelled  = "cancelled"
)

// States lists the states of an evaluation.
var States = []string{StatusScheduled, StatusInProgress, StatusSubmitted, StatusRecused, StatusCancelled}

// Kinds lists the kinds of evaluation.
var Kinds = []string{KindMidterm, KindFinal, KindAdhoc}

// Readers read evaluations, each as the service scopes them: the platform
// admin all; a district admin its district's; a subdistrict's procurement
// and finance officers their subdistrict's; an organization's staff those of
// its contracts; an evaluator those assigned to it. Others get
// apperr.ErrForbidden.
var Readers = []access.Role{access.PlatformAdmin, access.DistrictAdmin, access.ProcurementOfficer, access.FinanceOfficer,
	access.Evaluator, access.OrgAdmin, access.OrgMember}

// Editors change an evaluation (PATCH): its subdistrict's procurement
// officer (evaluator, due date, cancellation) and its assigned evaluator
// (declaration, figures, notes).
var Editors = []access.Role{access.ProcurementOfficer, access.Evaluator}

// Errors of evaluations.
var (
	ErrContractNotInForce = apperr.New(apperr.Conflict, "evaluation.contract_not_in_force",
		"only a signed or active contract is evaluated")
	ErrKindScheduled = apperr.New(apperr.Conflict, "evaluation.kind_scheduled",
		"the contract already has a mid-term or final evaluation of this kind; cancel it first, or schedule an ad-hoc one")
	ErrNotFailing = apperr.New(apperr.Conflict, "evaluation.not_failing",
		"only a submitted evaluation with a failing grade (不合格) is re-evaluated or brings a rectification order")
	ErrReevaluated = apperr.New(apperr.Conflict, "evaluation.reevaluated",
		"this evaluation already has its re-evaluation")
	ErrNoRectification = apperr.New(apperr.Conflict, "evaluation.no_rectification",
		"a re-evaluation follows a rectification order (整改): issue one first")
	ErrDeclared = apperr.New(apperr.Conflict, "evaluation.declared",
		"the evaluator has already declared on this evaluation")
	ErrNotDeclared = apperr.New(apperr.Conflict, "evaluation.not_declared",
		"declare that you have no conflict of interest first")
	ErrNotOpen = apperr.New(apperr.Conflict, "evaluation.not_open",
		"the evaluation is submitted, cancelled or recused: it cannot change")
	ErrSubmitted = apperr.New(apperr.Conflict, "evaluation.submitted",
		"a submitted evaluation is immutable")
	ErrInProgress = apperr.New(apperr.Conflict, "evaluation.in_progress",
		"the evaluator has declared and is evaluating: cancel the evaluation to assign another")
	ErrKeepReevaluation = apperr.New(apperr.Conflict, "evaluation.reevaluation_kept",
		"a re-evaluation is not cancelled (the failing evaluation has only one): assign another evaluator instead")
	ErrPeriodOpen = apperr.New(apperr.Conflict, "evaluation.period_open",
		"the evaluation period has not ended yet")
	ErrFiguresMissing = apperr.New(apperr.Conflict, "evaluation.figures_missing",
		"every figure needs a value before submission")
	ErrEvaluatorIneligible = apperr.New(apperr.Conflict, "evaluation.evaluator_ineligible",
		"the evaluator may no longer evaluate this contract; the officer assigns another")
	ErrRectificationExists = apperr.New(apperr.Conflict, "evaluation.rectification_exists",
		"a rectification order for this evaluation was issued already")
	ErrReported = apperr.New(apperr.Conflict, "evaluation.rectification_reported",
		"the organization has reported on this rectification order already")
)

// Service schedules, computes, scores and submits evaluations, and issues
// and answers rectification orders.
type Service struct {
	db      *gorm.DB
	clock   clock.Clock
	uploads config.Uploads // where the evaluators' evidence is stored
	hooks   []SubmitHook
}

// NewService returns the evaluation service, storing evidence files in
// uploads as the organizations' documents are stored.
func NewService(db *gorm.DB, c clock.Clock, uploads config.Uploads) *Service {
	return &Service{db: db, clock: c, uploads: uploads}
}

// OnSubmit registers h to run inside every submission's transaction, after
// the evaluation and its audit entry are written, in the order registered.
func (s *Service) OnSubmit(h SubmitHook) { s.hooks = append(s.hooks, h) }

// Evaluation is an evaluation as stored (the numbers as decimal text).
type Evaluation struct {
	ID                int64
	ContractID        int64
	SubdistrictID     int64
	Kind              string
	PeriodStart       civil.Date
	PeriodEnd         civil.Date
	DueOn             civil.Date
	EvaluatorID       int64
	AgencyID          *int64
	ReevaluationOf    *int64
	Status            string
	DeclaredAt        *time.Time
	ConflictStatement string
	Notes             string
	Score             *string `gorm:"->;column:score_text"`
	Grade             *string
	SubmittedAt       *time.Time
	SubmittedBy       *int64
	CancelReason      *string
	CreatedBy         *int64
	CreatedAt         time.Time
	UpdatedAt         time.Time
}

// TableName is the table of Evaluation.
func (Evaluation) TableName() string { return "evaluations" }

// columns selects an evaluation with its score as text (numeric is read
// exactly, never through a float).
const columns = "evaluations.*, evaluations.score::text AS score_text"

// contractInfo is what an evaluation needs of its contract.
type contractInfo struct {
	ID             int64
	SubdistrictID  int64
	DistrictID     int64
	OrganizationID int64
	TenderID       int64
	Title          string
	Status         string
	ServiceStart   civil.Date
	ServiceEnd     civil.Date
}

func notFound(err error) error {
	if errors.Is(err, gorm.ErrRecordNotFound) || errors.Is(err, sql.ErrNoRows) {
		return apperr.ErrNotFound
	}
	return err
}

// contractScope limits q (on contracts) to the contracts whose evaluations
// by reads: as the contracts themselves are scoped for subdistrict staff and
// organizations, and for an evaluator those it is assigned an evaluation of.
func contractScope(q *gorm.DB, by access.Actor) *gorm.DB {
	switch by.Role {
	case access.OrgAdmin, access.OrgMember:
		return q.Where("contracts.organization_id = ?", by.Scope.OrganizationID)
	case access.Evaluator:
		return q.Where("EXISTS (SELECT 1 FROM evaluations ev WHERE ev.contract_id = contracts.id AND ev.evaluator_id = ?)", by.UserID)
	}
	cond, args := by.Subdistricts().Where("contracts.subdistrict_id")
	return q.Where(cond, args...)
}

// evaluationScope limits q (on evaluations joined to contracts) to what by reads.
func evaluationScope(q *gorm.DB, by access.Actor) *gorm.DB {
	switch by.Role {
	case access.OrgAdmin, access.OrgMember:
		return q.Where("contracts.organization_id = ?", by.Scope.OrganizationID)
	case access.Evaluator:
		return q.Where("evaluations.evaluator_id = ?", by.UserID)
	}
	cond, args := by.Subdistricts().Where("evaluations.subdistrict_id")
	return q.Where(cond, args...)
}

// readContract returns contract id as by may read its evaluations
// (apperr.ErrNotFound otherwise), locked FOR NO KEY UPDATE when lock is set:
// the contract's row serializes the changes of its evaluations.
func readContract(tx *gorm.DB, by access.Actor, id int64, lock bool) (contractInfo, error) {
	return takeContract(contractScope(contractQuery(tx, id, lock), by))
}

// contractOf returns the contract of an evaluation already scoped, locked
// as readContract locks when lock is set.
func contractOf(tx *gorm.DB, id int64, lock bool) (contractInfo, error) {
	return takeContract(contractQuery(tx, id, lock))
}

func contractQuery(tx *gorm.DB, id int64, lock bool) *gorm.DB {
	q := tx.Table("contracts").Select(`contracts.id, contracts.subdistrict_id, sd.district_id, contracts.organization_id, contracts.tender_id,
		contracts.title, contracts.status, contracts.service_start, contracts.service_end`).
		Joins("JOIN subdistricts sd ON sd.id = contracts.subdistrict_id").Where("contracts.id = ?", id)
	if lock {
		q = q.Clauses(clause.Locking{Strength: "NO KEY UPDATE", Table: clause.Table{Name: "contracts"}})
	}
	return q
}

func takeContract(q *gorm.DB) (contractInfo, error) {
	var c contractInfo
	if err := q.Take(&c).Error; err != nil {
		return contractInfo{}, notFound(err)
	}
	return c, nil
}

// lockEvaluation locks the evaluation id that by reads, with its contract
// first (contract, then evaluation: the order every change takes); another's
// is apperr.ErrNotFound.
func lockEvaluation(tx *gorm.DB, by access.Actor, id int64) (Evaluation, contractInfo, error) {
	var ref struct{ ContractID int64 }
	q := tx.Table("evaluations").Select("evaluations.contract_id").Joins("JOIN contracts ON contracts.id = evaluations.contract_id").
		Where("evaluations.id = ?", id)
	if err := evaluationScope(q, by).Take(&ref).Error; err != nil {
		return Evaluation{}, contractInfo{}, notFound(err)
	}
	c, err := contractOf(tx, ref.ContractID, true)
	if err != nil {
		return Evaluation{}, contractInfo{}, err
	}
	var e Evaluation
	if err := tx.Table("evaluations").Select(columns).Clauses(clause.Locking{Strength: "NO KEY UPDATE", Table: clause.Table{Name: "evaluations"}}).
		Where("id = ?", id).Take(&e).Error; err != nil {
		return Evaluation{}, contractInfo{}, notFound(err)
	}
	return e, c, nil
}

// Figure is one metric of an evaluation: its target, the part of the
// service period the evaluation covers (share) and the target the actual is
// compared with (target_used: a cumulative metric's target × share, rounded
// to two places; any other's target), the actual computed by the system
// (basis says from what) or entered by the evaluator (note), and the
// attainment. Numbers are exact decimal strings.
type Figure struct {
	Code       string          `json:"code"`
	NameZh     string          `json:"name_zh"`
	NameEn     string          `json:"name_en"`
	Unit       string          `json:"unit"`
	Direction  string          `json:"direction"`
	Source     string          `json:"source"`
	Weight     int             `json:"weight"`
	Target     string          `json:"target"`
	Share      string          `json:"share"`
	TargetUsed string          `json:"target_used"`
	Actual     *string         `json:"actual"`
	Attainment *string         `json:"attainment"`
	Basis      json.RawMessage `json:"basis"`
	Note       string          `json:"note"`
	ComputedAt *time.Time      `json:"computed_at"`
	EnteredBy  *int64          `json:"entered_by"`
	EnteredAt  *time.Time      `json:"entered_at"`
}

// figureRow is a row of evaluation_figures with its numbers as text.
type figureRow struct {
	EvaluationID int64
	Code         string
	NameZh       string
	NameEn       string
	Unit         string
	Direction    string
	Source       string
	Weight       int
	Target       string
	Share        string
	TargetUsed   string
	Actual       *string
	Attainment   *string
	Basis        string
	Note         string
	ComputedAt   *time.Time
	EnteredBy    *int64
	EnteredAt    *time.Time
}

// computed reports whether the system computes the figure's actual.
func (f figureRow) computed() bool { return f.Source != SourceEvaluator }

func (f figureRow) rat(s string) *big.Rat {
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		panic(fmt.Sprintf("evaluation %d figure %s: bad decimal %q", f.EvaluationID, f.Code, s))
	}
	return r
}

func (f figureRow) view() Figure {
	basis := json.RawMessage(f.Basis)
	if len(basis) == 0 {
		basis = json.RawMessage("{}")
	}
	return Figure{Code: f.Code, NameZh: f.NameZh, NameEn: f.NameEn, Unit: f.Unit, Direction: f.Direction, Source: f.Source,
		Weight: f.Weight, Target: f.Target, Share: f.Share, TargetUsed: f.TargetUsed, Actual: f.Actual, Attainment: f.Attainment,
		Basis: basis, Note: f.Note, ComputedAt: f.ComputedAt, EnteredBy: f.EnteredBy, EnteredAt: f.EnteredAt}
}

func loadFigures(db *gorm.DB, evaluationID int64) ([]figureRow, error) {
	var out []figureRow
	err := db.Raw(`SELECT evaluation_id, code, name_zh, name_en, unit, direction, source, weight, target::text AS target, share::text AS share,
		target_used::text AS target_used, actual::text AS actual, attainment::text AS attainment, basis::text AS basis, note,
		computed_at, entered_by, entered_at
		FROM evaluation_figures WHERE evaluation_id = ? ORDER BY weight DESC, code`, evaluationID).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("read figures of evaluation %d: %w", evaluationID, err)
	}
	return out, nil
}

// Summary is an evaluation in a contract's list.
type Summary struct {
	ID                int64      `json:"id"`
	ContractID        int64      `json:"contract_id"`
	Kind              string     `json:"kind"`
	PeriodStart       civil.Date `json:"period_start"`
	PeriodEnd         civil.Date `json:"period_end"`
	DueOn             civil.Date `json:"due_on"`
	EvaluatorID       int64      `json:"evaluator_id"`
	EvaluatorName     string     `json:"evaluator_name"`
	AgencyID          *int64     `json:"agency_id"`
	AgencyName        *string    `json:"agency_name"`
	ReevaluationOf    *int64     `json:"reevaluation_of"`
	ReevaluationID    *int64     `json:"reevaluation_id"`
	Status            string     `json:"status"`
	Overdue           bool       `json:"overdue"`
	DeclaredAt        *time.Time `json:"declared_at"`
	ConflictStatement *string    `json:"conflict_statement,omitempty"`
	Notes             string     `json:"notes"`
	Score             *string    `json:"score"`
	Grade             *string    `json:"grade"`
	SubmittedAt       *time.Time `json:"submitted_at"`
	CancelReason      *string    `json:"cancel_reason"`
	CreatedAt         time.Time  `json:"created_at"`
	UpdatedAt         time.Time  `json:"updated_at"`
}

// View is an evaluation with its contract, figures and rectification order.
type View struct {
	Summary
	ContractTitle  string         `json:"contract_title"`
	OrganizationID int64          `json:"organization_id"`
	SubdistrictID  int64          `json:"subdistrict_id"`
	Figures        []Figure       `json:"figures"`
	Rectification  *Rectification `json:"rectification"`
}

// summaries returns list as by sees it: the organization never reads a
// recused evaluator's conflict statement.
func (s *Service) summaries(db *gorm.DB, by access.Actor, list []Evaluation) ([]Summary, error) {
	out := make([]Summary, len(list))
	if len(list) == 0 {
		return out, nil
	}
	ids, users := make([]int64, len(list)), make([]int64, len(list))
	for i, e := range list {
		ids[i], users[i] = e.ID, e.EvaluatorID
	}
	var names []struct {
		ID   int64
		Name string
	}
	if err := db.Raw(`SELECT id, coalesce(nullif(display_name, ''), username) AS name FROM users WHERE id IN ?`, users).Scan(&names).Error; err != nil {
		return nil, fmt.Errorf("read evaluator names: %w", err)
	}
	byUser := map[int64]string{}
	for _, n := range names {
		byUser[n.ID] = n.Name
	}
	var agencies []struct {
		ID        int64
		LegalName string
	}
	if err := db.Raw(`SELECT id, legal_name FROM organizations WHERE id IN (SELECT agency_id FROM evaluations WHERE id IN ?)`, ids).
		Scan(&agencies).Error; err != nil {
		return nil, fmt.Errorf("read agency names: %w", err)
	}
	byAgency := map[int64]string{}
	for _, a := range agencies {
		byAgency[a.ID] = a.LegalName
	}
	var redo []struct{ ID, ReevaluationOf int64 }
	if err := db.Raw(`SELECT id, reevaluation_of FROM evaluations WHERE reevaluation_of IN ?`, ids).Scan(&redo).Error; err != nil {
		return nil, fmt.Errorf("read re-evaluations: %w", err)
	}
	redoneBy := map[int64]int64{}
	for _, r := range redo {
		redoneBy[r.ReevaluationOf] = r.ID
	}
	today := civil.ChinaDate(s.clock.Now())
	for i, e := range list {
		sm := Summary{ID: e.ID, ContractID: e.ContractID, Kind: e.Kind, PeriodStart: e.PeriodStart, PeriodEnd: e.PeriodEnd, DueOn: e.DueOn,
			EvaluatorID: e.EvaluatorID, EvaluatorName: byUser[e.EvaluatorID], AgencyID: e.AgencyID, ReevaluationOf: e.ReevaluationOf,
			Status: e.Status, DeclaredAt: e.DeclaredAt, Notes: e.Notes, Score: e.Score, Grade: e.Grade, SubmittedAt: e.SubmittedAt,
			CancelReason: e.CancelReason, CreatedAt: e.CreatedAt, UpdatedAt: e.UpdatedAt}
		sm.Overdue = (e.Status == StatusScheduled || e.Status == StatusInProgress || e.Status == StatusRecused) && e.DueOn.Before(today)
		if e.AgencyID != nil {
			name := byAgency[*e.AgencyID]
			sm.AgencyName = &name
		}
		if id, ok := redoneBy[e.ID]; ok {
			sm.ReevaluationID = &id
		}
		if !by.Is(access.OrgStaff...) && e.ConflictStatement != "" {
			st := e.ConflictStatement
			sm.ConflictStatement = &st
		}
		out[i] = sm
	}
	return out, nil
}

// List returns the evaluations of contract contractID that by reads, oldest
// first: every one for the contract's readers, those assigned to it for an
// evaluator. A contract by does not read is apperr.ErrNotFound; a role
// outside Readers apperr.ErrForbidden.
func (s *Service) List(ctx context.Context, by access.Actor, contractID int64) ([]Summary, error) {
	if !by.Is(Readers...) {
		return nil, apperr.ErrForbidden
	}
	db := s.db.WithContext(ctx)
	if _, err := readContract(db, by, contractID, false); err != nil {
		return nil, err
	}
	var list []Evaluation
	q := db.Table("evaluations").Select(columns).Joins("JOIN contracts ON contracts.id = evaluations.contract_id").
		Where("evaluations.contract_id = ?", contractID)
	if err := evaluationScope(q, by).Order("evaluations.id").Scan(&list).Error; err != nil {
		return nil, fmt.Errorf("list evaluations of contract %d: %w", contractID, err)
	}
	return s.summaries(db, by, list)
}

// Get returns evaluation id as by reads it, with its figures: stored and
// frozen once submitted; before that, the computed ones as they stand now
// (nothing is written) and the evaluator's entries. Another's evaluation is
// apperr.ErrNotFound; a role outside Readers apperr.ErrForbidden.
func (s *Service) Get(ctx context.Context, by access.Actor, id int64) (View, error) {
	if !by.Is(Readers...) {
		return View{}, apperr.ErrForbidden
	}
	db := s.db.WithContext(ctx)
	var e Evaluation
	q := db.Table("evaluations").Select(columns).Joins("JOIN contracts ON contracts.id = evaluations.contract_id").Where("evaluations.id = ?", id)
	if err := evaluationScope(q, by).Take(&e).Error; err != nil {
		return View{}, notFound(err)
	}
	c, err := contractOf(db, e.ContractID, false)
	if err != nil {
		return View{}, err
	}
	return s.view(db, by, e, c, e.Status == StatusScheduled || e.Status == StatusInProgress)
}

// view returns e as by reads it; live recomputes the figures (without
// writing them).
func (s *Service) view(db *gorm.DB, by access.Actor, e Evaluation, c contractInfo, live bool) (View, error) {
	sums, err := s.summaries(db, by, []Evaluation{e})
	if err != nil {
		return View{}, err
	}
	v := View{Summary: sums[0], ContractTitle: c.Title, OrganizationID: c.OrganizationID, SubdistrictID: c.SubdistrictID, Figures: []Figure{}}
	rows, err := loadFigures(db, e.ID)
	if err != nil {
		return View{}, err
	}
	if live {
		if rows, err = compute(db, c, e, rows, s.clock.Now()); err != nil {
			return View{}, err
		}
		provisional(rows)
	}
	for _, r := range rows {
		v.Figures = append(v.Figures, r.view())
	}
	if v.Rectification, err = rectificationOf(db, e.ID, civil.ChinaDate(s.clock.Now())); err != nil {
		return View{}, err
	}
	return v, nil
}

// provisional fills in the attainment of each figure that has an actual, as
// it stands before submission.
func provisional(rows []figureRow) {
	for i, r := range rows {
		if r.Actual == nil {
			continue
		}
		res, err := Score([]Measure{{Weight: r.Weight, Direction: r.Direction, TargetUsed: r.rat(r.TargetUsed), Actual: r.rat(*r.Actual)}})
		if err != nil {
			continue
		}
		a := Fixed(res.Attainments[0], 6)
		rows[i].Attainment = &a
	}
}
