package api

import (
	"slices"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/civil"
	"github.com/jiedao-market/jiedao/internal/money"
	"github.com/jiedao-market/jiedao/internal/request"
	"github.com/jiedao-market/jiedao/internal/tender"
)

type criterionRequest struct {
	Code      string `json:"code"`
	Name      string `json:"name"`
	MaxPoints int    `json:"max_points"`
}

// tenderRequest is a tender as submitted; absent fields keep their value in
// an edit.
type tenderRequest struct {
	TransferItemID           *int64              `json:"transfer_item_id"`
	Title                    *string             `json:"title"`
	Description              *string             `json:"description"`
	PurchaseMethod           *string             `json:"purchase_method"`
	Justification            *string             `json:"justification"`
	ShortWindowJustification *string             `json:"short_window_justification"`
	FundAccountID            *int64              `json:"fund_account_id"`
	CeilingFen               *money.Fen          `json:"ceiling_fen"`
	ServiceStart             *civil.Date         `json:"service_start"`
	ServiceEnd               *civil.Date         `json:"service_end"`
	CommunityIDs             *[]int64            `json:"community_ids"`
	Weights                  *tender.Weights     `json:"weights"`
	Criteria                 *[]criterionRequest `json:"criteria"`
	MetricTargets            *map[string]float64 `json:"metric_targets"`
	MinGrade                 *int                `json:"min_grade"`
	MinSocialWorkers         *int                `json:"min_social_workers"`
	MinBids                  *int                `json:"min_bids"`
	MaxWinners               *int                `json:"max_winners"`
	ChallengeDays            *int                `json:"challenge_days"`
	QuestionsCloseAt         *time.Time          `json:"questions_close_at"`
	ClosesAt                 *time.Time          `json:"closes_at"`
	OpensAt                  *time.Time          `json:"opens_at"`
	CommitteeUserIDs         *[]int64            `json:"committee_user_ids"`
	InvitedOrganizationIDs   *[]int64            `json:"invited_organization_ids"`
}

