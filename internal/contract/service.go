package contract

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/audit"
	"github.com/jiedao-market/jiedao/internal/civil"
	"github.com/jiedao-market/jiedao/internal/fund"
	"github.com/jiedao-market/jiedao/internal/money"
	"github.com/jiedao-market/jiedao/internal/platform/clock"
	"github.com/jiedao-market/jiedao/internal/platform/jobs"
)

// Options are the contract rules a deployment may set.
type Options struct {
	// AmendmentCapPercent caps the cumulative rise of a contract's amount by
	// its amendments, in percent of the signed amount (art. 49: 10).
	AmendmentCapPercent int
}

// Replacer proposes, inside tx, the award of the next-ranked bid of a tender
// in place of a dropped draft contract's bid (tender.Service does it, with a
// new challenge period). The function it returns runs after the commit (it
// schedules the end of the challenge period).
type Replacer func(tx *gorm.DB, by access.Actor, tenderID, droppedBidID int64, reason string, now time.Time) (after func(context.Context), err error)

// SignedHook runs inside the transaction that makes a contract signed (its
// second signature), after the encumbrance and the contract's audit entry; an
// error rolls the signing back. The milestone payments make the signing
// milestone due with it.
type SignedHook func(tx *gorm.DB, by access.Actor, c Contract, now time.Time) error

// Service runs the contract lifecycle: signing, amendments, termination and
// the time-driven start of the service.
type Service struct {
	db       *gorm.DB
	clock    clock.Clock
	opts     Options
	replace  Replacer
	onSigned []SignedHook
	// release publishes the open-data release of a contract's event (OnRelease).
	release ReleaseHook
	// enqueue schedules a contract's start (UseRiver); nil until then.
	enqueue jobs.Enqueue
	log     *slog.Logger
}

// NewService returns the contract service.
func NewService(db *gorm.DB, c clock.Clock, opts Options) *Service {
	if opts.AmendmentCapPercent == 0 {
		opts.AmendmentCapPercent = 10
	}
	return &Service{db: db, clock: c, opts: opts}
}

// UseReplacer sets how a dropped contract's bid is replaced by the next-ranked one.
func (s *Service) UseReplacer(r Replacer) { s.replace = r }

// OnSigned adds a hook that runs when a contract becomes signed (SignedHook).
func (s *Service) OnSigned(h SignedHook) { s.onSigned = append(s.onSigned, h) }

// ReleaseHook publishes the open-data (OCDS) release of the contract's
// tender for a public event of the contract, tagged with the OCDS release
// tag, inside the event's transaction after its audit entry; an error rolls
// the event back.
type ReleaseHook func(tx *gorm.DB, tenderID int64, tag string, at time.Time) error

// OnRelease sets the hook that publishes the releases of an accepted
// amendment (contractAmendment) and a termination (contractTermination); the
// signing's is an OnSigned hook.
func (s *Service) OnRelease(h ReleaseHook) { s.release = h }

// released runs the release hook, when one is set.
func (s *Service) released(tx *gorm.DB, tenderID int64, tag string, at time.Time) error {
	if s.release == nil {
		return nil
	}
	return s.release(tx, tenderID, tag, at)
}

// Errors of the contract lifecycle.
var (
	ErrNotDraft         = apperr.New(apperr.Conflict, "contract.not_draft", "the contract is no longer a draft: it was signed or dropped")
	ErrAlreadySigned    = apperr.New(apperr.Conflict, "contract.already_signed", "your side has signed this contract already")
	ErrSigningClosed    = apperr.New(apperr.Conflict, "contract.signing_period_over", "the signing period has ended: the officer may award the next-ranked bid or cancel")
	ErrChallengeOpen    = apperr.New(apperr.Conflict, "contract.challenge_open", "a challenge to the tender's award is open")
	ErrNotInForce       = apperr.New(apperr.Conflict, "contract.not_in_force", "the contract is not signed or active")
	ErrEnded            = apperr.New(apperr.Conflict, "contract.ended", "the contract has ended")
	ErrAmendmentOpen    = apperr.New(apperr.Conflict, "contract.amendment_open", "an amendment of this contract awaits a decision")
	ErrAmendmentDecided = apperr.New(apperr.Conflict, "contract.amendment_decided", "the amendment has been decided already")
	ErrOwnAmendment     = apperr.New(apperr.Forbidden, "contract.own_amendment", "the other party decides an amendment")
	ErrTerminationOpen  = apperr.New(apperr.Conflict, "contract.termination_open", "a termination request of this contract awaits the officer's decision")
	ErrNoTermination    = apperr.New(apperr.Conflict, "contract.no_termination_request", "no termination request awaits a decision")
	ErrNotDroppable     = apperr.New(apperr.Conflict, "contract.not_droppable",
		"a draft is dropped only after its signing period, or when its organization is no longer eligible")
)

