package ui

import (
	"context"
	"fmt"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/request"
	"github.com/jiedao-market/jiedao/internal/tender"
)

// memberNote is what a tender asks of an evaluator, as a message key.
func memberNote(t tender.Summary, m tender.MySheet) string {
	switch {
	case m.Recused:
		return "review.recused"
	case t.Status == tender.StatusOpened && !m.Declared:
		return "review.to_declare"
	case t.Status == tender.StatusOpened && m.SubmittedAt == nil:
		return "review.to_score"
	case t.Status == tender.StatusOpened:
		return "review.submitted"
	case t.Status == tender.StatusPublished || t.Status == tender.StatusClosed:
		return "review.waiting"
	}
	return "review.done"
}

func (h *Handler) handleReviewsPage(c *fiber.Ctx) error {
	ctx, a := c.UserContext(), request.Actor(c)
	v := tendersView{Mode: modeEvaluator}
	_, v.Page = listQuery(c, nil)
	page, err := h.Tenders.List(ctx, a, tender.Filter{Page: v.Page, PerPage: tendersPerPage})
	if err != nil {
		return err
	}
	if v.Rows, err = h.tenderRows(ctx, modeEvaluator, page.Items); err != nil {
		return err
	}
	for i, r := range v.Rows {
		m, err := h.Tenders.MySheet(ctx, a, r.ID)
		if err != nil {
			return err
		}
		v.Rows[i].Note = memberNote(r.Summary, m)
	}
	v.listPage("/reviews", page.Total)
	v.Tables = []tenderTable{{ID: "tender-list", Mode: v.Mode, Rows: v.Rows, Notes: true, CaptionKey: "tenders.caption_total", Count: int(v.Total)}}
	return h.render(c, fiber.StatusOK, "tenders", v)
}

// renderReview shows a tender to a committee member: before the opening, its
// notice; after it, the declaration with the bidders' names, then the scoring
// form with the compliant bids, then the score table once all have scored.
func (h *Handler) renderReview(c *fiber.Ctx, status int, id int64, in tenderInput) error {
	ctx, a, lang := c.UserContext(), request.Actor(c), language(c)
	t, v, err := h.detailPage(c, modeEvaluator, status, id, in)
	if err != nil {
		return err
	}
	m, err := h.Tenders.MySheet(ctx, a, t.ID)
	if err != nil {
		return err
	}
	if m.SubmittedAt != nil {
		v.SubmittedAt = showTime(m.SubmittedAt)
	}
	if v.Opening != nil {
		for _, b := range v.Opening.Bids {
			v.Bidders = append(v.Bidders, b.OrganizationName)
		}
	}
	v.Declare = declareForm{Conflict: "no"}
	if in.declare != nil {
		v.Declare = *in.declare
	}
	switch {
	case m.Recused:
		v.Member = "recused"
	case t.OpenedAt == nil:
		v.Member = "waiting"
	case t.Status == tender.StatusFailed || t.Status == tender.StatusCancelled:
		v.Member = "closed"
	case !m.Declared && t.Status == tender.StatusOpened:
		v.Member = "declare"
	case !m.Declared:
		v.Member = "closed"
	case t.Status == tender.StatusOpened:
		v.Member = "score"
		if v.Scoring, err = h.scoringBids(ctx, lang, a, t, m, in); err != nil {
			return err
		}
	default:
		v.Member = "done"
		if v.Table == nil && t.Status == tender.StatusEvaluated {
			table, err := h.Tenders.ScoreTable(ctx, a, id)
			if err != nil {
				return err
			}
			v.Table = h.tableOf(lang, table, nil)
		}
	}
	return h.render(c, status, "tender", v)
}

// scoringBids lays out the scoring form: every compliant bid with its opened
// content, and a score and a comment for each criterion, as the member typed
// them (in) or last submitted them.
func (h *Handler) scoringBids(ctx context.Context, lang string, a access.Actor, t tender.View, m tender.MySheet, in tenderInput) ([]scoringBid, error) {
	bids, err := h.Tenders.Bids(ctx, a, t.ID)
	if err != nil {
		return nil, err
	}
	saved := map[string]string{}
	if m.SubmittedAt != nil && in.scores == nil {
		for _, sh := range m.Scores {
			for _, cr := range sh.Criteria {
				saved[fmt.Sprintf("score-%d-%s-points", sh.BidID, cr.Code)] = cr.Points.String()
				saved[fmt.Sprintf("score-%d-%s-comment", sh.BidID, cr.Code)] = cr.Comment
			}
		}
	}
	if in.scores != nil {
		saved = in.scores
	}
	var out []scoringBid
	for _, b := range bids {
		if b.Compliant == nil || !*b.Compliant || b.Content == nil {
			continue
		}
		sb := scoringBid{BidID: b.ID, Name: b.OrganizationName, Proposal: b.Content.TechnicalProposal, Staffing: b.Content.StaffingPlan,
			Attachments: attachmentLinks(fmt.Sprintf("/reviews/%d", t.ID), b.ID, b.Content.Attachments)}
		if b.PriceFen != nil {
			sb.Price = (*b.PriceFen).Grouped()
		}
		for _, why := range b.AbnormalReasons {
			sb.Abnormal = append(sb.Abnormal, h.reasonText(lang, "abnormal.", why))
		}
		sb.Commitments = h.commitRows(lang, t.Metrics, bodyCommitments(b.Content), formAlert{})
		for _, cr := range t.Criteria {
			cell := scoreCell{Code: cr.Code, Name: cr.Name, Max: cr.MaxPoints, PointsID: fmt.Sprintf("score-%d-%s-points", b.ID, cr.Code),
				TextID: fmt.Sprintf("score-%d-%s-comment", b.ID, cr.Code)}
			cell.Points, cell.Comment = saved[cell.PointsID], saved[cell.TextID]
			cell.BadPoints, cell.BadTxt = in.alert.Bad(cell.PointsID), in.alert.Bad(cell.TextID)
			sb.Cells = append(sb.Cells, cell)
		}
		out = append(out, sb)
	}
	return out, nil
}

