package api_test

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/jiedao-market/jiedao/internal/civil"
	"github.com/jiedao-market/jiedao/internal/export"
	"github.com/jiedao-market/jiedao/internal/money"
	"github.com/jiedao-market/jiedao/internal/servertest"
	"github.com/jiedao-market/jiedao/internal/tender"
)

// exportCSV fetches an export anonymously and parses it, checking the byte
// order mark, the content type and the header row.
func exportCSV(t *testing.T, e *servertest.Env, path string, header []string) [][]string {
	t.Helper()
	r := e.Do(t, servertest.Request{Method: "GET", Path: path})
	if r.Status != http.StatusOK {
		t.Fatalf("GET %s = %d %s, want 200", path, r.Status, r.Body)
	}
	if ct := r.Header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
		t.Errorf("GET %s Content-Type = %q, want text/csv; charset=utf-8", path, ct)
	}
	body, ok := bytes.CutPrefix(r.Body, []byte("\xef\xbb\xbf"))
	if !ok {
		t.Fatalf("GET %s body starts %q, want the UTF-8 byte order mark", path, r.Body[:min(len(r.Body), 8)])
	}
	rows, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatalf("GET %s: parse CSV: %v", path, err)
	}
	if len(rows) == 0 || !slices.Equal(rows[0], header) {
		t.Fatalf("GET %s header = %v, want %v", path, rows, header)
	}
	return rows[1:]
}

// exportIDs returns the first column of rows.
func exportIDs(rows [][]string) []string {
	out := []string{}
	for _, r := range rows {
		out = append(out, r[0])
	}
	return out
}

func TestExportTenders(t *testing.T) {
	t.Parallel()
	w := newTenderWorld(t)
	e := w.e
	const base = "/api/v1/public/exports/tenders.csv"
	draft := w.create(t, w.tenderBody(3))
	v := w.published(t, w.tenderBody(3))
	prices := []money.Fen{41_234_567, 42_345_678, 43_456_789}
	var secrets []string
	for i, o := range w.orgs {
		r := w.bid(t, o.Admin, v.ID, prices[i])
		secrets = append(secrets, prices[i].Yuan(), fmt.Sprint(int64(prices[i])), r.Digest)
	}
	today := civil.ChinaDate(e.Clock.Now()).String()

	t.Run("the published tender, its facts in China time, no draft", func(t *testing.T) {
		rows := exportCSV(t, e, base+"?subdistrict="+fmt.Sprint(w.subA)+"&from="+today+"&until="+today, export.TenderColumns)
		got := exportIDs(rows)
		want := []string{fmt.Sprint(v.ID)}
		if !slices.Equal(got, want) {
			t.Fatalf("tenders published today in A = %v, want %v (the draft %d never)", got, want, draft.ID)
		}
		row := rows[0]
		wantRow := []string{fmt.Sprint(v.ID), v.Title, "爱山街道", row[3], "open_tender", "published", money.Fen(twCeiling).Yuan(),
			v.PublishedAt.In(civil.China).Format("2006-01-02 15:04:05"), v.ClosesAt.In(civil.China).Format("2006-01-02 15:04:05"),
			v.OpensAt.In(civil.China).Format("2006-01-02 15:04:05"), ""}
		if !slices.Equal(row, wantRow) {
			t.Errorf("row = %q, want %q", row, wantRow)
		}
		if row[3] == "" || row[3] == twCategory {
			t.Errorf("category = %q, want the category's Chinese name", row[3])
		}
	})

	t.Run("filters", func(t *testing.T) {
		all := exportIDs(exportCSV(t, e, base, export.TenderColumns))
		if !slices.Contains(all, fmt.Sprint(v.ID)) || slices.Contains(all, fmt.Sprint(draft.ID)) {
			t.Errorf("all tenders = %v, want %d and never the draft %d", all, v.ID, draft.ID)
		}
		var published []int64
		if err := e.DB.Table("tenders").Where("published_at IS NOT NULL").Order("id").Pluck("id", &published).Error; err != nil {
			t.Fatal(err)
		}
		if len(all) != len(published) {
			t.Errorf("all tenders = %v, want every published one %v", all, published)
		}
		for _, q := range []string{"?subdistrict=" + fmt.Sprint(w.subB), "?status=awarded", "?until=2000-01-01",
			"?from=" + civil.ChinaDate(e.Clock.Now()).AddDays(1).String()} {
			if got := exportIDs(exportCSV(t, e, base+q, export.TenderColumns)); slices.Contains(got, fmt.Sprint(v.ID)) {
				t.Errorf("tenders%s = %v, want no %d", q, got, v.ID)
			}
		}
		if got := exportIDs(exportCSV(t, e, base+"?status=published&subdistrict="+fmt.Sprint(w.subA), export.TenderColumns)); !slices.Contains(got, fmt.Sprint(v.ID)) {
			t.Errorf("published tenders of A = %v, want %d", got, v.ID)
		}
	})

	t.Run("before the opening no bid data", func(t *testing.T) {
		r := e.Do(t, servertest.Request{Method: "GET", Path: base})
		for _, s := range secrets {
			if bytes.Contains(r.Body, []byte(s)) {
				t.Errorf("tenders.csv holds %q, a bid's price or digest", s)
			}
		}
		for _, c := range export.TenderColumns {
			if strings.Contains(c, "bid") || strings.Contains(c, "price") {
				t.Errorf("column %q names bid data", c)
			}
		}
	})

	t.Run("a bad filter is 400 and writes nothing", func(t *testing.T) {
		for q, field := range map[string]string{"?subdistrict=x": "subdistrict", "?from=2026-13-01": "from", "?until=yesterday": "until",
			"?status=draft": "status", "?from=2026-03-02&until=2026-03-01": "until"} {
			e.Refused(t, servertest.Request{Method: "GET", Path: base + q}, http.StatusBadRequest, "validation", field)
		}
	})
}

