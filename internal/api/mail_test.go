package api_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jiedao-market/jiedao/internal/mail/mailtest"
	"github.com/jiedao-market/jiedao/internal/servertest"
)

// TestAccountsMadeWithAnAddressAreSentItsLink: a platform admin's new
// account and an organization's invited member, each with an address, get
// its verification link; a bad address is refused with nothing written.
func TestAccountsMadeWithAnAddressAreSentItsLink(t *testing.T) {
	t.Parallel()
	pit := mailtest.Start(t)
	cfg := servertest.Config(t)
	cfg.Mail.Host, cfg.Mail.Port, cfg.Mail.TLS, cfg.Mail.Timeout = "127.0.0.1", pit.SMTPPort, "none", 5*time.Second
	e := servertest.NewEnvWith(t, cfg, servertest.AccountsOnly)
	admin := e.Token(t, "demo-admin")
	servertest.Call(t, e, "POST", "/api/v1/users", admin, map[string]any{"username": "new.officer", "password": "a long enough password",
		"role": "procurement_officer", "subdistrict_id": e.Demo(t).SubA, "email": "new.officer@example.cn"}, http.StatusCreated, nil)
	servertest.Call(t, e, "POST", fmt.Sprintf("/api/v1/organizations/%d/members", e.Demo(t).Org1), e.Token(t, "demo-org"),
		map[string]any{"username": "new.member", "password": "a long enough password", "email": "new.member@example.cn"},
		http.StatusCreated, nil)
	e.Refused(t, servertest.Request{Method: "POST", Path: "/api/v1/users", Token: admin, Body: map[string]any{
		"username": "bad.address", "password": "a long enough password", "role": "procurement_officer",
		"subdistrict_id": e.Demo(t).SubA, "email": "not an address"}}, http.StatusBadRequest, "validation", "email")

	ctx := context.Background()
	ids, err := e.Services.Mail.Queued(ctx, 10)
	if err != nil || len(ids) != 2 {
		t.Fatalf("Queued() = %v, %v; want the 2 verification links", ids, err)
	}
	for _, id := range ids {
		if err := e.Services.Mail.Deliver(ctx, id); err != nil {
			t.Fatalf("Deliver() error = %v", err)
		}
	}
	for _, addr := range []string{"new.officer@example.cn", "new.member@example.cn"} {
		got := pit.To(t, addr)
		if len(got) != 1 || !strings.Contains(got[0].Text, cfg.HTTP.PublicURL+"/email/verify?token=") {
			t.Errorf("mails to %s = %+v, want its verification link", addr, got)
		}
	}
}
