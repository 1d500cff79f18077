package milestone_test

import (
	"fmt"
	"testing"

	"github.com/jiedao-market/jiedao/internal/contract"
)

// BenchmarkMilestoneApprove approves one accepted and invoiced milestone
// payment per iteration: the contract's and the round's locks, the held
// check, the payable posting, the payout row, the round and their audit
// entries and notice, in one transaction, then the milestone read back. The
// rounds are made ready before the timer starts: contracts of twelve
// milestones due on signing, each accepted and invoiced.
func BenchmarkMilestoneApprove(b *testing.B) {
	const perContract = 12
	ms := make([]contract.MilestoneInput, perContract)
	for i := range ms {
		ms[i] = contract.MilestoneInput{Name: fmt.Sprintf("第%d期", i+1), After: "signing", AmountFen: 10_000}
	}
	w := newWorld(b, 10_000*perContract, ms...)
	var ready []int64
	for {
		for _, m := range w.schedule(b).Items {
			if _, err := w.svc.Accept(ctx, w.officer, m.ID, "验收合格"); err != nil {
				b.Fatalf("Accept() error = %v", err)
			}
			w.invoice(b, m.ID, m.PayableFen)
			ready = append(ready, m.ID)
		}
		if len(ready) >= b.N {
			break
		}
		w.contract = w.e.SignedContract(b, 10_000*perContract, ms...)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := w.svc.Approve(ctx, w.finance, ready[i]); err != nil {
			b.Fatalf("Approve() error = %v", err)
		}
	}
}
