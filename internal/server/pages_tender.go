package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/catalog"
	"github.com/jiedao-market/jiedao/internal/money"
	"github.com/jiedao-market/jiedao/internal/org"
	"github.com/jiedao-market/jiedao/internal/place"
	"github.com/jiedao-market/jiedao/internal/tender"
)

// tenderPages registers the tendering pages: the procurement officer's tenders
// (list, wizard, overview and its forms), an organization's opportunities
// (detail, questions, the sealed bid with its receipt, withdrawal, challenge),
// an evaluator's reviews (declaration, scoring, score table), the public
// tender notices and every user's notifications. Write routes check the CSRF
// token first, then the role; the tender service checks the scope again.
func (s *Server) tenderPages(pages fiber.Router) {
	officer := s.pageFor("/tenders")
	pages.Get("/tenders", officer, s.handleTendersPage)
	pages.Get("/tenders/new", officer, s.handleTenderNewPage)
	pages.Post("/tenders", s.checkCSRF, officer, s.handleTenderCreateSubmit)
	pages.Get("/tenders/:id", officer, s.handleTenderPage)
	pages.Get("/tenders/:id/edit", officer, s.handleTenderEditPage)
	pages.Post("/tenders/:id/edit", s.checkCSRF, officer, s.handleTenderEditSubmit)
	pages.Post("/tenders/:id/publish", s.checkCSRF, officer, s.handleTenderPublishSubmit)
	pages.Post("/tenders/:id/cancel", s.checkCSRF, officer, s.handleTenderCancelSubmit)
	pages.Post("/tenders/:id/amend", s.checkCSRF, officer, s.handleTenderAmendSubmit)
	pages.Post("/tenders/:id/questions/:qid/answer", s.checkCSRF, officer, s.handleTenderAnswerSubmit)
	pages.Post("/tenders/:id/committee", s.checkCSRF, officer, s.handleCommitteeSubmit)
	pages.Post("/tenders/:id/award", s.checkCSRF, officer, s.handleAwardSubmit)
	pages.Post("/tenders/:id/challenges/:cid/answer", s.checkCSRF, officer, s.handleChallengeAnswerSubmit)
	pages.Get("/tenders/:id/bids/:bid/attachments/:n", officer, s.handleBidAttachment)
	pages.Get("/tenders/:id/challenges/:cid/evidence/:doc", officer, s.handleEvidenceDownload)

	bidder := s.pageFor("/opportunities")
	pages.Get("/opportunities", bidder, s.handleOpportunitiesPage)
	pages.Get("/opportunities/:id", bidder, s.handleOpportunityPage)
	pages.Post("/opportunities/:id/questions", s.checkCSRF, bidder, s.handleAskSubmit)
	pages.Post("/opportunities/:id/bid", s.checkCSRF, bidder, s.handleBidSubmitPage)
	pages.Post("/opportunities/:id/bids/:bid/withdraw", s.checkCSRF, bidder, s.handleWithdrawSubmit)
	pages.Post("/opportunities/:id/challenges", s.checkCSRF, bidder, s.handleChallengeSubmit)
	pages.Get("/opportunities/:id/bids/:bid/attachments/:n", bidder, s.handleBidAttachment)

	evaluator := s.pageFor("/reviews")
	pages.Get("/reviews", evaluator, s.handleReviewsPage)
	pages.Get("/reviews/:id", evaluator, s.handleReviewPage)
	pages.Post("/reviews/:id/declaration", s.checkCSRF, evaluator, s.handleDeclareSubmit)
	pages.Post("/reviews/:id/scores", s.checkCSRF, evaluator, s.handleScoresSubmit)
	pages.Get("/reviews/:id/bids/:bid/attachments/:n", evaluator, s.handleBidAttachment)

	pages.Get("/procurement", s.handleProcurementPage)
	pages.Get("/procurement/:id", s.handleNoticePage)
	pages.Get("/notifications", s.pageFor("/notifications"), s.handleNotificationsPage)
}

// The readers of the tender detail page, each with its own path.
const (
	modeOfficer   = "officer"
	modeOrg       = "org"
	modeEvaluator = "evaluator"
	modePublic    = "public"
)

var modeBase = map[string]string{modeOfficer: "/tenders", modeOrg: "/opportunities", modeEvaluator: "/reviews", modePublic: "/procurement"}

// tenderStates are the states a list may be filtered by, in lifecycle order.
var tenderStates = []string{tender.StatusDraft, tender.StatusPublished, tender.StatusClosed, tender.StatusOpened, tender.StatusEvaluated,
	tender.StatusAwardProposed, tender.StatusAwarded, tender.StatusCancelled, tender.StatusFailed}

// tendersPerPage is the number of tenders on one page of a list.
const tendersPerPage = 20

// criterionRows is the number of technical criteria the wizard offers.
const criterionRows = 8

// datetimeLocal is the layout of an <input type="datetime-local">.
const datetimeLocal = "2006-01-02T15:04"

// showSeconds shows an instant in China time to the second, as a receipt does.
func showSeconds(t time.Time) string {
	return t.In(chinaTime).Format("2006-01-02 15:04:05")
}

// localInput is t as a datetime-local value in China time, "" for none.
func localInput(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(chinaTime).Format(datetimeLocal)
}

// parseLocal reads a datetime-local value as China time (Asia/Shanghai keeps
// no daylight saving, so the fixed zone is exact).
func parseLocal(text string) (time.Time, error) {
	text = strings.TrimSpace(text)
	for _, layout := range []string{datetimeLocal, "2006-01-02T15:04:05", "2006-01-02 15:04"} {
		if t, err := time.ParseInLocation(layout, text, chinaTime); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a date and time", text)
}

// fieldIndex drops the indexes of a service field name: "criteria[2].name" is
// "criteria.name".
var fieldIndex = regexp.MustCompile(`\[\d+\]`)

// indexes returns the indexes of a service field name, in order.
func indexes(field string) []int {
	var out []int
	for _, m := range fieldIndex.FindAllString(field, -1) {
		n, _ := strconv.Atoi(strings.Trim(m, "[]"))
		out = append(out, n)
	}
	return out
}

// tenderRefusals are the refusals (403) a tender form shows in the page
// rather than on the error page: they say why, and nothing is secret in them.
var tenderRefusals = map[string]bool{"tender.not_eligible": true, "challenge.not_bidder": true, "committee.recused": true}

// tenderProblem turns a tender service error into the alert of a re-rendered
// form and its status; ok is false for an error that belongs on the error
// page. name gives each bad field the id of its input and its label; the
// messages are "fielderr.tender.<field without indexes>", else the service's.
func (s *Server) tenderProblem(c *fiber.Ctx, err error, name func(field string) (anchor, label string)) (int, formAlert, bool) {
	e, ok := apperr.As(err)
	if !ok {
		return 0, formAlert{}, false
	}
	lang := language(c)
	switch {
	case e.Kind == apperr.Conflict || (e.Kind == apperr.Forbidden && tenderRefusals[e.Code]):
		msg, ok := s.pages.lookup(lang, "conflict."+e.Code)
		if !ok {
			msg = e.Message
		}
		return e.Kind.Status(), formAlert{Message: msg}, true
	case e.Kind != apperr.Invalid:
		return 0, formAlert{}, false
	}
	a := formAlert{Message: s.pages.translate(lang, "form.invalid"), bad: map[string]bool{}}
	if len(e.Fields) == 0 {
		a.Message = s.pages.translate(lang, "error.invalid")
	}
	for _, f := range e.Fields {
		anchor, label := name(f.Field)
		generic := fieldIndex.ReplaceAllString(f.Field, "")
		if strings.HasPrefix(generic, "metric_targets.") {
			generic = "metric_targets"
		}
		msg, ok := s.pages.lookup(lang, "fielderr.tender."+generic)
		if !ok {
			msg = f.Message
		}
		a.Fields = append(a.Fields, fieldProblem{Anchor: anchor, Label: label, Message: msg})
		a.bad[anchor] = true
	}
	return fiber.StatusBadRequest, a, true
}

// ---- what the pages show of a tender ----

// tenderRow is a tender in a list.
type tenderRow struct {
	tender.Summary
	Href        string
	Category    catalog.Category
	Subdistrict place.Subdistrict
	Ceiling     string
	Closes      string
	Opens       string
	Note        string // a message key: what the reader is asked to do, or the state of its bid
}

// tenderTable is one table of tenders on a list page.
type tenderTable struct {
	ID         string
	Mode       string
	Rows       []tenderRow
	Notes      bool // a column says what the tender asks of the reader
	CaptionKey string
	Count      int
}

type tendersView struct {
	Mode       string
	Rows       []tenderRow
	Mine       []tenderRow // an organization's tenders it bid on
	Tables     []tenderTable
	Status     string
	Statuses   []string
	Total      int
	Page       int
	Pages      int
	Links      []pageLink
	Prev, Next string
	CanCreate  bool
}

// tenderRows shows summaries as rows linking to the mode's detail page.
func (s *Server) tenderRows(ctx context.Context, mode string, list []tender.Summary) ([]tenderRow, error) {
	_, byCode, err := s.categories(ctx)
	if err != nil {
		return nil, err
	}
	subs, err := s.subdistrictsByID(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]tenderRow, len(list))
	for i, t := range list {
		out[i] = tenderRow{Summary: t, Href: fmt.Sprintf("%s/%d", modeBase[mode], t.ID), Category: byCode[t.CategoryCode],
			Subdistrict: subs[t.SubdistrictID], Ceiling: yuan(t.CeilingFen), Closes: showTime(&t.ClosesAt), Opens: showTime(&t.OpensAt)}
	}
	return out, nil
}

