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
	"github.com/jiedao-market/jiedao/internal/civil"
	"github.com/jiedao-market/jiedao/internal/money"
	"github.com/jiedao-market/jiedao/internal/request"
	"github.com/jiedao-market/jiedao/internal/tender"
)

// criterionRows is the number of technical criteria the wizard offers.
const criterionRows = 8

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
func (h *Handler) handleTenderNewPage(c *fiber.Ctx) error {
	ctx, a := c.UserContext(), request.Actor(c)
	if q := c.Query("item"); q != "" {
		id, err := strconv.ParseInt(q, 10, 64)
		if err != nil || id <= 0 {
			return apperr.ErrNotFound
		}
		item, err := h.publishedItem(ctx, a, id)
		if err != nil {
			return err
		}
		return h.renderTenderForm(c, fiber.StatusOK, 0, item, h.newTenderForm(c, item), formAlert{})
	}
	list, err := h.Catalog.ListItems(ctx, a)
	if err != nil {
		return err
	}
	_, byCode, err := h.categories(ctx)
	if err != nil {
		return err
	}
	var v tenderNewView
	for _, it := range list {
		if it.Status == "published" && it.PublishedVersion != nil {
			v.Items = append(v.Items, itemChoice{View: it, Category: byCode[it.CategoryCode], Price: it.UnitPriceFen.Grouped(), Published: *it.PublishedVersion})
		}
	}
	return h.render(c, fiber.StatusOK, "tender_new", v)
}

// publishedItem returns the published version of one of the officer's items:
// the wizard offers no other, so any other is not found.
func (h *Handler) publishedItem(ctx context.Context, a access.Actor, id int64) (catalog.View, error) {
	item, err := h.Catalog.PublishedItem(ctx, a, id)
	if errors.Is(err, catalog.ErrNoPublished) {
		return item, apperr.ErrNotFound
	}
	return item, err
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
	ShortWindowJustification                           string
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
func (h *Handler) newTenderForm(c *fiber.Ctx, item catalog.View) tenderForm {
	lang := language(c)
	now := h.clock.Now().In(civil.China)
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, civil.China)
	closes := day.AddDate(0, 0, 21).Add(9 * time.Hour)
	start := civil.ChinaDate(closes).AddDays(30)
	challenge := h.cfg.Tender.ChallengeDays
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
		f.Criteria[i] = criterionForm{Code: d.key, Name: h.pages.translate(lang, "tf.default_criterion."+d.key), MaxPoints: strconv.Itoa(d.points)}
	}
	return f
}

