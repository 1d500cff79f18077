package api_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/jiedao-market/jiedao/internal/civil"
	"github.com/jiedao-market/jiedao/internal/servertest"
	"github.com/jiedao-market/jiedao/internal/servicerequest"
)

type srView struct {
	ID              int64      `json:"id"`
	Status          string     `json:"status"`
	Channel         string     `json:"channel"`
	ContractID      *int64     `json:"contract_id"`
	ContactName     *string    `json:"contact_name"`
	ContactPhone    *string    `json:"contact_phone"`
	RequestedAt     time.Time  `json:"requested_at"`
	AcceptedAt      *time.Time `json:"accepted_at"`
	ScheduledAt     *time.Time `json:"scheduled_at"`
	DeclineReason   *string    `json:"decline_reason"`
	ServiceRecordID *int64     `json:"service_record_id"`
}

// The menu shows only the active contracts serving the community, within
// their service period.
func TestServiceMenuOnlyActive(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t)
	d := e.Demo(t)
	path := fmt.Sprintf("/api/v1/public/communities/%d/services", d.CommA)
	menu := func() []int64 {
		var m struct {
			Items []struct {
				ContractID   int64 `json:"contract_id"`
				Provider     string
				ServiceTypes []struct {
					Code string `json:"code"`
				} `json:"service_types"`
			} `json:"items"`
		}
		servertest.Call(t, e, "GET", path, "", nil, http.StatusOK, &m)
		ids := []int64{}
		for _, it := range m.Items {
			ids = append(ids, it.ContractID)
			if len(it.ServiceTypes) != 2 || it.ServiceTypes[0].Code != "service_visits" || it.ServiceTypes[1].Code != "volunteer_hours" {
				t.Errorf("menu item %d service types = %+v, want service_visits and volunteer_hours (service-record metrics only)", it.ContractID, it.ServiceTypes)
			}
		}
		return ids
	}
	active := e.ActiveContract(t)
	var others []int64
	for _, status := range []string{"draft", "signed", "terminated", "completed", "lapsed"} {
		c := e.ActiveContract(t)
		if status == "draft" || status == "lapsed" { // never signed
			if err := e.DB.Exec(`UPDATE contracts SET status = ?, officer_signed_at = NULL, org_signed_at = NULL, signed_at = NULL,
				signed_amount_fen = NULL, activated_at = NULL, ended_at = CASE WHEN ? = 'lapsed' THEN now() END,
				end_reason = CASE WHEN ? = 'lapsed' THEN '未签订' END WHERE id = ?`, status, status, status, c.ID).Error; err != nil {
				t.Fatal(err)
			}
		} else {
			e.SetContractStatus(t, c.ID, status)
		}
		others = append(others, c.ID)
	}
	ended := e.ActiveContract(t) // active, but its period is over (the job has not run yet)
	if err := e.DB.Exec(`UPDATE contracts SET service_start = ?, service_end = ? WHERE id = ?`,
		civil.ChinaDate(e.Clock.Now()).AddDays(-90), civil.ChinaDate(e.Clock.Now()).AddDays(-1), ended.ID).Error; err != nil {
		t.Fatal(err)
	}
	if got := menu(); !cmp.Equal(got, []int64{active.ID}) {
		t.Errorf("menu of 南街社区 = %v, want only the active contract %d (not %v, nor the ended %d)", got, active.ID, others, ended.ID)
	}
	// Another subdistrict's community is not served by A's contract.
	var m struct {
		Items []any `json:"items"`
	}
	servertest.Call(t, e, "GET", fmt.Sprintf("/api/v1/public/communities/%d/services", d.CommB), "", nil, http.StatusOK, &m)
	if len(m.Items) != 0 {
		t.Errorf("menu of 飞英社区 = %v, want empty", m.Items)
	}
	e.Refused(t, servertest.Request{Method: "GET", Path: "/api/v1/public/communities/999999/services"}, http.StatusNotFound, "not_found")
}

