package ui_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/audit"
	"github.com/jiedao-market/jiedao/internal/demo"
	"github.com/jiedao-market/jiedao/internal/servertest"
)

// TestAuditTrailLinks: the officer's record pages link to the record's
// trail, which lists its entries; an organization's admin sees no link on
// the contract page.
func TestAuditTrailLinks(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t, demo.WithTenders())
	d := e.Demo(t)
	tenderID := e.IDOf(t, "tenders", "subdistrict_id = ? AND status = 'awarded'", d.SubA)
	contractID := e.IDOf(t, "contracts", "subdistrict_id = ? AND organization_id = ?", d.SubA, d.Org1)
	itemID := e.IDOf(t, "transfer_items", "subdistrict_id = ? AND status = 'published'", d.SubA)
	officer := servertest.SignIn(t, e, "demo-officer")
	for _, p := range []struct{ page, typ string }{
		{fmt.Sprintf("/tenders/%d", tenderID), fmt.Sprintf("type=tender&amp;id=%d", tenderID)},
		{fmt.Sprintf("/contracts/%d", contractID), fmt.Sprintf("type=contract&amp;id=%d", contractID)},
		{fmt.Sprintf("/funds/%d", d.FundA), fmt.Sprintf("type=fund_account&amp;id=%d", d.FundA)},
		{fmt.Sprintf("/items/%d", itemID), fmt.Sprintf("type=transfer_item&amp;id=%d", itemID)},
	} {
		r := officer.Get(t, p.page)
		if r.Status != http.StatusOK || !strings.Contains(string(r.Body), `href="/audit?`+p.typ+`" id="audit-link"`) {
			t.Errorf("GET %s = %d, want the page with its audit link (%s): %.400s", p.page, r.Status, p.typ, r.Body)
		}
	}
	r := officer.Get(t, fmt.Sprintf("/audit?type=tender&id=%d", tenderID))
	if body := string(r.Body); r.Status != http.StatusOK || !strings.Contains(body, `<table id="audit">`) || !strings.Contains(body, "tender.publish") {
		t.Errorf("GET /audit of tender %d = %d, want its entries: %.600s", tenderID, r.Status, body)
	}
	// An entry the sequencer has not integrated yet shows as pending, after the others.
	if err := e.DB.Transaction(func(tx *gorm.DB) error {
		return audit.Record(tx, access.SystemActor("test", ""), "tender.touch", "tender", tenderID, nil)
	}); err != nil {
		t.Fatal(err)
	}
	r = officer.Get(t, fmt.Sprintf("/audit?type=tender&id=%d", tenderID))
	body := string(r.Body)
	pending := strings.Index(body, "tender.touch")
	if r.Status != http.StatusOK || pending < 0 || !strings.Contains(body[:pending], `<tr id="entry-`) ||
		!(strings.Contains(body[:pending], "待入链") || strings.Contains(body[:pending], ">pending<")) {
		t.Errorf("GET /audit of tender %d with a pending entry = %d, want it last, marked pending: %.600s", tenderID, r.Status, body)
	}
	org := servertest.SignIn(t, e, "demo-org")
	if r := org.Get(t, fmt.Sprintf("/contracts/%d", contractID)); r.Status != http.StatusOK || strings.Contains(string(r.Body), "audit-link") {
		t.Errorf("GET /contracts/%d by the organization = %d, want the page without an audit link", contractID, r.Status)
	}
}

// TestAuditHeadsPage: the public page lists the heads newest first.
func TestAuditHeadsPage(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t, servertest.AccountsOnly)
	visitor := servertest.NewPageClient(e)
	if r := visitor.Get(t, "/transparency/audit-heads"); r.Status != http.StatusOK || !strings.Contains(string(r.Body), `id="heads-empty"`) {
		t.Fatalf("GET /transparency/audit-heads before any head = %d, want the empty list", r.Status)
	}
	for range 2 {
		if _, _, err := audit.PublishHead(t.Context(), e.DB, e.Clock.Now()); err != nil {
			t.Fatal(err)
		}
		e.Clock.Advance(24 * time.Hour)
	}
	heads, err := audit.Heads(t.Context(), e.DB)
	if err != nil || len(heads) != 2 {
		t.Fatalf("Heads() = %v, %v", heads, err)
	}
	body := string(visitor.Get(t, "/transparency/audit-heads").Body)
	newer, older := strings.Index(body, heads[1].Hash), strings.Index(body, heads[0].Hash)
	if newer < 0 || older < 0 || newer > older || !strings.Contains(body, "audit verify --against") {
		t.Errorf("GET /transparency/audit-heads: want both heads, newest first, and how to check them: %.800s", body)
	}
}
