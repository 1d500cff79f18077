package ui

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/money"
	"github.com/jiedao-market/jiedao/internal/request"
	"github.com/jiedao-market/jiedao/internal/tender"
)

func (h *Handler) handleOpportunitiesPage(c *fiber.Ctx) error {
	ctx, a := c.UserContext(), request.Actor(c)
	v := tendersView{Mode: modeOrg}
	open, err := h.Tenders.ListAll(ctx, a, tender.Filter{Eligible: true})
	if err != nil {
		return err
	}
	if v.Rows, err = h.tenderRows(ctx, modeOrg, open); err != nil {
		return err
	}
	// The tenders the organization bid on, whatever their state.
	bidOn, err := h.Tenders.ListAll(ctx, a, tender.Filter{Mine: true})
	if err != nil {
		return err
	}
	statuses, err := h.Tenders.MyBidStatuses(ctx, a)
	if err != nil {
		return err
	}
	if v.Mine, err = h.tenderRows(ctx, modeOrg, bidOn); err != nil {
		return err
	}
	for i := range v.Mine {
		if st, ok := statuses[v.Mine[i].ID]; ok {
			v.Mine[i].Note = "bid_status." + st
		}
	}
	v.Tables = []tenderTable{{ID: "open-tenders", Mode: v.Mode, Rows: v.Rows, CaptionKey: "opportunities.open_caption", Count: len(v.Rows)},
		{ID: "my-tenders", Mode: v.Mode, Rows: v.Mine, Notes: true, CaptionKey: "opportunities.mine_caption", Count: len(v.Mine)}}
	return h.render(c, fiber.StatusOK, "tenders", v)
}

// renderOpportunity shows a tender to an organization: the notice, questions,
// its bid (receipt, content, withdrawal, replacement), the opening record, the
// award and its challenges.
func (h *Handler) renderOpportunity(c *fiber.Ctx, status int, id int64, in tenderInput) error {
	ctx, a, lang := c.UserContext(), request.Actor(c), language(c)
	t, v, err := h.detailPage(c, modeOrg, status, id, in)
	if err != nil {
		return err
	}
	now := h.clock.Now()
	open := t.Status == tender.StatusPublished
	if open {
		if v.Eligible, err = h.Tenders.Eligible(ctx, a, id); err != nil {
			return err
		}
	}
	v.CanAsk = open && v.Eligible && now.Before(t.QuestionsCloseAt)
	v.Ask = in.ask
	// The organization's own bids, with their content: nobody else'h.
	var current *tender.BidView
	if t.MyBid != nil {
		bids, err := h.Tenders.Bids(ctx, a, id)
		if err != nil {
			return err
		}
		for i := range bids {
			if bids[i].ID == t.MyBid.ID {
				current = &bids[i]
			}
		}
	}
	if current != nil {
		mb := &myBidView{MyBid: *t.MyBid, Received: showSeconds(t.MyBid.ReceivedAt)}
		if current.ReplacesID != nil {
			mb.Replaces = *current.ReplacesID
		}
		if b := current.Content; b != nil && current.Status == "active" {
			mb.Price, mb.Proposal, mb.Staffing = b.PriceFen.Grouped(), b.TechnicalProposal, b.StaffingPlan
			mb.Commitments = h.commitRows(lang, t.Metrics, bodyCommitments(b), formAlert{})
			mb.Attachments = attachmentLinks(v.Base, current.ID, b.Attachments)
		}
		v.MyBid = mb
	}
	v.CanBid = open && v.Eligible
	v.MaxFiles, v.MaxFileSize = tender.MaxAttachments, fileSize(tender.MaxAttachmentBytes)
	switch {
	case in.bid != nil:
		v.Bid = *in.bid
	case current != nil && current.Status == "active" && current.Content != nil:
		// Replacing starts from the bid in force.
		b := current.Content
		v.Bid = bidForm{Price: b.PriceFen.Yuan(), Proposal: b.TechnicalProposal, Staffing: b.StaffingPlan, Commitments: bodyCommitments(b)}
	default:
		v.Bid = bidForm{Commitments: map[string]string{}}
	}
	v.Commitments = h.commitRows(lang, t.Metrics, v.Bid.Commitments, in.alert.formAlert)
	// A bidder whose bid was opened may challenge the proposed award in its period.
	if v.Award != nil && v.Award.Open && t.Status == tender.StatusAwardProposed && v.Opening != nil &&
		slices.ContainsFunc(v.Opening.Bids, func(b tender.OpeningEntry) bool { return b.OrganizationID == a.Scope.OrganizationID }) {
		v.CanChallenge = true
		docs, err := h.Orgs.ListDocuments(ctx, a, a.Scope.OrganizationID)
		if err != nil {
			return err
		}
		for _, d := range docs {
			v.Documents = append(v.Documents, documentRow{Document: d, Href: "/org/documents/" + strconv.FormatInt(d.ID, 10),
				Size: fileSize(d.SizeBytes), Uploaded: showTime(&d.CreatedAt)})
		}
	}
	if in.challenge != nil {
		v.Challenge = *in.challenge
	} else {
		v.Challenge = challengeForm{Evidence: map[int64]bool{}}
	}
	if t.Status != tender.StatusDraft {
		list, err := h.Tenders.Challenges(ctx, a, id)
		if err != nil {
			return err
		}
		v.Challenges = h.challengeRows(list, in)
	}
	return h.render(c, status, "tender", v)
}