// listPage fills the paging of a list view.
func (v *tendersView) listPage(base string, total int) {
	v.Total = total
	v.Pages = (total + tendersPerPage - 1) / tendersPerPage
	href := func(n int) string {
		q := url.Values{}
		if v.Status != "" {
			q.Set("status", v.Status)
		}
		if n > 1 {
			q.Set("page", strconv.Itoa(n))
		}
		if len(q) == 0 {
			return base
		}
		return base + "?" + q.Encode()
	}
	v.Links = pageLinks(v.Page, v.Pages, href)
	if v.Page > 1 && v.Pages > 0 {
		v.Prev = href(min(v.Page-1, v.Pages))
	}
	if v.Page < v.Pages {
		v.Next = href(v.Page + 1)
	}
}

// listQuery reads a list's status filter and page; bad values are ignored,
// as on the other public lists.
func listQuery(c *fiber.Ctx, states []string) (status string, page int) {
	if st := c.Query("status"); slices.Contains(states, st) {
		status = strings.Clone(st)
	}
	page, _ = strconv.Atoi(c.Query("page"))
	return status, min(max(page, 1), 100000)
}

// timelineStep is one state of a tender on its timeline.
type timelineStep struct {
	Key  string // timeline.<key>
	When string
	Done bool
	Note string
}

type tenderMetricRow struct {
	Code, NameZh, NameEn, Unit, Direction, Target string
	Weight                                        int
}

type amendmentRow struct {
	tender.Amendment
	When     string
	OldClose string
	NewClose string
}

type questionRow struct {
	tender.Question
	Asked    string
	Answered string
	Anchor   string // the answer form's input (officer)
	Typed    string // the answer as typed, when refused
	Bad      bool
}

// openingView is the opening record as the pages show it.
type openingView struct {
	tender.OpeningRecord
	Opened  string
	Ceiling string
	Rows    []openingRow
}

type openingRow struct {
	tender.OpeningEntry
	Price    string
	Received string
	Reasons  []string
	Abnormal []string
}

// memberCell is one member's scoring of a bid in the score table.
type memberCell struct {
	Name     string
	Total    string
	Criteria []criterionCell
}

type criterionCell struct {
	Name    string
	Points  string
	Comment string
}

type scoreRowView struct {
	tender.ScoreRow
	Price    string
	Winner   bool
	Abnormal []string
	Members  []memberCell
}

type scoreTableView struct {
	Weights  tender.Weights
	Criteria []tender.Criterion
	Members  []string
	Rows     []scoreRowView
}

type awardView struct {
	tender.AwardProposalView
	Proposed      string
	ChallengeEnds string
	Winners       []string
	Open          bool // the challenge period is running
}

type challengeRow struct {
	tender.Challenge
	Filed    string
	Answered string
	Taken    string // what an upheld challenge did: reevaluate or cancel
	// The officer's answer form, as typed when refused.
	FormOutcome, FormAction, FormAnswer string
	Bad                                 map[string]bool
}

type contractRow struct {
	ID           int64
	Organization string
	Amount       string
	Period       string
	Status       string
}

// choice is one checkbox or radio of a form.
type choice struct {
	ID      int64
	Name    string
	Note    string
	Checked bool
}

// amendForm is an amendment as typed.
type amendForm struct {
	Reason, Description, QuestionsCloseAt, ClosesAt, OpensAt string
}

// awardForm is an award proposal as typed.
type awardForm struct {
	BidIDs    map[int64]bool
	Deviation string
}

// bidForm is a bid as typed. It is the organization's own sealed content and
// is shown to nobody else.
type bidForm struct {
	Price, Proposal, Staffing string
	Commitments               map[string]string
}

// commitRow is a metric commitment of the bid form, or of a shown bid.
type commitRow struct {
	Code, Name, Unit, Direction, Target, Value, Anchor string
	Bad                                                bool
}

type attachmentLink struct {
	Name string
	Size string
	Href string
}

// myBidView is the organization's current bid: its receipt, and its content
// for the organization alone.
type myBidView struct {
	tender.MyBid
	Received    string
	Price       string
	Proposal    string
	Staffing    string
	Commitments []commitRow
	Attachments []attachmentLink
	Replaces    int64 // the bid this one replaced, 0 for none
}

type challengeForm struct {
	Reasons  string
	Evidence map[int64]bool
}

type declareForm struct {
	Conflict  string // "no" or "yes"
	Statement string
}

// scoringBid is one compliant bid on the evaluator's scoring form, with its
// opened content.
type scoringBid struct {
	BidID       int64
	Name        string
	Price       string
	Abnormal    []string
	Proposal    string
	Staffing    string
	Commitments []commitRow
	Attachments []attachmentLink
	Cells       []scoreCell
}

type scoreCell struct {
	Code, Name        string
	Max               int
	Points, Comment   string
	PointsID, TextID  string
	BadPoints, BadTxt bool
}

// tenderView is the detail page of one tender, for each reader.
type tenderView struct {
	Mode        string
	Base        string
	T           tender.View
	Category    catalog.Category
	Subdistrict place.Subdistrict
	Ceiling     string
	Fund        string
	// The tender's times in China time.
	QuestionsClose, Closes, Opens string
	Communities                   []place.Community
	Metrics                       []tenderMetricRow
	Timeline                      []timelineStep
	Amendments                    []amendmentRow
	Questions                     []questionRow
	Opening                       *openingView
	Table                         *scoreTableView
	Award                         *awardView
	Challenges                    []challengeRow
	Contracts                     []contractRow
	Committee                     []tender.CommitteeMember
	Invited                       []string

	// The officer's forms.
	CanEdit, CanPublish, CanCancel, CanAmend, CanPropose bool
	CancelReason                                         string
	Amend                                                amendForm
	AwardForm                                            awardForm
	SeveralWinners                                       bool
	Replace                                              []choice // evaluators who may replace recused members

	// The organization's.
	Eligible     bool
	MyBid        *myBidView
	CanAsk       bool
	Ask          string
	CanBid       bool
	Bid          bidForm
	Commitments  []commitRow
	MaxFiles     int
	MaxFileSize  string
	CanChallenge bool
	Challenge    challengeForm
	Documents    []documentRow

	// The evaluator's.
	Member      string // waiting, declare, recused, score, done, closed
	Bidders     []string
	Declare     declareForm
	SubmittedAt string
	Scoring     []scoringBid

	Alert pageAlert
	Done  string
}

// tenderInput is what a re-rendered detail page shows as typed.
type tenderInput struct {
	alert     pageAlert
	ask       string
	bid       *bidForm
	challenge *challengeForm
	answer    map[int64]string // question → answer
	cancel    string
	amend     *amendForm
	award     *awardForm
	chAnswer  map[int64]challengeRow
	declare   *declareForm
	scores    map[string]string // input id → value
}

// tenderDone are the outcomes the detail pages confirm after a redirect.
var tenderDone = []string{"created", "saved", "published", "cancelled", "amended", "answered", "committee", "proposed",
	"challenge_answered", "asked", "submitted", "withdrawn", "challenged", "declared", "scored"}

