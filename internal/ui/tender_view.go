package ui

import (
	"github.com/jiedao-market/jiedao/internal/catalog"
	"github.com/jiedao-market/jiedao/internal/place"
	"github.com/jiedao-market/jiedao/internal/tender"
)

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
	Mode     string
	Rows     []tenderRow
	Mine     []tenderRow // an organization's tenders it bid on
	Tables   []tenderTable
	Status   string
	Statuses []string
	pager
	CanCreate bool
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
	// Ineligible says why the bid's organization is no longer eligible, on
	// the officer's award form (which does not offer it).
	Ineligible []string
	Members    []memberCell
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
	Href         string // the reader's contract page, if any
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
	Commitment                    *commitmentView // the public notice's, once bidding has closed
	Table                         *scoreTableView
	Award                         *awardView
	Challenges                    []challengeRow
	Contracts                     []contractRow
	Committee                     []tender.CommitteeMember
	Invited                       []string
	Flags                         []flagRow // the tender's red flags

	// The officer's forms.
	CanEdit, CanPublish, CanCancel, CanAmend, CanPropose bool
	CancelReason                                         string
	Amend                                                amendForm
	AwardForm                                            awardForm
	SeveralWinners                                       bool
	Replace                                              []choice // evaluators who may replace recused members

	// The organization'h.
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

	// The evaluator'h.
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