// A resident signs up, asks from the menu; the organization accepts; the
// request and acceptance times are the clock's, exactly, and the response
// hours follow; fulfilment takes a record of the same contract only.
func TestServiceRequestLifecycle(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t)
	d := e.Demo(t)
	c := e.ActiveContract(t)

	var res struct {
		User struct {
			ID   int64  `json:"id"`
			Role string `json:"role"`
		} `json:"user"`
		CommunityID int64 `json:"community_id"`
	}
	servertest.Call(t, e, "POST", "/api/v1/public/residents", "", map[string]any{"username": "wang.resident",
		"password": "a long enough password", "display_name": "王阿姨", "community_id": d.CommA}, http.StatusCreated, &res)
	if res.User.Role != "resident" || res.CommunityID != d.CommA {
		t.Fatalf("sign-up = %+v, want a resident of community %d", res, d.CommA)
	}
	login := func() string { // the resident signs in with its own password
		var tk struct {
			AccessToken string `json:"access_token"`
		}
		servertest.Call(t, e, "POST", "/api/v1/auth/login", "", map[string]any{"username": "wang.resident", "password": "a long enough password"},
			http.StatusOK, &tk)
		return tk.AccessToken
	}
	resident := login()

	e.Clock.Advance(7 * time.Minute) // within the access token's life
	requestedAt := e.Clock.Now()
	var r srView
	servertest.Call(t, e, "POST", "/api/v1/service-requests", resident, map[string]any{"contract_id": c.ID, "note": "每周上门一次",
		"preferred_at": requestedAt.Add(48 * time.Hour)}, http.StatusCreated, &r)
	if !r.RequestedAt.Equal(requestedAt) || r.Status != "requested" || r.Channel != "self" {
		t.Fatalf("request = %+v, want requested at %v by the resident", r, requestedAt)
	}
	if n := servertest.Count(t, e, "notifications"); n == 0 {
		t.Errorf("no notification to the organization")
	}
	var orgNotes int64
	e.DB.Table("notifications").Where("organization_id = ? AND kind = 'service_request_created'", d.Org1).Count(&orgNotes)
	if orgNotes != 1 {
		t.Errorf("organization notifications of the request = %d, want 1", orgNotes)
	}

	e.Clock.Advance(5*time.Hour + 30*time.Minute)
	acceptedAt := e.Clock.Now()
	org := e.Token(t, "demo-org") // after the wait: access tokens last 15 minutes
	scheduled := acceptedAt.Add(24 * time.Hour)
	servertest.Call(t, e, "POST", fmt.Sprintf("/api/v1/service-requests/%d/accept", r.ID), org,
		map[string]any{"scheduled_at": scheduled}, http.StatusOK, &r)
	if r.AcceptedAt == nil || !r.AcceptedAt.Equal(acceptedAt) || r.ScheduledAt == nil || !r.ScheduledAt.Equal(scheduled) {
		t.Fatalf("accepted = %+v, want accepted at %v scheduled %v", r, acceptedAt, scheduled)
	}
	var stored struct{ RequestedAt, AcceptedAt time.Time }
	e.DB.Table("service_requests").Select("requested_at, accepted_at").Where("id = ?", r.ID).Take(&stored)
	if !stored.RequestedAt.Equal(requestedAt) || !stored.AcceptedAt.Equal(acceptedAt) {
		t.Errorf("stored times = %v, %v; want %v, %v", stored.RequestedAt, stored.AcceptedAt, requestedAt, acceptedAt)
	}
	rt, err := servicerequest.ResponseHours(e.DB, c.ID, requestedAt.Add(-time.Hour), acceptedAt)
	if err != nil || !cmp.Equal(rt.Hours, []float64{5.5}) || rt.Declined != 0 || rt.Unanswered != 0 {
		t.Errorf("ResponseHours() = %+v, %v; want [5.5]", rt, err)
	}
	e.Refused(t, servertest.Request{Method: "POST", Path: fmt.Sprintf("/api/v1/service-requests/%d/accept", r.ID), Token: org},
		http.StatusConflict, "service_request.not_requested")
	var residentNotes int64
	e.DB.Table("notifications").Where("user_id = ? AND kind = 'service_request_accepted'", res.User.ID).Count(&residentNotes)
	if residentNotes != 1 {
		t.Errorf("resident notifications of the acceptance = %d, want 1", residentNotes)
	}

	// Fulfilment: another contract's record is refused; the own one links.
	other := e.ActiveContract(t)
	record := func(contractID int64, ref string) int64 {
		var v struct {
			ID int64 `json:"id"`
		}
		body := recordBody(e, servertest.Contract{Communities: []int64{d.CommA}}, ref)
		body["date"] = civil.ChinaDate(e.Clock.Now()).String()
		servertest.Call(t, e, "POST", fmt.Sprintf("/api/v1/contracts/%d/service-records", contractID), org, body, http.StatusCreated, &v)
		return v.ID
	}
	foreign := record(other.ID, "F-1")
	e.Refused(t, servertest.Request{Method: "POST", Path: fmt.Sprintf("/api/v1/service-requests/%d/fulfil", r.ID), Token: org,
		Body: map[string]any{"service_record_id": foreign}}, http.StatusBadRequest, "validation", "service_record_id")
	own := record(c.ID, "F-2")
	servertest.Call(t, e, "POST", fmt.Sprintf("/api/v1/service-requests/%d/fulfil", r.ID), org,
		map[string]any{"service_record_id": own}, http.StatusOK, &r)
	if r.Status != "fulfilled" || r.ServiceRecordID == nil || *r.ServiceRecordID != own {
		t.Errorf("fulfilled = %+v, want record %d", r, own)
	}

	// The resident lists its own, with its contact fields; the audit keeps no note text.
	var page struct {
		Items []srView `json:"items"`
		Total int      `json:"total"`
	}
	servertest.Call(t, e, "GET", "/api/v1/service-requests", login(), nil, http.StatusOK, &page)
	if page.Total != 1 || page.Items[0].ID != r.ID {
		t.Errorf("resident's list = %+v, want its request %d", page, r.ID)
	}
	var leaked int64
	e.DB.Table("audit_entries").Where("data::text LIKE ?", "%每周上门一次%").Count(&leaked)
	if leaked != 0 {
		t.Errorf("%d audit entries hold the note's text, want its digest only", leaked)
	}
}

