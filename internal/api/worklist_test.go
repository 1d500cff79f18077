package api_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/jiedao-market/jiedao/internal/servertest"
)

// GET /api/v1/worklist answers the same worklist as the dashboard: the
// organization's admin finds its draft contract to sign, due in China time,
// and another organization does not; the done list shows the signature.
func TestWorklistAPI(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t)
	c := e.DraftContract(t, 1_000_000)
	type item struct {
		Kind     string `json:"kind"`
		TitleZh  string `json:"title_zh"`
		Due      string `json:"due"`
		Link     string `json:"link"`
		RecordID int64  `json:"record_id"`
	}
	var list struct {
		Todo []item `json:"todo"`
		Done []struct {
			Action   string `json:"action"`
			EntityID string `json:"entity_id"`
		} `json:"done"`
	}
	find := func(token string) (item, bool) {
		servertest.Call(t, e, "GET", "/api/v1/worklist", token, nil, http.StatusOK, &list)
		for _, it := range list.Todo {
			if it.Kind == "org.contract.sign" && it.RecordID == c.ID {
				return it, true
			}
		}
		return item{}, false
	}
	org := e.Token(t, "demo-org")
	it, ok := find(org)
	if !ok {
		t.Fatalf("demo-org's worklist = %+v, want contract %d to sign", list.Todo, c.ID)
	}
	if !strings.HasSuffix(it.Due, "+08:00") || it.Link != "/contracts/"+strconv.FormatInt(c.ID, 10) || !strings.Contains(it.TitleZh, "签订合同") {
		t.Errorf("the item = %+v, want a China-time due, the contract's page and its title", it)
	}
	if _, ok := find(e.Token(t, "demo-org2")); ok {
		t.Errorf("demo-org2's worklist has demo-org's contract")
	}
	servertest.Call(t, e, "POST", "/api/v1/contracts/"+strconv.FormatInt(c.ID, 10)+"/sign", org, nil, http.StatusOK, nil)
	if _, ok := find(org); ok {
		t.Errorf("the signed contract is still on demo-org's worklist")
	}
	if len(list.Done) == 0 || list.Done[0].Action != "contract.sign" || list.Done[0].EntityID != strconv.FormatInt(c.ID, 10) {
		t.Errorf("demo-org's done list = %+v, want the signature first", list.Done)
	}
}
