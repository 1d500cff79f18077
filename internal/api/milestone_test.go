package api_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/jiedao-market/jiedao/internal/milestone"
	"github.com/jiedao-market/jiedao/internal/servertest"
)

// milestoneEnv is a milestone test's application: a contract of 爱山 (A)
// signed by demo-org's organization for 450,000.00, its signing milestone
// due for 135,000.00, and a token per demo identity and for finance-b, a
// finance officer of 飞英 (B), all signed in before any refusal is checked.
type milestoneEnv struct {
	e         *servertest.Env
	tokens    map[string]string
	contract  servertest.Contract
	milestone int64 // the signing milestone
}

func newMilestoneEnv(t *testing.T) *milestoneEnv {
	t.Helper()
	e := servertest.NewEnv(t)
	m := &milestoneEnv{e: e, tokens: map[string]string{"anonymous": ""}}
	e.CreateUser(t, map[string]any{"username": "finance-b", "display_name": "飞英财务", "role": "finance_officer", "subdistrict_id": e.Demo(t).SubB})
	for _, who := range append(servertest.Identities[1:], "finance-b") {
		m.tokens[who] = e.Token(t, who)
	}
	m.contract = e.SignedContract(t, 45_000_000)
	m.milestone = e.IDOf(t, "contract_milestones", "contract_id = ? AND seq = 1", m.contract.ID)
	return m
}

func (m *milestoneEnv) path(suffix string) string {
	return fmt.Sprintf("/api/v1/milestones/%d%s", m.milestone, suffix)
}

func (m *milestoneEnv) list() string {
	return fmt.Sprintf("/api/v1/contracts/%d/milestones", m.contract.ID)
}

// refused sends a JSON request (or none) as who that must be refused and
// write nothing.
func (m *milestoneEnv) refused(t *testing.T, method, path, who string, body any, status int, code string, fields ...string) {
	t.Helper()
	m.e.Refused(t, servertest.Request{Method: method, Path: path, Token: m.tokens[who], Body: body}, status, code, fields...)
}

// invoiceRequest is the organization's invoice form for the milestone.
func (m *milestoneEnv) invoiceRequest(t *testing.T, who string, fields map[string]string, content []byte) servertest.Request {
	t.Helper()
	ct, body := milestoneInvoiceBody(t, "", fields, content)
	return servertest.Request{Method: "POST", Path: m.path("/invoice"), Token: m.tokens[who], Body: body, Header: map[string]string{"Content-Type": ct}}
}

func (m *milestoneEnv) get(t *testing.T, who string) milestone.Schedule {
	t.Helper()
	var s milestone.Schedule
	servertest.Call(t, m.e, "GET", m.list(), m.tokens[who], nil, http.StatusOK, &s)
	return s
}

