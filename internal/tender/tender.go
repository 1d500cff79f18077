package tender

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/audit"
	"github.com/jiedao-market/jiedao/internal/catalog"
	"github.com/jiedao-market/jiedao/internal/civil"
	"github.com/jiedao-market/jiedao/internal/config"
	"github.com/jiedao-market/jiedao/internal/fund"
	"github.com/jiedao-market/jiedao/internal/money"
	"github.com/jiedao-market/jiedao/internal/platform/clock"
)

// The states of a tender (DOMAIN.md): draft → published → closed → opened →
// evaluated → award_proposed → awarded, or cancelled before awarded, or
// failed (流标) at the opening. A proposed award whose winner is no longer
// eligible when it is to be made final is blocked (award_blocked) until the
// officer proposes another bid (award_proposed again) or cancels. States
// lists them.
const (
	StatusDraft         = "draft"
	StatusPublished     = "published"
	StatusClosed        = "closed"
	StatusOpened        = "opened"
	StatusEvaluated     = "evaluated"
	StatusAwardProposed = "award_proposed"
	StatusAwardBlocked  = "award_blocked"
	StatusAwarded       = "awarded"
	StatusCancelled     = "cancelled"
	StatusFailed        = "failed"
)

// States lists the states of a tender in lifecycle order: the states a list
// may be filtered by.
var States = []string{StatusDraft, StatusPublished, StatusClosed, StatusOpened, StatusEvaluated, StatusAwardProposed,
	StatusAwardBlocked, StatusAwarded, StatusCancelled, StatusFailed}

// Method holds the settings of one purchase method: one engine, these knobs.
type Method struct {
	// DefaultMinBids is the minimum of compliant bids at the opening, unless
	// the tender sets another.
	DefaultMinBids int
	// Invited: only the organizations the tender names may bid.
	Invited bool
	// SingleSource: exactly one named organization, with a written justification.
	SingleSource bool
	// SeveralWinners: winners are taken in rank order while their prices fit
	// the budget (公益创投).
	SeveralWinners bool
}

// MethodSettings are the settings of each purchase method of
// catalog.PurchaseMethods, keyed by it.
var MethodSettings = map[string]Method{
	catalog.MethodOpenTender:          {DefaultMinBids: 3},
	catalog.MethodInvitedTender:       {DefaultMinBids: 3, Invited: true},
	catalog.MethodSingleSource:        {DefaultMinBids: 1, Invited: true, SingleSource: true},
	catalog.MethodVenturePhilanthropy: {DefaultMinBids: 1, SeveralWinners: true},
}

// Tender is a tender's row.
type Tender struct {
	ID                  int64
	SubdistrictID       int64
	TransferItemID      int64
	TransferItemVersion int
	Title               string
	Description         string
	CategoryCode        string
	PurchaseMethod      string
	Justification       string
	FundAccountID       int64
	CeilingFen          money.Fen
	ServiceStart        civil.Date
	ServiceEnd          civil.Date
	WeightPrice         int
	WeightTechnical     int
	WeightPerformance   int
	MinGrade            int
	MinSocialWorkers    int
	MinBids             int
	MaxWinners          int
	ChallengeDays       int
	QuestionsCloseAt    time.Time
	ClosesAt            time.Time
	OpensAt             time.Time
	Status              string
	StatusReason        string
	EvaluationRound     int
	PublishedAt         *time.Time
	OpenedAt            *time.Time
	EvaluatedAt         *time.Time
	ChallengeEndsAt     *time.Time
	AwardedAt           *time.Time
	EndedAt             *time.Time
	CreatedBy           *int64
	CreatedAt           time.Time
	UpdatedAt           time.Time
}

// TableName is the table of Tender.
func (Tender) TableName() string { return "tenders" }

// StatusAt is the state a reader sees at now: a published tender whose close
// time has come is closed, whether or not the job that records it has run.
func (t Tender) StatusAt(now time.Time) string {
	if t.Status == StatusPublished && !now.Before(t.ClosesAt) {
		return StatusClosed
	}
	return t.Status
}

func (t Tender) weights() Weights {
	return Weights{Price: t.WeightPrice, Technical: t.WeightTechnical, Performance: t.WeightPerformance}
}

func (t Tender) method() Method { return MethodSettings[t.PurchaseMethod] }

// Criterion is a technical criterion with its maximum points; the maxima of a
// tender sum to its technical weight.
type Criterion struct {
	TenderID  int64  `json:"-" gorm:"primaryKey;autoIncrement:false"`
	Code      string `json:"code" gorm:"primaryKey"`
	Name      string `json:"name"`
	MaxPoints int    `json:"max_points"`
	Position  int    `json:"-"`
}

// TableName is the table of Criterion.
func (Criterion) TableName() string { return "tender_criteria" }

// Metric is a tender metric: the transfer item's metric with the tender's
// target, which may only be tightened.
type Metric struct {
	TenderID  int64   `json:"-" gorm:"primaryKey;autoIncrement:false"`
	Code      string  `json:"code" gorm:"primaryKey"`
	NameZh    string  `json:"name_zh"`
	NameEn    string  `json:"name_en"`
	Unit      string  `json:"unit"`
	Direction string  `json:"direction"`
	Source    string  `json:"source"`
	Target    float64 `json:"target"`
	Weight    int     `json:"weight"`
}

