package ui

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/catalog"
	"github.com/jiedao-market/jiedao/internal/civil"
	"github.com/jiedao-market/jiedao/internal/contract"
	"github.com/jiedao-market/jiedao/internal/fund"
	"github.com/jiedao-market/jiedao/internal/money"
	"github.com/jiedao-market/jiedao/internal/place"
	"github.com/jiedao-market/jiedao/internal/request"
)

// balanceKinds are the balance columns of the fund pages, in display order;
// "received" is everything that came in, the sum of the others.
var balanceKinds = []string{fund.Available, fund.Reserved, fund.Encumbered, fund.Payable, fund.Paid, "received"}

// postingsOnPage is the most postings the fund page lists, newest first; its
// CSV holds up to fund.MaxPostings.
const postingsOnPage = 200

// chinaYear is the current year in China.
func (h *Handler) chinaYear() int { return h.clock.Now().In(civil.China).Year() }

// amountCell is one balance as the pages show it.
type amountCell struct {
	Kind   string
	Amount string
	Zero   bool
}

// balanceCells shows a fund's balances in the order of balanceKinds.
func balanceCells(b map[string]money.Fen) []amountCell {
	var received money.Fen
	for _, k := range fund.Kinds {
		if k != fund.Source {
			received += b[k] // every posting balances, so what came in is all that is held
		}
	}
	out := make([]amountCell, len(balanceKinds))
	for i, k := range balanceKinds {
		v := b[k]
		if k == "received" {
			v = received
		}
		out[i] = amountCell{Kind: k, Amount: v.Grouped(), Zero: v == 0}
	}
	return out
}

// subdistrictsByID returns every subdistrict by id.
func (h *Handler) subdistrictsByID(ctx context.Context) (map[int64]place.Subdistrict, error) {
	list, err := h.Places.ListSubdistricts(ctx, 0)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]place.Subdistrict, len(list))
	for _, d := range list {
		out[d.ID] = d
	}
	return out, nil
}

// fundRow is a fund account as the pages show it.
type fundRow struct {
	fund.View
	Subdistrict  place.Subdistrict
	CategoryList []catalog.Category
	Amounts      []amountCell
	Created      string
}

func (h *Handler) fundRows(ctx context.Context, list []fund.View) ([]fundRow, error) {
	_, byCode, err := h.categories(ctx)
	if err != nil {
		return nil, err
	}
	subs, err := h.subdistrictsByID(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]fundRow, len(list))
	for i, v := range list {
		out[i] = fundRow{View: v, Subdistrict: subs[v.SubdistrictID], CategoryList: categoryList(v.Categories, byCode),
			Amounts: balanceCells(v.Balances), Created: showTime(&v.CreatedAt)}
	}
	return out, nil
}

// fundForm is a new fund account as typed.
type fundForm struct {
	FiscalYear       string
	Source           string
	Name             string
	Categories       map[string]bool
	AcceptsDonations bool
}

type fundsView struct {
	Funds           []fundRow
	Totals          []amountCell
	ShowSubdistrict bool
	CanCreate       bool
	Kinds           []string
	Sources         []string
	Categories      []catalog.Category
	Form            fundForm
	Alert           formAlert
}

func (h *Handler) renderFunds(c *fiber.Ctx, status int, f fundForm, alert formAlert) error {
	ctx, a := c.UserContext(), request.Actor(c)
	list, err := h.Funds.List(ctx, a)
	if err != nil {
		return err
	}
	v := fundsView{CanCreate: a.Role == access.FinanceOfficer, ShowSubdistrict: a.Role.ScopeKind() != access.ScopeSubdistrict,
		Kinds: balanceKinds, Sources: fund.Sources, Form: f, Alert: alert}
	if v.Funds, err = h.fundRows(ctx, list); err != nil {
		return err
	}
	total := map[string]money.Fen{}
	for _, fv := range list {
		for k, b := range fv.Balances {
			total[k] += b
		}
	}
	v.Totals = balanceCells(total)
	if v.CanCreate {
		if v.Categories, _, err = h.categories(ctx); err != nil {
			return err
		}
	}
	return h.render(c, status, "funds", v)
}

func (h *Handler) handleFundsPage(c *fiber.Ctx) error {
	return h.renderFunds(c, fiber.StatusOK, fundForm{FiscalYear: strconv.Itoa(h.chinaYear()), Categories: map[string]bool{}}, formAlert{})
}