// timeline lists the states of t with their times.
func timeline(t tender.View, award *awardView, now time.Time) []timelineStep {
	past := func(at *time.Time) bool { return at != nil && !at.After(now) }
	var out []timelineStep
	add := func(key string, at *time.Time, done bool) {
		out = append(out, timelineStep{Key: key, When: showTime(at), Done: done})
	}
	if t.PublishedAt != nil {
		add("published", t.PublishedAt, true)
	} else {
		add("draft", &t.UpdatedAt, true)
	}
	add("questions_close", &t.QuestionsCloseAt, t.Status != tender.StatusDraft && past(&t.QuestionsCloseAt))
	add("closes", &t.ClosesAt, t.Status != tender.StatusDraft && past(&t.ClosesAt))
	if t.OpenedAt != nil {
		add("opened", t.OpenedAt, true)
	} else {
		add("opens", &t.OpensAt, false)
	}
	if t.EvaluatedAt != nil {
		add("evaluated", t.EvaluatedAt, true)
	}
	if award != nil {
		add("award_proposed", &award.ProposedAt, true)
		add("challenge_ends", &award.ChallengeEndsAt, past(&award.ChallengeEndsAt))
	}
	if t.AwardedAt != nil {
		add("awarded", t.AwardedAt, true)
	}
	if t.Status == tender.StatusCancelled || t.Status == tender.StatusFailed {
		out = append(out, timelineStep{Key: t.Status, When: showTime(t.EndedAt), Done: true, Note: t.StatusReason})
	}
	return out
}

// reasonText translates a compliance or abnormal-price reason, else shows it.
func (s *Server) reasonText(lang, prefix, reason string) string {
	if m, ok := s.pages.lookup(lang, prefix+reason); ok {
		return m
	}
	return reason
}

func (s *Server) openingOf(lang string, rec tender.OpeningRecord) *openingView {
	v := &openingView{OpeningRecord: rec, Opened: showTime(&rec.OpenedAt), Ceiling: yuan(rec.CeilingFen)}
	for _, b := range rec.Bids {
		r := openingRow{OpeningEntry: b, Received: showSeconds(b.ReceivedAt)}
		if b.PriceFen != nil {
			r.Price = yuan(*b.PriceFen)
		}
		for _, why := range b.ComplianceReasons {
			r.Reasons = append(r.Reasons, s.reasonText(lang, "compliance.", why))
		}
		for _, why := range b.AbnormalReasons {
			r.Abnormal = append(r.Abnormal, s.reasonText(lang, "abnormal.", why))
		}
		v.Rows = append(v.Rows, r)
	}
	return v
}

func (s *Server) tableOf(lang string, t tender.ScoreTable, winners []int64) *scoreTableView {
	v := &scoreTableView{Weights: t.Weights, Criteria: t.Criteria}
	for _, m := range t.Members {
		v.Members = append(v.Members, m.Name)
	}
	for _, r := range t.Rows {
		row := scoreRowView{ScoreRow: r, Price: yuan(r.PriceFen), Winner: slices.Contains(winners, r.BidID)}
		for _, why := range r.AbnormalReasons {
			row.Abnormal = append(row.Abnormal, s.reasonText(lang, "abnormal.", why))
		}
		for i, name := range v.Members {
			cell := memberCell{Name: name}
			if i < len(r.MemberTotals) {
				cell.Total = r.MemberTotals[i].String()
			}
			if i < len(r.MemberScores) {
				for j, cs := range r.MemberScores[i] {
					cname := cs.Code
					if j < len(t.Criteria) {
						cname = t.Criteria[j].Name
					}
					cell.Criteria = append(cell.Criteria, criterionCell{Name: cname, Points: cs.Points.String(), Comment: cs.Comment})
				}
			}
			row.Members = append(row.Members, cell)
		}
		v.Rows = append(v.Rows, row)
	}
	return v
}

// metricRows shows a tender's metrics.
func (s *Server) metricRows(lang string, ms []tender.Metric) []tenderMetricRow {
	out := make([]tenderMetricRow, len(ms))
	for i, m := range ms {
		out[i] = tenderMetricRow{Code: m.Code, NameZh: m.NameZh, NameEn: m.NameEn, Unit: s.unitName(lang, m.Unit), Direction: m.Direction,
			Target: number(m.Target), Weight: m.Weight}
	}
	return out
}

// commitRows pairs a tender's metrics with values by code.
func (s *Server) commitRows(lang string, ms []tender.Metric, values map[string]string, alert formAlert) []commitRow {
	out := make([]commitRow, len(ms))
	for i, m := range ms {
		anchor := "bid-commit-" + m.Code
		out[i] = commitRow{Code: m.Code, Name: pick(lang, m.NameZh, m.NameEn), Unit: s.unitName(lang, m.Unit), Direction: m.Direction,
			Target: number(m.Target), Value: values[m.Code], Anchor: anchor, Bad: alert.Bad(anchor)}
	}
	return out
}

// bodyCommitments returns a bid body's commitments by metric code, as text.
func bodyCommitments(b *tender.BidBody) map[string]string {
	out := map[string]string{}
	if b != nil {
		for _, c := range b.MetricCommitments {
			out[c.Code] = number(c.Value)
		}
	}
	return out
}

func attachmentLinks(base string, bidID int64, list []tender.Attachment) []attachmentLink {
	out := make([]attachmentLink, len(list))
	for i, a := range list {
		out[i] = attachmentLink{Name: a.Name, Size: fileSize(int64(len(a.Data))), Href: fmt.Sprintf("%s/bids/%d/attachments/%d", base, bidID, i)}
	}
	return out
}

// tenderDetail builds what every reader's detail page shows of t: the notice,
// its timeline, amendments, opening record, award and score table, and the
// contracts. The questions and the rest are each mode's.
func (s *Server) tenderDetail(c *fiber.Ctx, mode string, t tender.View, pub *tender.Public) (tenderView, error) {
	ctx, lang := c.UserContext(), language(c)
	v := tenderView{Mode: mode, Base: fmt.Sprintf("%s/%d", modeBase[mode], t.ID), T: t, Ceiling: yuan(t.CeilingFen),
		Metrics: s.metricRows(lang, t.Metrics), QuestionsClose: showTime(&t.QuestionsCloseAt), Closes: showTime(&t.ClosesAt),
		Opens: showTime(&t.OpensAt)}
	_, byCode, err := s.categories(ctx)
	if err != nil {
		return v, err
	}
	v.Category = byCode[t.CategoryCode]
	if v.Subdistrict, err = s.places.GetSubdistrict(ctx, t.SubdistrictID); err != nil {
		return v, err
	}
	if v.Communities, err = s.places.CommunitiesByID(ctx, t.CommunityIDs); err != nil {
		return v, err
	}
	funds, err := s.fundNames(ctx, []int64{t.FundAccountID})
	if err != nil {
		return v, err
	}
	v.Fund = funds[t.FundAccountID]
	for _, a := range t.Amendments {
		v.Amendments = append(v.Amendments, amendmentRow{Amendment: a, When: showTime(&a.CreatedAt), OldClose: showTime(&a.OldClosesAt),
			NewClose: showTime(&a.NewClosesAt)})
	}
	if pub != nil {
		if pub.Opening != nil {
			v.Opening = s.openingOf(lang, *pub.Opening)
		}
		if p := pub.Award; p != nil {
			aw := &awardView{AwardProposalView: *p, Proposed: showTime(&p.ProposedAt), ChallengeEnds: showTime(&p.ChallengeEndsAt),
				Open: p.Status == "proposed" && s.clock.Now().Before(p.ChallengeEndsAt)}
			for _, w := range p.Winners {
				aw.Winners = append(aw.Winners, w.OrganizationName)
			}
			v.Award = aw
			v.Table = s.tableOf(lang, p.ScoreTable, p.BidIDs)
		}
	}
	v.Timeline = timeline(t, v.Award, s.clock.Now())
	var orgIDs []int64
	for _, k := range t.Contracts {
		orgIDs = append(orgIDs, k.OrganizationID)
	}
	names, err := s.organizationNames(ctx, orgIDs)
	if err != nil {
		return v, err
	}
	for _, k := range t.Contracts {
		v.Contracts = append(v.Contracts, contractRow{ID: k.ID, Organization: names[k.OrganizationID], Amount: yuan(k.AmountFen),
			Period: k.ServiceStart.String() + " – " + k.ServiceEnd.String(), Status: k.Status})
	}
	if done := c.Query("done"); slices.Contains(tenderDone, done) {
		v.Done = done
	}
	return v, nil
}

// publicOf returns the public record of a tender past its draft: its opening
// record and award, the same for every reader.
func (s *Server) publicOf(ctx context.Context, t tender.View) (*tender.Public, error) {
	if t.Status == tender.StatusDraft {
		return nil, nil
	}
	p, err := s.tenders.PublicGet(ctx, t.ID)
	if err != nil {
		return nil, err
	}
	return &p, nil
}

