package ui_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/jiedao-market/jiedao/internal/servertest"
)

// The approvals queue is in the header of the finance officers, the
// organization's milestones in its staff's: the roles their routes admit.
func TestPagesPaymentNavigation(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t, servertest.AccountsOnly)
	links := map[string][]string{
		`href="/approvals"`:      {"demo-finance"},
		`href="/org/milestones"`: {"demo-org", "demo-org2", "demo-member"},
	}
	for _, who := range servertest.Identities[1:] {
		dash := string(servertest.SignIn(t, e, who).Get(t, "/dashboard").Body)
		for link, roles := range links {
			if got := strings.Contains(dash, link); got != slices.Contains(roles, who) {
				t.Errorf("dashboard of %s links %s: %v, want %v", who, link, got, !got)
			}
		}
	}
}