func (h *Handler) handleFundCreateSubmit(c *fiber.Ctx) error {
	lang := language(c)
	form := func(k string) string { return strings.TrimSpace(strings.Clone(c.FormValue(k))) }
	f := fundForm{FiscalYear: form("fiscal_year"), Source: form("source"), Name: form("name"), Categories: map[string]bool{},
		AcceptsDonations: c.FormValue("accepts_donations") != ""}
	in := fund.AccountInput{Source: f.Source, Name: f.Name, AcceptsDonations: f.AcceptsDonations}
	// A year that is not a number goes to the service as 0, which it names
	// along with every other bad field.
	in.FiscalYear, _ = strconv.Atoi(f.FiscalYear)
	for _, code := range formValues(c, "categories") {
		if !f.Categories[code] {
			f.Categories[code] = true
			in.Categories = append(in.Categories, code)
		}
	}
	v, err := h.Funds.CreateAccount(c.UserContext(), request.Actor(c), in)
	if err != nil {
		if errors.Is(err, fund.ErrDuplicateAccount) {
			return h.renderFunds(c, fiber.StatusConflict, f, h.fieldAlert(c, "fund-name", h.pages.translate(lang, "fund.name"), "taken.fund_name"))
		}
		status, alert, ok := h.formProblem(c, inForm(err, "fund."), h.dottedLabel(c))
		if !ok {
			return err
		}
		return h.renderFunds(c, status, f, alert)
	}
	return c.Redirect(fmt.Sprintf("/funds/%d?done=created", v.ID), fiber.StatusSeeOther)
}

// appropriationForm is an appropriation as typed, with the key that makes a
// repeated submission of the same form post once.
type appropriationForm struct {
	Amount, DocumentRef, Memo, Key string
}

// postingFilterForm is the postings filter as typed.
type postingFilterForm struct {
	Kind, From, Until string
}

// query is the filter as a URL query, "" for none.
func (f postingFilterForm) query() string {
	q := url.Values{}
	for _, p := range [][2]string{{"kind", f.Kind}, {"from", f.From}, {"until", f.Until}} {
		if p[1] != "" {
			q.Set(p[0], p[1])
		}
	}
	if len(q) == 0 {
		return ""
	}
	return "?" + q.Encode()
}

// readPostingFilter reads the postings filter of a fund page or its CSV as
// the fund service parses it (fund.ParsePostingFilter): the filter holds only
// the values that are good; bad ones are named in the error.
func readPostingFilter(c *fiber.Ctx) (postingFilterForm, fund.PostingFilter, error) {
	var bad apperr.Fields
	query := func(k string) string { return strings.TrimSpace(strings.Clone(c.Query(k))) }
	typed := postingFilterForm{Kind: query("kind"), From: query("from"), Until: query("until")}
	f := fund.ParsePostingFilter(&bad, typed.Kind, typed.From, typed.Until)
	// What was typed is shown back in the filter form, cut to a sane length.
	typed.Kind, typed.From, typed.Until = cutRunes(typed.Kind, 40), cutRunes(typed.From, 40), cutRunes(typed.Until, 40)
	return typed, f, bad.Err()
}

// postingRow is a posting as the fund page shows it: how much moved from
// which balances to which.
type postingRow struct {
	fund.Posting
	When        string
	Amount      string
	From, To    []string
	Reference   string
	Correctable bool
	CorrectedBy int64 // the correction that reversed it
	Anchor      string
	Reason      string // as typed, when its correction was refused
	Bad         bool
}

type fundPageView struct {
	Fund         fundRow
	CanWrite     bool
	Kinds        []string
	PostingKinds []string
	Approp       appropriationForm
	Filter       postingFilterForm
	Filtered     bool
	FilterAlert  formAlert
	Postings     []postingRow
	Contracts    []fundContractRow // the contracts the fund pays, with their encumbrances
	ContractHeld string
	Truncated    bool
	CSV          string
	Alert        pageAlert
	Done         string
}

// fundDone are the outcomes the fund page confirms after a redirect.
var fundDone = []string{"created", "appropriated", "corrected"}