// TableName is the table of Metric.
func (Metric) TableName() string { return "tender_metrics" }

type tenderCommunity struct {
	TenderID    int64 `gorm:"primaryKey;autoIncrement:false"`
	CommunityID int64 `gorm:"primaryKey;autoIncrement:false"`
}

func (tenderCommunity) TableName() string { return "tender_communities" }

type invitation struct {
	TenderID       int64 `gorm:"primaryKey;autoIncrement:false"`
	OrganizationID int64 `gorm:"primaryKey;autoIncrement:false"`
}

func (invitation) TableName() string { return "tender_invitations" }

type member struct {
	TenderID   int64 `gorm:"primaryKey;autoIncrement:false"`
	UserID     int64 `gorm:"primaryKey;autoIncrement:false"`
	Recused    bool
	DeclaredAt *time.Time
	Conflict   *bool
	Statement  string
	AddedAt    time.Time
}

func (member) TableName() string { return "tender_committee" }

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

// Errors of tendering.
var (
	ErrNotDraft         = apperr.New(apperr.Conflict, "tender.not_draft", "only a draft tender can be edited or published")
	ErrNotPublished     = apperr.New(apperr.Conflict, "tender.not_published", "the tender is not open for this: it is not published or bidding has closed")
	ErrClosed           = apperr.New(apperr.Conflict, "tender.closed", "bidding has closed")
	ErrQuestionsClosed  = apperr.New(apperr.Conflict, "tender.questions_closed", "the time for questions has passed")
	ErrNotCancellable   = apperr.New(apperr.Conflict, "tender.not_cancellable", "an awarded, cancelled or failed tender cannot be cancelled")
	ErrItemNotPublished = apperr.New(apperr.Conflict, "tender.item_not_published", "the transfer item has no published version")
	ErrSealed           = apperr.New(apperr.Conflict, "tender.sealed", "bids stay sealed until the opening")
	ErrNotOpened        = apperr.New(apperr.Conflict, "tender.not_opened", "the bids have not been opened yet")
	ErrNotEligible      = apperr.New(apperr.Forbidden, "tender.not_eligible", "your organization may not bid on or ask about this tender")
	ErrTooLate          = apperr.New(apperr.Conflict, "tender.too_late", "the times must lie in the future")
)

// Options are the tendering settings from configuration.
type Options struct {
	// AmendmentMinDays: an amendment with fewer days left before the close
	// moves the close to this many days after the amendment.
	AmendmentMinDays int
	// ChallengeDays is the default challenge period in days.
	ChallengeDays int
}

// Service manages tenders.
type Service struct {
	db     *gorm.DB
	clock  clock.Clock
	sealer *Sealer
	opts   Options
	// enqueue schedules the time-driven step of a tender at a time (UseRiver);
	// nil until then, when the periodic sweep alone finds due work.
	enqueue func(ctx context.Context, tenderID int64, at time.Time, swept bool) error
	log     *slog.Logger
	// newID draws bid ids: newBidID, or a test's sequence.
	newID func() (int64, error)
}

// lockedNow returns the time a decision taken under tx's row locks is judged
// against, read once they are granted, so that a request that waited for a
// lock past a deadline is judged late. On the system clock it is the
// database's clock_timestamp(): every replica then judges a deadline by one
// clock, however far its own has drifted. On any other clock (a test's
// clock.Manual) it is that clock's time. It is truncated to the microsecond
// PostgreSQL keeps, so the time judged is the time stored.
func (s *Service) lockedNow(tx *gorm.DB) (time.Time, error) {
	if _, ok := s.clock.(clock.System); !ok {
		return s.clock.Now().Truncate(time.Microsecond), nil
	}
	var now time.Time
	if err := tx.Raw(`SELECT clock_timestamp()`).Scan(&now).Error; err != nil {
		return time.Time{}, fmt.Errorf("read the database's clock: %w", err)
	}
	return now, nil
}

// NewService returns a Service on db sealing bids with sealer.
func NewService(db *gorm.DB, c clock.Clock, sealer *Sealer, opts Options) *Service {
	if opts.ChallengeDays == 0 {
		opts.ChallengeDays = 5
	}
	return &Service{db: db, clock: c, sealer: sealer, opts: opts, newID: newBidID}
}

// NewConfigured returns the tender service cfg describes: bids sealed under
// cfg.SealKey (JIEDAO_SEAL_KEY), which must be set, and cfg's periods.
func NewConfigured(db *gorm.DB, c clock.Clock, cfg config.Tender) (*Service, error) {
	if err := cfg.RequireSealKey(); err != nil {
		return nil, err
	}
	sealer, err := NewSealer(cfg.SealKey)
	if err != nil {
		return nil, err
	}
	return NewService(db, c, sealer, Options{AmendmentMinDays: cfg.AmendmentMinDays, ChallengeDays: cfg.ChallengeDays}), nil
}

