package ui

import (
	"fmt"
	"slices"

	"github.com/gofiber/fiber/v2"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/request"
	"github.com/jiedao-market/jiedao/internal/tender"
)

// publicStates are the states the public list may be filtered by: all but draft.
var publicStates = slices.DeleteFunc(slices.Clone(tender.States), func(s string) bool { return s == tender.StatusDraft })

func (h *Handler) handleProcurementPage(c *fiber.Ctx) error {
	ctx := c.UserContext()
	v := tendersView{Mode: modePublic, Statuses: publicStates}
	v.Status, v.Page = listQuery(c, publicStates)
	page, err := h.Tenders.PublicList(ctx, tender.Filter{Status: v.Status, Page: v.Page, PerPage: tendersPerPage})
	if err != nil {
		return err
	}
	if v.Rows, err = h.tenderRows(ctx, modePublic, page.Items); err != nil {
		return err
	}
	v.listPage("/procurement", page.Total)
	v.Tables = []tenderTable{{ID: "tender-list", Mode: v.Mode, Rows: v.Rows, CaptionKey: "tenders.caption_total", Count: int(v.Total)}}
	return h.render(c, fiber.StatusOK, "tenders", v)
}

// handleNoticePage is a tender's public notice: the tender, its answered
// questions, amendments, the commitment to the bids once bidding has closed
// (with the "check my bid" form), the opening record once the bids are
// opened (no price before) and the award with its score table.
func (h *Handler) handleNoticePage(c *fiber.Ctx) error {
	p, err := request.ReadPublic(c, h.Tenders.PublicGet)
	if err != nil {
		return err
	}
	v, err := h.tenderDetail(c, modePublic, p.View, &p)
	if err != nil {
		return err
	}
	v.Questions = questionRows(p.Questions, tenderInput{})
	status, err := h.commitmentOf(c, &v, p)
	if err != nil {
		return err
	}
	return h.render(c, status, "tender", v)
}

type notificationRow struct {
	tender.Notification
	When    string
	Subject string
	Href    string
}

func (h *Handler) handleNotificationsPage(c *fiber.Ctx) error {
	ctx, a, lang := c.UserContext(), request.Actor(c), language(c)
	list, err := h.Tenders.Notifications(ctx, a)
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
		if href := paymentNoticeHref(a, n.Kind, n.ContractID); href != "" {
			rows[i].Href = href
			continue
		}
		switch {
		case n.ContractID != nil && a.Role == access.Evaluator: // an evaluation assigned or taken away
			rows[i].Href = "/evaluations"
		case n.ContractID != nil && a.Is(contractPageRoles...):
			rows[i].Href = fmt.Sprintf("/contracts/%d", *n.ContractID)
		case n.TenderID != nil:
			rows[i].Href = fmt.Sprintf("%s/%d", base, *n.TenderID)
		}
	}
	return h.render(c, fiber.StatusOK, "tender_notifications", fiber.Map{"Items": rows})
}
