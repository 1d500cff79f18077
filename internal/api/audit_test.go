package api_test

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
	"github.com/jiedao-market/jiedao/internal/trail"
)

// TestAuditTrail: each role of its scope reads a tender's trail, in seq
// order and China time; a tender still bidding shows no bid entry (who bid
// stays sealed) while an opened one shows them; bad queries are 400 and
// write nothing.
func TestAuditTrail(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t, demo.WithTenders())
	d := e.Demo(t)
	opened := e.IDOf(t, "tenders", "subdistrict_id = ? AND status = 'awarded'", d.SubA)
	bidding := e.IDOf(t, "tenders", "subdistrict_id = ? AND status = 'published'", d.SubA)
	get := func(who, typ string, id int64, want int) trail.Trail {
		t.Helper()
		var tr trail.Trail
		token := ""
		if who != "anonymous" {
			token = e.Token(t, who)
		}
		servertest.Call(t, e, "GET", fmt.Sprintf("/api/v1/audit?type=%s&id=%d", typ, id), token, nil, want, &tr)
		return tr
	}
	for _, who := range []string{"demo-admin", "demo-district", "demo-officer", "demo-finance"} {
		tr := get(who, "tender", opened, http.StatusOK)
		if len(tr.Entries) == 0 || tr.HiddenUntilOpening {
			t.Fatalf("%s: trail of opened tender %d = %+v, want its entries, none hidden", who, opened, tr)
		}
		var bids int
		for i, en := range tr.Entries {
			if en.Seq == nil || en.Hash == nil {
				t.Fatalf("%s: entry %d of the seeded trail has no seq or hash, want it integrated", who, i)
			}
			if i > 0 && *en.Seq <= *tr.Entries[i-1].Seq {
				t.Errorf("%s: entry %d after %d, want seq order", who, *en.Seq, *tr.Entries[i-1].Seq)
			}
			if _, off := en.At.Zone(); off != 8*3600 {
				t.Errorf("%s: entry %d at %v, want China time", who, *en.Seq, en.At)
			}
			if strings.HasPrefix(en.Action, "bid.") {
				bids++
				if strings.Contains(string(en.Data), "price") {
					t.Errorf("%s: bid entry %d holds %s, want no bid content", who, *en.Seq, en.Data)
				}
			}
		}
		if bids == 0 {
			t.Errorf("%s: trail of opened tender %d has no bid entry, want them after the opening", who, opened)
		}
		sealed := get(who, "tender", bidding, http.StatusOK)
		if !sealed.HiddenUntilOpening || len(sealed.Entries) == 0 {
			t.Errorf("%s: trail of bidding tender %d = %+v, want its entries with the bids hidden", who, bidding, sealed)
		}
		questions := 0
		for _, en := range sealed.Entries {
			if strings.HasPrefix(en.Action, "bid.") || en.ActorName == "demo-org" {
				t.Errorf("%s: bidding tender's trail shows %s by %s, want no bidder before the opening", who, en.Action, en.ActorName)
			}
			if en.Action == "tender.question" {
				questions++
				if en.ActorName != "" {
					t.Errorf("%s: question entry names %q, want its asker anonymous", who, en.ActorName)
				}
			}
		}
		if questions == 0 {
			t.Errorf("%s: bidding tender's trail has no question entry, want the demo's question", who)
		}
	}
	// An entry the sequencer has not integrated yet comes last, its seq and hash null.
	if err := e.DB.Transaction(func(tx *gorm.DB) error {
		return audit.Record(tx, access.SystemActor("test", ""), "tender.touch", "tender", opened, nil)
	}); err != nil {
		t.Fatal(err)
	}
	tr := get("demo-officer", "tender", opened, http.StatusOK)
	if last := tr.Entries[len(tr.Entries)-1]; last.Action != "tender.touch" || last.Seq != nil || last.Hash != nil {
		t.Errorf("trail's last entry = %+v, want the pending tender.touch without seq and hash", last)
	}
	get("demo-officer2", "tender", opened, http.StatusNotFound) // another subdistrict's
	get("demo-officer", "tender", 1<<40, http.StatusNotFound)
	for _, who := range []string{"demo-evaluator", "demo-org", "demo-member", "demo-resident"} {
		get(who, "tender", opened, http.StatusForbidden)
	}
	get("anonymous", "tender", opened, http.StatusUnauthorized)

	// Every type of record answers for its staff.
	for _, typ := range trail.Types {
		var id int64
		e.DB.Raw(`SELECT id FROM ` + map[string]string{"tender": "tenders", "contract": "contracts", "evaluation": "evaluations",
			"milestone_payment": "milestone_payments", "fund_account": "fund_accounts", "payout": "payouts",
			"transfer_item": "transfer_items", "complaint": "complaints"}[typ] + ` ORDER BY id LIMIT 1`).Scan(&id)
		if id == 0 {
			continue // the demo has none of these
		}
		get("demo-admin", typ, id, http.StatusOK)
	}

	token := e.Token(t, "demo-officer")
	for _, q := range []struct{ query, field string }{
		{"type=bid&id=1", "type"},
		{"id=1", "type"},
		{"type=tender&id=abc", "id"},
		{"type=tender&id=0", "id"},
		{"type=tender", "id"},
	} {
		e.Refused(t, servertest.Request{Method: "GET", Path: "/api/v1/audit?" + q.query, Token: token}, http.StatusBadRequest, "validation", q.field)
	}
}

// TestAuditHeads: the public list is empty, then holds the day's head, the
// entry that announces it; publishing again the same day adds nothing.
func TestAuditHeads(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t, servertest.AccountsOnly)
	var heads []map[string]any
	servertest.Call(t, e, "GET", "/api/v1/public/audit/heads", "", nil, http.StatusOK, &heads)
	if len(heads) != 0 {
		t.Fatalf("heads before any publication = %v, want none", heads)
	}
	for range 2 {
		if _, _, err := audit.PublishHead(t.Context(), e.DB, e.Clock.Now()); err != nil {
			t.Fatal(err)
		}
	}
	e.Clock.Advance(24 * time.Hour)
	if _, _, err := audit.PublishHead(t.Context(), e.DB, e.Clock.Now()); err != nil {
		t.Fatal(err)
	}
	servertest.Call(t, e, "GET", "/api/v1/public/audit/heads", "", nil, http.StatusOK, &heads)
	if len(heads) != 2 || heads[0]["day"].(string) >= heads[1]["day"].(string) {
		t.Fatalf("heads = %v, want two, oldest first", heads)
	}
	var last struct {
		Seq  int64
		Hash string
	}
	e.DB.Raw(`SELECT seq, hash FROM audit_entries WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1`).Scan(&last)
	if heads[1]["seq"].(float64) != float64(last.Seq) || heads[1]["hash"] != last.Hash {
		t.Errorf("latest head = %v, want the chain's last entry %d %s", heads[1], last.Seq, last.Hash)
	}
}
