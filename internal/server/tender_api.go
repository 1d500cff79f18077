package server

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/money"
	"github.com/jiedao-market/jiedao/internal/org"
	"github.com/jiedao-market/jiedao/internal/tender"
)

// Role groups of the tender routes.
var (
	tenderReaders = []access.Role{access.PlatformAdmin, access.DistrictAdmin, access.ProcurementOfficer, access.FinanceOfficer,
		access.Evaluator, access.OrgAdmin, access.OrgMember}
	orgUsers = []access.Role{access.OrgAdmin, access.OrgMember}
)

func (s *Server) tenderRoutes(api fiber.Router) {
	api.Get("/tenders", allow(tenderReaders...), s.handleTenderList)
	api.Post("/tenders", allow(access.ProcurementOfficer), s.handleTenderCreate)
	api.Get("/tenders/:id", allow(tenderReaders...), s.handleTenderGet)
	api.Patch("/tenders/:id", allow(access.ProcurementOfficer), s.handleTenderUpdate)
	api.Post("/tenders/:id/publish", allow(access.ProcurementOfficer), s.handleTenderPublish)
	api.Post("/tenders/:id/cancel", allow(access.ProcurementOfficer), s.handleTenderCancel)
	api.Post("/tenders/:id/amend", allow(access.ProcurementOfficer), s.handleTenderAmend)
	api.Get("/tenders/:id/questions", allow(tenderReaders...), s.handleQuestionList)
	api.Post("/tenders/:id/questions", allow(orgUsers...), s.handleQuestionAsk)
	api.Post("/tenders/:id/questions/:qid/answer", allow(access.ProcurementOfficer), s.handleQuestionAnswer)
	api.Post("/tenders/:id/bids", allow(orgUsers...), s.handleBidSubmit)
	api.Get("/tenders/:id/bids", allow(access.ProcurementOfficer, access.Evaluator, access.OrgAdmin, access.OrgMember), s.handleBidList)
	api.Post("/bids/:id/withdraw", allow(orgUsers...), s.handleBidWithdraw)
	api.Get("/tenders/:id/opening-record", allow(tenderReaders...), s.handleOpeningRecord)
	api.Post("/tenders/:id/declarations", allow(access.Evaluator), s.handleDeclare)
	api.Post("/tenders/:id/scores", allow(access.Evaluator), s.handleScores)
	api.Get("/tenders/:id/score-table", allow(tenderReaders...), s.handleScoreTable)
	api.Post("/tenders/:id/award-proposal", allow(access.ProcurementOfficer), s.handleAwardPropose)
	api.Get("/tenders/:id/challenges", allow(tenderReaders...), s.handleChallengeList)
	api.Post("/tenders/:id/challenges", allow(orgUsers...), s.handleChallengeFile)
	api.Post("/challenges/:id/answer", allow(access.ProcurementOfficer), s.handleChallengeAnswer)
	api.Get("/public/tenders", s.handlePublicTenderList)
	api.Get("/public/tenders/:id", s.handlePublicTenderGet)
	api.Get("/notifications", signedIn, s.handleNotifications)
}

type criterionRequest struct {
	Code      string `json:"code"`
	Name      string `json:"name"`
	MaxPoints int    `json:"max_points"`
}

// tenderRequest is a tender as submitted; absent fields keep their value in
// an edit.
type tenderRequest struct {
	TransferItemID         *int64              `json:"transfer_item_id"`
	Title                  *string             `json:"title"`
	Description            *string             `json:"description"`
	PurchaseMethod         *string             `json:"purchase_method"`
	Justification          *string             `json:"justification"`
	FundAccountID          *int64              `json:"fund_account_id"`
	CeilingFen             *money.Fen          `json:"ceiling_fen"`
	ServiceStart           *org.Date           `json:"service_start"`
	ServiceEnd             *org.Date           `json:"service_end"`
	CommunityIDs           *[]int64            `json:"community_ids"`
	Weights                *tender.Weights     `json:"weights"`
	Criteria               *[]criterionRequest `json:"criteria"`
	MetricTargets          *map[string]float64 `json:"metric_targets"`
	MinGrade               *int                `json:"min_grade"`
	MinSocialWorkers       *int                `json:"min_social_workers"`
	MinBids                *int                `json:"min_bids"`
	MaxWinners             *int                `json:"max_winners"`
	ChallengeDays          *int                `json:"challenge_days"`
	QuestionsCloseAt       *time.Time          `json:"questions_close_at"`
	ClosesAt               *time.Time          `json:"closes_at"`
	OpensAt                *time.Time          `json:"opens_at"`
	CommitteeUserIDs       *[]int64            `json:"committee_user_ids"`
	InvitedOrganizationIDs *[]int64            `json:"invited_organization_ids"`
}