// questionRows shows questions; anchors name the officer's answer forms.
func questionRows(list []tender.Question, in tenderInput) []questionRow {
	out := make([]questionRow, len(list))
	for i, q := range list {
		anchor := fmt.Sprintf("answer-%d", q.ID)
		out[i] = questionRow{Question: q, Asked: showTime(&q.AskedAt), Answered: showTime(q.AnsweredAt), Anchor: anchor,
			Typed: in.answer[q.ID], Bad: in.alert.Bad(anchor)}
	}
	return out
}

// ---- the procurement officer ----

func (s *Server) handleTendersPage(c *fiber.Ctx) error {
	ctx, a := c.UserContext(), actor(c)
	v := tendersView{Mode: modeOfficer, Statuses: tenderStates, CanCreate: true}
	v.Status, v.Page = listQuery(c, tenderStates)
	page, err := s.tenders.List(ctx, a, tender.Filter{Status: v.Status, Page: v.Page, PerPage: tendersPerPage})
	if err != nil {
		return err
	}
	if v.Rows, err = s.tenderRows(ctx, modeOfficer, page.Items); err != nil {
		return err
	}
	v.listPage("/tenders", page.Total)
	v.Tables = []tenderTable{{ID: "tender-list", Mode: v.Mode, Rows: v.Rows, CaptionKey: "tenders.caption_total", Count: v.Total}}
	return s.render(c, fiber.StatusOK, "tenders", v)
}

// itemChoice is a published transfer item the wizard may start from.
type itemChoice struct {
	catalog.View
	Category  catalog.Category
	Price     string
	Published int // the version a tender is made from
}

type tenderNewView struct {
	Items []itemChoice
}

// handleTenderNewPage is the wizard: its first step chooses the published
// transfer item, its second (?item=) fills in the tender.
func (s *Server) handleTenderNewPage(c *fiber.Ctx) error {
	ctx, a := c.UserContext(), actor(c)
	if q := c.Query("item"); q != "" {
		id, err := strconv.ParseInt(q, 10, 64)
		if err != nil || id <= 0 {
			return apperr.ErrNotFound
		}
		item, err := s.publishedItem(ctx, a, id)
		if err != nil {
			return err
		}
		return s.renderTenderForm(c, fiber.StatusOK, 0, item, s.newTenderForm(c, item), formAlert{})
	}
	list, err := s.catalog.ListItems(ctx, a)
	if err != nil {
		return err
	}
	_, byCode, err := s.categories(ctx)
	if err != nil {
		return err
	}
	var v tenderNewView
	for _, it := range list {
		if it.Status == "published" && it.PublishedVersion != nil {
			v.Items = append(v.Items, itemChoice{View: it, Category: byCode[it.CategoryCode], Price: yuan(it.UnitPriceFen), Published: *it.PublishedVersion})
		}
	}
	return s.render(c, fiber.StatusOK, "tender_new", v)
}

// publishedItem returns the published version of one of the officer's items.
func (s *Server) publishedItem(ctx context.Context, a access.Actor, id int64) (catalog.View, error) {
	latest, err := s.catalog.GetItem(ctx, a, id, 0)
	if err != nil {
		return catalog.View{}, err
	}
	if latest.PublishedVersion == nil || latest.Status != "published" {
		return catalog.View{}, apperr.ErrNotFound
	}
	return s.catalog.GetItem(ctx, a, id, *latest.PublishedVersion)
}

// criterionForm is one technical criterion as typed.
type criterionForm struct {
	Code, Name, MaxPoints string
}

// tenderForm is the wizard's content as typed, so that a refused form comes
// back as the officer left it.
type tenderForm struct {
	ItemID                                             string
	Title, Description, Method, Justification          string
	FundID, Ceiling, ServiceStart, ServiceEnd          string
	Communities                                        map[int64]bool
	WeightPrice, WeightTechnical, WeightPerformance    string
	Criteria                                           []criterionForm
	Targets                                            map[string]string
	MinGrade, MinSocialWorkers, MinBids, MaxWinners    string
	ChallengeDays, QuestionsCloseAt, ClosesAt, OpensAt string
	Committee                                          map[int64]bool
	Invited                                            map[int64]bool
	rows                                               []int // the form row of each criterion sent to the service
}

// newTenderForm starts a tender from item: its title, description, method,
// communities, eligibility and metric targets, and defaults for the rest.
func (s *Server) newTenderForm(c *fiber.Ctx, item catalog.View) tenderForm {
	lang := language(c)
	now := s.clock.Now().In(chinaTime)
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, chinaTime)
	closes := day.AddDate(0, 0, 21).Add(9 * time.Hour)
	start := org.ChinaDate(closes).AddDays(30)
	challenge := s.cfg.Tender.ChallengeDays
	if challenge <= 0 {
		challenge = 5
	}
	f := tenderForm{ItemID: strconv.FormatInt(item.ID, 10), Title: item.Title, Description: item.Description, Method: item.PurchaseMethod,
		ServiceStart: start.String(), ServiceEnd: start.AddDays(364).String(), Communities: map[int64]bool{},
		WeightPrice: "30", WeightTechnical: "60", WeightPerformance: "10", Targets: map[string]string{},
		MinGrade: strconv.Itoa(item.MinGrade), MinSocialWorkers: strconv.Itoa(item.MinSocialWorkers),
		MinBids: strconv.Itoa(tender.MethodSettings[item.PurchaseMethod].DefaultMinBids), MaxWinners: "1", ChallengeDays: strconv.Itoa(challenge),
		QuestionsCloseAt: localInput(day.AddDate(0, 0, 14).Add(17 * time.Hour)), ClosesAt: localInput(closes),
		OpensAt: localInput(closes.Add(time.Hour)), Committee: map[int64]bool{}, Invited: map[int64]bool{}}
	for _, id := range item.CommunityIDs {
		f.Communities[id] = true
	}
	for _, m := range item.Metrics {
		f.Targets[m.Code] = number(m.Target)
	}
	f.Criteria = make([]criterionForm, criterionRows)
	for i, d := range []struct {
		key    string
		points int
	}{{"plan", 30}, {"team", 20}, {"quality", 10}} {
		f.Criteria[i] = criterionForm{Code: d.key, Name: s.pages.translate(lang, "tf.default_criterion."+d.key), MaxPoints: strconv.Itoa(d.points)}
	}
	return f
}

// formOfTender shows a draft tender in the wizard.
func formOfTender(t tender.View) tenderForm {
	f := tenderForm{ItemID: strconv.FormatInt(t.TransferItemID, 10), Title: t.Title, Description: t.Description, Method: t.PurchaseMethod,
		Justification: t.Justification, FundID: strconv.FormatInt(t.FundAccountID, 10), Ceiling: t.CeilingFen.Yuan(),
		ServiceStart: t.ServiceStart.String(), ServiceEnd: t.ServiceEnd.String(), Communities: map[int64]bool{},
		WeightPrice: strconv.Itoa(t.Weights.Price), WeightTechnical: strconv.Itoa(t.Weights.Technical),
		WeightPerformance: strconv.Itoa(t.Weights.Performance), Targets: map[string]string{}, MinGrade: strconv.Itoa(t.MinGrade),
		MinSocialWorkers: strconv.Itoa(t.MinSocialWorkers), MinBids: strconv.Itoa(t.MinBids), MaxWinners: strconv.Itoa(t.MaxWinners),
		ChallengeDays: strconv.Itoa(t.ChallengeDays), QuestionsCloseAt: localInput(t.QuestionsCloseAt), ClosesAt: localInput(t.ClosesAt),
		OpensAt: localInput(t.OpensAt), Committee: map[int64]bool{}, Invited: map[int64]bool{}}
	if t.FundAccountID == 0 {
		f.FundID = ""
	}
	for _, id := range t.CommunityIDs {
		f.Communities[id] = true
	}
	for _, m := range t.Metrics {
		f.Targets[m.Code] = number(m.Target)
	}
	f.Criteria = make([]criterionForm, max(criterionRows, len(t.Criteria)))
	for i, cr := range t.Criteria {
		f.Criteria[i] = criterionForm{Code: cr.Code, Name: cr.Name, MaxPoints: strconv.Itoa(cr.MaxPoints)}
	}
	for _, m := range t.Committee {
		if !m.Recused {
			f.Committee[m.UserID] = true
		}
	}
	for _, id := range t.InvitedOrganizationIDs {
		f.Invited[id] = true
	}
	return f
}

