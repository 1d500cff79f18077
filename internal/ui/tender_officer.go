package ui

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/catalog"
	"github.com/jiedao-market/jiedao/internal/request"
	"github.com/jiedao-market/jiedao/internal/tender"
)

func (h *Handler) handleTendersPage(c *fiber.Ctx) error {
	ctx, a := c.UserContext(), request.Actor(c)
	v := tendersView{Mode: modeOfficer, Statuses: tender.States, CanCreate: true}
	v.Status, v.Page = listQuery(c, tender.States)
	page, err := h.Tenders.List(ctx, a, tender.Filter{Status: v.Status, Page: v.Page, PerPage: tendersPerPage})
	if err != nil {
		return err
	}
	if v.Rows, err = h.tenderRows(ctx, modeOfficer, page.Items); err != nil {
		return err
	}
	v.listPage("/tenders", page.Total)
	v.Tables = []tenderTable{{ID: "tender-list", Mode: v.Mode, Rows: v.Rows, CaptionKey: "tenders.caption_total", Count: int(v.Total)}}
	return h.render(c, fiber.StatusOK, "tenders", v)
}

// renderTender shows the officer's overview of a tender, with the forms its
// state allows.
func (h *Handler) renderTender(c *fiber.Ctx, status int, id int64, in tenderInput) error {
	ctx, a, lang := c.UserContext(), request.Actor(c), language(c)
	t, v, err := h.detailPage(c, modeOfficer, status, id, in)
	if err != nil {
		return err
	}
	v.Committee = t.Committee
	names, err := h.Orgs.LegalNames(ctx, t.InvitedOrganizationIDs)
	if err != nil {
		return err
	}
	for _, oid := range t.InvitedOrganizationIDs {
		v.Invited = append(v.Invited, names[oid])
	}
	st := t.Status
	v.CanEdit = st == tender.StatusDraft
	v.CanPublish = st == tender.StatusDraft
	v.CanCancel = tender.Cancellable(st)
	v.CanAmend = st == tender.StatusPublished
	v.CancelReason = in.cancel
	if in.amend != nil {
		v.Amend = *in.amend
	} else {
		v.Amend = amendForm{Description: t.Description, QuestionsCloseAt: localInput(t.QuestionsCloseAt), ClosesAt: localInput(t.ClosesAt),
			OpensAt: localInput(t.OpensAt)}
	}
	if v.Table == nil && (st == tender.StatusEvaluated || st == tender.StatusAwardBlocked) {
		table, err := h.Tenders.ScoreTable(ctx, a, id)
		if err != nil {
			return err
		}
		// Bids whose organizations are no longer eligible are not offered.
		ineligible, err := h.Tenders.IneligibleBids(ctx, a, id, table.Rows)
		if err != nil {
			return err
		}
		v.Table = h.tableOf(lang, table, nil)
		eligible := []tender.ScoreRow{}
		for i, r := range table.Rows {
			for _, why := range ineligible[r.BidID] {
				v.Table.Rows[i].Ineligible = append(v.Table.Rows[i].Ineligible, h.reasonText(lang, "eligibility.", why))
			}
			if ineligible[r.BidID] == nil {
				eligible = append(eligible, r)
			}
		}
		v.CanPropose = len(eligible) > 0
		v.SeveralWinners = tender.MethodSettings[t.PurchaseMethod].SeveralWinners
		if in.award != nil {
			v.AwardForm = *in.award
		} else {
			// The service's default, which an empty form would propose too.
			v.AwardForm = awardForm{BidIDs: map[int64]bool{}}
			for _, id := range t.DefaultWinners(eligible) {
				v.AwardForm.BidIDs[id] = true
			}
		}
	}
	// Members who declared a conflict are replaced by other evaluators of the district.
	recused := false
	for _, m := range t.Committee {
		recused = recused || m.Recused
	}
	if recused && st == tender.StatusOpened {
		evaluators, err := h.Tenders.Evaluators(ctx, a)
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
		list, err := h.Tenders.Challenges(ctx, a, id)
		if err != nil {
			return err
		}
		v.Challenges = h.challengeRows(list, in)
	}
	return h.render(c, status, "tender", v)
}

func (h *Handler) handleTenderPage(c *fiber.Ctx) error {
	id, err := request.ParamID(c, "id")
	if err != nil {
		return err
	}
	return h.renderTender(c, fiber.StatusOK, id, tenderInput{})
}

