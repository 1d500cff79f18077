package ui_test

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/jiedao-market/jiedao/internal/civil"
	"github.com/jiedao-market/jiedao/internal/servertest"
	"github.com/jiedao-market/jiedao/internal/servicerequest"
)

var (
	tableCell = regexp.MustCompile(`(?s)<t[hd][^>]*>(.*?)</t[hd]>`)
	anyTag    = regexp.MustCompile(`<[^>]+>`)
)

// cellsOf returns the texts of the cells of the table row with this id (nil
// when the page has none).
func cellsOf(r servertest.Response, id string) []string {
	row := regexp.MustCompile(`(?s)<tr id="` + regexp.QuoteMeta(id) + `"[^>]*>(.*?)</tr>`).FindSubmatch(r.Body)
	if row == nil {
		return nil
	}
	out := []string{}
	for _, m := range tableCell.FindAllSubmatch(row[1], -1) {
		out = append(out, strings.TrimSpace(anyTag.ReplaceAllString(string(m[1]), "")))
	}
	return out
}

// The demand report's page groups the unmet requests of a handcrafted set by
// category (私人定制 first, then by code) and community, with each category's
// subtotal and the totals; the officer sees its subdistrict's, the district
// admin both; a date filter narrows it and a bad one is refused next to its
// field; the CSV holds the page's rows.
func TestPagesDemandReport(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	e := servertest.NewEnv(t)
	d := e.Demo(t)
	c := e.ActiveContract(t)
	a1, a2 := d.CommA, c.Communities[0]
	if a2 == a1 {
		a2 = c.Communities[1]
	}
	var x, other string // the contract's category, and another one
	if err := e.DB.Table("contracts").Select("category_code").Where("id = ?", c.ID).Take(&x).Error; err != nil {
		t.Fatal(err)
	}
	if err := e.DB.Table("service_categories").Select("code").Where("code <> ?", x).Order("sort").Limit(1).Take(&other).Error; err != nil {
		t.Fatal(err)
	}
	name := func(table, key string, id any) string {
		var s string
		if err := e.DB.Table(table).Select("name_zh").Where(key+" = ?", id).Take(&s).Error; err != nil {
			t.Fatal(err)
		}
		return s
	}
	ask := func(by string, in servicerequest.Input) int64 {
		t.Helper()
		in.ContactName, in.ContactPhone = "来电人", "12345"
		v, err := e.Services.ServiceRequests.Create(ctx, e.ActorOf(t, by), in)
		if err != nil {
			t.Fatalf("Create(%+v) error = %v", in, err)
		}
		return v.ID
	}
	day0 := civil.ChinaDate(e.Clock.Now())
	ask("demo-officer", servicerequest.Input{CommunityID: a1, ContractID: c.ID}) // never answered: overdue
	declined := ask("demo-officer", servicerequest.Input{CommunityID: a1, ContractID: c.ID})
	ask("demo-officer", servicerequest.Input{CommunityID: a1, Note: "修理水管"})
	ask("demo-officer", servicerequest.Input{CommunityID: a2, Note: "陪同就医"})
	ask("demo-officer", servicerequest.Input{CommunityID: a1, Note: "助浴", CategoryCode: other})
	ask("demo-officer2", servicerequest.Input{CommunityID: d.CommB, Note: "助餐", CategoryCode: other})
	if _, err := e.Services.ServiceRequests.Decline(ctx, e.ActorOf(t, "demo-org"), declined, "人手不足"); err != nil {
		t.Fatalf("Decline() error = %v", err)
	}
	e.Clock.Advance(100 * time.Hour)

	officer := servertest.SignIn(t, e, "demo-officer")
	page := officer.Get(t, "/reports/demand")
	wantStatus(t, "GET /reports/demand", page, http.StatusOK)
	wantBody(t, "GET /reports/demand", page, "提出后 72 小时仍未答复的需求计为超时", fmt.Sprintf(`id="demand-%s-%d"`, other, a1))
	wantNoBody(t, "GET /reports/demand", page, fmt.Sprintf(`id="demand-%s-%d"`, other, d.CommB))
	custom, xName, otherName := "私人定制（未分类）", name("service_categories", "code", x), name("service_categories", "code", other)
	first, second := a1, a2 // rows are by community id within a category
	if a2 < a1 {
		first, second = a2, a1
	}
	rows := map[string][]string{
		fmt.Sprintf("demand-custom-%d", first):  {custom, name("communities", "id", first), "0", "0", "1", "1"},
		fmt.Sprintf("demand-custom-%d", second): {name("communities", "id", second), "0", "0", "1", "1"},
		"demand-custom-subtotal":                {"小计", "0", "0", "2", "2"},
		fmt.Sprintf("demand-%s-%d", x, a1):      {xName, name("communities", "id", a1), "1", "1", "0", "2"},
		"demand-" + x + "-subtotal":             {"小计", "1", "1", "0", "2"},
		fmt.Sprintf("demand-%s-%d", other, a1):  {otherName, name("communities", "id", a1), "0", "0", "1", "1"},
		"demand-totals":                         {"总计", "1", "1", "3", "5"},
	}
	for id, want := range rows {
		if diff := cmp.Diff(want, cellsOf(page, id)); diff != "" {
			t.Errorf("the row %s (-want +got):\n%s", id, diff)
		}
	}
	order := []string{"custom", x, other}
	slices.Sort(order[1:])
	at := func(key string) int { return strings.Index(string(page.Body), `<tbody id="demand-`+key+`">`) }
	if !(at(order[0]) >= 0 && at(order[0]) < at(order[1]) && at(order[1]) < at(order[2])) {
		t.Errorf("the categories are not in the order %v", order)
	}

	district := servertest.SignIn(t, e, "demo-district").Get(t, "/reports/demand")
	if got := cellsOf(district, fmt.Sprintf("demand-%s-%d", other, d.CommB)); len(got) != 6 || got[1] != "飞英街道" || got[5] != "1" {
		t.Errorf("the district admin's row of B = %v, want 飞英社区 of 飞英街道 with one unmatched request", got)
	}
	if got := cellsOf(district, "demand-totals"); !slices.Equal(got, []string{"总计", "1", "1", "4", "6"}) {
		t.Errorf("the district admin's totals = %v", got)
	}

	later := officer.Get(t, "/reports/demand?from="+day0.AddDays(3).String())
	wantBody(t, "GET /reports/demand from a later day", later, `id="demand-empty"`, `value="`+day0.AddDays(3).String()+`"`)
	if got := cellsOf(officer.Get(t, "/reports/demand?until="+day0.String()), "demand-totals"); !slices.Equal(got, rows["demand-totals"]) {
		t.Errorf("the totals until the first day = %v, want %v", got, rows["demand-totals"])
	}
	r := officer.Get(t, "/reports/demand?from=2026-02-30")
	wantFormAlert(t, "GET /reports/demand with no such date", r, http.StatusBadRequest, "demand-from")
	wantBody(t, "GET /reports/demand with no such date", r, `value="2026-02-30"`)
	wantNoBody(t, "GET /reports/demand with no such date", r, `id="demand"`)
	r = officer.Get(t, "/reports/demand?from=2026-12-01&until=2026-11-30")
	wantFormAlert(t, "GET /reports/demand until before from", r, http.StatusBadRequest, "demand-until")

	csv := officer.Get(t, "/reports/demand.csv")
	wantStatus(t, "GET /reports/demand.csv", csv, http.StatusOK)
	if ct := csv.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
		t.Errorf("GET /reports/demand.csv Content-Type = %q", ct)
	}
	lines := strings.Split(strings.TrimSpace(string(csv.Body)), "\n")
	want := fmt.Sprintf("%s,%s,%d,爱山街道,%d,%s,1,1,0,2", x, xName, d.SubA, a1, name("communities", "id", a1))
	if len(lines) != 5 || lines[0] != "category_code,category,subdistrict_id,subdistrict,community_id,community,declined,overdue,unmatched,total" ||
		!slices.Contains(lines, want) {
		t.Errorf("GET /reports/demand.csv = %q, want a header and 4 rows, one of them %q", lines, want)
	}
}