// Input is a tender as an officer submits it; for an edit, nil fields keep
// their value.
type Input struct {
	TransferItemID   *int64
	Title            *string
	Description      *string
	PurchaseMethod   *string
	Justification    *string
	FundAccountID    *int64
	CeilingFen       *money.Fen
	ServiceStart     *civil.Date
	ServiceEnd       *civil.Date
	CommunityIDs     *[]int64
	Weights          *Weights
	Criteria         *[]Criterion
	MetricTargets    *map[string]float64
	MinGrade         *int
	MinSocialWorkers *int
	MinBids          *int
	MaxWinners       *int
	ChallengeDays    *int
	QuestionsCloseAt *time.Time
	ClosesAt         *time.Time
	OpensAt          *time.Time
	CommitteeUserIDs *[]int64
	InvitedOrgIDs    *[]int64
}

// draft is a tender with its parts while it is written.
type draft struct {
	t           Tender
	communities []int64
	criteria    []Criterion
	metrics     []Metric
	committee   []int64
	invited     []int64
}

func set[T any](dst *T, src *T) {
	if src != nil {
		*dst = *src
	}
}

// apply copies in onto d. The transfer item's values bound what the tender may
// set: its metric targets may only be tightened, its eligibility only raised.
func (d *draft) apply(tx *gorm.DB, in Input, item catalog.View, fresh bool) error {
	t := &d.t
	if fresh {
		t.TransferItemID, t.TransferItemVersion = item.ID, item.Version
		t.Title, t.Description, t.CategoryCode = item.Title, item.Description, item.CategoryCode
		t.PurchaseMethod, t.MinGrade, t.MinSocialWorkers = item.PurchaseMethod, item.MinGrade, item.MinSocialWorkers
		d.communities = slices.Clone(item.CommunityIDs)
		for _, m := range item.Metrics {
			d.metrics = append(d.metrics, Metric{Code: m.Code, NameZh: m.NameZh, NameEn: m.NameEn, Unit: m.Unit,
				Direction: m.Direction, Source: m.Source, Target: m.Target, Weight: m.Weight})
		}
	}
	methodBefore := t.PurchaseMethod
	set(&t.Title, in.Title)
	set(&t.Description, in.Description)
	set(&t.PurchaseMethod, in.PurchaseMethod)
	set(&t.Justification, in.Justification)
	set(&t.FundAccountID, in.FundAccountID)
	set(&t.CeilingFen, in.CeilingFen)
	set(&t.ServiceStart, in.ServiceStart)
	set(&t.ServiceEnd, in.ServiceEnd)
	if in.Weights != nil {
		t.WeightPrice, t.WeightTechnical, t.WeightPerformance = in.Weights.Price, in.Weights.Technical, in.Weights.Performance
	}
	set(&t.MinGrade, in.MinGrade)
	set(&t.MinSocialWorkers, in.MinSocialWorkers)
	if fresh || (in.PurchaseMethod != nil && methodBefore != t.PurchaseMethod && in.MinBids == nil) {
		if m, ok := MethodSettings[t.PurchaseMethod]; ok {
			t.MinBids = m.DefaultMinBids
		}
	}
	set(&t.MinBids, in.MinBids)
	set(&t.MaxWinners, in.MaxWinners)
	set(&t.ChallengeDays, in.ChallengeDays)
	set(&t.QuestionsCloseAt, in.QuestionsCloseAt)
	set(&t.ClosesAt, in.ClosesAt)
	set(&t.OpensAt, in.OpensAt)
	if in.CommunityIDs != nil {
		d.communities = slices.Clone(*in.CommunityIDs)
	}
	if in.Criteria != nil {
		d.criteria = slices.Clone(*in.Criteria)
	}
	if in.CommitteeUserIDs != nil {
		d.committee = slices.Clone(*in.CommitteeUserIDs)
	}
	if in.InvitedOrgIDs != nil {
		d.invited = slices.Clone(*in.InvitedOrgIDs)
	}
	var f apperr.Fields
	if in.MetricTargets != nil {
		targets := *in.MetricTargets
		byCode := map[string]catalog.ItemMetric{}
		for _, m := range item.Metrics {
			byCode[m.Code] = m
		}
		// In the item's order of metrics, then any unknown code by name, so
		// that the errors come in a stable order.
		codes := slices.Collect(maps.Keys(targets))
		slices.SortFunc(codes, func(a, b string) int {
			ia, ib := slices.IndexFunc(item.Metrics, func(m catalog.ItemMetric) bool { return m.Code == a }), slices.IndexFunc(item.Metrics, func(m catalog.ItemMetric) bool { return m.Code == b })
			if ia < 0 {
				ia = len(item.Metrics)
			}
			if ib < 0 {
				ib = len(item.Metrics)
			}
			return cmp.Or(cmp.Compare(ia, ib), strings.Compare(a, b))
		})
		for _, code := range codes {
			target := targets[code]
			base, ok := byCode[code]
			if !ok {
				f.Add("metric_targets."+code, "is not a metric of the transfer item")
				continue
			}
			// Stored as numeric(14, 2): round to cents, then bound.
			target = cents(target)
			tightened := target >= base.Target
			if base.Direction == "lower" {
				tightened = target <= base.Target
			}
			if !(target >= 0 && target <= maxMetricValue) || !tightened {
				f.Add("metric_targets."+code, "may only tighten the transfer item's target ("+strconv.FormatFloat(base.Target, 'f', -1, 64)+", "+base.Direction+" is better)")
				continue
			}
			for i := range d.metrics {
				if d.metrics[i].Code == code {
					d.metrics[i].Target = target
				}
			}
		}
	}
	if err := f.Err(); err != nil {
		return err
	}
	return d.validate(tx, item)
}