// officer reports whether by is a procurement officer of c's subdistrict.
func officer(by access.Actor, c Contract) bool {
	return by.Role == access.ProcurementOfficer && by.Scope.SubdistrictID == c.SubdistrictID
}

// visible limits q to the contracts by may read: an organization its own, a
// subdistrict's staff those of its Subdistricts, nobody else any.
func visible(q *gorm.DB, by access.Actor) *gorm.DB {
	if by.Is(access.OrgStaff...) {
		return q.Where("contracts.organization_id = ?", by.Scope.OrganizationID)
	}
	subs := by.Subdistricts()
	if subs == (access.Subdistricts{}) {
		return q.Where("FALSE")
	}
	cond, args := subs.Where("contracts.subdistrict_id")
	return q.Where(cond, args...)
}

// notFound maps a missing row (gorm's, or database/sql's from Row().Scan) to
// apperr.ErrNotFound.
// oneRow checks that a guarded UPDATE (… WHERE id = ? AND status = ?) changed
// exactly one row: the row lock taken first makes any other count a bug.
func oneRow(res *gorm.DB, what string, id int64) error {
	if res.Error != nil {
		return fmt.Errorf("%s %d: %w", what, id, res.Error)
	}
	if res.RowsAffected != 1 {
		return fmt.Errorf("%s %d: %d rows changed, want 1", what, id, res.RowsAffected)
	}
	return nil
}

func notFound(err error) error {
	if errors.Is(err, gorm.ErrRecordNotFound) || errors.Is(err, sql.ErrNoRows) {
		return apperr.ErrNotFound
	}
	return err
}

// lockVisible locks a contract by may read; anything else is apperr.ErrNotFound.
func lockVisible(tx *gorm.DB, by access.Actor, id int64) (Contract, error) {
	var c Contract
	err := visible(tx.Clauses(clause.Locking{Strength: "NO KEY UPDATE"}), by).Where("contracts.id = ?", id).Take(&c).Error
	return c, notFound(err)
}

// lockFund takes the fund account's ledger rows, in id order, after the
// contract's row: the fixed order of every contract change, so that two
// changes never hold each other's rows.
func lockFund(tx *gorm.DB, fundID int64) error {
	var rows []fund.LedgerAccount
	return tx.Clauses(clause.Locking{Strength: "NO KEY UPDATE"}).Where("fund_account_id = ?", fundID).Order("id").Find(&rows).Error
}

func ref(c Contract, suffix string) fund.Ref {
	id := strconv.FormatInt(c.ID, 10)
	if suffix != "" {
		id += "/" + suffix
	}
	return fund.Ref{Type: "contract", ID: id}
}

