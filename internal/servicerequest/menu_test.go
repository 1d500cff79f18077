package servicerequest_test

import (
	"context"
	"errors"
	"testing"

	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/servertest"
	"github.com/jiedao-market/jiedao/internal/servicerequest"
)

// A resident's menu is its community's; an account bound to no community
// has none, and other roles are refused.
func TestResidentMenu(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := servertest.NewEnv(t)
	d := e.Demo(t)
	c := e.ActiveContract(t)
	svc := e.Services.ServiceRequests
	r, err := svc.SignupResident(ctx, servicerequest.ResidentSignup{Username: "wang.resident", Password: "a long enough password",
		CommunityID: d.CommA})
	if err != nil {
		t.Fatalf("SignupResident() error = %v", err)
	}
	m, err := svc.ResidentMenu(ctx, e.ActorOf(t, r.User.Username))
	if err != nil || m.CommunityID != d.CommA || len(m.Items) != 1 || m.Items[0].ContractID != c.ID {
		t.Errorf("ResidentMenu() = %+v, %v; want community %d's menu with contract %d", m, err, d.CommA, c.ID)
	}
	if _, err := svc.ResidentMenu(ctx, e.ActorOf(t, "demo-resident")); !errors.Is(err, servicerequest.ErrNoCommunity) {
		t.Errorf("ResidentMenu() of an unbound resident error = %v, want ErrNoCommunity", err)
	}
	for _, who := range []string{"demo-officer", "demo-org"} {
		if _, err := svc.ResidentMenu(ctx, e.ActorOf(t, who)); !errors.Is(err, apperr.ErrForbidden) {
			t.Errorf("ResidentMenu() as %s error = %v, want ErrForbidden", who, err)
		}
	}
}