func (h *Handler) handleReviewPage(c *fiber.Ctx) error {
	id, err := request.ParamID(c, "id")
	if err != nil {
		return err
	}
	return h.renderReview(c, fiber.StatusOK, id, tenderInput{})
}

// reviewAction runs one of the evaluator's actions, like officerAction.
func (h *Handler) reviewAction(c *fiber.Ctx, section, done string, in tenderInput, name func(string) (string, string),
	act func(ctx context.Context, a access.Actor, id int64) error) error {
	return h.tenderAction(c, "/reviews", (*Handler).renderReview, section, done, in, name, act)
}

func (h *Handler) handleDeclareSubmit(c *fiber.Ctx) error {
	lang := language(c)
	f := declareForm{Conflict: strings.Clone(c.FormValue("conflict")), Statement: strings.Clone(c.FormValue("statement"))}
	name := func(field string) (string, string) {
		if field == "conflict" {
			return "declare-conflict", h.pages.translate(lang, "declare.conflict")
		}
		return "declare-statement", h.pages.translate(lang, "declare.statement")
	}
	return h.reviewAction(c, "declaration", "declared", tenderInput{declare: &f}, name, func(ctx context.Context, a access.Actor, id int64) error {
		if f.Conflict != "yes" && f.Conflict != "no" {
			return apperr.InvalidField("conflict", "is required: yes or no")
		}
		_, err := h.Tenders.Declare(ctx, a, id, f.Conflict == "yes", f.Statement)
		return err
	})
}

func (h *Handler) handleScoresSubmit(c *fiber.Ctx) error {
	lang := language(c)
	typed := map[string]string{}
	// order names each sheet's bid and each of its criteria, as sent.
	type sent struct {
		bid   int64
		codes []string
	}
	var order []sent
	name := func(field string) (string, string) {
		idx := indexes(field)
		if len(idx) == 0 || idx[0] >= len(order) {
			return "scoring", h.pages.translate(lang, "review.scoring_heading")
		}
		o := order[idx[0]]
		if len(idx) < 2 || idx[1] >= len(o.codes) {
			return fmt.Sprintf("scoring-%d", o.bid), h.pages.translate(lang, "review.scoring_heading")
		}
		part := "points"
		if strings.HasSuffix(field, ".comment") {
			part = "comment"
		}
		return fmt.Sprintf("score-%d-%s-%s", o.bid, o.codes[idx[1]], part), h.pages.translate(lang, "score."+part)
	}
	return h.reviewAction(c, "scoring", "scored", tenderInput{scores: typed}, name, func(ctx context.Context, a access.Actor, id int64) error {
		t, err := h.Tenders.Get(ctx, a, id)
		if err != nil {
			return err
		}
		bids, err := h.Tenders.Bids(ctx, a, id)
		if err != nil {
			return err
		}
		var bad apperr.Fields
		var sheets []tender.BidSheet
		for _, b := range bids {
			if b.Compliant == nil || !*b.Compliant {
				continue
			}
			i := len(sheets)
			sheet := tender.BidSheet{BidID: b.ID}
			o := sent{bid: b.ID}
			for j, cr := range t.Criteria {
				pid, tid := fmt.Sprintf("score-%d-%s-points", b.ID, cr.Code), fmt.Sprintf("score-%d-%s-comment", b.ID, cr.Code)
				typed[pid] = strings.TrimSpace(strings.Clone(c.FormValue(pid)))
				typed[tid] = strings.Clone(c.FormValue(tid))
				points, err := tender.ParseScore(typed[pid])
				bad.Check(err == nil, fmt.Sprintf("scores[%d].criteria[%d].points", i, j), "must be a number with at most two decimals")
				sheet.Criteria = append(sheet.Criteria, tender.CriterionScore{Code: cr.Code, Points: points, Comment: typed[tid]})
				o.codes = append(o.codes, cr.Code)
			}
			sheets = append(sheets, sheet)
			order = append(order, o)
		}
		if err := bad.Err(); err != nil {
			return err
		}
		_, err = h.Tenders.SubmitScores(ctx, a, id, sheets)
		return err
	})
}