// fundPageInput is what a re-rendered fund page shows as typed.
type fundPageInput struct {
	approp    appropriationForm
	alert     pageAlert
	correctID int64 // the posting whose refused correction is shown again
	reason    string
}

func (h *Handler) renderFund(c *fiber.Ctx, status int, id int64, in fundPageInput) error {
	ctx, a, lang := c.UserContext(), request.Actor(c), language(c)
	fv, err := h.Funds.Get(ctx, a, id)
	if err != nil {
		return err
	}
	rows, err := h.fundRows(ctx, []fund.View{fv})
	if err != nil {
		return err
	}
	v := fundPageView{Fund: rows[0], CanWrite: a.Role == access.FinanceOfficer, Kinds: balanceKinds, PostingKinds: fund.PostingKinds,
		Approp: in.approp, Alert: in.alert}
	if v.Approp.Key == "" {
		v.Approp.Key = rand.Text()
	}
	typed, filter, ferr := readPostingFilter(c)
	v.Filter, v.Filtered = typed, typed != (postingFilterForm{})
	if ferr != nil {
		fstatus, falert, ok := h.formProblem(c, inForm(ferr, "filter."), h.dottedLabel(c))
		if !ok {
			return ferr
		}
		v.FilterAlert = falert
		if status == fiber.StatusOK {
			status = fstatus
		}
	}
	// The download carries the filters that are good.
	v.CSV = fmt.Sprintf("/funds/%d/postings.csv%s", id, postingFilterForm{Kind: filter.Kind, From: dayOf(filter.From), Until: lastDayOf(filter.Until)}.query())
	filter.Limit = postingsOnPage
	list, err := h.Funds.Postings(ctx, a, id, filter)
	if err != nil {
		return err
	}
	v.Truncated = len(list) == postingsOnPage
	// Corrections are found among all of the fund's, whatever the filter.
	corrections, err := h.Funds.Postings(ctx, a, id, fund.PostingFilter{Kind: "correction", Limit: fund.MaxPostings})
	if err != nil {
		return err
	}
	reversedBy := map[int64]int64{}
	for _, p := range corrections {
		if p.ReversesID != nil {
			reversedBy[*p.ReversesID] = p.ID
		}
	}
	for _, p := range list {
		r := postingRow{Posting: p, When: showTime(&p.CreatedAt), CorrectedBy: reversedBy[p.ID],
			Anchor: fmt.Sprintf("correct-%d-reason", p.ID)}
		var moved money.Fen
		for _, l := range p.Lines {
			if l.Amount > 0 {
				moved += l.Amount
				r.To = append(r.To, l.Account)
			} else {
				r.From = append(r.From, l.Account)
			}
		}
		r.Amount = moved.Grouped()
		// An appropriation's reference is its document, a correction's the
		// posting it reverses: both are shown already.
		if p.ReferenceType != "" && p.ReferenceType != "appropriation" && p.ReferenceType != "posting" {
			typ, ok := h.pages.lookup(lang, "ref_type."+p.ReferenceType)
			if !ok {
				typ = p.ReferenceType
			}
			r.Reference = typ + " " + p.ReferenceID
		}
		r.Correctable = v.CanWrite && (p.Kind == "appropriation" || p.Kind == "donation") && r.CorrectedBy == 0
		if p.ID == in.correctID {
			r.Reason, r.Bad = in.reason, in.alert.Bad(r.Anchor)
		}
		v.Postings = append(v.Postings, r)
	}
	var held money.Fen
	if v.Contracts, held, err = h.fundContracts(c, id); err != nil {
		return err
	}
	v.ContractHeld = held.Grouped()
	if done := c.Query("done"); status == fiber.StatusOK && slices.Contains(fundDone, done) {
		v.Done = done
	}
	return h.render(c, status, "fund", v)
}

func (h *Handler) handleFundPage(c *fiber.Ctx) error {
	id, err := request.ParamID(c, "id")
	if err != nil {
		return err
	}
	return h.renderFund(c, fiber.StatusOK, id, fundPageInput{})
}

// fundSection places an alert in a section of the fund page.
func (h *Handler) fundSection(c *fiber.Ctx, section string, alert formAlert) pageAlert {
	return pageAlert{Context: h.pages.translate(language(c), "fund."+section+"_heading"), Href: "#" + section, formAlert: alert}
}

