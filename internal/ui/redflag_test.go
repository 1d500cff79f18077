package ui_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/jiedao-market/jiedao/internal/redflag"
	"github.com/jiedao-market/jiedao/internal/servertest"
)

// TestRedFlagPages: a computed flag shows on the public list (with a link to
// the tender's notice), on the notice, on the officer's tender page and on
// the contract page; the list filters by kind.
func TestRedFlagPages(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t)
	d := e.Demo(t)
	c := e.ActiveContract(t)
	var tenderID int64
	if err := e.DB.Raw(`SELECT tender_id FROM contracts WHERE id = ?`, c.ID).Scan(&tenderID).Error; err != nil {
		t.Fatal(err)
	}
	// A short window on the contract's tender, and an amendment raising the
	// contract 10 % and a fen.
	if err := e.DB.Exec(`UPDATE tenders SET short_bidding_window = true, short_window_justification = '防汛应急' WHERE id = ?`, tenderID).Error; err != nil {
		t.Fatal(err)
	}
	if err := e.DB.Exec(`UPDATE contracts SET amount_fen = 9900001 WHERE id = ?`, c.ID).Error; err != nil {
		t.Fatal(err)
	}
	if _, err := e.Services.RedFlags.Compute(context.Background(), redflag.TriggerManual); err != nil {
		t.Fatalf("Compute() error = %v", err)
	}
	notice := fmt.Sprintf(`href="/procurement/%d"`, tenderID)
	shortFlag, contractFlag := `data-kind="short_window"`, `data-kind="contract_amended_over_10"`
	anon := servertest.NewPageClient(e)
	officer := servertest.SignIn(t, e, "demo-officer")
	for _, tc := range []struct {
		what     string
		client   *servertest.PageClient
		path     string
		has, not []string
	}{
		{"the public list", anon, "/transparency/red-flags", []string{shortFlag, contractFlag, notice, "防汛应急"}, nil},
		{"the list of one kind", anon, "/transparency/red-flags?kind=short_window&subdistrict=" + fmt.Sprint(d.SubA), []string{shortFlag}, []string{contractFlag}},
		{"the list of another subdistrict", anon, "/transparency/red-flags?subdistrict=" + fmt.Sprint(d.SubB), []string{`id="redflags-none"`}, []string{shortFlag}},
		{"the public notice", anon, fmt.Sprintf("/procurement/%d", tenderID), []string{`id="red-flags"`, shortFlag, contractFlag}, nil},
		{"the officer's tender page", officer, fmt.Sprintf("/tenders/%d", tenderID), []string{`id="red-flags"`, shortFlag}, nil},
		{"the contract page", officer, fmt.Sprintf("/contracts/%d", c.ID), []string{`id="red-flags"`, contractFlag}, []string{shortFlag}},
	} {
		r := tc.client.Get(t, tc.path)
		if r.Status != http.StatusOK {
			t.Fatalf("%s: GET %s = %d, want 200", tc.what, tc.path, r.Status)
		}
		for _, s := range tc.has {
			if !strings.Contains(string(r.Body), s) {
				t.Errorf("%s: GET %s lacks %s", tc.what, tc.path, s)
			}
		}
		for _, s := range tc.not {
			if strings.Contains(string(r.Body), s) {
				t.Errorf("%s: GET %s shows %s", tc.what, tc.path, s)
			}
		}
	}
	for q, says := range map[string]string{"?kind=bribery": "请从列表中选择提示类型", "?subdistrict=x": "请从列表中选择街道", "?page=0": "页码须为从 1 起的整数"} {
		r := anon.Get(t, "/transparency/red-flags"+q)
		if body := string(r.Body); r.Status != http.StatusBadRequest || !strings.Contains(body, `role="alert"`) || !strings.Contains(body, says) ||
			strings.Contains(body, `id="redflags-list"`) {
			t.Errorf("GET /transparency/red-flags%s = %d, want 400 with the filter's alert saying %q and no list", q, r.Status, says)
		}
	}
}