// Who may do what to a milestone, and in which state: every refusal answers
// its problem and writes nothing, except the refused approval by the
// account that accepted the work, which is audited.
func TestMilestoneRefusals(t *testing.T) {
	t.Parallel()
	m := newMilestoneEnv(t)
	e := m.e
	pdf := []byte(orgPDF)
	invoice := map[string]string{"kind": "invoice", "number": "33019912", "amount_fen": "13500000"}
	with := func(k, v string) map[string]string {
		out := map[string]string{}
		for key, val := range invoice {
			out[key] = val
		}
		if v == "" {
			delete(out, k)
		} else {
			out[k] = v
		}
		return out
	}

	// Reading: the contract's readers only; another tenant finds nothing.
	for _, who := range []string{"demo-org2", "demo-officer2", "finance-b"} {
		m.refused(t, "GET", m.list(), who, nil, http.StatusNotFound, "not_found")
	}
	for _, who := range []string{"demo-evaluator", "demo-resident"} {
		m.refused(t, "GET", m.list(), who, nil, http.StatusForbidden, "forbidden")
	}
	m.refused(t, "GET", "/api/v1/contracts/999999/milestones", "demo-officer", nil, http.StatusNotFound, "not_found")
	m.refused(t, "GET", m.path("/invoice"), "demo-finance", nil, http.StatusNotFound, "milestone.no_invoice_document")
	if s := m.get(t, "demo-org"); len(s.Items) != 3 || s.Items[0].Status != "due" || s.Items[0].PayableFen != 13_500_000 {
		t.Fatalf("milestones as demo-org = %+v, want the signing milestone due for 135,000.00", s.Items)
	}

	// Acceptance: the subdistrict's procurement officer, with a note.
	note := map[string]any{"note": "已核对服务台账与签约材料"}
	m.refused(t, "POST", m.path("/accept"), "demo-finance", note, http.StatusForbidden, "forbidden")
	m.refused(t, "POST", m.path("/accept"), "demo-org", note, http.StatusForbidden, "forbidden")
	m.refused(t, "POST", m.path("/accept"), "demo-officer2", note, http.StatusNotFound, "not_found")
	m.refused(t, "POST", m.path("/accept"), "demo-officer", map[string]any{"note": "  "}, http.StatusBadRequest, "validation", "note")
	m.refused(t, "POST", m.path("/accept"), "demo-officer", map[string]any{"note": "好", "amount": 1}, http.StatusBadRequest, "validation", "amount")
	m.refused(t, "POST", "/api/v1/milestones/999999/accept", "demo-officer", note, http.StatusNotFound, "not_found")
	m.refused(t, "POST", m.path("/approve"), "demo-finance", nil, http.StatusConflict, "milestone.not_accepted")

	// The invoice: the organization's staff, for exactly the payable amount.
	e.Refused(t, m.invoiceRequest(t, "demo-org2", invoice, pdf), http.StatusNotFound, "not_found")
	e.Refused(t, m.invoiceRequest(t, "demo-officer", invoice, pdf), http.StatusForbidden, "forbidden")
	e.Refused(t, m.invoiceRequest(t, "demo-org", with("amount_fen", "13500001"), pdf), http.StatusBadRequest, "validation", "amount_fen")
	e.Refused(t, m.invoiceRequest(t, "demo-org", with("amount_fen", "一万"), pdf), http.StatusBadRequest, "validation", "amount_fen")
	e.Refused(t, m.invoiceRequest(t, "demo-org", with("number", ""), pdf), http.StatusBadRequest, "validation", "number")
	e.Refused(t, m.invoiceRequest(t, "demo-org", with("kind", "bill"), pdf), http.StatusBadRequest, "validation", "kind")
	e.Refused(t, m.invoiceRequest(t, "demo-org", invoice, nil), http.StatusBadRequest, "validation", "file")
	e.Refused(t, m.invoiceRequest(t, "demo-org", invoice, []byte("not a document at all")), http.StatusBadRequest, "document.type", "file")
	_, body := milestoneInvoiceBody(t, "", invoice, nil)
	e.Refused(t, servertest.Request{Method: "POST", Path: m.path("/invoice"), Token: m.tokens["demo-org"], Body: body},
		http.StatusUnsupportedMediaType, "unsupported_media_type")

	servertest.Call(t, e, "POST", m.path("/accept"), m.tokens["demo-officer"], note, http.StatusOK, nil)
	m.refused(t, "POST", m.path("/accept"), "demo-officer", note, http.StatusConflict, "milestone.not_due")
	m.refused(t, "POST", m.path("/approve"), "demo-finance", nil, http.StatusConflict, "milestone.no_invoice")
	if r := e.Do(t, m.invoiceRequest(t, "demo-member", invoice, pdf)); r.Status != http.StatusOK {
		t.Fatalf("POST %s as demo-member = %d %s, want 200", m.path("/invoice"), r.Status, r.Body)
	}
	if n := servertest.CountWhere(t, e, "notifications", "kind = ? AND contract_id = ?", milestone.KindReady, m.contract.ID); n == 0 {
		t.Errorf("no %s notice once the milestone was accepted and invoiced", milestone.KindReady)
	}

	// Approval: a finance officer of the subdistrict who did not accept.
	m.refused(t, "POST", m.path("/approve"), "finance-b", nil, http.StatusNotFound, "not_found")
	officer := e.ActorOf(t, "demo-officer")
	servertest.Call(t, e, "PATCH", fmt.Sprintf("/api/v1/users/%d", officer.UserID), m.tokens["demo-admin"],
		map[string]any{"role": "finance_officer", "subdistrict_id": e.Demo(t).SubA}, http.StatusOK, nil)
	same := e.Token(t, "demo-officer")
	e.RefusedCounting(t, "audit_entries", servertest.Request{Method: "POST", Path: m.path("/approve"), Token: same},
		http.StatusForbidden, "milestone.same_account")
	if n := servertest.CountWhere(t, e, "audit_entries", "action = 'milestone.approve_refused' AND actor_id = ?", officer.UserID); n != 1 {
		t.Errorf("audit entries of the refused approval = %d, want 1", n)
	}

	var v milestone.Milestone
	servertest.Call(t, e, "POST", m.path("/approve"), m.tokens["demo-finance"], nil, http.StatusOK, &v)
	p := v.Payments[0]
	if p.State != milestone.StateApproved || p.Payout == nil || p.Payout.Provider != "manual" || p.Payout.State != "requested" ||
		p.Invoice == nil || p.Invoice.Number != "33019912" {
		t.Errorf("approved milestone's payment = %+v, want approved with a requested manual payout and the invoice", p)
	}
	m.refused(t, "POST", m.path("/approve"), "demo-finance", nil, http.StatusConflict, "milestone.not_accepted")
	e.Refused(t, m.invoiceRequest(t, "demo-org", invoice, pdf), http.StatusConflict, "milestone.not_invoiceable")

	r := e.Do(t, servertest.Request{Method: "GET", Path: m.path("/invoice"), Token: m.tokens["demo-finance"]})
	if r.Status != http.StatusOK || r.Header.Get("Content-Type") != "application/pdf" || string(r.Body) != orgPDF {
		t.Errorf("GET %s as demo-finance = %d %s, want the PDF", m.path("/invoice"), r.Status, r.Header.Get("Content-Type"))
	}
}