func (h *Handler) handleAppropriationSubmit(c *fiber.Ctx) error {
	id, err := request.ParamID(c, "id")
	if err != nil {
		return err
	}
	form := func(k string) string { return strings.TrimSpace(strings.Clone(c.FormValue(k))) }
	f := appropriationForm{Amount: form("amount"), DocumentRef: form("document_ref"), Memo: form("memo"), Key: form("idempotency_key")}
	amount, perr := money.ParseYuan(f.Amount)
	if perr != nil {
		amount = 0 // named by the service with the other bad fields
	}
	_, err = h.Funds.Appropriate(c.UserContext(), request.Actor(c), id, fund.AppropriationInput{Amount: amount, DocumentRef: f.DocumentRef,
		Memo: f.Memo, IdempotencyKey: f.Key})
	if err != nil {
		status, alert, ok := h.formProblem(c, inForm(err, "approp."), h.dottedLabel(c))
		if !ok {
			return err
		}
		if errors.Is(err, fund.ErrKeyReused) {
			f.Key = "" // this form was posted before with other values: a new one may be posted
		}
		return h.renderFund(c, status, id, fundPageInput{approp: f, alert: h.fundSection(c, "appropriate", alert)})
	}
	return c.Redirect(fmt.Sprintf("/funds/%d?done=appropriated#postings", id), fiber.StatusSeeOther)
}

func (h *Handler) handleCorrectionSubmit(c *fiber.Ctx) error {
	ids, err := request.ParamIDs(c, "id", "posting")
	if err != nil {
		return err
	}
	id, postingID := ids[0], ids[1]
	lang := language(c)
	reason := strings.Clone(c.FormValue("reason"))
	if _, err := h.Funds.Correct(c.UserContext(), request.Actor(c), id, postingID, reason); err != nil {
		anchor := fmt.Sprintf("correct-%d-reason", postingID)
		status, alert, ok := h.formProblem(c, inForm(err, "correct."), func(field string) (string, string) {
			return anchor, h.pages.translate(lang, field)
		})
		if !ok {
			return err
		}
		page := pageAlert{Context: fmt.Sprintf(h.pages.translate(lang, "fund.correct_alert"), postingID),
			Href: fmt.Sprintf("#posting-%d", postingID), formAlert: alert}
		return h.renderFund(c, status, id, fundPageInput{alert: page, correctID: postingID, reason: reason})
	}
	return c.Redirect(fmt.Sprintf("/funds/%d?done=corrected#postings", id), fiber.StatusSeeOther)
}

// handlePostingsCSV downloads the postings the fund page lists, with its
// filters, up to fund.MaxPostings of them.
func (h *Handler) handlePostingsCSV(c *fiber.Ctx) error {
	id, err := request.ParamID(c, "id")
	if err != nil {
		return err
	}
	_, filter, err := readPostingFilter(c)
	if err != nil {
		return err
	}
	filter.Limit = fund.MaxPostings
	list, err := h.Funds.Postings(c.UserContext(), request.Actor(c), id, filter)
	if err != nil {
		return err
	}
	header, rows := fund.PostingTable(list)
	return request.SendCSV(c, fmt.Sprintf("fund-%d-postings.csv", id), header, rows)
}

type utilisationRow struct {
	fund.UtilisationRow
	Subdistrict  place.Subdistrict
	CategoryList []catalog.Category
	Amounts      []amountCell
	Used         string // the share of what came in that is committed or spent
}

type floorRow struct {
	fund.FloorRow
	Subdistrict place.Subdistrict
	FloorYuan   string
	Contracted  string
	PaidYuan    string
	Shortfall   string
}

// moneyRow is one contract in the report's table of contracts.
type moneyRow struct {
	contract.MoneyRow
	Subdistrict place.Subdistrict
	Amounts     []amountCell // amount, reserved, encumbered, payable, paid, withheld
}

// moneyKinds are the amount columns of the contracts' table, in order.
var moneyKinds = []string{"amount", fund.Reserved, fund.Encumbered, fund.Payable, fund.Paid, "withheld"}

func moneyCells(m contract.MoneyRow) []amountCell {
	out := make([]amountCell, len(moneyKinds))
	for i, v := range []money.Fen{m.AmountFen, m.ReservedFen, m.EncumberedFen, m.PayableFen, m.PaidFen, m.WithheldFen} {
		out[i] = amountCell{Kind: moneyKinds[i], Amount: v.Grouped(), Zero: v == 0}
	}
	return out
}