func (h *Handler) handleOpportunityPage(c *fiber.Ctx) error {
	id, err := request.ParamID(c, "id")
	if err != nil {
		return err
	}
	return h.renderOpportunity(c, fiber.StatusOK, id, tenderInput{})
}

// orgAction runs one of the organization's actions, like officerAction.
func (h *Handler) orgAction(c *fiber.Ctx, section, done string, in tenderInput, name func(string) (string, string),
	act func(ctx context.Context, a access.Actor, id int64) error) error {
	return h.tenderAction(c, "/opportunities", (*Handler).renderOpportunity, section, done, in, name, act)
}

func (h *Handler) handleAskSubmit(c *fiber.Ctx) error {
	body := strings.Clone(c.FormValue("body"))
	lang := language(c)
	return h.orgAction(c, "qa", "asked", tenderInput{ask: body},
		func(string) (string, string) { return "ask-body", h.pages.translate(lang, "qa.question") },
		func(ctx context.Context, a access.Actor, id int64) error {
			_, err := h.Tenders.Ask(ctx, a, id, body)
			return err
		})
}

// readBid reads the posted bid form: its text, and its files as attachments.
// A file the browser sends empty and nameless (none chosen) is no file.
func readBid(c *fiber.Ctx, metrics []tender.Metric) (bidForm, tender.BidBody, error) {
	form := func(k string) string { return strings.Clone(c.FormValue(k)) }
	f := bidForm{Price: strings.TrimSpace(form("price")), Proposal: form("technical_proposal"), Staffing: form("staffing_plan"),
		Commitments: map[string]string{}}
	body := tender.BidBody{TechnicalProposal: f.Proposal, StaffingPlan: f.Staffing, MetricCommitments: []tender.Commitment{},
		Attachments: []tender.Attachment{}}
	var bad apperr.Fields
	price, err := money.ParseYuan(f.Price)
	bad.Check(err == nil, "price_fen", "must be an amount of yuan with at most two decimals")
	body.PriceFen = price
	for i, m := range metrics {
		text := strings.TrimSpace(form("commit_" + m.Code))
		f.Commitments[m.Code] = text
		v, ok := parseTarget(text)
		bad.Check(ok && v >= 0, fmt.Sprintf("metric_commitments[%d].value", i), "must be a number of 0 or more")
		body.MetricCommitments = append(body.MetricCommitments, tender.Commitment{Code: m.Code, Value: v})
	}
	if mf, err := c.MultipartForm(); err == nil {
		n := 0
		for _, fh := range mf.File["attachments"] {
			if fh.Filename == "" && fh.Size == 0 {
				continue
			}
			if n++; n > tender.MaxAttachments {
				bad.Add("attachments", "too many files")
				break
			}
			if fh.Size > tender.MaxAttachmentBytes {
				bad.Add(fmt.Sprintf("attachments[%d].data", n-1), "is too large")
				continue
			}
			r, err := fh.Open()
			if err != nil {
				return f, body, fmt.Errorf("open bid attachment: %w", err)
			}
			data, err := io.ReadAll(io.LimitReader(r, tender.MaxAttachmentBytes+1))
			r.Close()
			if err != nil {
				return f, body, fmt.Errorf("read bid attachment: %w", err)
			}
			body.Attachments = append(body.Attachments, tender.Attachment{Name: fh.Filename, Data: data})
		}
	}
	return f, body, bad.Err()
}

