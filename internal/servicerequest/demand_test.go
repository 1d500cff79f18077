package servicerequest_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/jiedao-market/jiedao/internal/civil"
	"github.com/jiedao-market/jiedao/internal/servertest"
	"github.com/jiedao-market/jiedao/internal/servicerequest"
)

// The demand report groups exactly the unmet requests of a handcrafted set
// by category and community, in each reader's scope and period.
func TestDemandGroupsUnmetRequests(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := servertest.NewEnv(t)
	d := e.Demo(t)
	svc := e.Services.ServiceRequests
	c := e.ActiveContract(t)
	a1, a2 := d.CommA, c.Communities[1]
	if a1 == a2 {
		a2 = c.Communities[2]
	}
	var x, other string // the contract's category, and another one
	if err := e.DB.Table("contracts").Select("category_code").Where("id = ?", c.ID).Take(&x).Error; err != nil {
		t.Fatal(err)
	}
	if err := e.DB.Table("service_categories").Select("code").Where("code <> ?", x).Order("sort").Limit(1).Take(&other).Error; err != nil {
		t.Fatal(err)
	}
	org := e.ActorOf(t, "demo-org")
	ask := func(by string, in servicerequest.Input) int64 {
		t.Helper()
		in.ContactName, in.ContactPhone = "来电人", "12345"
		v, err := svc.Create(ctx, e.ActorOf(t, by), in)
		if err != nil {
			t.Fatalf("Create(%+v) error = %v", in, err)
		}
		return v.ID
	}
	t0 := e.Clock.Now()
	ask("demo-officer", servicerequest.Input{CommunityID: a1, ContractID: c.ID})       // never answered: overdue
	r2 := ask("demo-officer", servicerequest.Input{CommunityID: a1, ContractID: c.ID}) // declined
	r3 := ask("demo-officer", servicerequest.Input{CommunityID: a2, ContractID: c.ID}) // declined
	r4 := ask("demo-officer", servicerequest.Input{CommunityID: a1, ContractID: c.ID}) // accepted late: met
	ask("demo-officer", servicerequest.Input{CommunityID: a1, Note: "助浴", CategoryCode: other})
	ask("demo-officer", servicerequest.Input{CommunityID: a1, Note: "修理水管"})
	ask("demo-officer", servicerequest.Input{CommunityID: a2, Note: "陪同就医"})
	ask("demo-officer2", servicerequest.Input{CommunityID: d.CommB, Note: "助餐", CategoryCode: other})
	for _, id := range []int64{r2, r3} {
		if _, err := svc.Decline(ctx, org, id, "人手不足"); err != nil {
			t.Fatalf("Decline(%d) error = %v", id, err)
		}
	}
	e.Clock.Advance(80 * time.Hour)
	ask("demo-officer", servicerequest.Input{CommunityID: a2, ContractID: c.ID}) // open, not yet overdue at the report
	e.Clock.Advance(20 * time.Hour)
	if _, err := svc.Accept(ctx, org, r4, nil); err != nil {
		t.Fatalf("Accept(%d) error = %v", r4, err)
	}

	row := func(cat string, comm, sub int64, declined, overdue, unmatched int) servicerequest.DemandRow {
		return servicerequest.DemandRow{CategoryCode: cat, CommunityID: comm, SubdistrictID: sub, Declined: declined, Overdue: overdue,
			Unmatched: unmatched, Total: declined + overdue + unmatched}
	}
	ofA := []servicerequest.DemandRow{
		row("", a1, d.SubA, 0, 0, 1),
		row("", a2, d.SubA, 0, 0, 1),
		row(other, a1, d.SubA, 0, 0, 1),
		row(x, a1, d.SubA, 1, 1, 0),
		row(x, a2, d.SubA, 1, 0, 0),
	}
	withB := append([]servicerequest.DemandRow{}, ofA[:3]...)
	withB = append(withB, row(other, d.CommB, d.SubB, 0, 0, 1))
	withB = append(withB, ofA[3:]...)
	if x < other { // the report orders by category code
		withB = append(append(append([]servicerequest.DemandRow{}, ofA[:2]...), ofA[3:]...), ofA[2], row(other, d.CommB, d.SubB, 0, 0, 1))
		ofA = append(append(append([]servicerequest.DemandRow{}, ofA[:2]...), ofA[3:]...), ofA[2])
	}
	day0 := civil.ChinaDate(t0)
	tests := []struct {
		name string
		by   string
		f    servicerequest.DemandFilter
		want []servicerequest.DemandRow
	}{
		{"officer of A", "demo-officer", servicerequest.DemandFilter{}, ofA},
		{"officer of B", "demo-officer2", servicerequest.DemandFilter{}, []servicerequest.DemandRow{row(other, d.CommB, d.SubB, 0, 0, 1)}},
		{"district admin", "demo-district", servicerequest.DemandFilter{}, withB},
		{"platform admin", "demo-admin", servicerequest.DemandFilter{}, withB},
		{"until the first day", "demo-officer", servicerequest.DemandFilter{Until: day0}, ofA},
		{"from a later day", "demo-officer", servicerequest.DemandFilter{From: day0.AddDays(3)}, []servicerequest.DemandRow{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := svc.Demand(ctx, e.ActorOf(t, tt.by), tt.f)
			if err != nil {
				t.Fatalf("Demand() error = %v", err)
			}
			for i := range got.Rows {
				got.Rows[i].CommunityName = "" // names are the seed's; ids say which
			}
			if got.OverdueHours != 72 {
				t.Errorf("Demand().OverdueHours = %d, want 72", got.OverdueHours)
			}
			if diff := cmp.Diff(tt.want, got.Rows); diff != "" {
				t.Errorf("Demand() rows differ (-want +got):\n%s", diff)
			}
		})
	}
	if _, err := svc.Demand(ctx, e.ActorOf(t, "demo-finance"), servicerequest.DemandFilter{}); err == nil {
		t.Errorf("Demand() by a finance officer error = nil, want forbidden")
	}

	rt, err := servicerequest.ResponseHours(e.DB, c.ID, t0, e.Clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if want := (servicerequest.ResponseTimes{Hours: []float64{100}, Declined: 2, Unanswered: 2}); !cmp.Equal(rt, want) {
		t.Errorf("ResponseHours() = %+v, want %+v", rt, want)
	}
}
