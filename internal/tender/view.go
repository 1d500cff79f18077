package tender

import (
	"context"
	"fmt"
	"slices"
	"time"

	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/civil"
	"github.com/jiedao-market/jiedao/internal/contract"
	"github.com/jiedao-market/jiedao/internal/money"
	"github.com/jiedao-market/jiedao/internal/platform/replica"
)

// Summary is a tender in a list.
type Summary struct {
	ID             int64      `json:"id"`
	SubdistrictID  int64      `json:"subdistrict_id"`
	Title          string     `json:"title"`
	CategoryCode   string     `json:"category_code"`
	PurchaseMethod string     `json:"purchase_method"`
	CeilingFen     money.Fen  `json:"ceiling_fen"`
	Status         string     `json:"status"`
	ClosesAt       time.Time  `json:"closes_at"`
	OpensAt        time.Time  `json:"opens_at"`
	PublishedAt    *time.Time `json:"published_at"`
}

func summary(t Tender, now time.Time) Summary {
	return Summary{ID: t.ID, SubdistrictID: t.SubdistrictID, Title: t.Title, CategoryCode: t.CategoryCode, PurchaseMethod: t.PurchaseMethod,
		CeilingFen: t.CeilingFen, Status: t.StatusAt(now), ClosesAt: t.ClosesAt, OpensAt: t.OpensAt, PublishedAt: t.PublishedAt}
}

// CommitteeMember is a member of the evaluation committee as the officer sees it.
type CommitteeMember struct {
	UserID    int64  `json:"user_id"`
	Name      string `json:"name"`
	Recused   bool   `json:"recused"`
	Declared  bool   `json:"declared"`
	Conflict  *bool  `json:"conflict"`
	Submitted bool   `json:"submitted"`
}

// MyBid is the caller's organization's bid, as a receipt: never its content.
type MyBid struct {
	ID                  int64     `json:"id"`
	Status              string    `json:"status"`
	ReceivedAt          time.Time `json:"received_at"`
	Digest              string    `json:"digest"`
	NeedsReconfirmation bool      `json:"needs_reconfirmation"`
}

// View is a tender with its parts, as the API shows it. Committee and
// invitations are shown to the tender's officers and administrators only.
type View struct {
	ID                  int64  `json:"id"`
	SubdistrictID       int64  `json:"subdistrict_id"`
	TransferItemID      int64  `json:"transfer_item_id"`
	TransferItemVersion int    `json:"transfer_item_version"`
	Title               string `json:"title"`
	Description         string `json:"description"`
	CategoryCode        string `json:"category_code"`
	PurchaseMethod      string `json:"purchase_method"`
	Justification       string `json:"justification"`
	// ShortWindowJustification is the written reason for a bidding window
	// shorter than the purchase method's minimum; ShortBiddingWindow says the
	// tender was published with such a window.
	ShortWindowJustification string              `json:"short_window_justification"`
	ShortBiddingWindow       bool                `json:"short_bidding_window"`
	FundAccountID            int64               `json:"fund_account_id"`
	CeilingFen               money.Fen           `json:"ceiling_fen"`
	ServiceStart             civil.Date          `json:"service_start"`
	ServiceEnd               civil.Date          `json:"service_end"`
	CommunityIDs             []int64             `json:"community_ids"`
	Weights                  Weights             `json:"weights"`
	Criteria                 []Criterion         `json:"criteria"`
	Metrics                  []Metric            `json:"metrics"`
	MinGrade                 int                 `json:"min_grade"`
	MinSocialWorkers         int                 `json:"min_social_workers"`
	MinBids                  int                 `json:"min_bids"`
	MaxWinners               int                 `json:"max_winners"`
	ChallengeDays            int                 `json:"challenge_days"`
	QuestionsCloseAt         time.Time           `json:"questions_close_at"`
	ClosesAt                 time.Time           `json:"closes_at"`
	OpensAt                  time.Time           `json:"opens_at"`
	Status                   string              `json:"status"`
	StatusReason             string              `json:"status_reason"`
	EvaluationRound          int                 `json:"evaluation_round"`
	PublishedAt              *time.Time          `json:"published_at"`
	OpenedAt                 *time.Time          `json:"opened_at"`
	EvaluatedAt              *time.Time          `json:"evaluated_at"`
	ChallengeEndsAt          *time.Time          `json:"challenge_ends_at"`
	AwardedAt                *time.Time          `json:"awarded_at"`
	EndedAt                  *time.Time          `json:"ended_at"`
	Amendments               []Amendment         `json:"amendments"`
	Contracts                []contract.Contract `json:"contracts"`
	Committee                []CommitteeMember   `json:"committee,omitempty"`
	InvitedOrganizationIDs   []int64             `json:"invited_organization_ids,omitempty"`
	MyBid                    *MyBid              `json:"my_bid,omitempty"`
	UpdatedAt                time.Time           `json:"updated_at"`
}