func TestExportContracts(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t)
	const base = "/api/v1/public/exports/contracts.csv"
	c := e.ActiveContract(t)
	var signed []int64
	if err := e.DB.Table("contracts").Where("status <> 'draft'").Order("id").Pluck("id", &signed).Error; err != nil {
		t.Fatal(err)
	}
	rows := exportCSV(t, e, base, export.ContractColumns)
	if len(rows) != len(signed) {
		t.Errorf("contracts = %v, want every signed one %v", exportIDs(rows), signed)
	}
	var row []string
	for _, r := range rows {
		if r[0] == fmt.Sprint(c.ID) {
			row = r
		}
	}
	if row == nil {
		t.Fatalf("contracts = %v, want %d", exportIDs(rows), c.ID)
	}
	var k struct {
		TenderID     int64
		Title        string
		AmountFen    money.Fen
		ServiceStart civil.Date
		ServiceEnd   civil.Date
	}
	if err := e.DB.Table("contracts").Take(&k, c.ID).Error; err != nil {
		t.Fatal(err)
	}
	want := []string{fmt.Sprint(c.ID), fmt.Sprint(k.TenderID), k.Title, "爱山街道", row[4], row[5], k.AmountFen.Yuan(),
		k.ServiceStart.String(), k.ServiceEnd.String(), "active", ""}
	if !slices.Equal(row, want) {
		t.Errorf("row = %q, want %q", row, want)
	}
	for q, in := range map[string]bool{"?status=active&subdistrict=" + fmt.Sprint(e.Demo(t).SubA): true,
		"?subdistrict=" + fmt.Sprint(e.Demo(t).SubB): false, "?status=completed": false,
		"?from=" + k.ServiceStart.String() + "&until=" + k.ServiceStart.String(): true,
		"?from=" + k.ServiceStart.AddDays(1).String():                            false} {
		if got := exportIDs(exportCSV(t, e, base+q, export.ContractColumns)); slices.Contains(got, fmt.Sprint(c.ID)) != in {
			t.Errorf("contracts%s = %v, want %d in it: %v", q, got, c.ID, in)
		}
	}
	e.Refused(t, servertest.Request{Method: "GET", Path: base + "?status=draft"}, http.StatusBadRequest, "validation", "status")
}

func TestExportAwards(t *testing.T) {
	t.Parallel()
	w := newTenderWorld(t)
	e := w.e
	const base = "/api/v1/public/exports/awards.csv"
	v := w.published(t, w.tenderBody(3))
	sealed := w.published(t, w.tenderBody(3)) // bid on, never opened
	prices := []money.Fen{40_000_000, 42_000_000, 44_000_000}
	bids := make([]int64, 3)
	for i, p := range prices {
		bids[i] = w.bid(t, w.orgs[i].Admin, v.ID, p).BidID
	}
	secret := w.bid(t, w.orgs[0].Admin, sealed.ID, 43_210_987)
	w.open(t, v.ID)
	w.evaluate(t, v.ID, 3, func(int, tender.OpeningEntry) tender.Score { return 5000 })
	p := w.propose(t, v.ID, map[string]any{"bid_ids": []int64{bids[1]}, "deviation_reason": "第一名服务站点距服务社区过远，经集体研究改选第二名。"})
	day := civil.ChinaDate(e.Clock.Now()).String()

	rows := exportCSV(t, e, base+"?status=proposed&subdistrict="+fmt.Sprint(w.subA)+"&from="+day+"&until="+day, export.AwardColumns)
	want := [][]string{{fmt.Sprint(p.ID), fmt.Sprint(v.ID), v.Title, "爱山街道", "", "proposed", w.orgs[1].Name, "420000.00",
		p.ProposedAt.In(civil.China).Format("2006-01-02 15:04:05"), p.ChallengeEndsAt.In(civil.China).Format("2006-01-02 15:04:05")}}
	if len(rows) == 1 {
		want[0][4] = rows[0][4] // the category's name
	}
	if !slices.EqualFunc(rows, want, slices.Equal) {
		t.Errorf("awards proposed today in A = %q, want %q", rows, want)
	}
	for _, q := range []string{"?status=final", "?subdistrict=" + fmt.Sprint(w.subB), "?until=" + civil.ChinaDate(e.Clock.Now()).AddDays(-1).String()} {
		if got := exportCSV(t, e, base+q, export.AwardColumns); slices.ContainsFunc(got, func(r []string) bool { return r[0] == fmt.Sprint(p.ID) }) {
			t.Errorf("awards%s = %q, want no award %d", q, got, p.ID)
		}
	}
	for _, path := range []string{base, "/api/v1/public/exports/tenders.csv", "/api/v1/public/exports/contracts.csv"} {
		r := e.Do(t, servertest.Request{Method: "GET", Path: path})
		for _, s := range []string{"432109.87", "43210987", secret.Digest} {
			if bytes.Contains(r.Body, []byte(s)) {
				t.Errorf("%s holds %q of the bid on tender %d before its opening", path, s, sealed.ID)
			}
		}
	}
	e.Refused(t, servertest.Request{Method: "GET", Path: base + "?status=withdrawn"}, http.StatusBadRequest, "validation", "status")
}