// readTenderForm reads the posted wizard; metrics are the codes whose targets it holds.
func readTenderForm(c *fiber.Ctx, metrics []string) tenderForm {
	form := func(k string) string { return strings.TrimSpace(strings.Clone(c.FormValue(k))) }
	f := tenderForm{ItemID: form("item_id"), Title: form("title"), Description: form("description"), Method: form("purchase_method"),
		Justification: form("justification"), FundID: form("fund_account_id"), Ceiling: form("ceiling"),
		ServiceStart: form("service_start"), ServiceEnd: form("service_end"), Communities: map[int64]bool{},
		WeightPrice: form("weight_price"), WeightTechnical: form("weight_technical"), WeightPerformance: form("weight_performance"),
		Targets: map[string]string{}, MinGrade: form("min_grade"), MinSocialWorkers: form("min_social_workers"), MinBids: form("min_bids"),
		MaxWinners: form("max_winners"), ChallengeDays: form("challenge_days"), QuestionsCloseAt: form("questions_close_at"),
		ClosesAt: form("closes_at"), OpensAt: form("opens_at"), Committee: map[int64]bool{}, Invited: map[int64]bool{}}
	ids := func(key string, into map[int64]bool) {
		for _, raw := range formValues(c, key) {
			if id, err := strconv.ParseInt(raw, 10, 64); err == nil {
				into[id] = true
			}
		}
	}
	ids("community_ids", f.Communities)
	ids("committee_user_ids", f.Committee)
	ids("invited_organization_ids", f.Invited)
	for i := 0; i < 50; i++ {
		p := fmt.Sprintf("criteria.%d.", i)
		if i >= criterionRows && c.FormValue(p+"name") == "" && c.FormValue(p+"code") == "" && c.FormValue(p+"max_points") == "" {
			break
		}
		f.Criteria = append(f.Criteria, criterionForm{Code: form(p + "code"), Name: form(p + "name"), MaxPoints: form(p + "max_points")})
	}
	for _, code := range metrics {
		f.Targets[code] = form("target_" + code)
	}
	return f
}

