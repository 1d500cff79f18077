package complaint_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/complaint"
)

// TestContracts lists, per complaint, the contracts Assign accepts: signed
// or later, of the organization, in the subdistrict, serving the
// complaint's community, active first; Assign refuses any other, writing
// nothing.
func TestContracts(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	elsewhere := w.e.ActiveContract(t) // serves A's other communities, not the complaint's
	if err := w.e.DB.Exec(`DELETE FROM contract_communities WHERE contract_id = ? AND community_id = ?`,
		elsewhere.ID, w.contract.Communities[0]).Error; err != nil {
		t.Fatal(err)
	}
	ended := w.e.ActiveContract(t)
	w.e.SetContractStatus(t, ended.ID, "completed")
	_, id := w.file("")

	want := map[int64][]int64{id: {w.contract.ID, ended.ID}}
	for _, tc := range []struct {
		name string
		by   string
		want map[int64][]int64
	}{
		{"the subdistrict's officer", "demo-officer", want},
		{"the district's admin", "demo-district", want},
		{"another subdistrict's officer", "demo-officer2", map[int64][]int64{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := w.svc.Contracts(ctx, w.e.ActorOf(t, tc.by), []int64{id, id + 1000})
			if err != nil {
				t.Fatalf("Contracts() error = %v", err)
			}
			ids := map[int64][]int64{}
			for cid, opts := range got {
				for _, o := range opts {
					ids[cid] = append(ids[cid], o.ID)
					if o.Title == "" || o.Status == "" || o.ServiceStart.IsZero() {
						t.Errorf("Contracts() option %+v lacks its title, state or period", o)
					}
				}
			}
			if diff := cmp.Diff(tc.want, ids); diff != "" {
				t.Errorf("Contracts() ids (-want +got):\n%s", diff)
			}
		})
	}
	for _, by := range []string{"demo-org", "demo-finance", "demo-resident"} {
		_, err := w.svc.Contracts(ctx, w.e.ActorOf(t, by), []int64{id})
		wantErr(t, "Contracts() as "+by, err, apperr.ErrForbidden)
	}

	_, err := w.svc.Assign(ctx, w.officer, id, elsewhere.ID)
	if ae, ok := apperr.As(err); !ok || ae.Kind != apperr.Invalid || len(ae.Fields) != 1 || ae.Fields[0].Field != "contract_id" {
		t.Fatalf("Assign() to a contract not serving the community error = %v, want invalid contract_id", err)
	}
	if n := count(t, w.e, `SELECT count(*) FROM complaints WHERE id = ? AND status = ? AND assigned_at IS NULL`, id, complaint.StatusReceived); n != 1 {
		t.Errorf("a refused Assign() changed the complaint")
	}
	v, err := w.svc.Assign(ctx, w.officer, id, ended.ID)
	if err != nil || v.ContractID == nil || *v.ContractID != ended.ID {
		t.Fatalf("Assign() to the completed contract = %+v, %v, want it linked", v, err)
	}
}
