package server

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/csv"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/catalog"
	"github.com/jiedao-market/jiedao/internal/fund"
	"github.com/jiedao-market/jiedao/internal/money"
	"github.com/jiedao-market/jiedao/internal/payout"
	"github.com/jiedao-market/jiedao/internal/place"
)

// fundPages registers the pages of project funds and payments: the finance
// officer's fund accounts, appropriations, corrections and payouts (which the
// other staff of the fund roles read), the fund reports, an organization's
// received payments with its Stripe onboarding, and the public donation pages.
// Write routes check the CSRF token first, then the role; the services check
// the scope again.
func (s *Server) fundPages(pages fiber.Router) {
	read, write := s.pageFor("/funds"), s.pageFor("/funds/write")
	pages.Get("/funds", read, s.handleFundsPage)
	pages.Post("/funds", s.checkCSRF, write, s.handleFundCreateSubmit)
	pages.Get("/funds/:id", read, s.handleFundPage)
	pages.Get("/funds/:id/postings.csv", read, s.handlePostingsCSV)
	pages.Post("/funds/:id/appropriations", s.checkCSRF, write, s.handleAppropriationSubmit)
	pages.Post("/funds/:id/postings/:posting/correct", s.checkCSRF, write, s.handleCorrectionSubmit)
	pages.Get("/payouts", s.pageFor("/payouts"), s.handlePayoutsPage)
	pages.Post("/payouts/:id/confirm", s.checkCSRF, write, s.handlePayoutConfirmSubmit)
	pages.Get("/reports/funds", s.pageFor("/reports/funds"), s.handleFundReportPage)

	pages.Get("/org/payouts", s.pageFor("/org/payouts"), s.handleOrgPayoutsPage)
	pages.Post("/org/payouts/connect", s.checkCSRF, s.pageFor("/org/payouts/connect"), s.handleOnboardSubmit)

	pages.Get("/donate", s.handleDonatePage)
	pages.Post("/donate", s.anonymousLimit(), s.checkCSRF, s.handleDonateSubmit)
	pages.Get("/donate/receipt/:id", s.handleReceiptPage)
}

// balanceKinds are the balance columns of the fund pages, in display order;
// "received" is everything that came in, the sum of the others.
var balanceKinds = []string{fund.Available, fund.Reserved, fund.Encumbered, fund.Payable, fund.Paid, "received"}

// Where the fund pages' forms may lead besides this site: the browser applies
// form-action to the redirect that ends a form's submission.
const (
	stripeCheckoutOrigin = "https://checkout.stripe.com"
	stripeConnectOrigin  = "https://connect.stripe.com"
)

// postingsOnPage and postingsInCSV are the most postings the fund page lists
// and its CSV holds, newest first.
const (
	postingsOnPage = 200
	postingsInCSV  = 5000
)

// allowFormTarget lets the page's forms end on origin as well as on this site.
func allowFormTarget(c *fiber.Ctx, origin string) {
	csp := string(c.Response().Header.Peek("Content-Security-Policy"))
	c.Set("Content-Security-Policy", strings.Replace(csp, "form-action 'self'", "form-action 'self' "+origin, 1))
}

// renamed returns err with each bad field renamed (by names, else as it is)
// and prefixed, so that a form's field messages (fielderr.prefix+field) and
// labels do not collide with other forms'. Other errors are returned as they are.
func renamed(err error, prefix string, names map[string]string) error {
	e, ok := apperr.As(err)
	if !ok || e.Kind != apperr.Invalid || len(e.Fields) == 0 {
		return err
	}
	out := *e
	out.Fields = make([]apperr.FieldError, len(e.Fields))
	for i, f := range e.Fields {
		name := f.Field
		if n, ok := names[name]; ok {
			name = n
		}
		out.Fields[i] = apperr.FieldError{Field: prefix + name, Message: f.Message}
	}
	return &out
}

// dottedLabel names the fields of a form renamed with a prefix: the input's id
// is the field with "-" for ".", its label the message of the field's name.
func (s *Server) dottedLabel(c *fiber.Ctx) fieldLabel {
	lang := language(c)
	return func(field string) (string, string) {
		return strings.ReplaceAll(field, ".", "-"), s.pages.translate(lang, field)
	}
}

