package tender_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/jiedao-market/jiedao/internal/contract"
	"github.com/jiedao-market/jiedao/internal/platform/jobs/jobstest"
)

// TestContractStartsByItsJob: a signed contract becomes active at its start
// date by River's job, which the sweep enqueues when none waits (a crash
// between the signing's commit and its enqueue loses nothing); sweeping twice
// makes no second job while one waits, and reading never activates.
func TestContractStartsByItsJob(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()
	_, c := w.awarded()
	w.sign(c, w.orgs[1]) // no River yet: the signing's enqueue is lost

	svc := w.contracts()
	client := jobstest.Client(t, ctx, w.url, func(workers *river.Workers) { svc.Register(workers, time.Minute) })
	svc.UseRiver(client, slog.New(slog.DiscardHandler))
	if err := svc.Sweep(ctx); err != nil {
		t.Fatalf("Sweep() before the start error = %v", err)
	}
	if n := w.count(`SELECT count(*) FROM river_job WHERE kind = ?`, contract.ActivateArgs{}.Kind()); n != 0 {
		t.Fatalf("%d activation jobs before the start, want none", n)
	}
	w.clock.Set(c.ServiceStart.StartInChina().Add(time.Minute))
	for range 2 {
		if err := svc.Sweep(ctx); err != nil {
			t.Fatalf("Sweep() error = %v", err)
		}
	}
	if n := w.count(`SELECT count(*) FROM river_job WHERE kind = ?`, contract.ActivateArgs{}.Kind()); n != 1 {
		t.Fatalf("%d activation jobs after sweeping twice, want 1", n)
	}
	if got := w.contract(w.officer, c.ID); got.Status != contract.StatusSigned {
		t.Fatalf("status before the job = %s, want signed", got.Status)
	}
	jobstest.RunUntil(t, ctx, client, contract.ActivateArgs{}.Kind(), func(args []byte) bool {
		var a contract.ActivateArgs
		return json.Unmarshal(args, &a) == nil && a.ContractID == c.ID
	})
	if got := w.contract(w.orgs[1], c.ID); got.Status != contract.StatusActive || got.ActivatedAt == nil {
		t.Errorf("after the job: %s, want active", got.Status)
	}
	if n := w.count(`SELECT count(*) FROM audit_entries WHERE entity_type = 'contract' AND action = 'contract.activate'`); n != 1 {
		t.Errorf("%d activation audit entries, want 1", n)
	}
}