func plain(s string) bool {
	return !strings.ContainsFunc(s, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t' })
}

// checkReason checks a required reason of at most 5000 bytes of text.
func checkReason(f *apperr.Fields, field, s string) {
	f.Check(s != "", field, "is required")
	f.Check(len(s) <= 5000 && plain(s), field, "must be at most 5000 bytes of text")
}

func (s *Service) tx(ctx context.Context, fn func(tx *gorm.DB) error) error {
	return s.db.WithContext(ctx).Transaction(fn)
}

// CommunityTerm is one of a contract's communities with its eligible
// population, the denominator of coverage metrics.
type CommunityTerm struct {
	ID                 int64  `json:"id"`
	Name               string `json:"name"`
	EligiblePopulation *int   `json:"eligible_population"`
}

// View is a contract as its parties read it.
type View struct {
	Contract
	OrganizationName string               `json:"organization_name"`
	SubdistrictName  string               `json:"subdistrict_name"`
	TenderTitle      string               `json:"tender_title"`
	Communities      []CommunityTerm      `json:"communities"`
	Metrics          []Metric             `json:"metrics"`
	Milestones       []Milestone          `json:"milestones"`
	Amendments       []Amendment          `json:"amendments"`
	Terminations     []TerminationRequest `json:"termination_requests"`
	Versions         []VersionInfo        `json:"versions"`
	// HeldFen is what the contract holds encumbered in its fund now.
	HeldFen  money.Fen `json:"encumbered_fen"`
	Timeline []Event   `json:"timeline"`
}

// Event is one step of a contract's timeline.
type Event struct {
	At   time.Time `json:"at"`
	Kind string    `json:"kind"`
	Note string    `json:"note,omitempty"`
}

// VersionInfo names one version of a contract.
type VersionInfo struct {
	Version     int       `json:"version"`
	AmendmentID *int64    `json:"amendment_id"`
	CreatedAt   time.Time `json:"created_at"`
}

// Get returns a contract by may read; another's is apperr.ErrNotFound.
func (s *Service) Get(ctx context.Context, by access.Actor, id int64) (View, error) {
	if !by.Is(Readers...) {
		return View{}, apperr.ErrForbidden
	}
	db := s.db.WithContext(ctx)
	var c Contract
	if err := visible(db.Model(&Contract{}), by).Where("contracts.id = ?", id).Take(&c).Error; err != nil {
		return View{}, notFound(err)
	}
	return view(db, c)
}

// Readers read contracts through the signed-in API, each as visible scopes
// them (access.ContractReaders, the route table's group).
var Readers = access.ContractReaders

func view(db *gorm.DB, c Contract) (View, error) {
	v := View{Contract: c}
	var names struct{ Org, Sub, Tender string }
	if err := db.Raw(`SELECT o.legal_name AS org, sd.name_zh AS sub, t.title AS tender FROM organizations o, subdistricts sd, tenders t
		WHERE o.id = ? AND sd.id = ? AND t.id = ?`, c.OrganizationID, c.SubdistrictID, c.TenderID).Scan(&names).Error; err != nil {
		return View{}, err
	}
	v.OrganizationName, v.SubdistrictName, v.TenderTitle = names.Org, names.Sub, names.Tender
	var err error
	if v.Communities, err = communities(db, c.ID); err != nil {
		return View{}, err
	}
	if v.Metrics, v.Milestones, err = Details(db, c.ID); err != nil {
		return View{}, err
	}
	v.Amendments, v.Terminations, v.Versions = []Amendment{}, []TerminationRequest{}, []VersionInfo{}
	if err := db.Where("contract_id = ?", c.ID).Order("id").Find(&v.Amendments).Error; err != nil {
		return View{}, err
	}
	if err := db.Where("contract_id = ?", c.ID).Order("id").Find(&v.Terminations).Error; err != nil {
		return View{}, err
	}
	if err := db.Table("contract_versions").Select("version, amendment_id, created_at").Where("contract_id = ?", c.ID).
		Order("version").Scan(&v.Versions).Error; err != nil {
		return View{}, err
	}
	sums, err := held(db, c)
	if err != nil {
		return View{}, err
	}
	v.HeldFen = sums[c.ID]
	v.Timeline = timeline(v)
	return v, nil
}

func communities(db *gorm.DB, contractID int64) ([]CommunityTerm, error) {
	out := []CommunityTerm{}
	err := db.Table("contract_communities cc").Select("c.id, c.name_zh AS name, cc.eligible_population").
		Joins("JOIN communities c ON c.id = cc.community_id").Where("cc.contract_id = ?", contractID).Order("c.id").Scan(&out).Error
	return out, err
}

// held is what each signed contract of list holds encumbered: its signing
// and amendments, less what its milestones moved on to payable and what
// returned; a draft holds nothing.
func held(db *gorm.DB, list ...Contract) (map[int64]money.Fen, error) {
	var holders []fund.Holder
	for _, c := range list {
		if c.SignedAt != nil {
			holders = append(holders, fund.Holder{FundID: c.FundAccountID, ID: strconv.FormatInt(c.ID, 10)})
		}
	}
	sums, err := fund.Held(db, fund.Encumbered, []string{"contract", "milestone"}, holders...)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]money.Fen, len(list))
	for _, c := range list {
		out[c.ID] = sums[fund.Holder{FundID: c.FundAccountID, ID: strconv.FormatInt(c.ID, 10)}]
	}
	return out, nil
}