// officerAction runs one of the officer's actions on the tender, redirecting
// to the overview (done) or showing it again with what went wrong in section.
func (h *Handler) officerAction(c *fiber.Ctx, section, done string, in tenderInput, name func(string) (string, string),
	act func(ctx context.Context, a access.Actor, id int64) error) error {
	return h.tenderAction(c, "/tenders", (*Handler).renderTender, section, done, in, name, act)
}

func (h *Handler) handleTenderPublishSubmit(c *fiber.Ctx) error {
	return h.officerAction(c, "state", "published", tenderInput{}, h.prefixed(c, "tf-"), func(ctx context.Context, a access.Actor, id int64) error {
		_, err := h.Tenders.Publish(ctx, a, id)
		return err
	})
}

func (h *Handler) handleTenderCancelSubmit(c *fiber.Ctx) error {
	reason := strings.Clone(c.FormValue("reason"))
	return h.officerAction(c, "state", "cancelled", tenderInput{cancel: reason}, h.prefixed(c, "cancel-"),
		func(ctx context.Context, a access.Actor, id int64) error {
			_, err := h.Tenders.Cancel(ctx, a, id, reason)
			return err
		})
}

func (h *Handler) handleTenderAmendSubmit(c *fiber.Ctx) error {
	form := func(k string) string { return strings.TrimSpace(strings.Clone(c.FormValue(k))) }
	f := amendForm{Reason: form("reason"), Description: form("description"), QuestionsCloseAt: form("questions_close_at"),
		ClosesAt: form("closes_at"), OpensAt: form("opens_at")}
	named := h.prefixed(c, "amend-")
	name := func(field string) (string, string) {
		if field == "changes" {
			// Nothing changed: the description is the first thing to change.
			_, label := named(field)
			return "amend-description", label
		}
		return named(field)
	}
	return h.officerAction(c, "amend", "amended", tenderInput{amend: &f}, name,
		func(ctx context.Context, a access.Actor, id int64) error {
			// What changed is the service's to decide: the form holds every field.
			in := tender.TypedAmendment{Reason: f.Reason, Description: f.Description}
			var bad apperr.Fields
			for _, p := range []struct {
				field, text string
				into        *time.Time
			}{{"questions_close_at", f.QuestionsCloseAt, &in.QuestionsCloseAt}, {"closes_at", f.ClosesAt, &in.ClosesAt}, {"opens_at", f.OpensAt, &in.OpensAt}} {
				if p.text == "" {
					continue
				}
				t, err := parseLocal(p.text)
				bad.Check(err == nil, p.field, "must be a date and time")
				*p.into = t
			}
			if err := bad.Err(); err != nil {
				return err
			}
			_, err := h.Tenders.AmendTyped(ctx, a, id, in)
			return err
		})
}

func (h *Handler) handleTenderAnswerSubmit(c *fiber.Ctx) error {
	qid, err := request.ParamID(c, "qid")
	if err != nil {
		return err
	}
	answer := strings.Clone(c.FormValue("answer"))
	anchor := fmt.Sprintf("answer-%d", qid)
	lang := language(c)
	return h.officerAction(c, "qa", "answered", tenderInput{answer: map[int64]string{qid: answer}},
		func(string) (string, string) { return anchor, h.pages.translate(lang, "qa.answer") },
		func(ctx context.Context, a access.Actor, id int64) error {
			_, err := h.Tenders.Answer(ctx, a, id, qid, answer)
			return err
		})
}

func (h *Handler) handleCommitteeSubmit(c *fiber.Ctx) error {
	lang := language(c)
	var evaluators []int64
	for _, raw := range formValues(c, "committee_user_ids") {
		if uid, err := strconv.ParseInt(raw, 10, 64); err == nil {
			evaluators = append(evaluators, uid)
		}
	}
	return h.officerAction(c, "committee", "committee", tenderInput{},
		func(string) (string, string) { return "committee-members", h.pages.translate(lang, "tf.committee") },
		func(ctx context.Context, a access.Actor, id int64) error {
			_, err := h.Tenders.ReplaceRecused(ctx, a, id, evaluators)
			return err
		})
}

