package server

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
	"github.com/jiedao-market/jiedao/internal/tender"
)

// The organization's tender pages: opportunities, the tender with its bid
// form and receipt, withdrawal, questions and challenges.

func (s *Server) handleOpportunitiesPage(c *fiber.Ctx) error {
	ctx, a := c.UserContext(), actor(c)
	v := tendersView{Mode: modeOrg}
	open, err := s.tenders.List(ctx, a, tender.Filter{Eligible: true, PerPage: 100})
	if err != nil {
		return err
	}
	if v.Rows, err = s.tenderRows(ctx, modeOrg, open.Items); err != nil {
		return err
	}
	// The tenders the organization bid on, whatever their state.
	bidOn, err := s.tenders.List(ctx, a, tender.Filter{Mine: true, PerPage: 100})
	if err != nil {
		return err
	}
	statuses, err := s.tenders.MyBidStatuses(ctx, a)
	if err != nil {
		return err
	}
	if v.Mine, err = s.tenderRows(ctx, modeOrg, bidOn.Items); err != nil {
		return err
	}
	for i := range v.Mine {
		if st, ok := statuses[v.Mine[i].ID]; ok {
			v.Mine[i].Note = "bid_status." + st
		}
	}
	v.Tables = []tenderTable{{ID: "open-tenders", Mode: v.Mode, Rows: v.Rows, CaptionKey: "opportunities.open_caption", Count: len(v.Rows)},
		{ID: "my-tenders", Mode: v.Mode, Rows: v.Mine, Notes: true, CaptionKey: "opportunities.mine_caption", Count: len(v.Mine)}}
	return s.render(c, fiber.StatusOK, "tenders", v)
}

