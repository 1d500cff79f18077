package api_test

import (
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/jiedao-market/jiedao/internal/civil"
	"github.com/jiedao-market/jiedao/internal/servertest"
)

// azRequestShared is what the service-request rows of one matrix group share:
// an active contract of A (demo-org's) on 南街社区's menu, and demo-resident
// bound to 南街社区.
type azRequestShared struct {
	once     sync.Once
	contract servertest.Contract
}

var (
	azRequestMu    sync.Mutex
	azRequestState = map[*azFixture]*azRequestShared{}
)

func azRequests(t testing.TB, f *azFixture) *azRequestShared {
	azRequestMu.Lock()
	s, ok := azRequestState[f]
	if !ok {
		s = &azRequestShared{}
		azRequestState[f] = s
	}
	azRequestMu.Unlock()
	s.once.Do(func() {
		s.contract = f.e.ActiveContract(t)
		bindResident(t, f.e, "demo-resident", f.commA)
	})
	return s
}

// bindResident binds a resident account to a community, as its sign-up would.
func bindResident(t testing.TB, e *servertest.Env, username string, community int64) {
	t.Helper()
	if err := e.DB.Exec(`UPDATE users SET community_id = ? WHERE username = ?`, community, username).Error; err != nil {
		t.Fatalf("bind %s to community %d: %v", username, community, err)
	}
}

// azNewRequest makes a fresh request on the shared contract, entered by
// demo-officer for 南街社区 (so that it can
// be fulfilled by a record of the same day), and returns its id.
func azNewRequest(t testing.TB, f *azFixture, accepted bool) int64 {
	s := azRequests(t, f)
	var v struct {
		ID int64 `json:"id"`
	}
	servertest.Call(t, f.e, "POST", "/api/v1/service-requests", f.tokens["demo-officer"], map[string]any{
		"community_id": f.commA, "contract_id": s.contract.ID, "contact_name": "李大爷", "contact_phone": "0572-1234567"},
		http.StatusCreated, &v)
	if accepted {
		servertest.Call(t, f.e, "POST", fmt.Sprintf("/api/v1/service-requests/%d/accept", v.ID), f.tokens["demo-org"], nil, http.StatusOK, nil)
	}
	return v.ID
}

// azRequestPath gives each identity's call a fresh request (accepted ones
// for fulfil), made in prepare.
type azRequestIDs struct {
	mu  sync.Mutex
	ids map[*azFixture]int64
}

func (a *azRequestIDs) prepare(accepted bool) func(t testing.TB, f *azFixture, i int) {
	return func(t testing.TB, f *azFixture, i int) {
		id := azNewRequest(t, f, accepted)
		a.mu.Lock()
		if a.ids == nil {
			a.ids = map[*azFixture]int64{}
		}
		a.ids[f] = id
		a.mu.Unlock()
	}
}

func (a *azRequestIDs) path(action string) func(t testing.TB, f *azFixture) string {
	return func(t testing.TB, f *azFixture) string {
		a.mu.Lock()
		defer a.mu.Unlock()
		return fmt.Sprintf("/api/v1/service-requests/%d/%s", a.ids[f], action)
	}
}

var azAccepting, azDeclining, azFulfilling azRequestIDs

// Only the contract's organization's staff answer a request; another
// organization finds nothing.
var azRequestAnswerers = azWant{no401, no403, no403, no403, no403, no403, ok200, no403, nf404, ok200, no403}

var azServiceRequestMatrix = map[string][]azMatrixRow{
	"service-requests": {
		{method: "POST", route: "/api/v1/public/residents",
			body: func(t testing.TB, f *azFixture, i int) any {
				return map[string]any{"username": fmt.Sprintf("matrix-resident-%d", i), "password": "a long enough password",
					"display_name": "居民", "community_id": f.commA}
			},
			want: azWant{new201, no403, no403, no403, no403, no403, no403, no403, no403, no403, no403}},
		{method: "GET", route: "/api/v1/public/communities/:id/services",
			path: func(t testing.TB, f *azFixture) string {
				azRequests(t, f)
				return fmt.Sprintf("/api/v1/public/communities/%d/services", f.commA)
			},
			want: azWant{ok200, ok200, ok200, ok200, ok200, ok200, ok200, ok200, ok200, ok200, ok200}},
		{method: "GET", route: "/api/v1/service-requests",
			want: azWant{no401, no403, ok200, ok200, no403, no403, ok200, ok200, ok200, ok200, ok200}},
		{method: "POST", route: "/api/v1/service-requests",
			body: func(t testing.TB, f *azFixture, i int) any {
				s := azRequests(t, f)
				b := map[string]any{"community_id": f.commA, "contract_id": s.contract.ID, "note": fmt.Sprintf("矩阵 %d", i),
					"contact_name": "张阿姨", "contact_phone": "13800000000"}
				if azIdentities[i] == "demo-officer2" { // B's officer asks for an unmet need of B's community
					b = map[string]any{"community_id": f.commB, "note": "需要助浴服务", "contact_name": "张阿姨", "contact_phone": "13800000000"}
				}
				return b
			},
			want: azWant{no401, no403, no403, new201, no403, no403, no403, new201, no403, no403, new201}},
		{method: "POST", route: "/api/v1/service-requests/:id/accept", prepare: azAccepting.prepare(false), path: azAccepting.path("accept"),
			want: azRequestAnswerers},
		{method: "POST", route: "/api/v1/service-requests/:id/decline", prepare: azDeclining.prepare(false), path: azDeclining.path("decline"),
			body: func(t testing.TB, f *azFixture, i int) any { return map[string]any{"reason": "人手不足"} },
			want: azRequestAnswerers},
		{method: "POST", route: "/api/v1/service-requests/:id/fulfil", prepare: azFulfilling.prepare(true), path: azFulfilling.path("fulfil"),
			body: func(t testing.TB, f *azFixture, i int) any {
				s := azRequests(t, f)
				// A fresh record per identity: a record fulfils one request.
				var v struct {
					ID int64 `json:"id"`
				}
				body := recordBody(f.e, s.contract, fmt.Sprintf("REQ-F%d", i))
				body["community_id"] = f.commA
				body["date"] = civil.ChinaDate(f.e.Clock.Now()).String() // on the request's day
				servertest.Call(t, f.e, "POST", fmt.Sprintf("/api/v1/contracts/%d/service-records", s.contract.ID), f.tokens["demo-org"],
					body, http.StatusCreated, &v)
				return map[string]any{"service_record_id": v.ID}
			},
			want: azRequestAnswerers},
		{method: "GET", route: "/api/v1/reports/demand",
			want: azWant{no401, ok200, ok200, ok200, no403, no403, no403, ok200, no403, no403, no403}},
	},
}