// chinaYear is the current year in China.
func (s *Server) chinaYear() int { return s.clock.Now().In(chinaTime).Year() }

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
		out[i] = amountCell{Kind: k, Amount: yuan(v), Zero: v == 0}
	}
	return out
}

// subdistrictsByID returns every subdistrict by id.
func (s *Server) subdistrictsByID(ctx context.Context) (map[int64]place.Subdistrict, error) {
	list, err := s.places.ListSubdistricts(ctx, 0)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]place.Subdistrict, len(list))
	for _, d := range list {
		out[d.ID] = d
	}
	return out, nil
}

// ---- fund accounts ----

// fundRow is a fund account as the pages show it.
type fundRow struct {
	fund.View
	Subdistrict  place.Subdistrict
	CategoryList []catalog.Category
	Amounts      []amountCell
	Created      string
}

func (s *Server) fundRows(ctx context.Context, list []fund.View) ([]fundRow, error) {
	_, byCode, err := s.categories(ctx)
	if err != nil {
		return nil, err
	}
	subs, err := s.subdistrictsByID(ctx)
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

func (s *Server) renderFunds(c *fiber.Ctx, status int, f fundForm, alert formAlert) error {
	ctx, a := c.UserContext(), actor(c)
	list, err := s.funds.List(ctx, a)
	if err != nil {
		return err
	}
	v := fundsView{CanCreate: a.Role == access.FinanceOfficer, ShowSubdistrict: a.Role.ScopeKind() != access.ScopeSubdistrict,
		Kinds: balanceKinds, Sources: fund.Sources, Form: f, Alert: alert}
	if v.Funds, err = s.fundRows(ctx, list); err != nil {
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
		if v.Categories, _, err = s.categories(ctx); err != nil {
			return err
		}
	}
	return s.render(c, status, "funds", v)
}

func (s *Server) handleFundsPage(c *fiber.Ctx) error {
	return s.renderFunds(c, fiber.StatusOK, fundForm{FiscalYear: strconv.Itoa(s.chinaYear()), Categories: map[string]bool{}}, formAlert{})
}

// fundFormOrder is the order of the fund form's inputs.
var fundFormOrder = []string{"fund-fiscal_year", "fund-source", "fund-name", "fund-categories"}

func (s *Server) handleFundCreateSubmit(c *fiber.Ctx) error {
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
	v, err := s.funds.CreateAccount(c.UserContext(), actor(c), in)
	if err != nil {
		if errors.Is(err, fund.ErrDuplicateAccount) {
			return s.renderFunds(c, fiber.StatusConflict, f, s.fieldAlert(c, "fund-name", s.pages.translate(lang, "fund.name"), "taken.fund_name"))
		}
		status, alert, ok := s.formProblem(c, renamed(err, "fund.", nil), s.dottedLabel(c))
		if !ok {
			return err
		}
		return s.renderFunds(c, status, f, inFormOrder(alert, fundFormOrder...))
	}
	return c.Redirect(fmt.Sprintf("/funds/%d?done=created", v.ID), fiber.StatusSeeOther)
}

// ---- one fund account: balances, appropriation, postings ----

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

// readPostingFilter reads the postings filter of a fund page or its CSV: a
// kind, and from and until as dates in China time, both days included. The
// filter holds only the values that are good; bad ones are named in the error.
func readPostingFilter(c *fiber.Ctx) (postingFilterForm, fund.PostingFilter, error) {
	var bad apperr.Fields
	var f fund.PostingFilter
	query := func(k string) string { return strings.TrimSpace(strings.Clone(c.Query(k))) }
	typed := postingFilterForm{Kind: query("kind"), From: query("from"), Until: query("until")}
	if typed.Kind != "" {
		if slices.Contains(fund.PostingKinds, typed.Kind) {
			f.Kind = typed.Kind
		} else {
			bad.Add("kind", "is not a kind of posting")
		}
	}
	date := func(field, text string) (time.Time, bool) {
		if text == "" {
			return time.Time{}, false
		}
		t, err := time.ParseInLocation(time.DateOnly, text, chinaTime)
		bad.Check(err == nil, field, "must be a date (YYYY-MM-DD)")
		return t, err == nil
	}
	if t, ok := date("from", typed.From); ok {
		f.From = t
	}
	if t, ok := date("until", typed.Until); ok {
		if !f.From.IsZero() && t.Before(f.From) {
			bad.Add("until", "must not be before from")
		} else {
			f.Until = t.AddDate(0, 0, 1) // until names the last day included
		}
	}
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

func (s *Server) renderFund(c *fiber.Ctx, status int, id int64, in fundPageInput) error {
	ctx, a, lang := c.UserContext(), actor(c), language(c)
	fv, err := s.funds.Get(ctx, a, id)
	if err != nil {
		return err
	}
	rows, err := s.fundRows(ctx, []fund.View{fv})
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
		fstatus, falert, ok := s.formProblem(c, renamed(ferr, "filter.", nil), s.dottedLabel(c))
		if !ok {
			return ferr
		}
		v.FilterAlert = inFormOrder(falert, "filter-kind", "filter-from", "filter-until")
		if status == fiber.StatusOK {
			status = fstatus
		}
	}
	// The download carries the filters that are good.
	v.CSV = fmt.Sprintf("/funds/%d/postings.csv%s", id, postingFilterForm{Kind: filter.Kind, From: dayOf(filter.From), Until: lastDayOf(filter.Until)}.query())
	filter.Limit = postingsOnPage
	list, err := s.funds.Postings(ctx, a, id, filter)
	if err != nil {
		return err
	}
	v.Truncated = len(list) == postingsOnPage
	// Corrections are found among all of the fund's, whatever the filter.
	corrections, err := s.funds.Postings(ctx, a, id, fund.PostingFilter{Kind: "correction", Limit: postingsInCSV})
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
		r.Amount = yuan(moved)
		// An appropriation's reference is its document, a correction's the
		// posting it reverses: both are shown already.
		if p.ReferenceType != "" && p.ReferenceType != "appropriation" && p.ReferenceType != "posting" {
			typ, ok := s.pages.lookup(lang, "ref_type."+p.ReferenceType)
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
	if done := c.Query("done"); status == fiber.StatusOK && slices.Contains(fundDone, done) {
		v.Done = done
	}
	return s.render(c, status, "fund", v)
}

// dayOf shows a China-time midnight as its date, "" for none.
func dayOf(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(chinaTime).Format(time.DateOnly)
}

// lastDayOf shows the last day an exclusive end covers, "" for none.
func lastDayOf(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return dayOf(t.AddDate(0, 0, -1))
}

func (s *Server) handleFundPage(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	return s.renderFund(c, fiber.StatusOK, id, fundPageInput{})
}

// fundSection places an alert in a section of the fund page.
func (s *Server) fundSection(c *fiber.Ctx, section string, alert formAlert) pageAlert {
	return pageAlert{Context: s.pages.translate(language(c), "fund."+section+"_heading"), Href: "#" + section, formAlert: alert}
}

func (s *Server) handleAppropriationSubmit(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	form := func(k string) string { return strings.TrimSpace(strings.Clone(c.FormValue(k))) }
	f := appropriationForm{Amount: form("amount"), DocumentRef: form("document_ref"), Memo: form("memo"), Key: form("idempotency_key")}
	amount, perr := money.ParseYuan(f.Amount)
	if perr != nil {
		amount = 0 // named by the service with the other bad fields
	}
	_, err = s.funds.Appropriate(c.UserContext(), actor(c), id, fund.AppropriationInput{Amount: amount, DocumentRef: f.DocumentRef,
		Memo: f.Memo, IdempotencyKey: f.Key})
	if err != nil {
		status, alert, ok := s.formProblem(c, renamed(err, "approp.", map[string]string{"amount_fen": "amount"}), s.dottedLabel(c))
		if !ok {
			return err
		}
		if errors.Is(err, fund.ErrKeyReused) {
			f.Key = "" // this form was posted before with other values: a new one may be posted
		}
		alert = inFormOrder(alert, "approp-amount", "approp-document_ref", "approp-memo")
		return s.renderFund(c, status, id, fundPageInput{approp: f, alert: s.fundSection(c, "appropriate", alert)})
	}
	return c.Redirect(fmt.Sprintf("/funds/%d?done=appropriated#postings", id), fiber.StatusSeeOther)
}

func (s *Server) handleCorrectionSubmit(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	postingID, err := paramID(c, "posting")
	if err != nil {
		return err
	}
	lang := language(c)
	reason := strings.Clone(c.FormValue("reason"))
	if _, err := s.funds.Correct(c.UserContext(), actor(c), id, postingID, reason); err != nil {
		anchor := fmt.Sprintf("correct-%d-reason", postingID)
		status, alert, ok := s.formProblem(c, renamed(err, "correct.", nil), func(field string) (string, string) {
			return anchor, s.pages.translate(lang, field)
		})
		if !ok {
			return err
		}
		page := pageAlert{Context: fmt.Sprintf(s.pages.translate(lang, "fund.correct_alert"), postingID),
			Href: fmt.Sprintf("#posting-%d", postingID), formAlert: alert}
		return s.renderFund(c, status, id, fundPageInput{alert: page, correctID: postingID, reason: reason})
	}
	return c.Redirect(fmt.Sprintf("/funds/%d?done=corrected#postings", id), fiber.StatusSeeOther)
}

// postingsCSV writes postings as the API's CSV export does: one row per line.
func postingsCSV(list []fund.Posting) []byte {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write([]string{"posting_id", "created_at", "kind", "reference", "document_ref", "memo", "account", "amount_yuan"})
	for _, p := range list {
		for _, l := range p.Lines {
			_ = w.Write([]string{strconv.FormatInt(p.ID, 10), p.CreatedAt.In(chinaTime).Format(time.RFC3339), p.Kind,
				p.ReferenceType + ":" + p.ReferenceID, csvSafe(p.DocumentRef), csvSafe(p.Memo), l.Account, l.Amount.Yuan()})
		}
	}
	w.Flush()
	return buf.Bytes()
}

// handlePostingsCSV downloads the postings the fund page lists, with its
// filters, up to postingsInCSV of them.
func (s *Server) handlePostingsCSV(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	_, filter, err := readPostingFilter(c)
	if err != nil {
		return err
	}
	filter.Limit = postingsInCSV
	list, err := s.funds.Postings(c.UserContext(), actor(c), id, filter)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="fund-%d-postings.csv"`, id))
	c.Set(fiber.HeaderCacheControl, "private, no-store")
	return c.Send(postingsCSV(list))
}

// ---- payouts ----

// payoutRow is a payout as the pages show it.
type payoutRow struct {
	payout.Payout
	Organization string
	Fund         string
	FundHref     string
	Amount       string
	Requested    string
	PaidAt       string
	CanConfirm   bool
	Anchor       string
	Reference    string // as typed, when its confirmation was refused
	Bad          bool
}

// organizationNames returns the legal names of the organizations by id.
func (s *Server) organizationNames(ctx context.Context, ids []int64) (map[int64]string, error) {
	out := map[int64]string{}
	if len(ids) == 0 {
		return out, nil
	}
	var rows []struct {
		ID        int64
		LegalName string
	}
	if err := s.db.WithContext(ctx).Table("organizations").Select("id, legal_name").Where("id IN ?", ids).Scan(&rows).Error; err != nil {
		return nil, err
	}
	for _, r := range rows {
		out[r.ID] = r.LegalName
	}
	return out, nil
}

// fundNames returns the names of the fund accounts by id. Only the staff of a
// fund's scope may open it; an organization sees the name only.
func (s *Server) fundNames(ctx context.Context, ids []int64) (map[int64]string, error) {
	out := map[int64]string{}
	if len(ids) == 0 {
		return out, nil
	}
	var rows []struct {
		ID   int64
		Name string
	}
	if err := s.db.WithContext(ctx).Table("fund_accounts").Select("id, name").Where("id IN ?", ids).Scan(&rows).Error; err != nil {
		return nil, err
	}
	for _, r := range rows {
		out[r.ID] = r.Name
	}
	return out, nil
}

func (s *Server) payoutRows(ctx context.Context, a access.Actor, list []payout.Payout) ([]payoutRow, error) {
	var orgIDs, fundIDs []int64
	for _, p := range list {
		orgIDs = append(orgIDs, p.OrganizationID)
		fundIDs = append(fundIDs, p.FundAccountID)
	}
	orgs, err := s.organizationNames(ctx, orgIDs)
	if err != nil {
		return nil, err
	}
	funds, err := s.fundNames(ctx, fundIDs)
	if err != nil {
		return nil, err
	}
	staff := slices.Contains(fundReaders, a.Role)
	out := make([]payoutRow, len(list))
	for i, p := range list {
		r := payoutRow{Payout: p, Organization: orgs[p.OrganizationID], Fund: funds[p.FundAccountID], Amount: yuan(p.AmountFen),
			Requested: showTime(&p.CreatedAt), PaidAt: showTime(p.PaidAt), Anchor: fmt.Sprintf("confirm-%d-reference", p.ID)}
		if staff {
			r.FundHref = fmt.Sprintf("/funds/%d", p.FundAccountID)
		}
		r.CanConfirm = a.Role == access.FinanceOfficer && p.Provider == "manual" && p.State == "requested"
		out[i] = r
	}
	return out, nil
}

type payoutsView struct {
	Payouts    []payoutRow
	Waiting    int
	CanConfirm bool
	Alert      pageAlert
	DoneID     int64
}

func (s *Server) renderPayouts(c *fiber.Ctx, status int, posted int64, reference string, alert pageAlert) error {
	ctx, a := c.UserContext(), actor(c)
	list, err := s.payouts.List(ctx, a, "")
	if err != nil {
		return err
	}
	v := payoutsView{CanConfirm: a.Role == access.FinanceOfficer, Alert: alert}
	if v.Payouts, err = s.payoutRows(ctx, a, list); err != nil {
		return err
	}
	for i := range v.Payouts {
		r := &v.Payouts[i]
		if r.State == "requested" {
			v.Waiting++
		}
		if r.ID == posted {
			r.Reference, r.Bad = reference, alert.Bad(r.Anchor)
		}
	}
	if status == fiber.StatusOK && c.Query("done") == "confirmed" {
		v.DoneID, _ = strconv.ParseInt(c.Query("id"), 10, 64)
	}
	return s.render(c, status, "payouts", v)
}

func (s *Server) handlePayoutsPage(c *fiber.Ctx) error {
	return s.renderPayouts(c, fiber.StatusOK, 0, "", pageAlert{})
}

func (s *Server) handlePayoutConfirmSubmit(c *fiber.Ctx) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	lang := language(c)
	reference := strings.TrimSpace(strings.Clone(c.FormValue("reference")))
	if _, err := s.payouts.ConfirmManual(c.UserContext(), actor(c), id, reference); err != nil {
		anchor := fmt.Sprintf("confirm-%d-reference", id)
		status, alert, ok := s.formProblem(c, renamed(err, "confirm.", nil), func(field string) (string, string) {
			return anchor, s.pages.translate(lang, field)
		})
		if !ok {
			return err
		}
		page := pageAlert{Context: fmt.Sprintf(s.pages.translate(lang, "payouts.confirm_alert"), id),
			Href: fmt.Sprintf("#payout-%d", id), formAlert: alert}
		return s.renderPayouts(c, status, id, reference, page)
	}
	return c.Redirect(fmt.Sprintf("/payouts?done=confirmed&id=%d#payout-%d", id, id), fiber.StatusSeeOther)
}

// ---- reports ----

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
	Allocated   string
	Shortfall   string
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
	Below           int
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

func (s *Server) handleFundReportPage(c *fiber.Ctx) error {
	ctx, a := c.UserContext(), actor(c)
	util, err := s.funds.Utilisation(ctx, a)
	if err != nil {
		return err
	}
	floors, err := s.funds.FloorReport(ctx, a)
	if err != nil {
		return err
	}
	_, byCode, err := s.categories(ctx)
	if err != nil {
		return err
	}
	subs, err := s.subdistrictsByID(ctx)
	if err != nil {
		return err
	}
	v := fundReportView{ShowSubdistrict: a.Role.ScopeKind() != access.ScopeSubdistrict, Kinds: balanceKinds,
		FloorSmall: yuan(fund.FundingFloor(0)), FloorMedium: yuan(fund.FundingFloor(1000)), FloorLarge: yuan(fund.FundingFloor(2001))}
	for _, u := range util {
		cells := balanceCells(u.Balances)
		cells[len(cells)-1] = amountCell{Kind: "received", Amount: yuan(u.Received), Zero: u.Received == 0}
		v.Utilisation = append(v.Utilisation, utilisationRow{UtilisationRow: u, Subdistrict: subs[u.SubdistrictID],
			CategoryList: categoryList(u.Categories, byCode), Amounts: cells, Used: usedShare(u.Balances, u.Received)})
	}
	byCategory, err := s.funds.UtilisationByCategory(ctx, a)
	if err != nil {
		return err
	}
	for _, r := range byCategory {
		cells := balanceCells(r.Balances)
		cells[len(cells)-1] = amountCell{Kind: "received", Amount: yuan(r.Received), Zero: r.Received == 0}
		v.ByCategory = append(v.ByCategory, categoryRow{CategoryRow: r, Subdistrict: subs[r.SubdistrictID],
			Category: byCode[r.Category], Amounts: cells})
	}
	for _, f := range floors {
		r := floorRow{FloorRow: f, Subdistrict: subs[f.SubdistrictID], FloorYuan: yuan(f.Floor), Allocated: yuan(f.Allocated)}
		if f.BelowFloor {
			r.Shortfall = yuan(f.Floor - f.Allocated)
			v.Below++
		}
		v.Floors = append(v.Floors, r)
	}
	return s.render(c, fiber.StatusOK, "fund_report", v)
}

// ---- an organization's payments ----

type orgPayoutsView struct {
	Payouts        []payoutRow
	Received       string
	Stripe         bool
	IsAdmin        bool
	Connected      bool // a connected Stripe account exists
	PayoutsEnabled bool // Stripe says it can receive transfers
	Returned       bool // back from Stripe's onboarding
	Refresh        bool // Stripe's link expired: start again
}

func (s *Server) handleOrgPayoutsPage(c *fiber.Ctx) error {
	ctx, a := c.UserContext(), actor(c)
	list, err := s.payouts.List(ctx, a, "")
	if err != nil {
		return err
	}
	v := orgPayoutsView{Stripe: s.payouts.StripeEnabled(), IsAdmin: a.Role == access.OrgAdmin}
	if v.Payouts, err = s.payoutRows(ctx, a, list); err != nil {
		return err
	}
	var received money.Fen
	for _, p := range list {
		if p.State == "paid" {
			received += p.AmountFen
		}
	}
	v.Received = yuan(received)
	if v.Stripe {
		var acct struct {
			StripeAccountID string
			PayoutsEnabled  bool
		}
		if err := s.db.WithContext(ctx).Table("organization_payout_accounts").Select("stripe_account_id, payouts_enabled").
			Where("organization_id = ?", a.Scope.OrganizationID).Scan(&acct).Error; err != nil {
			return err
		}
		v.Connected, v.PayoutsEnabled = acct.StripeAccountID != "", acct.PayoutsEnabled
		v.Returned, v.Refresh = c.Query("connected") != "", c.Query("refresh") != ""
		if v.IsAdmin {
			allowFormTarget(c, stripeConnectOrigin)
		}
	}
	return s.render(c, fiber.StatusOK, "org_payouts", v)
}

// handleOnboardSubmit sends the organization's admin to Stripe to connect
// (or finish connecting) the account its payments go to.
func (s *Server) handleOnboardSubmit(c *fiber.Ctx) error {
	a := actor(c)
	base := strings.TrimRight(s.cfg.HTTP.PublicURL, "/")
	link, err := s.payouts.Onboard(c.UserContext(), a, a.Scope.OrganizationID, base+"/org/payouts?refresh=1", base+"/org/payouts?connected=1")
	if err != nil {
		return err
	}
	return c.Redirect(link, fiber.StatusSeeOther)
}

// ---- donations ----

// donateForm is a donation as typed.
type donateForm struct {
	Fund, Amount, DonorName string
}

type donationFund struct {
	fund.Account
	Subdistrict place.Subdistrict
}

type donateView struct {
	Open      bool // Stripe is configured
	Funds     []donationFund
	Form      donateForm
	Alert     formAlert
	Cancelled bool
	Min, Max  string
}

func (s *Server) renderDonate(c *fiber.Ctx, status int, f donateForm, alert formAlert) error {
	ctx := c.UserContext()
	v := donateView{Open: s.payouts.StripeEnabled(), Form: f, Alert: alert, Cancelled: c.Query("cancelled") != "",
		Min: yuan(payout.MinDonation), Max: yuan(payout.MaxDonation)}
	if v.Open {
		list, err := s.funds.DonationFunds(ctx)
		if err != nil {
			return err
		}
		subs, err := s.subdistrictsByID(ctx)
		if err != nil {
			return err
		}
		for _, a := range list {
			v.Funds = append(v.Funds, donationFund{Account: a, Subdistrict: subs[a.SubdistrictID]})
		}
		if len(v.Funds) == 1 && v.Form.Fund == "" {
			v.Form.Fund = strconv.FormatInt(v.Funds[0].ID, 10)
		}
		allowFormTarget(c, stripeCheckoutOrigin)
	}
	return s.render(c, status, "donate", v)
}

func (s *Server) handleDonatePage(c *fiber.Ctx) error {
	return s.renderDonate(c, fiber.StatusOK, donateForm{}, formAlert{})
}

// handleDonateSubmit records the donation and sends the donor to Stripe
// Checkout to pay; Stripe brings the donor back to the receipt.
func (s *Server) handleDonateSubmit(c *fiber.Ctx) error {
	if !s.payouts.StripeEnabled() {
		return s.renderDonate(c, fiber.StatusConflict, donateForm{}, formAlert{})
	}
	lang := language(c)
	form := func(k string) string { return strings.TrimSpace(strings.Clone(c.FormValue(k))) }
	f := donateForm{Fund: form("fund_account_id"), Amount: form("amount"), DonorName: form("donor_name")}
	// What does not parse goes to the service as 0, which it names with the rest.
	fundID, _ := strconv.ParseInt(f.Fund, 10, 64)
	amount, err := money.ParseYuan(f.Amount)
	if err != nil {
		amount = 0
	}
	base := strings.TrimRight(s.cfg.HTTP.PublicURL, "/")
	_, checkout, err := s.payouts.StartDonation(c.UserContext(), payout.DonationInput{FundAccountID: fundID, Amount: amount,
		DonorName: f.DonorName, SuccessURL: base + "/donate/receipt/{DONATION_ID}", CancelURL: base + "/donate?cancelled=1"})
	if err != nil {
		if errors.Is(err, payout.ErrNoDonations) {
			return s.renderDonate(c, fiber.StatusBadRequest, f,
				s.fieldAlert(c, "donate-fund", s.pages.translate(lang, "donate.fund"), "fielderr.donate.fund"))
		}
		status, alert, ok := s.formProblem(c, renamed(err, "donate.", map[string]string{"fund_account_id": "fund", "amount_fen": "amount"}),
			s.dottedLabel(c))
		if !ok {
			return err
		}
		return s.renderDonate(c, status, f, inFormOrder(alert, "donate-fund", "donate-amount", "donate-donor_name"))
	}
	return c.Redirect(checkout, fiber.StatusSeeOther)
}

type receiptView struct {
	payout.Donation
	Fund        fund.Account
	Subdistrict place.Subdistrict
	Amount      string
	Created     string
	Completed   string
}

// handleReceiptPage is a donation's public receipt, where Stripe brings the
// donor back. Like the API's, it names no donor.
func (s *Server) handleReceiptPage(c *fiber.Ctx) error {
	ctx := c.UserContext()
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	d, err := s.payouts.GetDonation(ctx, id)
	if err != nil {
		return err
	}
	acct, err := s.funds.DonatedFund(ctx, d.FundAccountID)
	if err != nil {
		return err
	}
	sub, err := s.places.GetSubdistrict(ctx, acct.SubdistrictID)
	if err != nil {
		return err
	}
	return s.render(c, fiber.StatusOK, "donate_receipt", receiptView{Donation: d, Fund: acct, Subdistrict: sub,
		Amount: yuan(d.AmountFen), Created: showTime(&d.CreatedAt), Completed: showTime(d.CompletedAt)})
}