func (d *draft) validate(tx *gorm.DB, item catalog.View) error {
	t := &d.t
	t.Title, t.Description, t.Justification = strings.TrimSpace(t.Title), strings.TrimSpace(t.Description), strings.TrimSpace(t.Justification)
	// The checks run in the order of the tender's fields (the API's and the
	// wizard's), which is the order the errors list them in.
	var f apperr.Fields
	f.Check(t.Title != "" && len(t.Title) <= 300 && plain(t.Title), "title", "is required (at most 300 bytes of text)")
	f.Check(len(t.Description) <= 20000 && plain(t.Description), "description", "must be at most 20000 bytes of text")
	m, methodOK := MethodSettings[t.PurchaseMethod]
	f.Check(methodOK, "purchase_method", "must be open_tender, invited_tender, single_source or venture_philanthropy")
	f.Check(len(t.Justification) <= 20000 && plain(t.Justification), "justification", "must be at most 20000 bytes of text")
	f.Check(!m.SingleSource || t.Justification != "", "justification", "a single-source tender needs a written justification")
	slices.Sort(d.invited)
	d.invited = slices.Compact(d.invited)
	switch {
	case m.SingleSource:
		f.Check(len(d.invited) == 1, "invited_organization_ids", "a single-source tender names exactly one organization")
	case m.Invited:
		f.Check(len(d.invited) >= 1 && len(d.invited) <= 100, "invited_organization_ids", "an invited tender names 1 to 100 organizations")
	default:
		f.Check(len(d.invited) == 0, "invited_organization_ids", "only an invited or single-source tender names organizations")
	}
	f.Check(t.CeilingFen > 0 && t.CeilingFen <= 100_000_000_000, "ceiling_fen", "must be between 1 and 100000000000 fen")
	f.Check(!t.ServiceStart.IsZero(), "service_start", "is required")
	f.Check(!t.ServiceEnd.IsZero() && t.ServiceEnd.After(t.ServiceStart), "service_end", "is required and must be after service_start")
	// Communities: the transfer item's, or a subset of them.
	slices.Sort(d.communities)
	d.communities = slices.Compact(d.communities)
	f.Check(len(d.communities) > 0, "community_ids", "at least one community is required")
	for _, c := range d.communities {
		if !slices.Contains(item.CommunityIDs, c) {
			f.Add("community_ids", "must be communities the transfer item serves")
			break
		}
	}
	w := t.weights()
	f.Check(w.Price >= 0 && w.Technical >= 0 && w.Performance >= 0 && w.Price+w.Technical+w.Performance == 100,
		"weights", "price, technical and performance must be zero or more and sum to 100")
	// Criteria: codes unique, maxima summing to the technical weight.
	sum, seen := 0, map[string]bool{}
	for i := range d.criteria {
		c := &d.criteria[i]
		c.Code, c.Name, c.Position = strings.TrimSpace(c.Code), strings.TrimSpace(c.Name), i+1
		field := fmt.Sprintf("criteria[%d]", i)
		f.Check(c.Code != "" && len(c.Code) <= 40 && plain(c.Code) && !seen[c.Code], field+".code", "is required, at most 40 bytes and unique")
		f.Check(c.Name != "" && len(c.Name) <= 300 && plain(c.Name), field+".name", "is required (at most 300 bytes of text)")
		f.Check(c.MaxPoints >= 1 && c.MaxPoints <= 100, field+".max_points", "must be between 1 and 100")
		seen[c.Code] = true
		sum += c.MaxPoints
	}
	f.Check((w.Technical == 0 && len(d.criteria) == 0) || (len(d.criteria) > 0 && sum == w.Technical),
		"criteria", "the criteria's max_points must sum to the technical weight")
	f.Check(t.MinGrade >= item.MinGrade && t.MinGrade <= 5, "min_grade", fmt.Sprintf("must be between the transfer item's %d and 5", item.MinGrade))
	f.Check(t.MinSocialWorkers >= item.MinSocialWorkers && t.MinSocialWorkers <= 10000, "min_social_workers",
		fmt.Sprintf("must be at least the transfer item's %d (at most 10000)", item.MinSocialWorkers))
	f.Check(t.MinBids >= 1 && t.MinBids <= 50, "min_bids", "must be between 1 and 50")
	f.Check(!m.SingleSource || t.MinBids == 1, "min_bids", "must be 1 for a single-source tender")
	f.Check(t.MaxWinners >= 1 && t.MaxWinners <= 50, "max_winners", "must be between 1 and 50")
	f.Check(m.SeveralWinners || t.MaxWinners == 1, "max_winners", "only a venture philanthropy call has several winners")
	f.Check(t.ChallengeDays >= 1 && t.ChallengeDays <= 60, "challenge_days", "must be between 1 and 60")
	f.Check(!t.QuestionsCloseAt.IsZero() && !t.QuestionsCloseAt.After(t.ClosesAt), "questions_close_at", "is required and must not be after closes_at")
	f.Check(!t.ClosesAt.IsZero(), "closes_at", "is required")
	f.Check(!t.OpensAt.IsZero() && !t.OpensAt.Before(t.ClosesAt), "opens_at", "is required and must not be before closes_at")
	// The committee: an odd number, three or more, of the district's evaluators.
	slices.Sort(d.committee)
	d.committee = slices.Compact(d.committee)
	f.Check(len(d.committee) >= 3 && len(d.committee)%2 == 1 && len(d.committee) <= 25, "committee_user_ids", "must name an odd number of evaluators, at least 3 (at most 25)")
	if err := f.Err(); err != nil {
		return err
	}
	// Checks against other rows, in the same order.
	var n int64
	if len(d.invited) > 0 {
		if err := tx.Table("organizations").Where("id IN ?", d.invited).Count(&n).Error; err != nil {
			return fmt.Errorf("count invited organizations: %w", err)
		}
		f.Check(int(n) == len(d.invited), "invited_organization_ids", "must be registered organizations")
	}
	var acct fund.Account
	err := tx.Where("id = ? AND subdistrict_id = ?", t.FundAccountID, t.SubdistrictID).Take(&acct).Error
	switch {
	case errors.Is(err, gorm.ErrRecordNotFound):
		f.Add("fund_account_id", "must be a fund account of your subdistrict")
	case err != nil:
		return fmt.Errorf("read fund account %d: %w", t.FundAccountID, err)
	default:
		if err := tx.Table("fund_account_categories").Where("fund_account_id = ? AND category_code = ?", acct.ID, t.CategoryCode).Count(&n).Error; err != nil {
			return fmt.Errorf("read the categories of fund account %d: %w", acct.ID, err)
		}
		f.Check(n == 1, "fund_account_id", "the fund account is not earmarked for the tender's category")
	}
	var districtID int64
	if err := tx.Table("subdistricts").Select("district_id").Where("id = ?", t.SubdistrictID).Take(&districtID).Error; err != nil {
		return fmt.Errorf("district of subdistrict %d: %w", t.SubdistrictID, err)
	}
	if err := tx.Table("users").Where("id IN ? AND role = 'evaluator' AND district_id = ? AND status = 'active'", d.committee, districtID).Count(&n).Error; err != nil {
		return fmt.Errorf("count committee evaluators: %w", err)
	}
	f.Check(int(n) == len(d.committee), "committee_user_ids", "must be active evaluators of your district")
	return f.Err()
}