// visible restricts q (on tenders) to the tenders by may read through the
// signed-in API: the platform admin all, a district admin the district's, a
// subdistrict's officers their own, an evaluator those whose committee they
// sit on once published, an organization every published one.
func visible(q *gorm.DB, by access.Actor) *gorm.DB {
	switch by.Role {
	case access.PlatformAdmin:
		return q
	case access.DistrictAdmin:
		return q.Where("tenders.subdistrict_id IN (SELECT id FROM subdistricts WHERE district_id = ?)", by.Scope.DistrictID)
	case access.ProcurementOfficer, access.FinanceOfficer:
		return q.Where("tenders.subdistrict_id = ?", by.Scope.SubdistrictID)
	case access.Evaluator:
		return q.Where("tenders.published_at IS NOT NULL AND tenders.id IN (SELECT tender_id FROM tender_committee WHERE user_id = ?)", by.UserID)
	case access.OrgAdmin, access.OrgMember:
		return q.Where("tenders.published_at IS NOT NULL")
	default:
		return q.Where("false")
	}
}

// manages reports whether by sees a tender's committee and invitations.
func manages(by access.Actor, t Tender) bool {
	return by.Role == access.PlatformAdmin || by.Role == access.DistrictAdmin ||
		(by.Is(access.ProcurementOfficer, access.FinanceOfficer) && by.Scope.SubdistrictID == t.SubdistrictID)
}

// Get returns a tender by may see, else apperr.ErrNotFound.
func (s *Service) Get(ctx context.Context, by access.Actor, id int64) (View, error) {
	db := s.db.WithContext(ctx)
	var t Tender
	if err := visible(db, by).Take(&t, id).Error; err != nil {
		return View{}, notFound(err)
	}
	return s.view(db, by, t, manages(by, t))
}

func (s *Service) view(db *gorm.DB, by access.Actor, t Tender, full bool) (View, error) {
	d, err := loadDraft(db, t)
	if err != nil {
		return View{}, err
	}
	v := s.viewOf(t, d)
	v.Amendments = []Amendment{}
	if err := db.Where("tender_id = ?", t.ID).Order("number").Find(&v.Amendments).Error; err != nil {
		return View{}, err
	}
	if v.Contracts, err = contract.ForTender(db, t.ID); err != nil {
		return View{}, err
	}
	if full {
		if v.Committee, err = committee(db, t); err != nil {
			return View{}, err
		}
		v.InvitedOrganizationIDs = nonNil(d.invited)
	}
	if by.Is(access.OrgAdmin, access.OrgMember) {
		var b Bid
		err := db.Where("tender_id = ? AND organization_id = ?", t.ID, by.Scope.OrganizationID).Order(currentFirst).Limit(1).Find(&b).Error
		if err != nil {
			return View{}, err
		}
		if b.ID != 0 {
			v.MyBid = &MyBid{ID: b.ID, Status: b.Status, ReceivedAt: b.ReceivedAt, Digest: b.Digest, NeedsReconfirmation: b.NeedsReconfirmation}
		}
	}
	return v, nil
}

