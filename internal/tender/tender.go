package tender

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
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
	"github.com/jiedao-market/jiedao/internal/track"
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
	// ShortWindowJustification is the written reason for a bidding window
	// shorter than the purchase method's minimum.
	ShortWindowJustification string
	// ShortBiddingWindow records that the tender was published with a window
	// shorter than the minimum (a red flag).
	ShortBiddingWindow bool
	FundAccountID      int64
	CeilingFen         money.Fen
	ServiceStart       civil.Date
	ServiceEnd         civil.Date
	WeightPrice        int
	WeightTechnical    int
	WeightPerformance  int
	MinGrade           int
	MinSocialWorkers   int
	MinBids            int
	MaxWinners         int
	ChallengeDays      int
	QuestionsCloseAt   time.Time
	ClosesAt           time.Time
	OpensAt            time.Time
	Status             string
	StatusReason       string
	EvaluationRound    int
	PublishedAt        *time.Time
	OpenedAt           *time.Time
	EvaluatedAt        *time.Time
	ChallengeEndsAt    *time.Time
	AwardedAt          *time.Time
	EndedAt            *time.Time
	CreatedBy          *int64
	CreatedAt          time.Time
	UpdatedAt          time.Time
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
	// MinBiddingDays is the shortest bidding window, publication to close, in
	// days, per purchase method; a method it leaves out has none.
	MinBiddingDays map[string]int
	// ChallengeDays is the default challenge period in days.
	ChallengeDays int
	// SignDays is the signing period of a contract from the final award
	// (art. 46: 30 days).
	SignDays int
	// Performance are the rating settings the bidders' performance records
	// are taken with at the opening; zero means track.DefaultParams.
	Performance track.Params
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
	// release publishes the open-data release of a tender's event (OnRelease).
	release ReleaseHook
}

// ReleaseHook publishes the open-data (OCDS) release of a tender's public
// event, tagged with the OCDS release tag, inside the event's transaction,
// after its state change and audit entry; an error rolls the event back.
type ReleaseHook func(tx *gorm.DB, tenderID int64, tag string, at time.Time) error

// OnRelease sets the hook that publishes the releases of the tender's
// events: published (tender), amended (tenderAmendment), cancelled
// (tenderCancellation), opened or failed (tenderUpdate), award proposed
// (award) and final (awardUpdate).
func (s *Service) OnRelease(h ReleaseHook) { s.release = h }

// released runs the release hook, when one is set.
func (s *Service) released(tx *gorm.DB, tenderID int64, tag string, at time.Time) error {
	if s.release == nil {
		return nil
	}
	return s.release(tx, tenderID, tag, at)
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
	if opts.SignDays == 0 {
		opts.SignDays = 30
	}
	if opts.Performance == (track.Params{}) {
		opts.Performance = track.DefaultParams()
	}
	return &Service{db: db, clock: c, sealer: sealer, opts: opts, newID: newBidID}
}

// UsePerformance sets the rating settings the bidders' performance records
// are taken with at each opening (track.ParamsOf the rating configuration).
func (s *Service) UsePerformance(p track.Params) { s.opts.Performance = p }

// NewConfigured returns the tender service cfg describes: bids sealed under
// cfg.SealKey (JIEDAO_SEAL_KEY), which must be set, and cfg's periods.
func NewConfigured(db *gorm.DB, c clock.Clock, cfg config.Tender, signDays int) (*Service, error) {
	if err := cfg.RequireSealKey(); err != nil {
		return nil, err
	}
	sealer, err := NewSealer(cfg.SealKey)
	if err != nil {
		return nil, err
	}
	return NewService(db, c, sealer, Options{AmendmentMinDays: cfg.AmendmentMinDays, MinBiddingDays: cfg.MinBiddingDays, ChallengeDays: cfg.ChallengeDays, SignDays: signDays}), nil
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
		if err := tx.Model(&d.t).Select("title", "description", "purchase_method", "justification", "short_window_justification", "fund_account_id", "ceiling_fen",
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

// Publish publishes a draft tender: its times must lie ahead (ErrTooLate), its
// bidding window must last at least its purchase method's minimum unless the
// tender carries a short_window_justification (an apperr.Invalid naming
// closes_at; a justified shorter window is recorded as a short bidding
// window), and the ceiling is reserved in the fund account
// (fund.ErrInsufficient, fund.ErrNotEarmarked). Organizations that may bid
// are notified.
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
		short, err := s.shortWindow(t, now)
		if err != nil {
			return err
		}
		if _, err := lockFund(tx, t.FundAccountID); err != nil {
			return err
		}
		res := tx.Model(&Tender{}).Where("id = ? AND status = ?", t.ID, StatusDraft).
			Updates(map[string]any{"status": StatusPublished, "published_at": now, "short_bidding_window": short, "updated_at": now})
		if err := oneRow(res, "publish tender %d", id); err != nil {
			return err
		}
		entry := map[string]any{"ceiling_fen": t.CeilingFen, "closes_at": t.ClosesAt, "opens_at": t.OpensAt}
		if short {
			entry["short_bidding_window"], entry["short_window_justification"] = true, t.ShortWindowJustification
		}
		if err := audit.Record(tx, by, "tender.publish", "tender", id, entry); err != nil {
			return err
		}
		if _, err := fund.Reserve(tx, by, t.FundAccountID, t.CategoryCode, t.CeilingFen, fundRef(t)); err != nil {
			return err
		}
		if err := s.released(tx, id, "tender", now); err != nil {
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

// lockFund takes the fund account's ledger rows, in id order, after the
// tender's row (the package's lock order).
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
		if err := cancelTx(tx, by, t, reason, now); err != nil {
			return err
		}
		return s.released(tx, t.ID, "tenderCancellation", now)
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
	// A replacement award in its challenge period: the contracts that stand
	// hold the reservation; drop the replacement instead.
	if replacing, err := hasContracts(tx, t.ID); err != nil || replacing {
		if err != nil {
			return err
		}
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

// shortWindow reports whether t, published at now, would close before its
// purchase method's minimum bidding window has passed. Such a window needs a
// written justification: without one it is an apperr.Invalid naming closes_at.
func (s *Service) shortWindow(t Tender, now time.Time) (bool, error) {
	days := s.opts.MinBiddingDays[t.PurchaseMethod]
	if !t.ClosesAt.Before(now.AddDate(0, 0, days)) {
		return false, nil
	}
	if t.ShortWindowJustification == "" {
		return false, apperr.InvalidField("closes_at", fmt.Sprintf(
			"a %s tender's bidding window must last at least %d days from publication (tender.min_bidding_days); a shorter one needs a short_window_justification",
			t.PurchaseMethod, days))
	}
	return true, nil
}