func (r tenderRequest) input() tender.Input {
	in := tender.Input{TransferItemID: r.TransferItemID, Title: r.Title, Description: r.Description, PurchaseMethod: r.PurchaseMethod,
		Justification: r.Justification, FundAccountID: r.FundAccountID, CeilingFen: r.CeilingFen, ServiceStart: r.ServiceStart,
		ServiceEnd: r.ServiceEnd, CommunityIDs: r.CommunityIDs, Weights: r.Weights, MetricTargets: r.MetricTargets, MinGrade: r.MinGrade,
		MinSocialWorkers: r.MinSocialWorkers, MinBids: r.MinBids, MaxWinners: r.MaxWinners, ChallengeDays: r.ChallengeDays,
		QuestionsCloseAt: r.QuestionsCloseAt, ClosesAt: r.ClosesAt, OpensAt: r.OpensAt, CommitteeUserIDs: r.CommitteeUserIDs,
		InvitedOrgIDs: r.InvitedOrganizationIDs}
	if r.Criteria != nil {
		list := make([]tender.Criterion, len(*r.Criteria))
		for i, c := range *r.Criteria {
			list[i] = tender.Criterion{Code: c.Code, Name: c.Name, MaxPoints: c.MaxPoints}
		}
		in.Criteria = &list
	}
	return in
}

// tenderFilter reads the list query parameters.
func tenderFilter(c *fiber.Ctx) (tender.Filter, error) {
	f := tender.Filter{Status: c.Query("status"), Category: c.Query("category"), Eligible: c.Query("eligible") == "true"}
	var fields apperr.Fields
	valid := f.Status == ""
	for _, st := range []string{tender.StatusDraft, tender.StatusPublished, tender.StatusClosed, tender.StatusOpened, tender.StatusEvaluated,
		tender.StatusAwardProposed, tender.StatusAwarded, tender.StatusCancelled, tender.StatusFailed} {
		valid = valid || st == f.Status
	}
	fields.Check(valid, "status", "must be a tender state")
	fields.Check(len(f.Category) <= 40, "category", "must be at most 40 bytes")
	fields.Check(c.Query("eligible") == "" || c.Query("eligible") == "true" || c.Query("eligible") == "false", "eligible", "must be true or false")
	page, err := queryInt(c, "page")
	fields.Check(err == nil && page <= 100000, "page", "must be a whole number from 1")
	per, err := queryInt(c, "per_page")
	fields.Check(err == nil && per <= 100, "per_page", "must be a whole number from 1 to 100")
	f.Page, f.PerPage = int(page), int(per)
	return f, fields.Err()
}

func (s *Server) handleTenderList(c *fiber.Ctx) error {
	f, err := tenderFilter(c)
	if err != nil {
		return err
	}
	page, err := s.tenders.List(c.UserContext(), actor(c), f)
	if err != nil {
		return err
	}
	return c.JSON(page)
}

func (s *Server) handleTenderCreate(c *fiber.Ctx) error {
	var req tenderRequest
	if err := s.decodeStrict(c, &req); err != nil {
		return err
	}
	v, err := s.tenders.Create(c.UserContext(), actor(c), req.input())
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(v)
}

func (s *Server) handleTenderGet(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	v, err := s.tenders.Get(c.UserContext(), actor(c), id)
	if err != nil {
		return err
	}
	return c.JSON(v)
}