func timeline(v View) []Event {
	out := []Event{{At: v.CreatedAt, Kind: "awarded"}}
	add := func(at *time.Time, kind, note string) {
		if at != nil {
			out = append(out, Event{At: *at, Kind: kind, Note: note})
		}
	}
	add(v.OfficerSignedAt, "officer_signed", "")
	add(v.OrgSignedAt, "organization_signed", "")
	add(v.SignedAt, "signed", "")
	add(v.ActivatedAt, "active", "")
	for _, a := range v.Amendments {
		at := a.ProposedAt
		add(&at, "amendment_proposed", a.Reason)
		add(a.DecidedAt, "amendment_"+a.Status, a.DecisionNote)
	}
	for _, m := range v.Milestones {
		if m.Status != "pending" {
			out = append(out, Event{At: v.UpdatedAt, Kind: "milestone_" + m.Status, Note: m.Name})
		}
	}
	for _, r := range v.Terminations {
		at := r.ProposedAt
		add(&at, "termination_requested", r.Reason)
		if r.Status == "rejected" {
			add(r.DecidedAt, "termination_rejected", r.DecisionNote)
		}
	}
	if v.EndedAt != nil {
		note := ""
		if v.EndReason != nil {
			note = *v.EndReason
		}
		add(v.EndedAt, v.Status, note)
	}
	slices.SortStableFunc(out, func(a, b Event) int { return a.At.Compare(b.At) })
	return out
}

// Summary is a contract in a list.
type Summary struct {
	ID               int64      `json:"id"`
	TenderID         int64      `json:"tender_id"`
	Title            string     `json:"title"`
	OrganizationID   int64      `json:"organization_id"`
	OrganizationName string     `json:"organization_name"`
	SubdistrictID    int64      `json:"subdistrict_id"`
	FundAccountID    int64      `json:"fund_account_id"`
	AmountFen        money.Fen  `json:"amount_fen"`
	ServiceStart     civil.Date `json:"service_start"`
	ServiceEnd       civil.Date `json:"service_end"`
	Status           string     `json:"status"`
	SignBy           time.Time  `json:"sign_by"`
	OfficerSignedAt  *time.Time `json:"officer_signed_at"`
	OrgSignedAt      *time.Time `json:"org_signed_at"`
	SignedAt         *time.Time `json:"signed_at"`
	// HeldFen is what the contract holds encumbered in its fund now.
	HeldFen money.Fen `json:"encumbered_fen"`
}

// Filter narrows a list of contracts.
type Filter struct {
	Status        string
	FundAccountID int64
	Offset, Limit int
}

// List returns the contracts by may read, newest first, and how many match,
// each with what it holds encumbered.
func (s *Service) List(ctx context.Context, by access.Actor, f Filter) ([]Summary, int64, error) {
	if !by.Is(Readers...) {
		return nil, 0, apperr.ErrForbidden
	}
	if f.Status != "" && !slices.Contains(States, f.Status) {
		return nil, 0, apperr.InvalidField("status", "must be one of "+strings.Join(States, ", "))
	}
	q := visible(s.db.WithContext(ctx).Table("contracts"), by)
	if f.Status != "" {
		q = q.Where("contracts.status = ?", f.Status)
	}
	if f.FundAccountID != 0 {
		q = q.Where("contracts.fund_account_id = ?", f.FundAccountID)
	}
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, err
	}
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 50
	}
	out := []Summary{}
	err := q.Select("contracts.*, o.legal_name AS organization_name").Joins("JOIN organizations o ON o.id = contracts.organization_id").
		Order("contracts.id DESC").Offset(f.Offset).Limit(f.Limit).Scan(&out).Error
	if err != nil {
		return nil, 0, err
	}
	list := make([]Contract, len(out))
	for i, c := range out {
		list[i] = Contract{ID: c.ID, FundAccountID: c.FundAccountID, SignedAt: c.SignedAt}
	}
	sums, err := held(s.db.WithContext(ctx), list...)
	if err != nil {
		return nil, 0, err
	}
	for i := range out {
		out[i].HeldFen = sums[out[i].ID]
	}
	return out, total, nil
}

// PublicSummary is what anyone may read of a signed contract: parties,
// amount, period, communities, metrics and targets; never its records.
type PublicSummary struct {
	ID               int64          `json:"id"`
	TenderID         int64          `json:"tender_id"`
	Title            string         `json:"title"`
	CategoryCode     string         `json:"category_code"`
	SubdistrictName  string         `json:"subdistrict_name"`
	OrganizationID   int64          `json:"organization_id"`
	OrganizationName string         `json:"organization_name"`
	AmountFen        money.Fen      `json:"amount_fen"`
	ServiceStart     civil.Date     `json:"service_start"`
	ServiceEnd       civil.Date     `json:"service_end"`
	Status           string         `json:"status"`
	Version          int            `json:"version"`
	SignedAt         *time.Time     `json:"signed_at"`
	EndedAt          *time.Time     `json:"ended_at"`
	Communities      []string       `json:"communities"`
	Metrics          []PublicMetric `json:"metrics"`
}