func sortedIDs(m map[int64]bool) []int64 {
	out := []int64{}
	for id, ok := range m {
		if ok {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

// input turns the wizard into the service's input. Fields that do not parse
// are returned as an Invalid error named as the service names them.
func (f *tenderForm) input() (tender.Input, error) {
	var bad apperr.Fields
	in := tender.Input{Title: &f.Title, Description: &f.Description, PurchaseMethod: &f.Method, Justification: &f.Justification}
	whole := func(field, text string) *int {
		n, err := strconv.Atoi(strings.TrimSpace(text))
		bad.Check(err == nil, field, "must be a whole number")
		return &n
	}
	fundID, _ := strconv.ParseInt(f.FundID, 10, 64)
	in.FundAccountID = &fundID
	ceiling, err := money.ParseYuan(f.Ceiling)
	bad.Check(err == nil, "ceiling_fen", "must be an amount of yuan with at most two decimals")
	in.CeilingFen = &ceiling
	date := func(field, text string) *org.Date {
		var d org.Date
		if text != "" {
			var err error
			d, err = org.ParseDate(text)
			bad.Check(err == nil, field, "must be a date (YYYY-MM-DD)")
		}
		return &d
	}
	in.ServiceStart, in.ServiceEnd = date("service_start", f.ServiceStart), date("service_end", f.ServiceEnd)
	communities := sortedIDs(f.Communities)
	in.CommunityIDs = &communities
	var w tender.Weights
	for _, p := range []struct {
		text string
		into *int
	}{{f.WeightPrice, &w.Price}, {f.WeightTechnical, &w.Technical}, {f.WeightPerformance, &w.Performance}} {
		n, err := strconv.Atoi(p.text)
		bad.Check(err == nil, "weights", "must be whole numbers")
		*p.into = n
	}
	in.Weights = &w
	criteria := []tender.Criterion{}
	f.rows = nil
	used := map[string]bool{}
	for _, cr := range f.Criteria {
		used[cr.Code] = cr.Code != ""
	}
	for row, cr := range f.Criteria {
		if cr.Name == "" && cr.MaxPoints == "" {
			continue
		}
		i := len(criteria)
		code := cr.Code
		for n := row + 1; code == ""; n++ {
			if c := fmt.Sprintf("c%d", n); !used[c] {
				code, used[c] = c, true
			}
		}
		points, err := strconv.Atoi(cr.MaxPoints)
		bad.Check(err == nil, fmt.Sprintf("criteria[%d].max_points", i), "must be a whole number")
		criteria = append(criteria, tender.Criterion{Code: code, Name: cr.Name, MaxPoints: points})
		f.rows = append(f.rows, row)
	}
	in.Criteria = &criteria
	targets := map[string]float64{}
	for code, text := range f.Targets {
		if text == "" {
			continue // the transfer item's target stands
		}
		v, ok := parseTarget(text)
		bad.Check(ok, "metric_targets."+code, "must be a number")
		targets[code] = v
	}
	in.MetricTargets = &targets
	in.MinGrade, in.MinSocialWorkers = whole("min_grade", f.MinGrade), whole("min_social_workers", f.MinSocialWorkers)
	in.MinBids, in.MaxWinners = whole("min_bids", f.MinBids), whole("max_winners", f.MaxWinners)
	in.ChallengeDays = whole("challenge_days", f.ChallengeDays)
	at := func(field, text string) *time.Time {
		var t time.Time
		if text != "" {
			var err error
			t, err = parseLocal(text)
			bad.Check(err == nil, field, "must be a date and time")
		}
		return &t
	}
	in.QuestionsCloseAt, in.ClosesAt, in.OpensAt = at("questions_close_at", f.QuestionsCloseAt), at("closes_at", f.ClosesAt), at("opens_at", f.OpensAt)
	committee := sortedIDs(f.Committee)
	in.CommitteeUserIDs = &committee
	invited := []int64{}
	if tender.MethodSettings[f.Method].Invited {
		invited = sortedIDs(f.Invited)
	}
	in.InvitedOrgIDs = &invited
	return in, bad.Err()
}

// tenderFormOrder are the wizard's inputs in form order, for the alert.
var tenderFormOrder = []string{"tf-title", "tf-description", "tf-purchase_method", "tf-justification", "tf-invited", "tf-fund_account_id",
	"tf-ceiling_fen", "tf-service_start", "tf-service_end", "tf-community_ids", "tf-weights", "tf-criteria", "tf-metric_targets",
	"tf-min_grade", "tf-min_social_workers", "tf-min_bids", "tf-max_winners", "tf-challenge_days", "tf-questions_close_at",
	"tf-closes_at", "tf-opens_at", "tf-committee"}

// tenderFormName names the wizard's fields for an alert.
func (s *Server) tenderFormName(c *fiber.Ctx, f tenderForm, item catalog.View) func(string) (string, string) {
	lang := language(c)
	return func(field string) (string, string) {
		switch {
		case strings.HasPrefix(field, "criteria["):
			idx := indexes(field)
			row := idx[0]
			if row < len(f.rows) {
				row = f.rows[row]
			}
			_, part, _ := strings.Cut(field, "].")
			return fmt.Sprintf("tf-criteria-%d-%s", row, part),
				fmt.Sprintf(s.pages.translate(lang, "tf.criterion_n"), row+1) + " · " + s.pages.translate(lang, "tf.criterion."+part)
		case strings.HasPrefix(field, "metric_targets."):
			code := strings.TrimPrefix(field, "metric_targets.")
			label := code
			for _, m := range item.Metrics {
				if m.Code == code {
					label = pick(lang, m.NameZh, m.NameEn)
				}
			}
			return "tf-target-" + code, label + " · " + s.pages.translate(lang, "metric.target")
		case field == "committee_user_ids":
			return "tf-committee", s.pages.translate(lang, "tf.committee")
		case field == "invited_organization_ids":
			return "tf-invited", s.pages.translate(lang, "tf.invited")
		}
		return "tf-" + field, s.pages.translate(lang, "tf."+field)
	}
}

type fundOption struct {
	ID        int64
	Name      string
	Available string
	Checked   bool
}

type tenderMetricInput struct {
	Code, Name, Unit, Direction, Base, Target string
	Bad                                       bool
}

type criterionRow struct {
	Number                   int // from 1
	Index                    int
	Code, Name, MaxPoints    string
	BadName, BadPoints       bool
	NameID, PointsID, CodeID string
}

type tenderFormView struct {
	ID          int64 // 0 for a new tender
	Item        catalog.View
	Category    catalog.Category
	Form        tenderForm
	Funds       []fundOption
	Communities []communityOption
	Criteria    []criterionRow
	Metrics     []tenderMetricInput
	Methods     []string
	Grades      []int
	Evaluators  []choice
	Orgs        []choice
	Alert       formAlert
}

// renderTenderForm shows the wizard's second step (id 0) or the edit of a draft.
func (s *Server) renderTenderForm(c *fiber.Ctx, status int, id int64, item catalog.View, f tenderForm, alert formAlert) error {
	ctx, lang, a := c.UserContext(), language(c), actor(c)
	v := tenderFormView{ID: id, Item: item, Form: f, Methods: purchaseMethods, Grades: grades, Alert: alert}
	_, byCode, err := s.categories(ctx)
	if err != nil {
		return err
	}
	v.Category = byCode[item.CategoryCode]
	funds, err := s.funds.List(ctx, a)
	if err != nil {
		return err
	}
	for _, fv := range funds {
		if slices.Contains(fv.Categories, item.CategoryCode) {
			v.Funds = append(v.Funds, fundOption{ID: fv.ID, Name: fmt.Sprintf("%s (%d)", fv.Name, fv.FiscalYear),
				Available: yuan(fv.Balances["available"]), Checked: strconv.FormatInt(fv.ID, 10) == f.FundID})
		}
	}
	if len(v.Funds) == 1 && f.FundID == "" {
		v.Funds[0].Checked = true
	}
	comms, err := s.places.CommunitiesByID(ctx, item.CommunityIDs)
	if err != nil {
		return err
	}
	for _, cm := range comms {
		v.Communities = append(v.Communities, communityOption{Community: cm, Checked: f.Communities[cm.ID]})
	}
	for i, cr := range f.Criteria {
		r := criterionRow{Index: i, Number: i + 1, Code: cr.Code, Name: cr.Name, MaxPoints: cr.MaxPoints, CodeID: fmt.Sprintf("tf-criteria-%d-code", i),
			NameID: fmt.Sprintf("tf-criteria-%d-name", i), PointsID: fmt.Sprintf("tf-criteria-%d-max_points", i)}
		r.BadName, r.BadPoints = alert.Bad(r.NameID) || alert.Bad(r.CodeID), alert.Bad(r.PointsID)
		v.Criteria = append(v.Criteria, r)
	}
	for _, m := range item.Metrics {
		v.Metrics = append(v.Metrics, tenderMetricInput{Code: m.Code, Name: pick(lang, m.NameZh, m.NameEn), Unit: s.unitName(lang, m.Unit),
			Direction: m.Direction, Base: number(m.Target), Target: f.Targets[m.Code], Bad: alert.Bad("tf-target-" + m.Code)})
	}
	evaluators, err := s.tenders.Evaluators(ctx, a)
	if err != nil {
		return err
	}
	for _, e := range evaluators {
		v.Evaluators = append(v.Evaluators, choice{ID: e.UserID, Name: e.Name, Note: e.Username, Checked: f.Committee[e.UserID]})
	}
	capable, err := s.orgs.PublicCapable(ctx, org.CapableFilter{DistrictID: a.Scope.DistrictID, Category: item.CategoryCode, PerPage: 100})
	if err != nil {
		return err
	}
	for _, o := range capable.Items {
		v.Orgs = append(v.Orgs, choice{ID: o.ID, Name: o.LegalName, Checked: f.Invited[o.ID]})
	}
	return s.render(c, status, "tender_form", v)
}

func (s *Server) handleTenderCreateSubmit(c *fiber.Ctx) error {
	ctx, a := c.UserContext(), actor(c)
	itemID, err := strconv.ParseInt(c.FormValue("item_id"), 10, 64)
	if err != nil {
		return apperr.ErrNotFound
	}
	item, err := s.publishedItem(ctx, a, itemID)
	if err != nil {
		return err
	}
	var codes []string
	for _, m := range item.Metrics {
		codes = append(codes, m.Code)
	}
	f := readTenderForm(c, codes)
	in, err := f.input()
	in.TransferItemID = &itemID
	var v tender.View
	if err == nil {
		v, err = s.tenders.Create(ctx, a, in)
	}
	if err != nil {
		status, alert, ok := s.tenderProblem(c, err, s.tenderFormName(c, f, item))
		if !ok {
			return err
		}
		return s.renderTenderForm(c, status, 0, item, f, inFormOrder(alert, tenderFormOrder...))
	}
	return c.Redirect(fmt.Sprintf("/tenders/%d?done=created", v.ID), fiber.StatusSeeOther)
}

// draftOf returns a tender of the officer with the transfer item version it was made from.
func (s *Server) draftOf(c *fiber.Ctx) (tender.View, catalog.View, error) {
	ctx, a := c.UserContext(), actor(c)
	id, err := paramID(c, "id")
	if err != nil {
		return tender.View{}, catalog.View{}, err
	}
	t, err := s.tenders.Get(ctx, a, id)
	if err != nil {
		return t, catalog.View{}, err
	}
	item, err := s.catalog.GetItem(ctx, a, t.TransferItemID, t.TransferItemVersion)
	return t, item, err
}

func (s *Server) handleTenderEditPage(c *fiber.Ctx) error {
	t, item, err := s.draftOf(c)
	if err != nil {
		return err
	}
	if t.Status != tender.StatusDraft {
		_, alert, _ := s.tenderProblem(c, tender.ErrNotDraft, nil)
		return s.renderTender(c, fiber.StatusConflict, t.ID, tenderInput{alert: pageAlert{formAlert: alert}})
	}
	return s.renderTenderForm(c, fiber.StatusOK, t.ID, item, formOfTender(t), formAlert{})
}

func (s *Server) handleTenderEditSubmit(c *fiber.Ctx) error {
	t, item, err := s.draftOf(c)
	if err != nil {
		return err
	}
	var codes []string
	for _, m := range item.Metrics {
		codes = append(codes, m.Code)
	}
	f := readTenderForm(c, codes)
	in, err := f.input()
	if err == nil {
		_, err = s.tenders.Update(c.UserContext(), actor(c), t.ID, in)
	}
	if err != nil {
		status, alert, ok := s.tenderProblem(c, err, s.tenderFormName(c, f, item))
		if !ok {
			return err
		}
		if errors.Is(err, tender.ErrNotDraft) {
			return s.renderTender(c, status, t.ID, tenderInput{alert: pageAlert{formAlert: alert}})
		}
		return s.renderTenderForm(c, status, t.ID, item, f, inFormOrder(alert, tenderFormOrder...))
	}
	return c.Redirect(fmt.Sprintf("/tenders/%d?done=saved", t.ID), fiber.StatusSeeOther)
}

// renderTender shows the officer's overview of a tender, with the forms its
// state allows.
func (s *Server) renderTender(c *fiber.Ctx, status int, id int64, in tenderInput) error {
	ctx, a, lang := c.UserContext(), actor(c), language(c)
	t, v, err := s.detailPage(c, modeOfficer, status, id, in)
	if err != nil {
		return err
	}
	v.Committee = t.Committee
	names, err := s.organizationNames(ctx, t.InvitedOrganizationIDs)
	if err != nil {
		return err
	}
	for _, oid := range t.InvitedOrganizationIDs {
		v.Invited = append(v.Invited, names[oid])
	}
	st := t.Status
	v.CanEdit = st == tender.StatusDraft
	v.CanPublish = st == tender.StatusDraft
	v.CanCancel = !slices.Contains([]string{tender.StatusAwarded, tender.StatusCancelled, tender.StatusFailed}, st)
	v.CanAmend = st == tender.StatusPublished
	v.CancelReason = in.cancel
	if in.amend != nil {
		v.Amend = *in.amend
	} else {
		v.Amend = amendForm{Description: t.Description, QuestionsCloseAt: localInput(t.QuestionsCloseAt), ClosesAt: localInput(t.ClosesAt),
			OpensAt: localInput(t.OpensAt)}
	}
	if v.Table == nil && st == tender.StatusEvaluated {
		table, err := s.tenders.ScoreTable(ctx, a, id)
		if err != nil {
			return err
		}
		v.Table = s.tableOf(lang, table, nil)
		v.CanPropose = len(table.Rows) > 0
		v.SeveralWinners = tender.MethodSettings[t.PurchaseMethod].SeveralWinners
		if in.award != nil {
			v.AwardForm = *in.award
		} else {
			v.AwardForm = awardForm{BidIDs: map[int64]bool{table.Rows[0].BidID: true}}
			if v.SeveralWinners {
				var sum money.Fen
				v.AwardForm.BidIDs = map[int64]bool{}
				for _, r := range table.Rows {
					if len(v.AwardForm.BidIDs) < t.MaxWinners && sum+r.PriceFen <= t.CeilingFen {
						v.AwardForm.BidIDs[r.BidID] = true
						sum += r.PriceFen
					}
				}
			}
		}
	}
	// Members who declared a conflict are replaced by other evaluators of the district.
	recused := false
	for _, m := range t.Committee {
		recused = recused || m.Recused
	}
	if recused && st == tender.StatusOpened {
		evaluators, err := s.tenders.Evaluators(ctx, a)
		if err != nil {
			return err
		}
		for _, e := range evaluators {
			if !slices.ContainsFunc(t.Committee, func(m tender.CommitteeMember) bool { return m.UserID == e.UserID }) {
				v.Replace = append(v.Replace, choice{ID: e.UserID, Name: e.Name, Note: e.Username})
			}
		}
	}
	if st != tender.StatusDraft {
		list, err := s.tenders.Challenges(ctx, a, id)
		if err != nil {
			return err
		}
		v.Challenges = s.challengeRows(list, in)
	}
	return s.render(c, status, "tender", v)
}

// challengeRows shows challenges with the officer's answer forms.
func (s *Server) challengeRows(list []tender.Challenge, in tenderInput) []challengeRow {
	out := make([]challengeRow, len(list))
	for i, ch := range list {
		r := challengeRow{Challenge: ch, Filed: showTime(&ch.FiledAt), Answered: showTime(ch.AnsweredAt), FormOutcome: "dismissed", Bad: map[string]bool{}}
		if ch.OutcomeAction != nil {
			r.Taken = *ch.OutcomeAction
		}
		if typed, ok := in.chAnswer[ch.ID]; ok {
			r.FormOutcome, r.FormAction, r.FormAnswer = typed.FormOutcome, typed.FormAction, typed.FormAnswer
		}
		for _, f := range []string{"outcome", "action", "answer"} {
			anchor := fmt.Sprintf("ch-%d-%s", ch.ID, f)
			r.Bad[f] = in.alert.Bad(anchor)
		}
		out[i] = r
	}
	return out
}

func (s *Server) handleTenderPage(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	return s.renderTender(c, fiber.StatusOK, id, tenderInput{})
}

// detailPage reads a tender for the signed-in reader and lays out what every
// reader's detail page shows: the notice, the public record, the questions,
// and the alert of a refused form (status other than 200).
func (s *Server) detailPage(c *fiber.Ctx, mode string, status int, id int64, in tenderInput) (tender.View, tenderView, error) {
	ctx, a := c.UserContext(), actor(c)
	t, err := s.tenders.Get(ctx, a, id)
	if err != nil {
		return t, tenderView{}, err
	}
	pub, err := s.publicOf(ctx, t)
	if err != nil {
		return t, tenderView{}, err
	}
	v, err := s.tenderDetail(c, mode, t, pub)
	if err != nil {
		return t, v, err
	}
	v.Alert = in.alert
	if status != fiber.StatusOK {
		v.Done = ""
	}
	qs, err := s.tenders.Questions(ctx, a, id)
	if err != nil {
		return t, v, err
	}
	v.Questions = questionRows(qs, in)
	return t, v, nil
}

// tenderSection places an alert in a section of a tender page.
func (s *Server) tenderSection(c *fiber.Ctx, section string, alert formAlert) pageAlert {
	return pageAlert{Context: s.pages.translate(language(c), "tender."+section+"_heading"), Href: "#" + section, formAlert: alert}
}

// officerAction runs one of the officer's actions on the tender, redirecting
// to the overview (done) or showing it again with what went wrong in section.
func (s *Server) officerAction(c *fiber.Ctx, section, done string, in tenderInput, name func(string) (string, string),
	act func(ctx context.Context, a access.Actor, id int64) error) error {
	return s.tenderAction(c, "/tenders", (*Server).renderTender, section, done, in, name, act)
}

// tenderAction runs a reader's action on the tender named by the path: on
// success it redirects to the reader's page at base with done; a refusal it
// can place in a form re-renders the page (render) with the alert in section.
func (s *Server) tenderAction(c *fiber.Ctx, base string, render func(*Server, *fiber.Ctx, int, int64, tenderInput) error,
	section, done string, in tenderInput, name func(string) (string, string), act func(ctx context.Context, a access.Actor, id int64) error) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	if err := act(c.UserContext(), actor(c), id); err != nil {
		status, alert, ok := s.tenderProblem(c, err, name)
		if !ok {
			return err
		}
		in.alert = s.tenderSection(c, section, alert)
		return render(s, c, status, id, in)
	}
	return c.Redirect(fmt.Sprintf("%s/%d?done=%s#%s", base, id, done, section), fiber.StatusSeeOther)
}

// prefixed names a form's fields by a prefix and the message catalog's labels.
func (s *Server) prefixed(c *fiber.Ctx, prefix string) func(string) (string, string) {
	lang := language(c)
	return func(field string) (string, string) {
		generic := fieldIndex.ReplaceAllString(field, "")
		return prefix + generic, s.pages.translate(lang, "tf."+generic)
	}
}

func (s *Server) handleTenderPublishSubmit(c *fiber.Ctx) error {
	return s.officerAction(c, "state", "published", tenderInput{}, s.prefixed(c, "tf-"), func(ctx context.Context, a access.Actor, id int64) error {
		_, err := s.tenders.Publish(ctx, a, id)
		return err
	})
}

func (s *Server) handleTenderCancelSubmit(c *fiber.Ctx) error {
	reason := strings.Clone(c.FormValue("reason"))
	return s.officerAction(c, "state", "cancelled", tenderInput{cancel: reason}, s.prefixed(c, "cancel-"),
		func(ctx context.Context, a access.Actor, id int64) error {
			_, err := s.tenders.Cancel(ctx, a, id, reason)
			return err
		})
}

func (s *Server) handleTenderAmendSubmit(c *fiber.Ctx) error {
	form := func(k string) string { return strings.TrimSpace(strings.Clone(c.FormValue(k))) }
	f := amendForm{Reason: form("reason"), Description: form("description"), QuestionsCloseAt: form("questions_close_at"),
		ClosesAt: form("closes_at"), OpensAt: form("opens_at")}
	named := s.prefixed(c, "amend-")
	name := func(field string) (string, string) {
		if field == "changes" {
			// Nothing changed: the description is the first thing to change.
			_, label := named(field)
			return "amend-description", label
		}
		return named(field)
	}
	return s.officerAction(c, "amend", "amended", tenderInput{amend: &f}, name,
		func(ctx context.Context, a access.Actor, id int64) error {
			cur, err := s.tenders.Get(ctx, a, id)
			if err != nil {
				return err
			}
			// Only what changed goes into the amendment.
			in := tender.AmendInput{Reason: f.Reason}
			var bad apperr.Fields
			if f.Description != strings.TrimSpace(cur.Description) {
				in.Description = &f.Description
			}
			for _, p := range []struct {
				field, text string
				cur         time.Time
				into        **time.Time
			}{{"questions_close_at", f.QuestionsCloseAt, cur.QuestionsCloseAt, &in.QuestionsCloseAt},
				{"closes_at", f.ClosesAt, cur.ClosesAt, &in.ClosesAt}, {"opens_at", f.OpensAt, cur.OpensAt, &in.OpensAt}} {
				if p.text == "" || p.text == localInput(p.cur) {
					continue
				}
				t, err := parseLocal(p.text)
				if err != nil {
					bad.Add(p.field, "must be a date and time")
					continue
				}
				*p.into = &t
			}
			if err := bad.Err(); err != nil {
				return err
			}
			_, err = s.tenders.Amend(ctx, a, id, in)
			return err
		})
}

func (s *Server) handleTenderAnswerSubmit(c *fiber.Ctx) error {
	qid, err := paramID(c, "qid")
	if err != nil {
		return err
	}
	answer := strings.Clone(c.FormValue("answer"))
	anchor := fmt.Sprintf("answer-%d", qid)
	lang := language(c)
	return s.officerAction(c, "qa", "answered", tenderInput{answer: map[int64]string{qid: answer}},
		func(string) (string, string) { return anchor, s.pages.translate(lang, "qa.answer") },
		func(ctx context.Context, a access.Actor, id int64) error {
			_, err := s.tenders.Answer(ctx, a, id, qid, answer)
			return err
		})
}

func (s *Server) handleCommitteeSubmit(c *fiber.Ctx) error {
	lang := language(c)
	return s.officerAction(c, "committee", "committee", tenderInput{},
		func(string) (string, string) { return "committee-members", s.pages.translate(lang, "tf.committee") },
		func(ctx context.Context, a access.Actor, id int64) error {
			cur, err := s.tenders.Get(ctx, a, id)
			if err != nil {
				return err
			}
			ids := []int64{}
			for _, m := range cur.Committee {
				if !m.Recused {
					ids = append(ids, m.UserID)
				}
			}
			for _, raw := range formValues(c, "committee_user_ids") {
				if uid, err := strconv.ParseInt(raw, 10, 64); err == nil && !slices.Contains(ids, uid) {
					ids = append(ids, uid)
				}
			}
			_, err = s.tenders.Update(ctx, a, id, tender.Input{CommitteeUserIDs: &ids})
			return err
		})
}

func (s *Server) handleAwardSubmit(c *fiber.Ctx) error {
	lang := language(c)
	f := awardForm{BidIDs: map[int64]bool{}, Deviation: strings.Clone(c.FormValue("deviation_reason"))}
	for _, raw := range formValues(c, "bid_ids") {
		if id, err := strconv.ParseInt(raw, 10, 64); err == nil {
			f.BidIDs[id] = true
		}
	}
	name := func(field string) (string, string) {
		if strings.HasPrefix(field, "bid_ids") {
			return "award-bids", s.pages.translate(lang, "award.bids")
		}
		return "award-deviation_reason", s.pages.translate(lang, "award.deviation_reason")
	}
	return s.officerAction(c, "award", "proposed", tenderInput{award: &f}, name, func(ctx context.Context, a access.Actor, id int64) error {
		_, err := s.tenders.ProposeAward(ctx, a, id, tender.AwardInput{BidIDs: sortedIDs(f.BidIDs), DeviationReason: f.Deviation})
		return err
	})
}

func (s *Server) handleChallengeAnswerSubmit(c *fiber.Ctx) error {
	cid, err := paramID(c, "cid")
	if err != nil {
		return err
	}
	lang := language(c)
	typed := challengeRow{FormOutcome: strings.Clone(c.FormValue("outcome")), FormAction: strings.Clone(c.FormValue("action")),
		FormAnswer: strings.Clone(c.FormValue("answer"))}
	name := func(field string) (string, string) {
		return fmt.Sprintf("ch-%d-%s", cid, field), s.pages.translate(lang, "challenge."+field)
	}
	return s.officerAction(c, "challenges", "challenge_answered", tenderInput{chAnswer: map[int64]challengeRow{cid: typed}}, name,
		func(ctx context.Context, a access.Actor, id int64) error {
			// The challenge must be one of this tender's, whatever the form says.
			list, err := s.tenders.Challenges(ctx, a, id)
			if err != nil {
				return err
			}
			if !slices.ContainsFunc(list, func(ch tender.Challenge) bool { return ch.ID == cid }) {
				return apperr.ErrNotFound
			}
			action := typed.FormAction
			if typed.FormOutcome != "upheld" {
				action = ""
			}
			_, err = s.tenders.AnswerChallenge(ctx, a, cid, tender.ChallengeAnswer{Outcome: typed.FormOutcome, Answer: typed.FormAnswer, Action: action})
			return err
		})
}

// handleBidAttachment sends a file of an opened bid to the officer or a
// committee member, or of its own bid to an organization: what the service's
// Bids lets the reader see, and nothing else.
func (s *Server) handleBidAttachment(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	bidID, err := paramID(c, "bid")
	if err != nil {
		return err
	}
	n, err := strconv.Atoi(c.Params("n"))
	if err != nil || n < 0 {
		return apperr.ErrNotFound
	}
	bids, err := s.tenders.Bids(c.UserContext(), actor(c), id)
	if err != nil {
		if e, ok := apperr.As(err); ok && e.Kind == apperr.Conflict {
			return apperr.ErrNotFound
		}
		return err
	}
	i := slices.IndexFunc(bids, func(b tender.BidView) bool { return b.ID == bidID })
	if i < 0 || bids[i].Content == nil || n >= len(bids[i].Content.Attachments) {
		return apperr.ErrNotFound
	}
	a := bids[i].Content.Attachments[n]
	c.Set(fiber.HeaderContentType, a.ContentType)
	c.Set(fiber.HeaderContentDisposition, contentDisposition(a.Name))
	c.Set(fiber.HeaderCacheControl, "private, no-store")
	c.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	return c.Send(a.Data)
}

// handleEvidenceDownload lets the tender's officer read a document a
// challenge cites as evidence.
func (s *Server) handleEvidenceDownload(c *fiber.Ctx) error {
	var ids [3]int64
	for i, name := range []string{"id", "cid", "doc"} {
		var err error
		if ids[i], err = paramID(c, name); err != nil {
			return err
		}
	}
	ctx := c.UserContext()
	ch, err := s.tenders.Challenges(ctx, actor(c), ids[0])
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(ch, func(x tender.Challenge) bool { return x.ID == ids[1] }) {
		return apperr.ErrNotFound
	}
	orgID, err := s.tenders.EvidenceDocument(ctx, actor(c), ids[1], ids[2])
	if err != nil {
		return err
	}
	doc, rc, err := s.orgs.OpenCitedDocument(ctx, orgID, ids[2])
	if err != nil {
		return err
	}
	defer rc.Close()
	body, err := io.ReadAll(rc)
	if err != nil {
		return fmt.Errorf("read evidence %d: %w", ids[2], err)
	}
	c.Set(fiber.HeaderContentType, doc.ContentType)
	c.Set(fiber.HeaderContentDisposition, contentDisposition(doc.OriginalName))
	c.Set(fiber.HeaderCacheControl, "private, no-store")
	c.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	return c.Send(body)
}

// ---- the public ----

// publicStates are the states the public list may be filtered by.
var publicStates = tenderStates[1:]

func (s *Server) handleProcurementPage(c *fiber.Ctx) error {
	ctx := c.UserContext()
	v := tendersView{Mode: modePublic, Statuses: publicStates}
	v.Status, v.Page = listQuery(c, publicStates)
	page, err := s.tenders.PublicList(ctx, tender.Filter{Status: v.Status, Page: v.Page, PerPage: tendersPerPage})
	if err != nil {
		return err
	}
	if v.Rows, err = s.tenderRows(ctx, modePublic, page.Items); err != nil {
		return err
	}
	v.listPage("/procurement", page.Total)
	v.Tables = []tenderTable{{ID: "tender-list", Mode: v.Mode, Rows: v.Rows, CaptionKey: "tenders.caption_total", Count: v.Total}}
	return s.render(c, fiber.StatusOK, "tenders", v)
}

// handleNoticePage is a tender's public notice: the tender, its answered
// questions, amendments, the opening record once the bids are opened (no
// price before) and the award with its score table.
func (s *Server) handleNoticePage(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	p, err := s.tenders.PublicGet(c.UserContext(), id)
	if err != nil {
		return err
	}
	v, err := s.tenderDetail(c, modePublic, p.View, &p)
	if err != nil {
		return err
	}
	v.Questions = questionRows(p.Questions, tenderInput{})
	return s.render(c, fiber.StatusOK, "tender", v)
}

// ---- notifications ----

type notificationRow struct {
	tender.Notification
	When    string
	Subject string
	Href    string
}

func (s *Server) handleNotificationsPage(c *fiber.Ctx) error {
	ctx, a, lang := c.UserContext(), actor(c), language(c)
	list, err := s.tenders.Notifications(ctx, a)
	if err != nil {
		return err
	}
	base := modeBase[modePublic]
	switch a.Role {
	case access.ProcurementOfficer:
		base = modeBase[modeOfficer]
	case access.OrgAdmin, access.OrgMember:
		base = modeBase[modeOrg]
	case access.Evaluator:
		base = modeBase[modeEvaluator]
	}
	rows := make([]notificationRow, len(list))
	for i, n := range list {
		rows[i] = notificationRow{Notification: n, When: showTime(&n.CreatedAt), Subject: pick(lang, n.SubjectZh, n.SubjectEn)}
		if n.TenderID != nil {
			rows[i].Href = fmt.Sprintf("%s/%d", base, *n.TenderID)
		}
	}
	return s.render(c, fiber.StatusOK, "tender_notifications", fiber.Map{"Items": rows})
}