// formOfTender shows a draft tender in the wizard.
func formOfTender(t tender.View) tenderForm {
	f := tenderForm{ItemID: strconv.FormatInt(t.TransferItemID, 10), Title: t.Title, Description: t.Description, Method: t.PurchaseMethod,
		Justification: t.Justification, ShortWindowJustification: t.ShortWindowJustification,
		FundID: strconv.FormatInt(t.FundAccountID, 10), Ceiling: t.CeilingFen.Yuan(),
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
		Justification: form("justification"), ShortWindowJustification: form("short_window_justification"),
		FundID: form("fund_account_id"), Ceiling: form("ceiling"),
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

// input turns the wizard into the service's input. Fields that do not parse
// are returned as an Invalid error named as the service names them.
func (f *tenderForm) input() (tender.Input, error) {
	var bad apperr.Fields
	in := tender.Input{Title: &f.Title, Description: &f.Description, PurchaseMethod: &f.Method, Justification: &f.Justification,
		ShortWindowJustification: &f.ShortWindowJustification}
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
	date := func(field, text string) *civil.Date {
		var d civil.Date
		if text != "" {
			var err error
			d, err = civil.ParseDate(text)
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

// tenderFormName names the wizard's fields for an alert.
func (h *Handler) tenderFormName(c *fiber.Ctx, f tenderForm, item catalog.View) func(string) (string, string) {
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
				fmt.Sprintf(h.pages.translate(lang, "tf.criterion_n"), row+1) + " · " + h.pages.translate(lang, "tf.criterion."+part)
		case strings.HasPrefix(field, "metric_targets."):
			code := strings.TrimPrefix(field, "metric_targets.")
			label := code
			for _, m := range item.Metrics {
				if m.Code == code {
					label = pick(lang, m.NameZh, m.NameEn)
				}
			}
			return "tf-target-" + code, label + " · " + h.pages.translate(lang, "metric.target")
		case field == "committee_user_ids":
			return "tf-committee", h.pages.translate(lang, "tf.committee")
		case field == "invited_organization_ids":
			return "tf-invited", h.pages.translate(lang, "tf.invited")
		}
		return "tf-" + field, h.pages.translate(lang, "tf."+field)
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
func (h *Handler) renderTenderForm(c *fiber.Ctx, status int, id int64, item catalog.View, f tenderForm, alert formAlert) error {
	ctx, lang, a := c.UserContext(), language(c), request.Actor(c)
	v := tenderFormView{ID: id, Item: item, Form: f, Methods: catalog.PurchaseMethods, Grades: grades, Alert: alert}
	_, byCode, err := h.categories(ctx)
	if err != nil {
		return err
	}
	v.Category = byCode[item.CategoryCode]
	funds, err := h.Funds.List(ctx, a)
	if err != nil {
		return err
	}
	for _, fv := range funds {
		if slices.Contains(fv.Categories, item.CategoryCode) {
			v.Funds = append(v.Funds, fundOption{ID: fv.ID, Name: fmt.Sprintf("%s (%d)", fv.Name, fv.FiscalYear),
				Available: fv.Balances["available"].Grouped(), Checked: strconv.FormatInt(fv.ID, 10) == f.FundID})
		}
	}
	if len(v.Funds) == 1 && f.FundID == "" {
		v.Funds[0].Checked = true
	}
	comms, err := h.Places.CommunitiesByID(ctx, item.CommunityIDs)
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
		v.Metrics = append(v.Metrics, tenderMetricInput{Code: m.Code, Name: pick(lang, m.NameZh, m.NameEn), Unit: h.unitName(lang, m.Unit),
			Direction: m.Direction, Base: number(m.Target), Target: f.Targets[m.Code], Bad: alert.Bad("tf-target-" + m.Code)})
	}
	evaluators, err := h.Tenders.Evaluators(ctx, a)
	if err != nil {
		return err
	}
	for _, e := range evaluators {
		v.Evaluators = append(v.Evaluators, choice{ID: e.UserID, Name: e.Name, Note: e.Username, Checked: f.Committee[e.UserID]})
	}
	capable, err := h.Orgs.CapableNames(ctx, a.Scope.DistrictID, item.CategoryCode)
	if err != nil {
		return err
	}
	for _, o := range capable {
		v.Orgs = append(v.Orgs, choice{ID: o.ID, Name: o.LegalName, Checked: f.Invited[o.ID]})
	}
	return h.render(c, status, "tender_form", v)
}

func (h *Handler) handleTenderCreateSubmit(c *fiber.Ctx) error {
	ctx, a := c.UserContext(), request.Actor(c)
	itemID, err := strconv.ParseInt(c.FormValue("item_id"), 10, 64)
	if err != nil {
		return apperr.ErrNotFound
	}
	item, err := h.publishedItem(ctx, a, itemID)
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
		v, err = h.Tenders.Create(ctx, a, in)
	}
	if err != nil {
		status, alert, ok := h.tenderProblem(c, err, h.tenderFormName(c, f, item))
		if !ok {
			return err
		}
		return h.renderTenderForm(c, status, 0, item, f, alert)
	}
	return c.Redirect(fmt.Sprintf("/tenders/%d?done=created", v.ID), fiber.StatusSeeOther)
}