// writeParts replaces the tender's communities, metrics, criteria, committee
// and invitations with d's.
func writeParts(tx *gorm.DB, d draft, now time.Time) error {
	id := d.t.ID
	for _, part := range []any{&tenderCommunity{}, &Metric{}, &Criterion{}, &member{}, &invitation{}} {
		if err := tx.Where("tender_id = ?", id).Delete(part).Error; err != nil {
			return fmt.Errorf("clear tender parts: %w", err)
		}
	}
	var rows []any
	for _, c := range d.communities {
		rows = append(rows, &tenderCommunity{TenderID: id, CommunityID: c})
	}
	for _, m := range d.metrics {
		m.TenderID = id
		rows = append(rows, &m)
	}
	for _, c := range d.criteria {
		c.TenderID = id
		rows = append(rows, &c)
	}
	for _, u := range d.committee {
		rows = append(rows, &member{TenderID: id, UserID: u, AddedAt: now})
	}
	for _, o := range d.invited {
		rows = append(rows, &invitation{TenderID: id, OrganizationID: o})
	}
	for _, r := range rows {
		if err := tx.Create(r).Error; err != nil {
			return fmt.Errorf("insert tender part: %w", err)
		}
	}
	return nil
}

func loadDraft(tx *gorm.DB, t Tender) (draft, error) {
	d := draft{t: t}
	if err := tx.Model(&tenderCommunity{}).Where("tender_id = ?", t.ID).Order("community_id").Pluck("community_id", &d.communities).Error; err != nil {
		return d, err
	}
	if err := tx.Where("tender_id = ?", t.ID).Order("weight DESC, code").Find(&d.metrics).Error; err != nil {
		return d, err
	}
	if err := tx.Where("tender_id = ?", t.ID).Order("position").Find(&d.criteria).Error; err != nil {
		return d, err
	}
	if err := tx.Model(&member{}).Where("tender_id = ? AND NOT recused", t.ID).Order("user_id").Pluck("user_id", &d.committee).Error; err != nil {
		return d, err
	}
	if err := tx.Model(&invitation{}).Where("tender_id = ?", t.ID).Order("organization_id").Pluck("organization_id", &d.invited).Error; err != nil {
		return d, err
	}
	return d, nil
}

