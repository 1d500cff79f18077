package rating_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/civil"
	"github.com/jiedao-market/jiedao/internal/delivery"
	"github.com/jiedao-market/jiedao/internal/rating"
	"github.com/jiedao-market/jiedao/internal/servertest"
)

// world is one test's application with an active contract of demo-org's
// organization in 爱山 (A).
type world struct {
	e        *servertest.Env
	svc      *rating.Service
	contract servertest.Contract
	org      access.Actor // demo-org, org_admin of the contract's organization
	officer  access.Actor // demo-officer, procurement officer of A
	n        int
}

func newWorld(t testing.TB) *world {
	t.Helper()
	e := servertest.NewEnv(t)
	return &world{e: e, svc: e.Services.Ratings, contract: e.ActiveContract(t), org: e.ActorOf(t, "demo-org"),
		officer: e.ActorOf(t, "demo-officer")}
}

// record records a service in community i of the contract and returns its
// id and rating code.
func (w *world) record(t testing.TB, community int) (int64, string) {
	t.Helper()
	w.n++
	v, err := w.e.Services.Records.Record(context.Background(), w.org, w.contract.ID, delivery.Input{
		Date: civil.ChinaDate(w.e.Clock.Now()).AddDays(-1).String(), CommunityID: w.contract.Communities[community%len(w.contract.Communities)],
		ServiceType: "service_visits", DurationMinutes: 60, StaffName: "王丽", BeneficiaryRef: fmt.Sprintf("RT-%05d", w.n)})
	if err != nil {
		t.Fatalf("Record() error = %v", err)
	}
	code, err := w.e.Services.Records.RatingCode(context.Background(), w.org, v.ID)
	if err != nil {
		t.Fatalf("RatingCode() error = %v", err)
	}
	return v.ID, code.Code
}

// resident is an anonymous caller from ip.
func resident(ip string) access.Actor { return access.Anonymous("test", ip) }

func given(overall int) rating.Stars {
	return rating.Stars{Timeliness: 5, Professionalism: 4, Attitude: 5, Effectiveness: 4, Overall: overall, Comment: "服务很好"}
}