// PublicMetric is a metric of a public contract summary.
type PublicMetric struct {
	Code      string  `json:"code"`
	NameZh    string  `json:"name_zh"`
	NameEn    string  `json:"name_en"`
	Unit      string  `json:"unit"`
	Direction string  `json:"direction"`
	Target    float64 `json:"target"`
	Weight    int     `json:"weight"`
}

// Public returns the public summary of a contract once both parties signed;
// a draft or a dropped one is apperr.ErrNotFound.
func (s *Service) Public(ctx context.Context, id int64) (PublicSummary, error) {
	// One statement: the contract, its parties' names, its communities'
	// names and its metrics (JSON, in the order view gives them).
	var r struct {
		ID               int64
		TenderID         int64
		Title            string
		CategoryCode     string
		SubdistrictName  string
		OrganizationID   int64
		OrganizationName string
		AmountFen        money.Fen
		ServiceStart     civil.Date
		ServiceEnd       civil.Date
		Status           string
		Version          int
		SignedAt         *time.Time
		EndedAt          *time.Time
		CommunityNames   []string       `gorm:"serializer:json"`
		MetricRows       []PublicMetric `gorm:"serializer:json"`
	}
	err := s.db.WithContext(ctx).Raw(`SELECT c.id, c.tender_id, c.title, c.category_code, c.organization_id, c.amount_fen,
			c.service_start, c.service_end, c.status, c.version, c.signed_at, c.ended_at,
			coalesce((SELECT name_zh FROM subdistricts WHERE id = c.subdistrict_id), '') AS subdistrict_name,
			coalesce((SELECT legal_name FROM organizations WHERE id = c.organization_id), '') AS organization_name,
			coalesce((SELECT json_agg(m.name_zh ORDER BY m.id) FROM contract_communities cc JOIN communities m ON m.id = cc.community_id
				WHERE cc.contract_id = c.id), '[]') AS community_names,
			coalesce((SELECT json_agg(json_build_object('code', m.code, 'name_zh', m.name_zh, 'name_en', m.name_en, 'unit', m.unit,
				'direction', m.direction, 'target', m.target, 'weight', m.weight) ORDER BY m.weight DESC, m.code)
				FROM contract_metrics m WHERE m.contract_id = c.id), '[]') AS metric_rows
		FROM contracts c WHERE c.id = ? AND c.signed_at IS NOT NULL`, id).Take(&r).Error
	if err != nil {
		return PublicSummary{}, notFound(err)
	}
	p := PublicSummary{ID: r.ID, TenderID: r.TenderID, Title: r.Title, CategoryCode: r.CategoryCode, SubdistrictName: r.SubdistrictName,
		OrganizationID: r.OrganizationID, OrganizationName: r.OrganizationName, AmountFen: r.AmountFen, ServiceStart: r.ServiceStart,
		ServiceEnd: r.ServiceEnd, Status: r.Status, Version: r.Version, SignedAt: r.SignedAt, EndedAt: r.EndedAt,
		Communities: r.CommunityNames, Metrics: r.MetricRows}
	if p.Communities == nil {
		p.Communities = []string{}
	}
	if p.Metrics == nil {
		p.Metrics = []PublicMetric{}
	}
	return p, nil
}

// MilestoneInput is one payment milestone as the officer writes it.
type MilestoneInput struct {
	Name      string    `json:"name"`
	After     string    `json:"after"`
	AmountFen money.Fen `json:"amount_fen"`
}

// PopulationInput is a community's eligible population.
type PopulationInput struct {
	CommunityID        int64 `json:"community_id"`
	EligiblePopulation int   `json:"eligible_population"`
}

// Patch is the officer's change of a draft: milestones, eligible populations
// and the payment policy; nil leaves a part as it is.
type Patch struct {
	Milestones    *[]MilestoneInput  `json:"milestones"`
	Populations   *[]PopulationInput `json:"eligible_populations"`
	PaymentPolicy *Policy            `json:"payment_policy"`
}

