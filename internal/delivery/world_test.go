package delivery_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/civil"
	"github.com/jiedao-market/jiedao/internal/delivery"
	"github.com/jiedao-market/jiedao/internal/servertest"
)

// world is one test's application with an active contract of demo-org's organization.
type world struct {
	e        *servertest.Env
	svc      *delivery.Service
	contract servertest.Contract
	org      access.Actor // demo-org, org_admin of the contract's organization
	today    civil.Date
}

func newWorld(t testing.TB) *world {
	t.Helper()
	e := servertest.NewEnv(t)
	w := &world{e: e, svc: e.Services.Records, contract: e.ActiveContract(t), org: e.ActorOf(t, "demo-org")}
	w.today = civil.ChinaDate(e.Clock.Now())
	return w
}

// input is a valid record of the contract.
func (w *world) input() delivery.Input {
	return delivery.Input{Date: w.today.AddDays(-1).String(), CommunityID: w.contract.Communities[0], ServiceType: "service_visits",
		DurationMinutes: 90, StaffName: "王丽", BeneficiaryRef: "NJ-0001", Notes: "助浴一次"}
}

func (w *world) record(t testing.TB, in delivery.Input) delivery.View {
	t.Helper()
	v, err := w.svc.Record(context.Background(), w.org, w.contract.ID, in)
	if err != nil {
		t.Fatalf("Record() error = %v", err)
	}
	return v
}

func count(t testing.TB, w *world, table string) int64 { return servertest.Count(t, w.e, table) }

// csvFile is a header and n good rows, with bad replacing the rows at the given
// 1-based row numbers (line = row + 1).
func (w *world) csvFile(n int, bad map[int]string) []byte {
	var b bytes.Buffer
	b.WriteString("date,community,service_type,duration_minutes,staff,beneficiary_ref,notes\n")
	for i := 1; i <= n; i++ {
		if row, ok := bad[i]; ok {
			b.WriteString(row + "\n")
			continue
		}
		fmt.Fprintf(&b, "%s,%d,service_visits,%d,王丽,NJ-%05d,第%d次上门\n", w.today.AddDays(-(i % 50)), w.contract.Communities[i%3], 30+i%60, i, i)
	}
	return b.Bytes()
}