// officerTender locks a tender for a procurement officer of its subdistrict;
// another subdistrict's tender answers apperr.ErrNotFound.
func officerTender(tx *gorm.DB, by access.Actor, id int64) (Tender, error) {
	var t Tender
	if by.Role != access.ProcurementOfficer {
		return t, apperr.ErrForbidden
	}
	err := tx.Clauses(clause.Locking{Strength: "NO KEY UPDATE"}).Where("id = ? AND subdistrict_id = ?", id, by.Scope.SubdistrictID).Take(&t).Error
	return t, notFound(err)
}

// maxMetricValue is the largest metric target or commitment: the columns are
// numeric(14, 2).
const maxMetricValue = 999_999_999_999.99

// cents rounds v to two decimals, half away from zero; NaN stays NaN.
func cents(v float64) float64 { return math.Round(v*100) / 100 }

// plain reports whether s can be stored as text: UTF-8 without NUL.
func plain(s string) bool { return utf8.ValidString(s) && !strings.ContainsRune(s, 0) }

func notFound(err error) error {
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return apperr.ErrNotFound
	}
	return err
}

// Create creates a draft tender in the officer's subdistrict from a published
// transfer item, whose metric set, eligibility, category and communities it
// copies.
func (s *Service) Create(ctx context.Context, by access.Actor, in Input) (View, error) {
	if by.Role != access.ProcurementOfficer {
		return View{}, apperr.ErrForbidden
	}
	if in.TransferItemID == nil {
		return View{}, apperr.InvalidField("transfer_item_id", "is required")
	}
	now := s.clock.Now()
	var id int64
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		item, err := publishedItem(tx, by, *in.TransferItemID)
		if err != nil {
			return err
		}
		d := draft{t: Tender{SubdistrictID: by.Scope.SubdistrictID, Status: StatusDraft, MaxWinners: 1,
			ChallengeDays: s.opts.ChallengeDays, EvaluationRound: 1, CreatedBy: by.UserRef(), CreatedAt: now, UpdatedAt: now}}
		if err := d.apply(tx, in, item, true); err != nil {
			return err
		}
		if err := tx.Create(&d.t).Error; err != nil {
			return fmt.Errorf("insert tender: %w", err)
		}
		id = d.t.ID
		if err := writeParts(tx, d, now); err != nil {
			return err
		}
		return audit.Record(tx, by, "tender.create", "tender", id, map[string]any{"title": d.t.Title, "transfer_item_id": item.ID,
			"transfer_item_version": item.Version, "ceiling_fen": d.t.CeilingFen})
	})
	if err != nil {
		return View{}, err
	}
	return s.Get(ctx, by, id)
}

// publishedItem reads the published version of a transfer item of the
// officer's subdistrict, the one a tender is made from.
func publishedItem(tx *gorm.DB, by access.Actor, itemID int64) (catalog.View, error) {
	item, err := catalog.PublishedItem(tx, by, itemID)
	switch {
	case errors.Is(err, apperr.ErrNotFound):
		return item, apperr.InvalidField("transfer_item_id", "must be a transfer item of your subdistrict")
	case errors.Is(err, catalog.ErrNoPublished):
		return item, ErrItemNotPublished
	}
	return item, err
}

// Update edits a draft tender. A published tender changes only by an
// amendment (Amend).
func (s *Service) Update(ctx context.Context, by access.Actor, id int64, in Input) (View, error) {
	now := s.clock.Now()
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		t, err := officerTender(tx, by, id)
		if err != nil {
			return err
		}
		if t.Status == StatusOpened && onlyCommittee(in) {
			return replaceMembers(tx, by, t, *in.CommitteeUserIDs, now)
		}
		if t.Status != StatusDraft {
			return ErrNotDraft
		}
		if in.TransferItemID != nil && *in.TransferItemID != t.TransferItemID {
			return apperr.InvalidField("transfer_item_id", "cannot change; create a new tender from the other item")
		}
		var item catalog.View
		if item, err = catalog.ItemAt(tx, by, t.TransferItemID, t.TransferItemVersion); err != nil {
			return err
		}
		d, err := loadDraft(tx, t)
		if err != nil {
			return err
		}
		d.t.UpdatedAt = now
		if err := d.apply(tx, in, item, false); err != nil {
			return err
		}
		if err := tx.Model(&d.t).Select("title", "description", "purchase_method", "justification", "fund_account_id", "ceiling_fen",
			"service_start", "service_end", "weight_price", "weight_technical", "weight_performance", "min_grade", "min_social_workers",
			"min_bids", "max_winners", "challenge_days", "questions_close_at", "closes_at", "opens_at", "updated_at").Updates(&d.t).Error; err != nil {
			return fmt.Errorf("update tender: %w", err)
		}
		if err := writeParts(tx, d, now); err != nil {
			return err
		}
		return audit.Record(tx, by, "tender.edit", "tender", id, map[string]any{"title": d.t.Title})
	})
	if err != nil {
		return View{}, err
	}
	return s.Get(ctx, by, id)
}