func TestExportPayouts(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t)
	d := e.Demo(t)
	const base = "/api/v1/exports/payouts.csv"
	fiscal := e.IDOf(t, "fund_accounts", "subdistrict_id = ? AND source = ?", d.SubA, "fiscal_budget")
	p := servertest.RequestPayout(t, e.DB, servertest.ManualPayouts(e), servertest.UserActor(t, e.DB, "demo-finance"), fiscal, d.Org1,
		money.Fen(1_234_567), "export-milestone")
	get := func(who, query string) [][]string {
		t.Helper()
		r := e.Do(t, servertest.Request{Method: "GET", Path: base + query, Token: e.Token(t, who)})
		body, ok := bytes.CutPrefix(r.Body, []byte("\xef\xbb\xbf"))
		if r.Status != http.StatusOK || !ok {
			t.Fatalf("GET %s%s as %s = %d %q, want 200 with the byte order mark", base, query, who, r.Status, r.Body)
		}
		rows, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
		if err != nil || !slices.Equal(rows[0], export.PayoutColumns) {
			t.Fatalf("payouts.csv as %s = %q, %v; want the header %v", who, rows, err, export.PayoutColumns)
		}
		return rows[1:]
	}
	// Each reader gets exactly the payouts of its payout list, oldest first.
	for _, who := range []string{"demo-admin", "demo-district", "demo-officer", "demo-finance", "demo-org", "demo-officer2", "demo-org2", "demo-member"} {
		var list struct {
			Items []struct {
				ID int64 `json:"id"`
			} `json:"items"`
		}
		servertest.Call(t, e, "GET", "/api/v1/payouts", e.Token(t, who), nil, http.StatusOK, &list)
		want := []string{}
		for _, it := range list.Items {
			want = append(want, fmt.Sprint(it.ID))
		}
		slices.Reverse(want)
		if got := exportIDs(get(who, "")); !slices.Equal(got, want) {
			t.Errorf("payouts.csv as %s = %v, want its payout list %v", who, got, want)
		}
	}
	day := civil.ChinaDate(p.CreatedAt).String()
	rows := get("demo-finance", "?status=requested&subdistrict="+fmt.Sprint(d.SubA)+"&from="+day+"&until="+day)
	var row []string
	for _, r := range rows {
		if r[0] == fmt.Sprint(p.ID) {
			row = r
		}
	}
	want := []string{fmt.Sprint(p.ID), "爱山街道", exportFundName(t, e, fiscal), exportOrgName(t, e, d.Org1), "12345.67", "manual", "requested",
		p.ReferenceType, p.ReferenceID, p.CreatedAt.In(civil.China).Format("2006-01-02 15:04:05"), ""}
	if !slices.Equal(row, want) {
		t.Errorf("payout row = %q, want %q", row, want)
	}
	for _, q := range []string{"?status=paid", "?subdistrict=" + fmt.Sprint(d.SubB), "?until=2000-01-01"} {
		if got := exportIDs(get("demo-finance", q)); slices.Contains(got, fmt.Sprint(p.ID)) {
			t.Errorf("payouts.csv%s = %v, want no %d", q, got, p.ID)
		}
	}
	e.Refused(t, servertest.Request{Method: "GET", Path: base + "?from=x", Token: e.Token(t, "demo-finance")}, http.StatusBadRequest, "validation", "from")
}

// exportFundName and exportOrgName read a fund account's and an organization's names.
func exportFundName(t *testing.T, e *servertest.Env, fund int64) string {
	var name string
	if err := e.DB.Table("fund_accounts").Where("id = ?", fund).Pluck("name", &name).Error; err != nil {
		t.Fatal(err)
	}
	return name
}

func exportOrgName(t *testing.T, e *servertest.Env, org int64) string {
	var name string
	if err := e.DB.Table("organizations").Where("id = ?", org).Pluck("legal_name", &name).Error; err != nil {
		t.Fatal(err)
	}
	return name
}