func (h *Handler) handleBidSubmitPage(c *fiber.Ctx) error {
	ctx, a, lang := c.UserContext(), request.Actor(c), language(c)
	id, err := request.ParamID(c, "id")
	if err != nil {
		return err
	}
	t, err := h.Tenders.Get(ctx, a, id)
	if err != nil {
		return err
	}
	f, body, err := readBid(c, t.Metrics)
	if err == nil {
		_, err = h.Tenders.SubmitBid(ctx, a, id, body)
	}
	name := func(field string) (string, string) {
		generic := fieldIndex.ReplaceAllString(field, "")
		switch {
		case strings.HasPrefix(field, "metric_commitments["):
			i := indexes(field)[0]
			if i < len(t.Metrics) {
				m := t.Metrics[i]
				return "bid-commit-" + m.Code, pick(lang, m.NameZh, m.NameEn) + " · " + h.pages.translate(lang, "bid.commitment")
			}
			return "bid-commitments", h.pages.translate(lang, "bid.commitments")
		case strings.HasPrefix(field, "attachments"):
			return "bid-attachments", h.pages.translate(lang, "bid.attachments")
		}
		return "bid-" + generic, h.pages.translate(lang, "bid."+generic)
	}
	if err != nil {
		status, alert, ok := h.tenderProblem(c, err, name)
		if !ok {
			return err
		}
		return h.renderOpportunity(c, status, id, tenderInput{bid: &f, alert: h.tenderSection(c, "bid", alert)})
	}
	return c.Redirect(fmt.Sprintf("/opportunities/%d?done=submitted#receipt", id), fiber.StatusSeeOther)
}

func (h *Handler) handleWithdrawSubmit(c *fiber.Ctx) error {
	bidID, err := request.ParamID(c, "bid")
	if err != nil {
		return err
	}
	return h.orgAction(c, "receipt", "withdrawn", tenderInput{}, h.prefixed(c, "bid-"),
		func(ctx context.Context, a access.Actor, id int64) error {
			_, err := h.Tenders.WithdrawTenderBid(ctx, a, id, bidID)
			return err
		})
}

func (h *Handler) handleChallengeSubmit(c *fiber.Ctx) error {
	lang := language(c)
	f := challengeForm{Reasons: strings.Clone(c.FormValue("reasons")), Evidence: map[int64]bool{}}
	var bad apperr.Fields
	for _, raw := range formValues(c, "evidence_document_ids") {
		id, err := strconv.ParseInt(raw, 10, 64)
		bad.Check(err == nil, "evidence_document_ids", "must be documents of your organization")
		f.Evidence[id] = err == nil
	}
	name := func(field string) (string, string) {
		if strings.HasPrefix(field, "evidence") {
			return "challenge-evidence", h.pages.translate(lang, "challenge.evidence")
		}
		return "challenge-reasons", h.pages.translate(lang, "challenge.reasons")
	}
	return h.orgAction(c, "challenge", "challenged", tenderInput{challenge: &f}, name, func(ctx context.Context, a access.Actor, id int64) error {
		if err := bad.Err(); err != nil {
			return err
		}
		_, err := h.Tenders.FileChallenge(ctx, a, id, f.Reasons, sortedIDs(f.Evidence))
		return err
	})
}
