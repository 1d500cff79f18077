package ui

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/request"
	"github.com/jiedao-market/jiedao/internal/tender"
)

// The readers of the tender detail page, each with its own path.
const (
	modeOfficer   = "officer"
	modeOrg       = "org"
	modeEvaluator = "evaluator"
	modePublic    = "public"
)

var modeBase = map[string]string{modeOfficer: "/tenders", modeOrg: "/opportunities", modeEvaluator: "/reviews", modePublic: "/procurement"}

// tendersPerPage is the number of tenders on one page of a list.
const tendersPerPage = 20

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

// tenderProblem is serviceProblem for the tender forms: a metric target's
// field errors share one message.
func (h *Handler) tenderProblem(c *fiber.Ctx, err error, name func(field string) (anchor, label string)) (int, formAlert, bool) {
	return h.serviceProblem(c, err, "tender", tenderRefusals, name, func(generic string) string {
		if strings.HasPrefix(generic, "metric_targets.") {
			return "metric_targets"
		}
		return generic
	})
}

// serviceProblem turns a domain service's error into the alert of a
// re-rendered form and its status; ok is false for an error that belongs on
// the error page. A conflict, or a refusal listed in refusals, is the
// alert's message ("conflict.<code>", else the service's); a validation error
// names each bad field with the id of its input and its label (name) and the
// message "fielderr.<area>.<field without indexes, as generic makes it>",
// else the service's.
func (h *Handler) serviceProblem(c *fiber.Ctx, err error, area string, refusals map[string]bool,
	name func(field string) (anchor, label string), generic func(string) string) (int, formAlert, bool) {
	e, ok := apperr.As(err)
	if !ok {
		return 0, formAlert{}, false
	}
	lang := language(c)
	switch {
	case e.Kind == apperr.Conflict || (e.Kind == apperr.Forbidden && refusals[e.Code]):
		msg, ok := h.pages.lookup(lang, "conflict."+e.Code)
		if !ok {
			msg = e.Message
		}
		return e.Kind.Status(), formAlert{Message: msg}, true
	case e.Kind != apperr.Invalid:
		return 0, formAlert{}, false
	}
	a := formAlert{Message: h.pages.translate(lang, "form.invalid"), bad: map[string]bool{}}
	if len(e.Fields) == 0 {
		a.Message = h.pages.translate(lang, "error.invalid")
	}
	for _, f := range e.Fields {
		anchor, label := name(f.Field)
		msg, ok := h.pages.lookup(lang, "fielderr."+area+"."+generic(fieldIndex.ReplaceAllString(f.Field, "")))
		if !ok {
			msg = f.Message
		}
		a.Fields = append(a.Fields, fieldProblem{Anchor: anchor, Label: label, Message: msg})
		a.bad[anchor] = true
	}
	return fiber.StatusBadRequest, a, true
}

// tenderRows shows summaries as rows linking to the mode's detail page.
func (h *Handler) tenderRows(ctx context.Context, mode string, list []tender.Summary) ([]tenderRow, error) {
	_, byCode, err := h.categories(ctx)
	if err != nil {
		return nil, err
	}
	subs, err := h.subdistrictsByID(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]tenderRow, len(list))
	for i, t := range list {
		out[i] = tenderRow{Summary: t, Href: fmt.Sprintf("%s/%d", modeBase[mode], t.ID), Category: byCode[t.CategoryCode],
			Subdistrict: subs[t.SubdistrictID], Ceiling: t.CeilingFen.Grouped(), Closes: showTime(&t.ClosesAt), Opens: showTime(&t.OpensAt)}
	}
	return out, nil
}

// listPage fills the paging of a list view of total tenders.
func (v *tendersView) listPage(base string, total int) {
	v.paginate(int64(total), tendersPerPage, len(v.Rows), statusPageLink(base, v.Status))
}