// viewOf is the tender t with the parts of d, without amendments, contracts,
// committee, invitations or bid.
func (s *Service) viewOf(t Tender, d draft) View {
	return View{ID: t.ID, SubdistrictID: t.SubdistrictID, TransferItemID: t.TransferItemID, TransferItemVersion: t.TransferItemVersion,
		Title: t.Title, Description: t.Description, CategoryCode: t.CategoryCode, PurchaseMethod: t.PurchaseMethod, Justification: t.Justification,
		ShortWindowJustification: t.ShortWindowJustification, ShortBiddingWindow: t.ShortBiddingWindow,
		FundAccountID: t.FundAccountID, CeilingFen: t.CeilingFen, ServiceStart: t.ServiceStart, ServiceEnd: t.ServiceEnd,
		CommunityIDs: nonNil(d.communities), Weights: t.weights(), Criteria: nonNil(d.criteria), Metrics: nonNil(d.metrics),
		MinGrade: t.MinGrade, MinSocialWorkers: t.MinSocialWorkers, MinBids: t.MinBids, MaxWinners: t.MaxWinners, ChallengeDays: t.ChallengeDays,
		QuestionsCloseAt: t.QuestionsCloseAt, ClosesAt: t.ClosesAt, OpensAt: t.OpensAt, Status: t.StatusAt(s.clock.Now()), StatusReason: t.StatusReason,
		EvaluationRound: t.EvaluationRound, PublishedAt: t.PublishedAt, OpenedAt: t.OpenedAt, EvaluatedAt: t.EvaluatedAt,
		ChallengeEndsAt: t.ChallengeEndsAt, AwardedAt: t.AwardedAt, EndedAt: t.EndedAt, UpdatedAt: t.UpdatedAt}
}

