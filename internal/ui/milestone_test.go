package ui_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"testing"

	"github.com/jiedao-market/jiedao/internal/milestone"
	"github.com/jiedao-market/jiedao/internal/servertest"
)

// payoutRowID finds the id of the payout row that pays a contract's round
// on the payouts page.
var payoutRowID = regexp.MustCompile(`<tr id="payout-(\d+)">`)

// A milestone's payment through the pages: the procurement officer accepts
// the signing milestone, the organization attaches its invoice (after a
// refused amount), the account that accepted — made a finance officer since
// — cannot approve (refused in the page, and the refusal alone audited),
// another finance officer approves from the queue, the payout row appears
// for the subdistrict and the organization, and once confirmed paid the
// organization sees it paid.
func TestMilestonePaymentPages(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t)
	c := e.SignedContract(t, 3_000_000) // 30,000.00: the signing milestone pays 9,000.00
	mid := e.IDOf(t, "contract_milestones", "contract_id = ? AND seq = 1", c.ID)
	page := fmt.Sprintf("/contracts/%d/milestones", c.ID)
	row := fmt.Sprintf(`id="milestone-%d"`, mid)

	officer := servertest.SignIn(t, e, "demo-officer")
	officer.Cookies["jd_lang"] = "en"
	r := officer.Get(t, page)
	wantStatus(t, "GET "+page+" as the officer", r, http.StatusOK)
	wantBody(t, "the officer's milestones page", r, row, "测试付款节点项目", "¥9,000.00", fmt.Sprintf(`action="%s/%d/accept"`, page, mid),
		"Awaiting acceptance")
	wantNoBody(t, "the officer's milestones page", r, `/invoice" enctype`, "/approve")
	token := servertest.CSRFToken(t, r)

	accept := fmt.Sprintf("%s/%d/accept", page, mid)
	e.WritesNothing(t, "an acceptance without a note", func() {
		r = officer.Post(t, accept, url.Values{"csrf_token": {token}, "note": {"  "}})
	})
	wantStatus(t, "POST "+accept+" without a note", r, http.StatusBadRequest)
	wantBody(t, "the refused acceptance", r, `role="alert"`, fmt.Sprintf(`href="#acceptance-note-%d"`, mid), "Acceptance note")
	r = officer.Post(t, accept, url.Values{"csrf_token": {token}, "note": {"已核对签约材料与服务台账"}})
	servertest.WantRedirect(t, "POST "+accept, r, fmt.Sprintf("%s?done=accepted#milestone-%d", page, mid))
	wantBody(t, "the page after the acceptance", officer.Get(t, page+"?done=accepted"), `id="milestones-done"`, "已核对签约材料与服务台账",
		"Accepted, awaiting approval")

	org := servertest.SignIn(t, e, "demo-org")
	org.Cookies["jd_lang"] = "en"
	r = org.Get(t, "/org/milestones")
	wantStatus(t, "GET /org/milestones", r, http.StatusOK)
	invoice := fmt.Sprintf("/org/milestones/%d/invoice", mid)
	wantBody(t, "the organization's milestones", r, "测试付款节点项目", `action="`+invoice+`"`, `value="9000.00"`, `href="/org/payouts"`)
	orgToken := servertest.CSRFToken(t, r)
	form := url.Values{"csrf_token": {orgToken}, "kind": {"invoice"}, "number": {"33019912"}, "amount": {"9000.01"}}
	e.WritesNothing(t, "an invoice for another amount", func() {
		r = org.PostFile(t, invoice, form, "发票.pdf", samplePDF)
	})
	wantStatus(t, "POST "+invoice+" for 9,000.01", r, http.StatusBadRequest)
	wantBody(t, "the refused invoice", r, `role="alert"`, fmt.Sprintf(`href="#invoice-amount_fen-%d"`, mid), `value="9000.01"`, `value="33019912"`)
	form.Set("amount", "9,000.00")
	r = org.PostFile(t, invoice, form, "发票.pdf", samplePDF)
	servertest.WantRedirect(t, "POST "+invoice, r, fmt.Sprintf("/org/milestones?done=invoiced#milestone-%d", mid))

	// The accepting account cannot approve, whatever its role now.
	admin := e.Token(t, "demo-admin")
	officerID := e.ActorOf(t, "demo-officer").UserID
	servertest.Call(t, e, "PATCH", fmt.Sprintf("/api/v1/users/%d", officerID), admin,
		map[string]any{"role": "finance_officer", "subdistrict_id": e.Demo(t).SubA}, http.StatusOK, nil)
	officer = servertest.SignIn(t, e, "demo-officer") // the change of role ended its sessions
	officer.Cookies["jd_lang"] = "en"
	r = officer.Get(t, "/approvals")
	wantStatus(t, "GET /approvals as the accepting account", r, http.StatusOK)
	wantBody(t, "the accepting account's queue", r, fmt.Sprintf(`id="own-%d"`, mid))
	approve := fmt.Sprintf("/approvals/%d/approve", mid)
	e.WritesOnly(t, "the same account's approval", "audit_entries", func() {
		r = officer.Post(t, approve, url.Values{"csrf_token": {servertest.CSRFToken(t, r)}})
	})
	wantStatus(t, "POST "+approve+" by the accepting account", r, http.StatusForbidden)
	wantBody(t, "the refused approval", r, `role="alert"`, "You accepted this work", row)
	if n := servertest.CountWhere(t, e, "audit_entries", "action = 'milestone.approve_refused' AND actor_id = ?", officerID); n != 1 {
		t.Errorf("audit entries of the refused approval = %d, want 1", n)
	}

	finance := servertest.SignIn(t, e, "demo-finance")
	finance.Cookies["jd_lang"] = "en"
	r = finance.Get(t, "/approvals")
	wantBody(t, "the finance officer's queue", r, row, "测试付款节点项目", "33019912", fmt.Sprintf(`href="%s/%d/invoice"`, page, mid))
	wantNoBody(t, "the finance officer's queue", r, fmt.Sprintf(`id="own-%d"`, mid))
	dl := finance.Get(t, fmt.Sprintf("%s/%d/invoice", page, mid))
	if dl.Status != http.StatusOK || string(dl.Body) != string(samplePDF) {
		t.Errorf("GET the invoice as demo-finance = %d (%d bytes), want the PDF", dl.Status, len(dl.Body))
	}
	r = finance.Get(t, page)
	wantBody(t, "the finance officer's milestones page", r, fmt.Sprintf(`action="%s/%d/approve"`, page, mid), "Approve the payment of ¥9,000.00")
	r = finance.Post(t, fmt.Sprintf("%s/%d/approve", page, mid), url.Values{"csrf_token": {servertest.CSRFToken(t, r)}})
	servertest.WantRedirect(t, "POST approve as demo-finance", r, fmt.Sprintf("%s?done=approved#milestone-%d", page, mid))
	wantBody(t, "the queue once approved", finance.Get(t, "/approvals"), `id="approvals-empty"`)

	r = finance.Get(t, "/payouts")
	forRound := fmt.Sprintf("Contract #%d · milestone 1 · round 1", c.ID)
	wantBody(t, "the payouts", r, forRound, fmt.Sprintf(`href="%s"`, page), "Waiting to be paid", "¥9,000.00")
	m := payoutRowID.FindStringSubmatch(string(r.Body))
	if m == nil {
		t.Fatalf("no payout row on /payouts: %s", r.Body)
	}
	payoutID, _ := strconv.ParseInt(m[1], 10, 64)
	wantBody(t, "the organization's payments", org.Get(t, "/org/payouts"), forRound, "Waiting to be paid")
	wantBody(t, "the organization's milestones once approved", org.Get(t, "/org/milestones"), "Approved, awaiting payment", "Bank transfer")

	r = finance.Post(t, fmt.Sprintf("/payouts/%d/confirm", payoutID), url.Values{"csrf_token": {servertest.CSRFToken(t, r)},
		"reference": {"ICBC-20260302-0001"}})
	wantStatus(t, "POST confirm", r, http.StatusSeeOther)
	r = org.Get(t, "/org/milestones")
	wantBody(t, "the organization's milestones once paid", r, `badge-round-paid`, `badge-payout-paid`)
	wantNoBody(t, "the organization's milestones once paid", r, fmt.Sprintf(`action="%s"`, invoice))
	wantBody(t, "the organization's notifications", org.Get(t, "/notifications"), fmt.Sprintf(`href="%s"`, page),
		"The payment was made")
	if n := servertest.CountWhere(t, e, "notifications", "kind = ? AND contract_id = ?", milestone.KindPaid, c.ID); n != 1 {
		t.Errorf("%s notifications = %d, want 1", milestone.KindPaid, n)
	}
}