func (h *Handler) handleAwardSubmit(c *fiber.Ctx) error {
	lang := language(c)
	f := awardForm{BidIDs: map[int64]bool{}, Deviation: strings.Clone(c.FormValue("deviation_reason"))}
	for _, raw := range formValues(c, "bid_ids") {
		if id, err := strconv.ParseInt(raw, 10, 64); err == nil {
			f.BidIDs[id] = true
		}
	}
	name := func(field string) (string, string) {
		if strings.HasPrefix(field, "bid_ids") {
			return "award-bids", h.pages.translate(lang, "award.bids")
		}
		return "award-deviation_reason", h.pages.translate(lang, "award.deviation_reason")
	}
	return h.officerAction(c, "award", "proposed", tenderInput{award: &f}, name, func(ctx context.Context, a access.Actor, id int64) error {
		_, err := h.Tenders.ProposeAward(ctx, a, id, tender.AwardInput{BidIDs: sortedIDs(f.BidIDs), DeviationReason: f.Deviation})
		return err
	})
}

func (h *Handler) handleChallengeAnswerSubmit(c *fiber.Ctx) error {
	cid, err := request.ParamID(c, "cid")
	if err != nil {
		return err
	}
	lang := language(c)
	typed := challengeRow{FormOutcome: strings.Clone(c.FormValue("outcome")), FormAction: strings.Clone(c.FormValue("action")),
		FormAnswer: strings.Clone(c.FormValue("answer"))}
	name := func(field string) (string, string) {
		return fmt.Sprintf("ch-%d-%s", cid, field), h.pages.translate(lang, "challenge."+field)
	}
	return h.officerAction(c, "challenges", "challenge_answered", tenderInput{chAnswer: map[int64]challengeRow{cid: typed}}, name,
		func(ctx context.Context, a access.Actor, id int64) error {
			action := typed.FormAction
			if typed.FormOutcome != "upheld" {
				action = ""
			}
			_, err := h.Tenders.AnswerTenderChallenge(ctx, a, id, cid, tender.ChallengeAnswer{Outcome: typed.FormOutcome, Answer: typed.FormAnswer, Action: action})
			return err
		})
}

// handleEvidenceDownload lets the tender's officer read a document a
// challenge cites as evidence.
func (h *Handler) handleEvidenceDownload(c *fiber.Ctx) error {
	ids, err := request.ParamIDs(c, "id", "cid", "doc")
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	orgID, err := h.Tenders.EvidenceDocument(ctx, request.Actor(c), ids[0], ids[1], ids[2])
	if err != nil {
		return err
	}
	doc, rc, err := h.Orgs.OpenCitedDocument(ctx, orgID, ids[2])
	if err != nil {
		return err
	}
	return request.SendStored(c, doc, rc)
}

// draftOf returns a tender of the officer with the transfer item version it was made from.
func (h *Handler) draftOf(c *fiber.Ctx) (tender.View, catalog.View, error) {
	ctx, a := c.UserContext(), request.Actor(c)
	id, err := request.ParamID(c, "id")
	if err != nil {
		return tender.View{}, catalog.View{}, err
	}
	t, err := h.Tenders.Get(ctx, a, id)
	if err != nil {
		return t, catalog.View{}, err
	}
	item, err := h.Catalog.GetItem(ctx, a, t.TransferItemID, t.TransferItemVersion)
	return t, item, err
}

func (h *Handler) handleTenderEditPage(c *fiber.Ctx) error {
	t, item, err := h.draftOf(c)
	if err != nil {
		return err
	}
	if t.Status != tender.StatusDraft {
		_, alert, _ := h.tenderProblem(c, tender.ErrNotDraft, nil)
		return h.renderTender(c, fiber.StatusConflict, t.ID, tenderInput{alert: pageAlert{formAlert: alert}})
	}
	return h.renderTenderForm(c, fiber.StatusOK, t.ID, item, formOfTender(t), formAlert{})
}

func (h *Handler) handleTenderEditSubmit(c *fiber.Ctx) error {
	t, item, err := h.draftOf(c)
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
		_, err = h.Tenders.Update(c.UserContext(), request.Actor(c), t.ID, in)
	}
	if err != nil {
		status, alert, ok := h.tenderProblem(c, err, h.tenderFormName(c, f, item))
		if !ok {
			return err
		}
		if errors.Is(err, tender.ErrNotDraft) {
			return h.renderTender(c, status, t.ID, tenderInput{alert: pageAlert{formAlert: alert}})
		}
		return h.renderTenderForm(c, status, t.ID, item, f, alert)
	}
	return c.Redirect(fmt.Sprintf("/tenders/%d?done=saved", t.ID), fiber.StatusSeeOther)
}