// renderOpportunity shows a tender to an organization: the notice, questions,
// its bid (receipt, content, withdrawal, replacement), the opening record, the
// award and its challenges.
func (s *Server) renderOpportunity(c *fiber.Ctx, status int, id int64, in tenderInput) error {
	ctx, a, lang := c.UserContext(), actor(c), language(c)
	t, v, err := s.detailPage(c, modeOrg, status, id, in)
	if err != nil {
		return err
	}
	now := s.clock.Now()
	open := t.Status == tender.StatusPublished
	if open {
		eligible, err := s.tenders.List(ctx, a, tender.Filter{Eligible: true, PerPage: 100})
		if err != nil {
			return err
		}
		v.Eligible = slices.ContainsFunc(eligible.Items, func(x tender.Summary) bool { return x.ID == id })
	}
	v.CanAsk = open && v.Eligible && now.Before(t.QuestionsCloseAt)
	v.Ask = in.ask
	// The organization's own bids, with their content: nobody else's.
	var current *tender.BidView
	if t.MyBid != nil {
		bids, err := s.tenders.Bids(ctx, a, id)
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
			mb.Price, mb.Proposal, mb.Staffing = yuan(b.PriceFen), b.TechnicalProposal, b.StaffingPlan
			mb.Commitments = s.commitRows(lang, t.Metrics, bodyCommitments(b), formAlert{})
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
	v.Commitments = s.commitRows(lang, t.Metrics, v.Bid.Commitments, in.alert.formAlert)
	// A bidder whose bid was opened may challenge the proposed award in its period.
	if v.Award != nil && v.Award.Open && t.Status == tender.StatusAwardProposed && v.Opening != nil &&
		slices.ContainsFunc(v.Opening.Bids, func(b tender.OpeningEntry) bool { return b.OrganizationID == a.Scope.OrganizationID }) {
		v.CanChallenge = true
		docs, err := s.orgs.ListDocuments(ctx, a, a.Scope.OrganizationID)
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
		list, err := s.tenders.Challenges(ctx, a, id)
		if err != nil {
			return err
		}
		v.Challenges = s.challengeRows(list, in)
	}
	return s.render(c, status, "tender", v)
}

func (s *Server) handleOpportunityPage(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	return s.renderOpportunity(c, fiber.StatusOK, id, tenderInput{})
}

// orgAction runs one of the organization's actions, like officerAction.
func (s *Server) orgAction(c *fiber.Ctx, section, done string, in tenderInput, name func(string) (string, string),
	act func(ctx context.Context, a access.Actor, id int64) error) error {
	return s.tenderAction(c, "/opportunities", (*Server).renderOpportunity, section, done, in, name, act)
}

func (s *Server) handleAskSubmit(c *fiber.Ctx) error {
	body := strings.Clone(c.FormValue("body"))
	lang := language(c)
	return s.orgAction(c, "qa", "asked", tenderInput{ask: body},
		func(string) (string, string) { return "ask-body", s.pages.translate(lang, "qa.question") },
		func(ctx context.Context, a access.Actor, id int64) error {
			_, err := s.tenders.Ask(ctx, a, id, body)
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

func (s *Server) handleBidSubmitPage(c *fiber.Ctx) error {
	ctx, a, lang := c.UserContext(), actor(c), language(c)
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	t, err := s.tenders.Get(ctx, a, id)
	if err != nil {
		return err
	}
	f, body, err := readBid(c, t.Metrics)
	if err == nil {
		_, err = s.tenders.SubmitBid(ctx, a, id, body)
	}
	name := func(field string) (string, string) {
		generic := fieldIndex.ReplaceAllString(field, "")
		switch {
		case strings.HasPrefix(field, "metric_commitments["):
			i := indexes(field)[0]
			if i < len(t.Metrics) {
				m := t.Metrics[i]
				return "bid-commit-" + m.Code, pick(lang, m.NameZh, m.NameEn) + " · " + s.pages.translate(lang, "bid.commitment")
			}
			return "bid-commitments", s.pages.translate(lang, "bid.commitments")
		case strings.HasPrefix(field, "attachments"):
			return "bid-attachments", s.pages.translate(lang, "bid.attachments")
		case field == "price_fen":
			return "bid-price", s.pages.translate(lang, "bid.price")
		}
		return "bid-" + generic, s.pages.translate(lang, "bid."+generic)
	}
	if err != nil {
		status, alert, ok := s.tenderProblem(c, err, name)
		if !ok {
			return err
		}
		alert = inFormOrder(alert, "bid-price", "bid-technical_proposal", "bid-staffing_plan")
		return s.renderOpportunity(c, status, id, tenderInput{bid: &f, alert: s.tenderSection(c, "bid", alert)})
	}
	return c.Redirect(fmt.Sprintf("/opportunities/%d?done=submitted#receipt", id), fiber.StatusSeeOther)
}

func (s *Server) handleWithdrawSubmit(c *fiber.Ctx) error {
	bidID, err := paramID(c, "bid")
	if err != nil {
		return err
	}
	return s.orgAction(c, "receipt", "withdrawn", tenderInput{}, s.prefixed(c, "bid-"),
		func(ctx context.Context, a access.Actor, id int64) error {
			t, err := s.tenders.Get(ctx, a, id)
			if err != nil {
				return err
			}
			if t.MyBid == nil || t.MyBid.ID != bidID {
				return apperr.ErrNotFound
			}
			_, err = s.tenders.WithdrawBid(ctx, a, bidID)
			return err
		})
}

func (s *Server) handleChallengeSubmit(c *fiber.Ctx) error {
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
			return "challenge-evidence", s.pages.translate(lang, "challenge.evidence")
		}
		return "challenge-reasons", s.pages.translate(lang, "challenge.reasons")
	}
	return s.orgAction(c, "challenge", "challenged", tenderInput{challenge: &f}, name, func(ctx context.Context, a access.Actor, id int64) error {
		if err := bad.Err(); err != nil {
			return err
		}
		_, err := s.tenders.FileChallenge(ctx, a, id, f.Reasons, sortedIDs(f.Evidence))
		return err
	})
}