func (r tenderRequest) input() tender.Input {
	in := tender.Input{TransferItemID: r.TransferItemID, Title: r.Title, Description: r.Description, PurchaseMethod: r.PurchaseMethod,
		Justification: r.Justification, ShortWindowJustification: r.ShortWindowJustification, FundAccountID: r.FundAccountID, CeilingFen: r.CeilingFen, ServiceStart: r.ServiceStart,
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
	fields.Check(f.Status == "" || slices.Contains(tender.States, f.Status), "status", "must be a tender state")
	fields.Check(len(f.Category) <= 40, "category", "must be at most 40 bytes")
	fields.Check(c.Query("eligible") == "" || c.Query("eligible") == "true" || c.Query("eligible") == "false", "eligible", "must be true or false")
	page, err := request.QueryInt(c, "page")
	fields.Check(err == nil && page <= 100000, "page", "must be a whole number from 1")
	per, err := request.QueryInt(c, "per_page")
	fields.Check(err == nil && per <= 100, "per_page", "must be a whole number from 1 to 100")
	f.Page, f.PerPage = int(page), int(per)
	return f, fields.Err()
}

func (h *Handler) handleTenderList(c *fiber.Ctx) error {
	f, err := tenderFilter(c)
	if err != nil {
		return err
	}
	page, err := h.Tenders.List(c.UserContext(), request.Actor(c), f)
	if err != nil {
		return err
	}
	return c.JSON(page)
}

func (h *Handler) handleTenderCreate(c *fiber.Ctx) error {
	var req tenderRequest
	if err := request.DecodeStrict(c, &req); err != nil {
		return err
	}
	v, err := h.Tenders.Create(c.UserContext(), request.Actor(c), req.input())
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(v)
}

func (h *Handler) handleTenderGet(c *fiber.Ctx) error {
	v, err := request.Read(c, h.Tenders.Get)
	if err != nil {
		return err
	}
	return c.JSON(v)
}

func (h *Handler) handleTenderUpdate(c *fiber.Ctx) error {
	id, err := request.ParamID(c, "id")
	if err != nil {
		return err
	}
	var req tenderRequest
	if err := request.DecodeStrict(c, &req); err != nil {
		return err
	}
	v, err := h.Tenders.Update(c.UserContext(), request.Actor(c), id, req.input())
	if err != nil {
		return err
	}
	return c.JSON(v)
}

func (h *Handler) handleTenderPublish(c *fiber.Ctx) error {
	v, err := request.Read(c, h.Tenders.Publish)
	if err != nil {
		return err
	}
	return c.JSON(v)
}

func (h *Handler) handleTenderCancel(c *fiber.Ctx) error {
	id, err := request.ParamID(c, "id")
	if err != nil {
		return err
	}
	var req reasonRequest
	if err := request.DecodeStrict(c, &req); err != nil {
		return err
	}
	v, err := h.Tenders.Cancel(c.UserContext(), request.Actor(c), id, req.Reason)
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

func (h *Handler) handleTenderAmend(c *fiber.Ctx) error {
	id, err := request.ParamID(c, "id")
	if err != nil {
		return err
	}
	var req amendRequest
	if err := request.DecodeStrict(c, &req); err != nil {
		return err
	}
	v, err := h.Tenders.Amend(c.UserContext(), request.Actor(c), id, tender.AmendInput{Reason: req.Reason, Description: req.Description,
		QuestionsCloseAt: req.QuestionsCloseAt, ClosesAt: req.ClosesAt, OpensAt: req.OpensAt})
	if err != nil {
		return err
	}
	return c.JSON(v)
}

func (h *Handler) handleQuestionList(c *fiber.Ctx) error {
	list, err := request.Read(c, h.Tenders.Questions)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": list})
}

type questionRequest struct {
	Body string `json:"body"`
}

func (h *Handler) handleQuestionAsk(c *fiber.Ctx) error {
	id, err := request.ParamID(c, "id")
	if err != nil {
		return err
	}
	var req questionRequest
	if err := request.DecodeStrict(c, &req); err != nil {
		return err
	}
	q, err := h.Tenders.Ask(c.UserContext(), request.Actor(c), id, req.Body)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(q)
}

type answerRequest struct {
	Answer string `json:"answer"`
}

func (h *Handler) handleQuestionAnswer(c *fiber.Ctx) error {
	id, err := request.ParamID(c, "id")
	if err != nil {
		return err
	}
	qid, err := request.ParamID(c, "qid")
	if err != nil {
		return err
	}
	var req answerRequest
	if err := request.DecodeStrict(c, &req); err != nil {
		return err
	}
	q, err := h.Tenders.Answer(c.UserContext(), request.Actor(c), id, qid, req.Answer)
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
func (h *Handler) handleBidSubmit(c *fiber.Ctx) error {
	id, err := request.ParamID(c, "id")
	if err != nil {
		return err
	}
	var req bidRequest
	if err := request.DecodeStrictLimit(c, &req, h.cfg.HTTP.BodyLimit); err != nil {
		return err
	}
	r, err := h.Tenders.SubmitBid(c.UserContext(), request.Actor(c), id, req.body())
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(r)
}

func (h *Handler) handleBidList(c *fiber.Ctx) error {
	list, err := request.Read(c, h.Tenders.Bids)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": list})
}

func (h *Handler) handleBidWithdraw(c *fiber.Ctx) error {
	r, err := request.Read(c, h.Tenders.WithdrawBid)
	if err != nil {
		return err
	}
	return c.JSON(r)
}

func (h *Handler) handleOpeningRecord(c *fiber.Ctx) error {
	rec, err := request.Read(c, h.Tenders.OpeningRecord)
	if err != nil {
		return err
	}
	return c.JSON(rec)
}

type declarationRequest struct {
	Conflict  *bool  `json:"conflict"`
	Statement string `json:"statement"`
}

func (h *Handler) handleDeclare(c *fiber.Ctx) error {
	id, err := request.ParamID(c, "id")
	if err != nil {
		return err
	}
	var req declarationRequest
	if err := request.DecodeStrict(c, &req); err != nil {
		return err
	}
	if req.Conflict == nil {
		return apperr.InvalidField("conflict", "is required: true or false")
	}
	m, err := h.Tenders.Declare(c.UserContext(), request.Actor(c), id, *req.Conflict, req.Statement)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(m)
}

type scoresRequest struct {
	Scores []tender.BidSheet `json:"scores"`
}

func (h *Handler) handleScores(c *fiber.Ctx) error {
	id, err := request.ParamID(c, "id")
	if err != nil {
		return err
	}
	var req scoresRequest
	if err := request.DecodeStrict(c, &req); err != nil {
		return err
	}
	r, err := h.Tenders.SubmitScores(c.UserContext(), request.Actor(c), id, req.Scores)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(r)
}

func (h *Handler) handleScoreTable(c *fiber.Ctx) error {
	t, err := request.Read(c, h.Tenders.ScoreTable)
	if err != nil {
		return err
	}
	return c.JSON(t)
}

type awardRequest struct {
	BidIDs          []int64 `json:"bid_ids"`
	DeviationReason string  `json:"deviation_reason"`
}

func (h *Handler) handleAwardPropose(c *fiber.Ctx) error {
	id, err := request.ParamID(c, "id")
	if err != nil {
		return err
	}
	var req awardRequest
	if err := request.DecodeStrict(c, &req); err != nil {
		return err
	}
	p, err := h.Tenders.ProposeAward(c.UserContext(), request.Actor(c), id, tender.AwardInput{BidIDs: req.BidIDs, DeviationReason: req.DeviationReason})
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(p)
}

func (h *Handler) handleChallengeList(c *fiber.Ctx) error {
	list, err := request.Read(c, h.Tenders.Challenges)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": list})
}

type challengeRequest struct {
	Reasons             string  `json:"reasons"`
	EvidenceDocumentIDs []int64 `json:"evidence_document_ids"`
}

func (h *Handler) handleChallengeFile(c *fiber.Ctx) error {
	id, err := request.ParamID(c, "id")
	if err != nil {
		return err
	}
	var req challengeRequest
	if err := request.DecodeStrict(c, &req); err != nil {
		return err
	}
	ch, err := h.Tenders.FileChallenge(c.UserContext(), request.Actor(c), id, req.Reasons, req.EvidenceDocumentIDs)
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

func (h *Handler) handleChallengeAnswer(c *fiber.Ctx) error {
	id, err := request.ParamID(c, "id")
	if err != nil {
		return err
	}
	var req challengeAnswerRequest
	if err := request.DecodeStrict(c, &req); err != nil {
		return err
	}
	ch, err := h.Tenders.AnswerChallenge(c.UserContext(), request.Actor(c), id, tender.ChallengeAnswer{Outcome: req.Outcome, Answer: req.Answer, Action: req.Action})
	if err != nil {
		return err
	}
	return c.JSON(ch)
}

func (h *Handler) handlePublicTenderList(c *fiber.Ctx) error {
	f, err := tenderFilter(c)
	if err != nil {
		return err
	}
	if f.Status == tender.StatusDraft {
		return apperr.InvalidField("status", "drafts are not public")
	}
	page, err := h.Tenders.PublicList(c.UserContext(), f)
	if err != nil {
		return err
	}
	return c.JSON(page)
}

func (h *Handler) handlePublicTenderGet(c *fiber.Ctx) error {
	p, err := request.ReadPublic(c, h.Tenders.PublicGet)
	if err != nil {
		return err
	}
	return c.JSON(p)
}

func (h *Handler) handleNotifications(c *fiber.Ctx) error {
	list, err := h.Tenders.Notifications(c.UserContext(), request.Actor(c))
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": list})
}