func committee(db *gorm.DB, t Tender) ([]CommitteeMember, error) {
	out := []CommitteeMember{}
	err := db.Raw(`SELECT m.user_id, coalesce(nullif(u.display_name, ''), u.username) AS name, m.recused,
			m.declared_at IS NOT NULL AS declared, m.conflict,
			EXISTS (SELECT 1 FROM score_sheets s WHERE s.tender_id = m.tender_id AND s.round = ? AND s.user_id = m.user_id) AS submitted
		FROM tender_committee m JOIN users u ON u.id = m.user_id WHERE m.tender_id = ? ORDER BY m.user_id`, t.EvaluationRound, t.ID).
		Scan(&out).Error
	return out, err
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// Filter narrows a list of tenders.
type Filter struct {
	Status   string // a state as readers see it (StatusAt)
	Category string
	// Eligible, for an organization: only tenders it may bid on now.
	Eligible bool
	// Mine, for an organization: only tenders it has bid on.
	Mine    bool
	Page    int
	PerPage int
}

// Page is one page of a list.
type Page[T any] struct {
	Items   []T `json:"items"`
	Total   int `json:"total"`
	Page    int `json:"page"`
	PerPage int `json:"per_page"`
}

// statusWhere narrows q to the readers' state at now: "published" means
// before the close, "closed" includes published ones past it.
func statusWhere(q *gorm.DB, status string, now time.Time) *gorm.DB {
	switch status {
	case "":
		return q
	case StatusPublished:
		return q.Where("tenders.status = 'published' AND tenders.closes_at > ?", now)
	case StatusClosed:
		return q.Where("tenders.status = 'closed' OR (tenders.status = 'published' AND tenders.closes_at <= ?)", now)
	default:
		return q.Where("tenders.status = ?", status)
	}
}

// eligibleWhere narrows q (on tenders) to the tenders the organization may
// bid on at now: published and before the close; an active organization with
// an approved certification of the tender's district for its category, at the
// tender's minimum grade or above, valid on now's date in China, and with the
// tender's minimum of certified social workers counted as the lower of the
// organization's declared figure and the one verified for that certification;
// and, for a method that invites, an invitation. The list's Eligible filter
// and Eligible share it; org.EligibilityTx applies the same rule.
func eligibleWhere(q *gorm.DB, orgID int64, now time.Time) *gorm.DB {
	day := civil.ChinaDate(now)
	return q.Where(`tenders.status = 'published' AND tenders.closes_at > ? AND EXISTS (
			SELECT 1 FROM certifications c JOIN certification_categories cc ON cc.certification_id = c.id
			JOIN subdistricts sd ON sd.district_id = c.district_id
			JOIN organizations o ON o.id = c.organization_id
			WHERE c.organization_id = ? AND sd.id = tenders.subdistrict_id AND cc.category_code = tenders.category_code
			  AND c.status = 'approved' AND c.valid_from <= ? AND c.valid_until > ? AND c.grade >= tenders.min_grade
			  AND o.status = 'active'
			  AND LEAST(COALESCE(c.verified_social_workers, 0), o.certified_social_workers) >= tenders.min_social_workers)
			AND (tenders.purchase_method IN ?
			  OR EXISTS (SELECT 1 FROM tender_invitations i WHERE i.tender_id = tenders.id AND i.organization_id = ?))`,
		now, orgID, day, day, openMethods(), orgID)
}

// openMethods are the purchase methods any eligible organization may bid on,
// without an invitation.
func openMethods() []string {
	var out []string
	for name, m := range MethodSettings {
		if !m.Invited {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// listed is the query (on tenders) of the tenders by may see that f selects,
// without paging.
func listed(db *gorm.DB, by access.Actor, f Filter, now time.Time) *gorm.DB {
	q := visible(db.Model(&Tender{}), by)
	if f.Eligible && by.Is(access.OrgAdmin, access.OrgMember) {
		q = eligibleWhere(q, by.Scope.OrganizationID, now)
	}
	if f.Mine && by.Is(access.OrgAdmin, access.OrgMember) {
		q = q.Where("tenders.id IN (SELECT tender_id FROM bids WHERE organization_id = ?)", by.Scope.OrganizationID)
	}
	return narrow(q, f, now)
}

// narrow restricts q (on tenders) to f's state and category.
func narrow(q *gorm.DB, f Filter, now time.Time) *gorm.DB {
	q = statusWhere(q, f.Status, now)
	if f.Category != "" {
		q = q.Where("tenders.category_code = ?", f.Category)
	}
	return q
}

// List returns the tenders by may see, newest first, a page at a time.
func (s *Service) List(ctx context.Context, by access.Actor, f Filter) (Page[Summary], error) {
	now := s.clock.Now()
	return s.page(listed(s.db.WithContext(ctx), by, f, now), f, now)
}

// ListAll returns every tender by may see that f selects, newest first, in
// one list: f.Page and f.PerPage are ignored. It is for a page that shows a
// whole list, such as an organization's opportunities, and returns only
// database errors.
func (s *Service) ListAll(ctx context.Context, by access.Actor, f Filter) ([]Summary, error) {
	now := s.clock.Now()
	var rows []Tender
	if err := listed(s.db.WithContext(ctx), by, f, now).Order("tenders.id DESC").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list tenders: %w", err)
	}
	out := make([]Summary, 0, len(rows))
	for _, t := range rows {
		out = append(out, summary(t, now))
	}
	return out, nil
}

// Eligible reports whether by's organization may bid on the tender now, by
// the rule of the list's Eligible filter. It returns apperr.ErrForbidden to
// anyone but an organization's staff and apperr.ErrNotFound for a tender by
// may not see.
func (s *Service) Eligible(ctx context.Context, by access.Actor, tenderID int64) (bool, error) {
	if !by.Is(access.OrgAdmin, access.OrgMember) {
		return false, apperr.ErrForbidden
	}
	db := s.db.WithContext(ctx)
	var t Tender
	if err := visible(db, by).Take(&t, tenderID).Error; err != nil {
		return false, notFound(err)
	}
	var n int64
	if err := eligibleWhere(db.Model(&Tender{}).Where("tenders.id = ?", t.ID), by.Scope.OrganizationID, s.clock.Now()).Count(&n).Error; err != nil {
		return false, fmt.Errorf("eligibility for tender %d: %w", t.ID, err)
	}
	return n == 1, nil
}

// page returns one page of q (on tenders, already narrowed), newest first.
func (s *Service) page(q *gorm.DB, f Filter, now time.Time) (Page[Summary], error) {
	if f.PerPage <= 0 || f.PerPage > 100 {
		f.PerPage = 20
	}
	if f.Page <= 0 {
		f.Page = 1
	}
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return Page[Summary]{}, err
	}
	var rows []Tender
	if err := q.Order("tenders.id DESC").Offset((f.Page - 1) * f.PerPage).Limit(f.PerPage).Find(&rows).Error; err != nil {
		return Page[Summary]{}, err
	}
	out := Page[Summary]{Items: make([]Summary, 0, len(rows)), Total: int(total), Page: f.Page, PerPage: f.PerPage}
	for _, t := range rows {
		out.Items = append(out.Items, summary(t, now))
	}
	return out, nil
}

// PublicList returns the tenders ever published (every state after draft), newest
// first, for the public portal.
func (s *Service) PublicList(ctx context.Context, f Filter) (Page[Summary], error) {
	now := s.clock.Now()
	q := replica.Public(s.db.WithContext(ctx)).Model(&Tender{}).Where("tenders.published_at IS NOT NULL")
	return s.page(narrow(q, f, now), f, now)
}

// Public is a tender as the public portal shows it: the notice, answered
// questions, amendments, and as they happen the opening record and the award
// with its score table.
type Public struct {
	View
	Questions []Question         `json:"questions"`
	Opening   *OpeningRecord     `json:"opening_record"`
	Award     *AwardProposalView `json:"award"`
	// commitment and stored (the status as stored, not as readers see it)
	// answer Commitment without another read.
	commitment *BidCommitment
	stored     string
}

// PublicGet returns a published tender for the public portal, else
// apperr.ErrNotFound.
func (s *Service) PublicGet(ctx context.Context, id int64) (Public, error) {
	db := replica.Public(s.db.WithContext(ctx))
	// The tender and its parts in one statement, then its contracts, the
	// opening record once opened, and the award.
	parts, err := readPublic(db, id)
	if err != nil {
		return Public{}, notFound(err)
	}
	t := parts.t
	p := Public{View: s.viewOf(t, parts.draft), Questions: parts.questions, commitment: parts.commitment, stored: t.Status}
	p.Amendments = parts.amendments
	if p.Contracts, err = contract.ForTender(db, t.ID); err != nil {
		return Public{}, err
	}
	if t.OpenedAt != nil {
		rec, err := openingRecord(db, t)
		if err != nil {
			return Public{}, err
		}
		p.Opening = &rec
	}
	if p.Award, err = currentAward(db, t); err != nil {
		return Public{}, err
	}
	return p, nil
}

// MyBidStatuses returns, for each tender by's organization bid on, the status
// of its latest bid (active, withdrawn or replaced), in one query.
func (s *Service) MyBidStatuses(ctx context.Context, by access.Actor) (map[int64]string, error) {
	if !by.Is(access.OrgAdmin, access.OrgMember) {
		return nil, apperr.ErrForbidden
	}
	var rows []struct {
		TenderID int64
		Status   string
	}
	err := s.db.WithContext(ctx).Raw(`SELECT DISTINCT ON (tender_id) tender_id, status FROM bids
		WHERE organization_id = ? ORDER BY tender_id, `+currentFirst, by.Scope.OrganizationID).Scan(&rows).Error
	out := make(map[int64]string, len(rows))
	for _, r := range rows {
		out[r.TenderID] = r.Status
	}
	return out, err
}