// Declining needs a reason; bad input is answered with problem+json naming
// each bad field and writes nothing; another tenant finds nothing.
func TestServiceRequestRefusals(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t)
	d := e.Demo(t)
	c := e.ActiveContract(t)
	bindResident(t, e, "demo-resident", d.CommA)
	officer, resident, org := e.Token(t, "demo-officer"), e.Token(t, "demo-resident"), e.Token(t, "demo-org")
	post := func(token string, body map[string]any) servertest.Request {
		return servertest.Request{Method: "POST", Path: "/api/v1/service-requests", Token: token, Body: body}
	}
	e.Refused(t, post(resident, map[string]any{}), http.StatusBadRequest, "validation", "note")
	e.Refused(t, post(resident, map[string]any{"note": "x", "category_code": "NOT_A_CATEGORY"}), http.StatusBadRequest, "validation", "category_code")
	e.Refused(t, post(resident, map[string]any{"community_id": d.CommB, "contract_id": c.ID}), http.StatusBadRequest, "validation", "community_id")
	e.Refused(t, post(resident, map[string]any{"contract_id": c.ID, "preferred_at": e.Clock.Now().Add(-time.Hour)}), http.StatusBadRequest, "validation", "preferred_at")
	e.Refused(t, post(officer, map[string]any{"community_id": d.CommA, "contract_id": c.ID}), http.StatusBadRequest, "validation", "contact_name", "contact_phone")
	e.Refused(t, post(officer, map[string]any{"community_id": d.CommB, "note": "x", "contact_name": "李", "contact_phone": "13800000000"}),
		http.StatusBadRequest, "validation", "community_id")
	e.Refused(t, post(officer, map[string]any{"community_id": d.CommA, "note": "x", "contact_name": "李", "contact_phone": "call me"}),
		http.StatusBadRequest, "validation", "contact_phone")
	e.SetContractStatus(t, c.ID, "terminated")
	e.Refused(t, post(resident, map[string]any{"contract_id": c.ID}), http.StatusBadRequest, "validation", "contract_id")
	e.SetContractStatus(t, c.ID, "active")
	e.Refused(t, post(resident, map[string]any{"contract_id": c.ID, "surprise": 1}), http.StatusBadRequest, "validation", "surprise")

	var r srView
	servertest.Call(t, e, "POST", "/api/v1/service-requests", officer, map[string]any{"community_id": d.CommA, "contract_id": c.ID,
		"contact_name": "李大爷", "contact_phone": "0572-1234567"}, http.StatusCreated, &r)
	if r.Channel != "hotline" || r.ContactName == nil || *r.ContactName != "李大爷" {
		t.Errorf("hotline request as the officer sees it = %+v, want channel hotline with the caller", r)
	}
	decline := fmt.Sprintf("/api/v1/service-requests/%d/decline", r.ID)
	e.Refused(t, servertest.Request{Method: "POST", Path: decline, Token: org, Body: map[string]any{"reason": "  "}}, http.StatusBadRequest, "validation", "reason")
	e.Refused(t, servertest.Request{Method: "POST", Path: decline, Token: org, Body: map[string]any{}}, http.StatusBadRequest, "validation", "reason")
	// Another organization, another subdistrict's officer, another resident: nothing to find.
	e.Refused(t, servertest.Request{Method: "POST", Path: decline, Token: e.Token(t, "demo-org2"), Body: map[string]any{"reason": "不做"}},
		http.StatusNotFound, "not_found")
	for _, who := range []string{"demo-officer2", "demo-resident", "demo-org2"} {
		var page struct {
			Items []srView `json:"items"`
		}
		servertest.Call(t, e, "GET", "/api/v1/service-requests", e.Token(t, who), nil, http.StatusOK, &page)
		if len(page.Items) != 0 {
			t.Errorf("%s lists %+v, want none of A's hotline requests", who, page.Items)
		}
	}
	// The district admin lists it without the caller's contact.
	var page struct {
		Items []srView `json:"items"`
	}
	servertest.Call(t, e, "GET", "/api/v1/service-requests", e.Token(t, "demo-district"), nil, http.StatusOK, &page)
	if len(page.Items) != 1 || page.Items[0].ContactName != nil || page.Items[0].ContactPhone != nil {
		t.Errorf("district admin's list = %+v, want the request without its contact", page.Items)
	}
	servertest.Call(t, e, "POST", decline, org, map[string]any{"reason": "本周人手不足"}, http.StatusOK, &r)
	if r.Status != "declined" || r.DeclineReason == nil || *r.DeclineReason != "本周人手不足" {
		t.Errorf("declined = %+v", r)
	}
	// An unmet need has no organization to accept it.
	var need srView
	servertest.Call(t, e, "POST", "/api/v1/service-requests", resident, map[string]any{"note": "需要助浴服务", "category_code": "ELDERLY_HOME_CARE"},
		http.StatusCreated, &need)
	e.Refused(t, servertest.Request{Method: "POST", Path: fmt.Sprintf("/api/v1/service-requests/%d/accept", need.ID), Token: org},
		http.StatusNotFound, "not_found")
}

// Resident sign-ups without signing in are limited per address, as every
// anonymous write is; the password follows every account's rules.
func TestResidentSignupLimitedAndChecked(t *testing.T) {
	t.Parallel()
	cfg := servertest.Config(t)
	cfg.HTTP.AnonymousWritesPerMinute = 2
	e := servertest.NewEnvWith(t, cfg, servertest.AccountsOnly)
	d := e.Demo(t)
	e.Refused(t, servertest.Request{Method: "POST", Path: "/api/v1/public/residents",
		Body: map[string]any{"username": "x", "password": "short", "community_id": 999999}},
		http.StatusBadRequest, "validation", "username", "password", "community_id")
	servertest.Call(t, e, "POST", "/api/v1/public/residents", "", map[string]any{"username": "li.resident",
		"password": "a long enough password", "community_id": d.CommB}, http.StatusCreated, nil)
	e.Refused(t, servertest.Request{Method: "POST", Path: "/api/v1/public/residents",
		Body: map[string]any{"username": "zhao.resident", "password": "a long enough password", "community_id": d.CommB}},
		http.StatusTooManyRequests, "too_many_requests")
}