// statusPageLink returns the link to page n of the list at base filtered by
// status ("" for none): base?status=…&page=n, without what is default.
func statusPageLink(base, status string) func(n int) string {
	return func(n int) string {
		q := url.Values{}
		if status != "" {
			q.Set("status", status)
		}
		if n > 1 {
			q.Set("page", strconv.Itoa(n))
		}
		if len(q) == 0 {
			return base
		}
		return base + "?" + q.Encode()
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
	switch t.Status {
	case tender.StatusCancelled, tender.StatusFailed:
		out = append(out, timelineStep{Key: t.Status, When: showTime(t.EndedAt), Done: true, Note: t.StatusReason})
	case tender.StatusAwardBlocked:
		out = append(out, timelineStep{Key: t.Status, When: showTime(&t.UpdatedAt), Done: true, Note: t.StatusReason})
	}
	return out
}

// reasonText translates a compliance or abnormal-price reason, else shows it.
func (h *Handler) reasonText(lang, prefix, reason string) string {
	if m, ok := h.pages.lookup(lang, prefix+reason); ok {
		return m
	}
	return reason
}

func (h *Handler) openingOf(lang string, rec tender.OpeningRecord) *openingView {
	v := &openingView{OpeningRecord: rec, Opened: showTime(&rec.OpenedAt), Ceiling: rec.CeilingFen.Grouped()}
	for _, b := range rec.Bids {
		r := openingRow{OpeningEntry: b, Received: showSeconds(b.ReceivedAt)}
		if b.PriceFen != nil {
			r.Price = (*b.PriceFen).Grouped()
		}
		for _, why := range b.ComplianceReasons {
			r.Reasons = append(r.Reasons, h.reasonText(lang, "compliance.", why))
		}
		for _, why := range b.AbnormalReasons {
			r.Abnormal = append(r.Abnormal, h.reasonText(lang, "abnormal.", why))
		}
		v.Rows = append(v.Rows, r)
	}
	return v
}

func (h *Handler) tableOf(lang string, t tender.ScoreTable, winners []int64) *scoreTableView {
	v := &scoreTableView{Weights: t.Weights, Criteria: t.Criteria}
	for _, m := range t.Members {
		v.Members = append(v.Members, m.Name)
	}
	for _, r := range t.Rows {
		row := scoreRowView{ScoreRow: r, Price: r.PriceFen.Grouped(), Winner: slices.Contains(winners, r.BidID)}
		for _, why := range r.AbnormalReasons {
			row.Abnormal = append(row.Abnormal, h.reasonText(lang, "abnormal.", why))
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
func (h *Handler) metricRows(lang string, ms []tender.Metric) []tenderMetricRow {
	out := make([]tenderMetricRow, len(ms))
	for i, m := range ms {
		out[i] = tenderMetricRow{Code: m.Code, NameZh: m.NameZh, NameEn: m.NameEn, Unit: h.unitName(lang, m.Unit), Direction: m.Direction,
			Target: number(m.Target), Weight: m.Weight}
	}
	return out
}

// commitRows pairs a tender's metrics with values by code.
func (h *Handler) commitRows(lang string, ms []tender.Metric, values map[string]string, alert formAlert) []commitRow {
	out := make([]commitRow, len(ms))
	for i, m := range ms {
		anchor := "bid-commit-" + m.Code
		out[i] = commitRow{Code: m.Code, Name: pick(lang, m.NameZh, m.NameEn), Unit: h.unitName(lang, m.Unit), Direction: m.Direction,
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
// contracts. The questions and the rest are each mode'h.
func (h *Handler) tenderDetail(c *fiber.Ctx, mode string, t tender.View, pub *tender.Public) (tenderView, error) {
	ctx, lang := c.UserContext(), language(c)
	v := tenderView{Mode: mode, Base: fmt.Sprintf("%s/%d", modeBase[mode], t.ID), T: t, Ceiling: t.CeilingFen.Grouped(),
		Metrics: h.metricRows(lang, t.Metrics), QuestionsClose: showTime(&t.QuestionsCloseAt), Closes: showTime(&t.ClosesAt),
		Opens: showTime(&t.OpensAt)}
	_, byCode, err := h.categories(ctx)
	if err != nil {
		return v, err
	}
	v.Category = byCode[t.CategoryCode]
	if v.Subdistrict, err = h.Places.GetSubdistrict(ctx, t.SubdistrictID); err != nil {
		return v, err
	}
	if v.Communities, err = h.Places.CommunitiesByID(ctx, t.CommunityIDs); err != nil {
		return v, err
	}
	funds, err := h.Funds.Names(ctx, []int64{t.FundAccountID})
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
			v.Opening = h.openingOf(lang, *pub.Opening)
		}
		if p := pub.Award; p != nil {
			aw := &awardView{AwardProposalView: *p, Proposed: showTime(&p.ProposedAt), ChallengeEnds: showTime(&p.ChallengeEndsAt),
				Open: p.Status == "proposed" && h.clock.Now().Before(p.ChallengeEndsAt)}
			for _, w := range p.Winners {
				aw.Winners = append(aw.Winners, w.OrganizationName)
			}
			v.Award = aw
			v.Table = h.tableOf(lang, p.ScoreTable, p.BidIDs)
		}
	}
	v.Timeline = timeline(t, v.Award, h.clock.Now())
	if v.Flags, err = h.tenderFlags(ctx, lang, t.ID); err != nil {
		return v, err
	}
	var orgIDs []int64
	for _, k := range t.Contracts {
		orgIDs = append(orgIDs, k.OrganizationID)
	}
	names, err := h.Orgs.LegalNames(ctx, orgIDs)
	if err != nil {
		return v, err
	}
	a := request.Actor(c)
	for _, k := range t.Contracts {
		row := contractRow{ID: k.ID, Organization: names[k.OrganizationID], Amount: k.AmountFen.Grouped(),
			Period: k.ServiceStart.String() + " – " + k.ServiceEnd.String(), Status: k.Status}
		// Each reader is linked to the contract page it may open.
		switch {
		case mode == modeOfficer, mode == modeOrg && a.Is(access.OrgStaff...) && a.Scope.OrganizationID == k.OrganizationID:
			row.Href = fmt.Sprintf("/contracts/%d", k.ID)
		case mode == modePublic && k.SignedAt != nil:
			row.Href = fmt.Sprintf("/procurement/contracts/%d", k.ID)
		}
		v.Contracts = append(v.Contracts, row)
	}
	if done := c.Query("done"); slices.Contains(tenderDone, done) {
		v.Done = done
	}
	return v, nil
}

// publicOf returns the public record of a tender past its draft: its opening
// record and award, the same for every reader.
func (h *Handler) publicOf(ctx context.Context, t tender.View) (*tender.Public, error) {
	if t.Status == tender.StatusDraft {
		return nil, nil
	}
	p, err := h.Tenders.PublicGet(ctx, t.ID)
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

// challengeRows shows challenges with the officer's answer forms.
func (h *Handler) challengeRows(list []tender.Challenge, in tenderInput) []challengeRow {
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

// detailPage reads a tender for the signed-in reader and lays out what every
// reader's detail page shows: the notice, the public record, the questions,
// and the alert of a refused form (status other than 200).
func (h *Handler) detailPage(c *fiber.Ctx, mode string, status int, id int64, in tenderInput) (tender.View, tenderView, error) {
	ctx, a := c.UserContext(), request.Actor(c)
	t, err := h.Tenders.Get(ctx, a, id)
	if err != nil {
		return t, tenderView{}, err
	}
	pub, err := h.publicOf(ctx, t)
	if err != nil {
		return t, tenderView{}, err
	}
	v, err := h.tenderDetail(c, mode, t, pub)
	if err != nil {
		return t, v, err
	}
	v.Alert = in.alert
	if status != fiber.StatusOK {
		v.Done = ""
	}
	qs, err := h.Tenders.Questions(ctx, a, id)
	if err != nil {
		return t, v, err
	}
	v.Questions = questionRows(qs, in)
	return t, v, nil
}

// tenderSection places an alert in a section of a tender page.
func (h *Handler) tenderSection(c *fiber.Ctx, section string, alert formAlert) pageAlert {
	return pageAlert{Context: h.pages.translate(language(c), "tender."+section+"_heading"), Href: "#" + section, formAlert: alert}
}

// tenderAction runs a reader's action on the tender named by the path: on
// success it redirects to the reader's page at base with done; a refusal it
// can place in a form re-renders the page (render) with the alert in section.
func (h *Handler) tenderAction(c *fiber.Ctx, base string, render func(*Handler, *fiber.Ctx, int, int64, tenderInput) error,
	section, done string, in tenderInput, name func(string) (string, string), act func(ctx context.Context, a access.Actor, id int64) error) error {
	id, err := request.ParamID(c, "id")
	if err != nil {
		return err
	}
	if err := act(c.UserContext(), request.Actor(c), id); err != nil {
		status, alert, ok := h.tenderProblem(c, err, name)
		if !ok {
			return err
		}
		in.alert = h.tenderSection(c, section, alert)
		return render(h, c, status, id, in)
	}
	return c.Redirect(fmt.Sprintf("%s/%d?done=%s#%s", base, id, done, section), fiber.StatusSeeOther)
}

// prefixed names a form's fields by a prefix and the message catalog's labels.
func (h *Handler) prefixed(c *fiber.Ctx, prefix string) func(string) (string, string) {
	lang := language(c)
	return func(field string) (string, string) {
		generic := fieldIndex.ReplaceAllString(field, "")
		return prefix + generic, h.pages.translate(lang, "tf."+generic)
	}
}

// handleBidAttachment sends a file of an opened bid to the officer or a
// committee member, or of its own bid to an organization: what the service's
// Bids lets the reader see, and nothing else.
func (h *Handler) handleBidAttachment(c *fiber.Ctx) error {
	ids, err := request.ParamIDs(c, "id", "bid")
	if err != nil {
		return err
	}
	n, err := strconv.Atoi(c.Params("n"))
	if err != nil || n < 0 {
		return apperr.ErrNotFound
	}
	bidID := ids[1]
	bids, err := h.Tenders.Bids(c.UserContext(), request.Actor(c), ids[0])
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
	return request.SendAttachment(c, a.ContentType, a.Name, a.Data)
}
