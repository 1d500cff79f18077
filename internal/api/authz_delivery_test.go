package api_test

import (
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/jiedao-market/jiedao/internal/civil"
	"github.com/jiedao-market/jiedao/internal/servertest"
)

// azDeliveryShared is what the delivery rows of one matrix group share: an
// active contract of A with demo-org's organization, and a record on it.
type azDeliveryShared struct {
	once     sync.Once
	contract servertest.Contract
	record   int64
}

var (
	azDeliveryMu    sync.Mutex
	azDeliveryState = map[*azFixture]*azDeliveryShared{}
)

func azDelivery(t testing.TB, f *azFixture) *azDeliveryShared {
	azDeliveryMu.Lock()
	s, ok := azDeliveryState[f]
	if !ok {
		s = &azDeliveryShared{}
		azDeliveryState[f] = s
	}
	azDeliveryMu.Unlock()
	s.once.Do(func() {
		s.contract = f.e.ActiveContract(t)
		var v struct {
			ID int64 `json:"id"`
		}
		servertest.Call(t, f.e, "POST", fmt.Sprintf("/api/v1/contracts/%d/service-records", s.contract.ID), f.tokens["demo-org"],
			recordBody(f.e, s.contract, "AZ-0"), http.StatusCreated, &v)
		s.record = v.ID
	})
	return s
}

// recordBody is a valid record of contract c for beneficiary ref.
func recordBody(e *servertest.Env, c servertest.Contract, ref string) map[string]any {
	return map[string]any{"date": civil.ChinaDate(e.Clock.Now()).AddDays(-1).String(), "community_id": c.Communities[0],
		"service_type": "service_visits", "duration_minutes": 60, "staff_name": "王丽", "beneficiary_ref": ref}
}

func azRecordsPath(suffix string) func(t testing.TB, f *azFixture) string {
	return func(t testing.TB, f *azFixture) string {
		return fmt.Sprintf("/api/v1/contracts/%d/service-records%s", azDelivery(t, f).contract.ID, suffix)
	}
}

// Only the organization's staff write; its officers and the district admin
// read; another organization and another subdistrict's officer find nothing.
var (
	azRecordReaders = azWant{no401, no403, ok200, ok200, ok200, no403, ok200, nf404, nf404, ok200, no403}
	azRecordWriters = azWant{no401, no403, no403, no403, no403, no403, new201, no403, nf404, new201, no403}
)

var azDeliveryMatrix = map[string][]azMatrixRow{
	"service-records": {
		{method: "GET", route: "/api/v1/contracts/:id/service-records", path: azRecordsPath(""), want: azRecordReaders},
		{method: "POST", route: "/api/v1/contracts/:id/service-records", path: azRecordsPath(""),
			body: func(t testing.TB, f *azFixture, i int) any {
				return recordBody(f.e, azDelivery(t, f).contract, fmt.Sprintf("AZ-%d", i))
			},
			want: azRecordWriters},
		{method: "POST", route: "/api/v1/contracts/:id/service-records/import", path: azRecordsPath("/import"),
			header: map[string]string{"Content-Type": "text/csv"},
			body: func(t testing.TB, f *azFixture, i int) any {
				s := azDelivery(t, f)
				return fmt.Sprintf("date,community,service_type,duration_minutes,staff,beneficiary_ref\n%s,%d,service_visits,30,王丽,IMP-%d\n",
					civil.ChinaDate(f.e.Clock.Now()), s.contract.Communities[1], i)
			},
			want: azRecordWriters},
		{method: "PATCH", route: "/api/v1/service-records/:id",
			path: func(t testing.TB, f *azFixture) string {
				return fmt.Sprintf("/api/v1/service-records/%d", azDelivery(t, f).record)
			},
			body: func(t testing.TB, f *azFixture, i int) any {
				return map[string]any{"duration_minutes": 61 + i, "reason": fmt.Sprintf("矩阵更正 %d", i)}
			},
			want: azWant{no401, no403, no403, no403, no403, no403, ok200, no403, nf404, ok200, no403}},
	},
}