func (s *Server) handleTenderUpdate(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	var req tenderRequest
	if err := s.decodeStrict(c, &req); err != nil {
		return err
	}
	v, err := s.tenders.Update(c.UserContext(), actor(c), id, req.input())
	if err != nil {
		return err
	}
	return c.JSON(v)
}

func (s *Server) handleTenderPublish(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	v, err := s.tenders.Publish(c.UserContext(), actor(c), id)
	if err != nil {
		return err
	}
	return c.JSON(v)
}

func (s *Server) handleTenderCancel(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	var req reasonRequest
	if err := s.decodeStrict(c, &req); err != nil {
		return err
	}
	v, err := s.tenders.Cancel(c.UserContext(), actor(c), id, req.Reason)
	if err != nil {
		return err
	}
	return c.JSON(v)
}

type amendRequest struct {
	Reason           string     `json:"reason"`
	Description      *string    `json:"description"`
	QuestionsCloseAt *time.Time `json:"questions_close_at"`
	ClosesAt         *time.Time `json:"closes_at"`
	OpensAt          *time.Time `json:"opens_at"`
}

func (s *Server) handleTenderAmend(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	var req amendRequest
	if err := s.decodeStrict(c, &req); err != nil {
		return err
	}
	v, err := s.tenders.Amend(c.UserContext(), actor(c), id, tender.AmendInput{Reason: req.Reason, Description: req.Description,
		QuestionsCloseAt: req.QuestionsCloseAt, ClosesAt: req.ClosesAt, OpensAt: req.OpensAt})
	if err != nil {
		return err
	}
	return c.JSON(v)
}

func (s *Server) handleQuestionList(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	list, err := s.tenders.Questions(c.UserContext(), actor(c), id)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": list})
}

type questionRequest struct {
	Body string `json:"body"`
}

func (s *Server) handleQuestionAsk(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	var req questionRequest
	if err := s.decodeStrict(c, &req); err != nil {
		return err
	}
	q, err := s.tenders.Ask(c.UserContext(), actor(c), id, req.Body)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(q)
}

type answerRequest struct {
	Answer string `json:"answer"`
}

func (s *Server) handleQuestionAnswer(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	qid, err := paramID(c, "qid")
	if err != nil {
		return err
	}
	var req answerRequest
	if err := s.decodeStrict(c, &req); err != nil {
		return err
	}
	q, err := s.tenders.Answer(c.UserContext(), actor(c), id, qid, req.Answer)
	if err != nil {
		return err
	}
	return c.JSON(q)
}

type bidRequest struct {
	PriceFen          money.Fen           `json:"price_fen"`
	TechnicalProposal string              `json:"technical_proposal"`
	StaffingPlan      string              `json:"staffing_plan"`
	MetricCommitments []tender.Commitment `json:"metric_commitments"`
	Attachments       []attachmentRequest `json:"attachments"`
}

type attachmentRequest struct {
	Name string `json:"name"`
	Data []byte `json:"data"` // base64
}

func (r bidRequest) body() tender.BidBody {
	b := tender.BidBody{PriceFen: r.PriceFen, TechnicalProposal: r.TechnicalProposal, StaffingPlan: r.StaffingPlan,
		MetricCommitments: r.MetricCommitments, Attachments: []tender.Attachment{}}
	if b.MetricCommitments == nil {
		b.MetricCommitments = []tender.Commitment{}
	}
	for _, a := range r.Attachments {
		b.Attachments = append(b.Attachments, tender.Attachment{Name: a.Name, Data: a.Data})
	}
	return b
}

// handleBidSubmit seals a bid. Its body may carry attachments, so it may be as
// large as any request (http.body_limit_bytes). Nothing of the body is ever
// logged or echoed in an error.
func (s *Server) handleBidSubmit(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	var req bidRequest
	if err := s.decodeStrictLimit(c, &req, s.cfg.HTTP.BodyLimit); err != nil {
		return err
	}
	r, err := s.tenders.SubmitBid(c.UserContext(), actor(c), id, req.body())
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(r)
}