type categoryRow struct {
	fund.CategoryRow
	Subdistrict place.Subdistrict
	Category    catalog.Category
	Amounts     []amountCell
}

type fundReportView struct {
	Utilisation     []utilisationRow
	ByCategory      []categoryRow
	Floors          []floorRow
	FloorYear       int // the newest fiscal year of the floor report, which its summary counts
	FloorCount      int // communities in that year
	Below           int // of them below their floor
	Contracts       []moneyRow
	MoneyKinds      []string
	ShowSubdistrict bool
	Kinds           []string
	FloorSmall      string
	FloorMedium     string
	FloorLarge      string
}

// usedShare is committed (encumbered), payable and paid money as a share of
// what came in, e.g. "37.5%"; "—" when nothing came in.
func usedShare(b map[string]money.Fen, received money.Fen) string {
	if received <= 0 {
		return "—"
	}
	used := b[fund.Encumbered] + b[fund.Payable] + b[fund.Paid]
	permille := (int64(used)*1000 + int64(received)/2) / int64(received) // integer, rounded half up
	return fmt.Sprintf("%d.%d%%", permille/10, permille%10)
}

func (h *Handler) handleFundReportPage(c *fiber.Ctx) error {
	ctx, a := c.UserContext(), request.Actor(c)
	util, err := h.Funds.Utilisation(ctx, a)
	if err != nil {
		return err
	}
	floors, err := h.Funds.FloorReport(ctx, a)
	if err != nil {
		return err
	}
	_, byCode, err := h.categories(ctx)
	if err != nil {
		return err
	}
	subs, err := h.subdistrictsByID(ctx)
	if err != nil {
		return err
	}
	v := fundReportView{ShowSubdistrict: a.Role.ScopeKind() != access.ScopeSubdistrict, Kinds: balanceKinds,
		FloorSmall: fund.FundingFloor(0).Grouped(), FloorMedium: fund.FundingFloor(1000).Grouped(), FloorLarge: fund.FundingFloor(2001).Grouped()}
	for _, u := range util {
		cells := balanceCells(u.Balances)
		cells[len(cells)-1] = amountCell{Kind: "received", Amount: u.Received.Grouped(), Zero: u.Received == 0}
		v.Utilisation = append(v.Utilisation, utilisationRow{UtilisationRow: u, Subdistrict: subs[u.SubdistrictID],
			CategoryList: categoryList(u.Categories, byCode), Amounts: cells, Used: usedShare(u.Balances, u.Received)})
	}
	byCategory, err := h.Funds.UtilisationByCategory(ctx, a)
	if err != nil {
		return err
	}
	for _, r := range byCategory {
		cells := balanceCells(r.Balances)
		cells[len(cells)-1] = amountCell{Kind: "received", Amount: r.Received.Grouped(), Zero: r.Received == 0}
		v.ByCategory = append(v.ByCategory, categoryRow{CategoryRow: r, Subdistrict: subs[r.SubdistrictID],
			Category: byCode[r.Category], Amounts: cells})
	}
	for _, f := range floors {
		r := floorRow{FloorRow: f, Subdistrict: subs[f.SubdistrictID], FloorYuan: f.Floor.Grouped(), Contracted: f.Contracted.Grouped(),
			PaidYuan: f.Paid.Grouped()}
		if f.BelowFloor {
			r.Shortfall = (f.Floor - f.Contracted).Grouped()
		}
		// Rows come newest year first: the summary counts that year's.
		if v.FloorYear == 0 {
			v.FloorYear = f.FiscalYear
		}
		if f.FiscalYear == v.FloorYear {
			v.FloorCount++
			if f.BelowFloor {
				v.Below++
			}
		}
		v.Floors = append(v.Floors, r)
	}
	contracts, err := h.Contracts.MoneyReport(ctx, a)
	if err != nil {
		return err
	}
	v.MoneyKinds = moneyKinds
	for _, m := range contracts {
		v.Contracts = append(v.Contracts, moneyRow{MoneyRow: m, Subdistrict: subs[m.SubdistrictID], Amounts: moneyCells(m)})
	}
	return h.render(c, fiber.StatusOK, "fund_report", v)
}