// Publish publishes a draft tender: its times must lie ahead, and the ceiling
// is reserved in the fund account (fund.ErrInsufficient, fund.ErrNotEarmarked).
// Organizations that may bid are notified.
func (s *Service) Publish(ctx context.Context, by access.Actor, id int64) (View, error) {
	now := s.clock.Now()
	var t Tender
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var err error
		if t, err = officerTender(tx, by, id); err != nil {
			return err
		}
		if t.Status != StatusDraft {
			return ErrNotDraft
		}
		if !now.Before(t.QuestionsCloseAt) || !now.Before(t.ClosesAt) {
			return ErrTooLate
		}
		if _, err := lockFund(tx, t.FundAccountID); err != nil {
			return err
		}
		res := tx.Model(&Tender{}).Where("id = ? AND status = ?", t.ID, StatusDraft).Updates(map[string]any{"status": StatusPublished, "published_at": now, "updated_at": now})
		if err := oneRow(res, "publish tender %d", id); err != nil {
			return err
		}
		if err := audit.Record(tx, by, "tender.publish", "tender", id, map[string]any{"ceiling_fen": t.CeilingFen, "closes_at": t.ClosesAt, "opens_at": t.OpensAt}); err != nil {
			return err
		}
		if _, err := fund.Reserve(tx, by, t.FundAccountID, t.CategoryCode, t.CeilingFen, fundRef(t)); err != nil {
			return err
		}
		return notifyInterested(tx, t, KindTenderPublished, now)
	})
	if err != nil {
		return View{}, err
	}
	s.schedule(ctx, t.ID, t.ClosesAt, t.OpensAt)
	return s.Get(ctx, by, id)
}

// lockFund takes the fund account's ledger rows before the first audit entry
// (audit.Record holds its lock to commit; rows come first).
func lockFund(tx *gorm.DB, fundID int64) ([]fund.LedgerAccount, error) {
	var rows []fund.LedgerAccount
	err := tx.Clauses(clause.Locking{Strength: "NO KEY UPDATE"}).Where("fund_account_id = ?", fundID).Order("id").Find(&rows).Error
	return rows, err
}

func fundRef(t Tender) fund.Ref { return fund.Ref{Type: "tender", ID: strconv.FormatInt(t.ID, 10)} }

// Cancel cancels a tender before it is awarded, with a reason. A published
// tender's reservation is released.
func (s *Service) Cancel(ctx context.Context, by access.Actor, id int64, reason string) (View, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" || len(reason) > 2000 || !plain(reason) {
		return View{}, apperr.InvalidField("reason", "is required (at most 2000 bytes of text)")
	}
	now := s.clock.Now()
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		t, err := officerTender(tx, by, id)
		if err != nil {
			return err
		}
		return cancelTx(tx, by, t, reason, now)
	})
	if err != nil {
		return View{}, err
	}
	return s.Get(ctx, by, id)
}

// oneRow returns an error naming what was being done unless res, a guarded
// update of a row locked before, changed exactly that row.
func oneRow(res *gorm.DB, what string, args ...any) error {
	switch {
	case res.Error != nil:
		return fmt.Errorf("%s: %w", fmt.Sprintf(what, args...), res.Error)
	case res.RowsAffected != 1:
		return fmt.Errorf("%s: %d rows changed, want 1", fmt.Sprintf(what, args...), res.RowsAffected)
	}
	return nil
}

// Cancellable reports whether a tender in the state may be cancelled: in any
// state until it is awarded, unless it is cancelled or failed already. Cancel
// refuses the others with ErrNotCancellable; a page offers cancelling by it.
func Cancellable(status string) bool {
	return !slices.Contains([]string{StatusAwarded, StatusCancelled, StatusFailed}, status)
}

// cancelTx cancels the locked tender t inside tx.
func cancelTx(tx *gorm.DB, by access.Actor, t Tender, reason string, now time.Time) error {
	if !Cancellable(t.Status) {
		return ErrNotCancellable
	}
	if t.Status != StatusDraft {
		if _, err := lockFund(tx, t.FundAccountID); err != nil {
			return err
		}
	}
	res := tx.Model(&Tender{}).Where("id = ? AND status = ?", t.ID, t.Status).
		Updates(map[string]any{"status": StatusCancelled, "status_reason": reason, "ended_at": now, "updated_at": now})
	if err := oneRow(res, "cancel tender %d", t.ID); err != nil {
		return err
	}
	if err := tx.Model(&AwardProposal{}).Where("tender_id = ? AND status = 'proposed'", t.ID).Updates(map[string]any{"status": "withdrawn", "ended_at": now}).Error; err != nil {
		return err
	}
	if err := tx.Model(&Challenge{}).Where("tender_id = ? AND status = 'open'", t.ID).Updates(map[string]any{"status": "moot", "answered_at": now}).Error; err != nil {
		return err
	}
	if err := audit.Record(tx, by, "tender.cancel", "tender", t.ID, map[string]any{"from": t.Status, "reason": reason}); err != nil {
		return err
	}
	if t.Status != StatusDraft {
		if _, err := fund.Release(tx, by, t.FundAccountID, t.CeilingFen, fundRef(t)); err != nil {
			return err
		}
		return notifyBidders(tx, t, KindTenderCancelled, now)
	}
	return nil
}

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
		// The organizations that may bid include every bidder: one notice each.
		return notifyInterested(tx, t, KindAmendment, now)
	})
	if err != nil {
		return View{}, err
	}
	s.schedule(ctx, t.ID, t.ClosesAt, t.OpensAt)
	return s.Get(ctx, by, id)
}