func (s *Server) handleBidList(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	list, err := s.tenders.Bids(c.UserContext(), actor(c), id)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": list})
}

func (s *Server) handleBidWithdraw(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	r, err := s.tenders.WithdrawBid(c.UserContext(), actor(c), id)
	if err != nil {
		return err
	}
	return c.JSON(r)
}

func (s *Server) handleOpeningRecord(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	rec, err := s.tenders.OpeningRecord(c.UserContext(), actor(c), id)
	if err != nil {
		return err
	}
	return c.JSON(rec)
}

type declarationRequest struct {
	Conflict  *bool  `json:"conflict"`
	Statement string `json:"statement"`
}

func (s *Server) handleDeclare(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	var req declarationRequest
	if err := s.decodeStrict(c, &req); err != nil {
		return err
	}
	if req.Conflict == nil {
		return apperr.InvalidField("conflict", "is required: true or false")
	}
	m, err := s.tenders.Declare(c.UserContext(), actor(c), id, *req.Conflict, req.Statement)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(m)
}

type scoresRequest struct {
	Scores []tender.BidSheet `json:"scores"`
}

func (s *Server) handleScores(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	var req scoresRequest
	if err := s.decodeStrict(c, &req); err != nil {
		return err
	}
	r, err := s.tenders.SubmitScores(c.UserContext(), actor(c), id, req.Scores)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(r)
}

func (s *Server) handleScoreTable(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	t, err := s.tenders.ScoreTable(c.UserContext(), actor(c), id)
	if err != nil {
		return err
	}
	return c.JSON(t)
}

type awardRequest struct {
	BidIDs          []int64 `json:"bid_ids"`
	DeviationReason string  `json:"deviation_reason"`
}

func (s *Server) handleAwardPropose(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	var req awardRequest
	if err := s.decodeStrict(c, &req); err != nil {
		return err
	}
	p, err := s.tenders.ProposeAward(c.UserContext(), actor(c), id, tender.AwardInput{BidIDs: req.BidIDs, DeviationReason: req.DeviationReason})
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(p)
}

func (s *Server) handleChallengeList(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	list, err := s.tenders.Challenges(c.UserContext(), actor(c), id)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": list})
}

type challengeRequest struct {
	Reasons             string  `json:"reasons"`
	EvidenceDocumentIDs []int64 `json:"evidence_document_ids"`
}

func (s *Server) handleChallengeFile(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	var req challengeRequest
	if err := s.decodeStrict(c, &req); err != nil {
		return err
	}
	ch, err := s.tenders.FileChallenge(c.UserContext(), actor(c), id, req.Reasons, req.EvidenceDocumentIDs)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(ch)
}

type challengeAnswerRequest struct {
	Outcome string `json:"outcome"`
	Answer  string `json:"answer"`
	Action  string `json:"action"`
}

func (s *Server) handleChallengeAnswer(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	var req challengeAnswerRequest
	if err := s.decodeStrict(c, &req); err != nil {
		return err
	}
	ch, err := s.tenders.AnswerChallenge(c.UserContext(), actor(c), id, tender.ChallengeAnswer{Outcome: req.Outcome, Answer: req.Answer, Action: req.Action})
	if err != nil {
		return err
	}
	return c.JSON(ch)
}

func (s *Server) handlePublicTenderList(c *fiber.Ctx) error {
	f, err := tenderFilter(c)
	if err != nil {
		return err
	}
	if f.Status == tender.StatusDraft {
		return apperr.InvalidField("status", "drafts are not public")
	}
	page, err := s.tenders.PublicList(c.UserContext(), f)
	if err != nil {
		return err
	}
	return c.JSON(page)
}

func (s *Server) handlePublicTenderGet(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	p, err := s.tenders.PublicGet(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(p)
}

func (s *Server) handleNotifications(c *fiber.Ctx) error {
	list, err := s.tenders.Notifications(c.UserContext(), actor(c))
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": list})
}