// checkMilestones checks milestones that must sum to total exactly.
func checkMilestones(f *apperr.Fields, field string, list []MilestoneInput, total money.Fen) {
	if len(list) < 1 || len(list) > 12 {
		f.Add(field, "name 1 to 12 milestones")
		return
	}
	var sum money.Fen
	for i, m := range list {
		p := fmt.Sprintf("%s[%d]", field, i)
		name := strings.TrimSpace(m.Name)
		f.Check(name != "" && len(name) <= 200 && plain(name), p+".name", "is required (at most 200 bytes of text)")
		f.Check(slices.Contains(Triggers, m.After), p+".after", "must be one of "+strings.Join(Triggers, ", "))
		f.Check(m.AmountFen > 0, p+".amount_fen", "must be more than zero")
		sum += m.AmountFen
	}
	f.Check(sum == total, field, fmt.Sprintf("must sum to the contract amount exactly (%d fen, not %d)", total, sum))
}

// percentOf is a milestone's share of total in whole percent, at least 1.
func percentOf(amount, total money.Fen) int {
	p := int((amount*100 + total/2) / total)
	return min(max(p, 1), 100)
}

// Update changes a draft contract, as its procurement officer. A change
// withdraws any signature made so far: both sign the terms as they stand.
func (s *Service) Update(ctx context.Context, by access.Actor, id int64, in Patch) (View, error) {
	if by.Role != access.ProcurementOfficer {
		return View{}, apperr.ErrForbidden
	}
	now := s.clock.Now()
	var c Contract
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var err error
		if c, err = lockVisible(tx, by, id); err != nil {
			return err
		}
		if c.Status != StatusDraft {
			return ErrNotDraft
		}
		var f apperr.Fields
		if in.Milestones == nil && in.Populations == nil && in.PaymentPolicy == nil {
			f.Add("patch", "name at least one of milestones, eligible_populations, payment_policy")
		}
		if in.Milestones != nil {
			checkMilestones(&f, "milestones", *in.Milestones, c.AmountFen)
		}
		terms, err := communities(tx, c.ID)
		if err != nil {
			return err
		}
		if in.Populations != nil {
			seen := map[int64]bool{}
			for i, p := range *in.Populations {
				field := fmt.Sprintf("eligible_populations[%d]", i)
				known := false
				for _, t := range terms {
					known = known || t.ID == p.CommunityID
				}
				f.Check(known && !seen[p.CommunityID], field+".community_id", "must be one of the contract's communities, once")
				f.Check(p.EligiblePopulation >= 1 && p.EligiblePopulation <= 10_000_000, field+".eligible_population", "must be between 1 and 10,000,000")
				seen[p.CommunityID] = true
			}
		}
		if in.PaymentPolicy != nil {
			in.PaymentPolicy.check(&f)
		}
		if err := f.Err(); err != nil {
			return err
		}
		if in.Milestones != nil {
			if err := tx.Where("contract_id = ?", c.ID).Delete(&Milestone{}).Error; err != nil {
				return err
			}
			for i, m := range *in.Milestones {
				row := Milestone{ContractID: c.ID, Seq: i + 1, Name: strings.TrimSpace(m.Name), Percent: percentOf(m.AmountFen, c.AmountFen),
					AmountFen: m.AmountFen, After: m.After, Status: "pending"}
				if err := tx.Create(&row).Error; err != nil {
					return fmt.Errorf("insert milestone: %w", err)
				}
			}
		}
		if in.Populations != nil {
			for _, p := range *in.Populations {
				if err := tx.Model(&community{}).Where("contract_id = ? AND community_id = ?", c.ID, p.CommunityID).
					Update("eligible_population", p.EligiblePopulation).Error; err != nil {
					return err
				}
			}
		}
		fields := map[string]any{"updated_at": now, "officer_signed_at": nil, "officer_signed_by": nil, "org_signed_at": nil, "org_signed_by": nil}
		if in.PaymentPolicy != nil {
			fields["payment_policy"] = gorm.Expr("?::jsonb", jsonValue(*in.PaymentPolicy))
			c.PaymentPolicy = *in.PaymentPolicy
		}
		if err := tx.Model(&Contract{}).Where("id = ?", c.ID).Updates(fields).Error; err != nil {
			return fmt.Errorf("update contract %d: %w", c.ID, err)
		}
		withdrawn := c.OrgSignedAt != nil || c.OfficerSignedAt != nil
		if err := audit.Record(tx, by, "contract.update", "contract", c.ID, map[string]any{"change": in, "signatures_withdrawn": withdrawn}); err != nil {
			return err
		}
		if c.OrgSignedAt != nil {
			return notifyOrg(tx, c, KindSignRequested, now)
		}
		return nil
	})
	if err != nil {
		return View{}, err
	}
	return s.Get(ctx, by, id)
}