// onlyCommittee reports whether in changes nothing but the committee.
func onlyCommittee(in Input) bool {
	if in.CommitteeUserIDs == nil {
		return false
	}
	in.CommitteeUserIDs = nil
	return reflect.DeepEqual(in, Input{})
}

// ReplaceRecused names evaluators of the district in place of the members of
// an opened tender's committee who declared a conflict: the committee becomes
// every member not recused and the evaluators named (one already on it counts
// once), in one transaction under the tender's lock, audited, the newcomers
// told. It returns ErrNotEvaluating unless the tender is opened,
// ErrCommitteeChange unless the newcomers replace recused members into an
// odd committee of three or more, apperr.Invalid naming committee_user_ids
// for a recused member or anyone not an active evaluator of the district, and
// apperr.ErrNotFound for a tender not of by's subdistrict.
func (s *Service) ReplaceRecused(ctx context.Context, by access.Actor, id int64, evaluators []int64) (View, error) {
	now := s.clock.Now()
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		t, err := officerTender(tx, by, id)
		if err != nil {
			return err
		}
		if t.Status != StatusOpened {
			return ErrNotEvaluating
		}
		var ids []int64
		if err := tx.Model(&member{}).Where("tender_id = ? AND NOT recused", t.ID).Order("user_id").Pluck("user_id", &ids).Error; err != nil {
			return fmt.Errorf("committee of tender %d: %w", t.ID, err)
		}
		for _, uid := range evaluators {
			if !slices.Contains(ids, uid) {
				ids = append(ids, uid)
			}
		}
		return replaceMembers(tx, by, t, ids, now)
	})
	if err != nil {
		return View{}, err
	}
	return s.Get(ctx, by, id)
}

// ErrCommitteeChange is returned for a committee change during the evaluation
// that does more than replace recused members.
var ErrCommitteeChange = apperr.New(apperr.Conflict, "committee.change_refused",
	"during the evaluation the committee changes only to replace members who declared a conflict: keep every other member and keep the size")

// replaceMembers makes ids the committee of the opened tender t, locked by the
// caller, when it replaces recused members with other evaluators of the
// district: every member not recused stays, and the committee keeps its size.
// Update (a committee-only edit) and ReplaceRecused share it.
func replaceMembers(tx *gorm.DB, by access.Actor, t Tender, ids []int64, now time.Time) error {
	var all []member
	if err := tx.Where("tender_id = ?", t.ID).Find(&all).Error; err != nil {
		return err
	}
	inList := map[int64]bool{}
	for _, id := range ids {
		inList[id] = true
	}
	var added []int64
	for _, id := range slices.Compact(slices.Sorted(slices.Values(ids))) {
		i := slices.IndexFunc(all, func(m member) bool { return m.UserID == id })
		if i >= 0 && all[i].Recused {
			return apperr.InvalidField("committee_user_ids", "a member who declared a conflict cannot return")
		}
		if i < 0 {
			added = append(added, id)
		}
	}
	staying, recused := 0, 0
	for _, m := range all {
		switch {
		case m.Recused:
			recused++
		case !inList[m.UserID]:
			return ErrCommitteeChange
		default:
			staying++
		}
	}
	if n := staying + len(added); len(added) == 0 || len(added) > recused || n < 3 || n%2 == 0 {
		return ErrCommitteeChange
	}
	var districtID int64
	if err := tx.Table("subdistricts").Select("district_id").Where("id = ?", t.SubdistrictID).Take(&districtID).Error; err != nil {
		return err
	}
	var n int64
	if err := tx.Table("users").Where("id IN ? AND role = 'evaluator' AND district_id = ? AND status = 'active'", added, districtID).Count(&n).Error; err != nil {
		return err
	}
	if int(n) != len(added) {
		return apperr.InvalidField("committee_user_ids", "must be active evaluators of your district")
	}
	for _, id := range added {
		if err := tx.Create(&member{TenderID: t.ID, UserID: id, AddedAt: now}).Error; err != nil {
			return fmt.Errorf("add committee member: %w", err)
		}
	}
	if err := audit.Record(tx, by, "committee.replace", "tender", t.ID, map[string]any{"added": added}); err != nil {
		return err
	}
	return notifyUsers(tx, KindCommitteeToScore, t, added, now)
}
