package tender_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/auth"
	"github.com/jiedao-market/jiedao/internal/contract"
	"github.com/jiedao-market/jiedao/internal/fund"
	"github.com/jiedao-market/jiedao/internal/money"
	"github.com/jiedao-market/jiedao/internal/tender"
)

// contracts returns the contract service of the world, which replaces a
// dropped contract's bid through the world's tender service.
func (w *world) contracts() *contract.Service {
	s := contract.NewService(w.db, w.clock, contract.Options{AmendmentCapPercent: 10})
	s.UseReplacer(w.svc.ProposeReplacement)
	return s
}

// awarded is proposed() made final at the end of the challenge period: one
// draft contract of 450,000.00 for w.orgs[1].
func (w *world) awarded() (tender.View, contract.View) {
	w.t.Helper()
	v, p := w.proposed()
	v = w.advanceTo(v.ID, p.ChallengeEndsAt.Add(time.Second))
	if v.Status != tender.StatusAwarded || len(v.Contracts) != 1 {
		w.t.Fatalf("status %s with %d contracts, want awarded with one", v.Status, len(v.Contracts))
	}
	return v, w.contract(w.officer, v.Contracts[0].ID)
}

func (w *world) contract(by access.Actor, id int64) contract.View {
	w.t.Helper()
	c, err := w.contracts().Get(context.Background(), by, id)
	if err != nil {
		w.t.Fatalf("Get(contract %d) error = %v", id, err)
	}
	return c
}

// populate has the officer enter every community's eligible population.
func (w *world) populate(c contract.View) {
	w.t.Helper()
	var list []contract.PopulationInput
	for i, cm := range c.Communities {
		list = append(list, contract.PopulationInput{CommunityID: cm.ID, EligiblePopulation: 300 + i})
	}
	if _, err := w.contracts().Update(context.Background(), w.officer, c.ID, contract.Patch{Populations: &list}); err != nil {
		w.t.Fatalf("Update(populations) error = %v", err)
	}
}

// sign has the officer and then the organization's admin sign c.
func (w *world) sign(c contract.View, orgAdmin access.Actor) contract.View {
	w.t.Helper()
	w.populate(c)
	ctx := context.Background()
	if _, err := w.contracts().Sign(ctx, w.officer, c.ID); err != nil {
		w.t.Fatalf("Sign(officer) error = %v", err)
	}
	v, err := w.contracts().Sign(ctx, orgAdmin, c.ID)
	if err != nil {
		w.t.Fatalf("Sign(organization) error = %v", err)
	}
	return v
}

// ledger returns every balance of the world's fund.
func (w *world) ledger() map[string]money.Fen {
	w.t.Helper()
	var rows []fund.LedgerAccount
	if err := w.db.Where("fund_account_id = ?", w.fundID).Find(&rows).Error; err != nil {
		w.t.Fatal(err)
	}
	out := map[string]money.Fen{}
	for _, r := range rows {
		if r.Kind != fund.Source {
			out[r.Kind] = r.Balance
		}
	}
	return out
}

func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Errorf("%s error = %v, want %v", what, err, want)
	}
}

func wantFields(t *testing.T, what string, err error, field string) {
	t.Helper()
	if !slices.Contains(fieldsOf(err), field) {
		t.Errorf("%s error = %v (fields %v), want one naming %s", what, err, fieldsOf(err), field)
	}
}

// TestContractSigning follows a contract from the final award to the start of
// its service, with each refusal on the way: the wrong role, another
// subdistrict or organization (404), the officer before the populations, a
// side signing twice, a third signature. The second signature encumbers
// exactly the amount and returns the rest of the reservation.
func TestContractSigning(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	svc := w.contracts()
	before := w.ledger()
	v, c := w.awarded()
	winner := w.orgs[1]
	if c.Status != contract.StatusDraft || c.AmountFen != 45_000_000 || !c.SignBy.Equal(v.AwardedAt.AddDate(0, 0, 30)) {
		t.Fatalf("draft = %s %d signing until %v, want draft 45,000,000 until 30 days after the award %v", c.Status, c.AmountFen, c.SignBy, v.AwardedAt)
	}
	if c.PaymentPolicy != contract.DefaultPolicy || len(c.Milestones) != 3 {
		t.Errorf("policy %+v with %d milestones, want the default with 30/40/30", c.PaymentPolicy, len(c.Milestones))
	}
	member := w.newUser("winner-member", access.OrgMember, authOrg(winner))
	wantErr(t, "Sign(org member)", errOf(svc.Sign(ctx, member, c.ID)), apperr.ErrForbidden)
	wantErr(t, "Sign(another subdistrict's officer)", errOf(svc.Sign(ctx, w.officer2, c.ID)), apperr.ErrNotFound)
	wantErr(t, "Sign(another organization)", errOf(svc.Sign(ctx, w.orgs[0], c.ID)), apperr.ErrNotFound)
	wantErr(t, "Sign(evaluator)", errOf(svc.Sign(ctx, w.evaluators[0], c.ID)), apperr.ErrForbidden)
	wantFields(t, "Sign(officer, no populations)", errOf(svc.Sign(ctx, w.officer, c.ID)), "eligible_populations")

	bad := []contract.MilestoneInput{{Name: "签约", After: "signing", AmountFen: 20_000_000}, {Name: "终期", After: "final", AmountFen: 20_000_000}}
	wantFields(t, "Update(milestones short of the amount)", errOf(svc.Update(ctx, w.officer, c.ID, contract.Patch{Milestones: &bad})), "milestones")
	bad[1].After = "whenever"
	wantFields(t, "Update(an unknown trigger)", errOf(svc.Update(ctx, w.officer, c.ID, contract.Patch{Milestones: &bad})), "milestones[1].after")
	wantErr(t, "Update(organization)", errOf(svc.Update(ctx, winner, c.ID, contract.Patch{Milestones: &bad})), apperr.ErrForbidden)
	wantFields(t, "Update(nothing)", errOf(svc.Update(ctx, w.officer, c.ID, contract.Patch{})), "patch")
	good := []contract.MilestoneInput{{Name: "签约", After: "signing", AmountFen: 20_000_000}, {Name: "终期", After: "final", AmountFen: 25_000_000}}
	u, err := svc.Update(ctx, w.officer, c.ID, contract.Patch{Milestones: &good})
	if err != nil || len(u.Milestones) != 2 || u.Milestones[1].AmountFen != 25_000_000 || u.Milestones[1].Percent != 56 {
		t.Fatalf("Update(milestones 200,000 + 250,000) = %+v, %v", u.Milestones, err)
	}

	w.populate(c)
	if _, err := svc.Sign(ctx, winner, c.ID); err != nil {
		t.Fatalf("Sign(organization first) error = %v", err)
	}
	wantErr(t, "Sign(organization twice)", errOf(svc.Sign(ctx, winner, c.ID)), contract.ErrAlreadySigned)
	if got := w.ledger(); got[fund.Reserved] != before[fund.Reserved]+50_000_000 || got[fund.Encumbered] != before[fund.Encumbered] {
		t.Errorf("after one signature: %v, want the whole ceiling still reserved (before the tender: %v)", got, before)
	}
	s, err := svc.Sign(ctx, w.officer, c.ID)
	if err != nil {
		t.Fatalf("Sign(officer second) error = %v", err)
	}
	if s.Status != contract.StatusSigned || s.SignedAt == nil || *s.SignedAmountFen != 45_000_000 || s.HeldFen != 45_000_000 || len(s.Versions) != 1 {
		t.Errorf("signed = %s at %v, amount %v, held %d, versions %v", s.Status, s.SignedAt, s.SignedAmountFen, s.HeldFen, s.Versions)
	}
	after := w.ledger()
	want := map[string]money.Fen{fund.Available: before[fund.Available] - 45_000_000, fund.Reserved: before[fund.Reserved],
		fund.Encumbered: before[fund.Encumbered] + 45_000_000, fund.Payable: before[fund.Payable], fund.Paid: before[fund.Paid]}
	for k, x := range want {
		if after[k] != x {
			t.Errorf("%s = %d after signing, want %d", k, after[k], x)
		}
	}
	if n := w.count(`SELECT count(*) FROM ledger_postings WHERE kind = 'release' AND reference_type = 'tender' AND reference_id = ?`,
		fmt.Sprintf("%d/remainder", v.ID)); n != 1 {
		t.Errorf("%d remainder releases, want 1", n)
	}
	wantErr(t, "Sign(third)", errOf(svc.Sign(ctx, w.officer, c.ID)), contract.ErrNotDraft)
	wantErr(t, "Update(signed)", errOf(svc.Update(ctx, w.officer, c.ID, contract.Patch{Milestones: &good})), contract.ErrNotDraft)
	if n := w.count(`SELECT count(*) FROM audit_entries WHERE entity_type = 'contract' AND entity_id = ? AND action IN ('contract.sign', 'contract.signed')`,
		fmt.Sprint(c.ID)); n != 2 {
		t.Errorf("%d signing audit entries, want 2", n)
	}

	// The service starts by the job at the start date, never on read.
	due, err := svc.Activate(ctx, c.ID)
	if err != nil || due == nil || !due.Equal(c.ServiceStart.StartInChina()) {
		t.Fatalf("Activate() before the start = %v, %v; want due at %v", due, err, c.ServiceStart.StartInChina())
	}
	w.clock.Set(c.ServiceStart.StartInChina())
	if got := w.contract(w.officer, c.ID); got.Status != contract.StatusSigned {
		t.Errorf("status read at the start = %s, want signed until the job runs", got.Status)
	}
	list, err := svc.Due(ctx)
	if err != nil || !list[c.ID].Equal(c.ServiceStart.StartInChina()) {
		t.Errorf("Due() = %v, %v; want the contract at its start", list, err)
	}
	if _, err := svc.Activate(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	if got := w.contract(winner, c.ID); got.Status != contract.StatusActive || got.ActivatedAt == nil {
		t.Errorf("after the job: %s, activated %v; want active", got.Status, got.ActivatedAt)
	}
}

func errOf[T any](_ T, err error) error { return err }

// authOrg is the user input of a member of by's organization.
func authOrg(by access.Actor) auth.UserInput {
	id := by.Scope.OrganizationID
	return auth.UserInput{OrganizationID: &id}
}

// TestSigningPeriodAndReplacement: past the signing period nobody signs; the
// officer drops the draft (not before) and awards the next-ranked bid, with
// a new challenge period, whose contract is then signed; the reservation
// returns once, after that signature.
func TestSigningPeriodAndReplacement(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	svc := w.contracts()
	before := w.ledger()
	v, c := w.awarded()
	w.populate(c)
	drop := contract.TerminateInput{Reason: "中标人未在期限内签订合同", Next: contract.NextRanked}
	wantErr(t, "Terminate(draft, within the period)", errOf(svc.Terminate(ctx, w.officer, c.ID, drop)), contract.ErrNotDroppable)
	wantErr(t, "Terminate(draft, by the organization)", errOf(svc.Terminate(ctx, w.orgs[1], c.ID, contract.TerminateInput{Reason: "放弃"})), contract.ErrNotInForce)
	wantFields(t, "Terminate(draft, no next)", errOf(svc.Terminate(ctx, w.officer, c.ID, contract.TerminateInput{Reason: "逾期"})), "next")

	w.clock.Set(c.SignBy)
	wantErr(t, "Sign(officer at the deadline)", errOf(svc.Sign(ctx, w.officer, c.ID)), contract.ErrSigningClosed)
	wantErr(t, "Sign(organization after it)", errOf(svc.Sign(ctx, w.orgs[1], c.ID)), contract.ErrSigningClosed)
	d, err := svc.Terminate(ctx, w.officer, c.ID, drop)
	if err != nil || d.Status != contract.StatusLapsed || d.EndReason == nil || *d.EndReason != drop.Reason {
		t.Fatalf("Terminate(drop, next ranked) = %s %v, %v; want lapsed with the reason", d.Status, d.EndReason, err)
	}
	tv := w.get(v.ID)
	pub, err := w.svc.PublicGet(ctx, v.ID)
	if err != nil || tv.Status != tender.StatusAwardProposed || pub.Award == nil || pub.Award.Status != "proposed" {
		t.Fatalf("tender after the drop: %s with award %+v (%v), want a replacement award proposed", tv.Status, pub.Award, err)
	}
	next := pub.Award.BidIDs
	if len(next) != 1 || next[0] == c.BidID {
		t.Fatalf("replacement winners = %v, want the next-ranked bid alone", next)
	}
	wantErr(t, "Cancel(tender during the replacement)", errOf(w.svc.Cancel(ctx, w.officer, v.ID, "不再采购")), tender.ErrNotCancellable)
	if got := w.ledger(); got[fund.Reserved] != before[fund.Reserved]+50_000_000 {
		t.Errorf("reserved during the replacement = %d, want the ceiling still held", got[fund.Reserved]-before[fund.Reserved])
	}
	tv = w.advanceTo(v.ID, tv.ChallengeEndsAt.Add(time.Second))
	if tv.Status != tender.StatusAwarded || len(tv.Contracts) != 2 {
		t.Fatalf("after the new challenge period: %s with %d contracts, want awarded with the dropped and the new one", tv.Status, len(tv.Contracts))
	}
	var fresh contract.Contract
	for _, k := range tv.Contracts {
		if k.ID != c.ID {
			fresh = k
		}
	}
	if fresh.BidID != next[0] || fresh.Status != contract.StatusDraft || !fresh.SignBy.After(w.clock.Now()) {
		t.Fatalf("new contract = %+v, want a draft of bid %d with its own signing period", fresh, next[0])
	}
	var o access.Actor
	for _, a := range w.orgs {
		if a.Scope.OrganizationID == fresh.OrganizationID {
			o = a
		}
	}
	w.sign(w.contract(w.officer, fresh.ID), o)
	got := w.ledger()
	if got[fund.Reserved] != before[fund.Reserved] || got[fund.Encumbered] != before[fund.Encumbered]+fresh.AmountFen ||
		got[fund.Available] != before[fund.Available]-fresh.AmountFen {
		t.Errorf("after the replacement's signing: %v, want only %d encumbered (before: %v)", got, fresh.AmountFen, before)
	}
}

// TestSigningRechecksEligibility: a winner whose certification was suspended
// after the award cannot sign; the officer drops the draft at once and
// cancels, and the whole reservation returns.
func TestSigningRechecksEligibility(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	svc := w.contracts()
	before := w.ledger()
	_, c := w.awarded()
	w.populate(c)
	w.suspendCertification(w.orgs[1])
	err := errOf(svc.Sign(ctx, w.orgs[1], c.ID))
	if e, ok := apperr.As(err); !ok || e.Code != "contract.organization_ineligible" {
		t.Fatalf("Sign(suspended organization) error = %v, want contract.organization_ineligible", err)
	}
	wantErr(t, "Sign(officer, organization suspended)", errOf(svc.Sign(ctx, w.officer, c.ID)), errIneligible)
	if n := w.count(`SELECT count(*) FROM contracts WHERE id = ? AND officer_signed_at IS NULL AND org_signed_at IS NULL`, c.ID); n != 1 {
		t.Errorf("a refused signature was written")
	}
	d, err := svc.Terminate(ctx, w.officer, c.ID, contract.TerminateInput{Reason: "中标人认定已暂停", Next: contract.NextCancel})
	if err != nil || d.Status != contract.StatusLapsed {
		t.Fatalf("Terminate(drop, cancel) = %s, %v", d.Status, err)
	}
	if got := w.ledger(); got[fund.Reserved] != before[fund.Reserved] || got[fund.Available] != before[fund.Available] {
		t.Errorf("after cancelling: %v, want the ledger as before the tender %v", got, before)
	}
	if tv := w.get(c.TenderID); tv.Status != tender.StatusAwarded || !strings.Contains(tv.StatusReason, "中标人认定已暂停") {
		t.Errorf("tender after the drop: %s, reason %q; want awarded, saying no contract was signed and why", tv.Status, tv.StatusReason)
	}
	wantErr(t, "Terminate(lapsed)", errOf(svc.Terminate(ctx, w.officer, c.ID, contract.TerminateInput{Reason: "再次", Next: contract.NextCancel})), contract.ErrEnded)
	wantErr(t, "Sign(lapsed)", errOf(svc.Sign(ctx, w.orgs[1], c.ID)), contract.ErrNotDraft)
}

var errIneligible = apperr.New(apperr.Conflict, "contract.organization_ineligible", "")

// TestVentureReservationReturnsOnce: a venture-philanthropy call with three
// winners sharing one reservation: each signature encumbers exactly its
// contract, and what is left returns once, with the last.
func TestVentureReservationReturnsOnce(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	before := w.ledger()
	w.freshOrgs(3)
	in := w.input(3)
	method, three := "venture_philanthropy", 3
	in.PurchaseMethod, in.MaxWinners = &method, &three
	v, rec := w.open(in, 10_000_000, 12_000_000, 15_000_000)
	w.evaluate(v.ID, w.evaluators[:3], rec, same(3, 50, 50, 50))
	p, err := w.svc.ProposeAward(ctx, w.officer, v.ID, tender.AwardInput{})
	if err != nil || len(p.BidIDs) != 3 {
		t.Fatalf("ProposeAward() = %v, %v; want three winners", p.BidIDs, err)
	}
	v = w.advanceTo(v.ID, p.ChallengeEndsAt.Add(time.Second))
	if len(v.Contracts) != 3 {
		t.Fatalf("%d contracts, want 3", len(v.Contracts))
	}
	byOrg := map[int64]access.Actor{}
	for _, o := range w.orgs {
		byOrg[o.Scope.OrganizationID] = o
	}
	var signed money.Fen
	for i, k := range v.Contracts {
		w.sign(w.contract(w.officer, k.ID), byOrg[k.OrganizationID])
		signed += k.AmountFen
		got := w.ledger()
		wantReserved := before[fund.Reserved] + 50_000_000 - signed
		if i == len(v.Contracts)-1 {
			wantReserved = before[fund.Reserved]
		}
		if got[fund.Reserved] != wantReserved || got[fund.Encumbered] != before[fund.Encumbered]+signed {
			t.Errorf("after signature %d: reserved %d, encumbered %d; want %d and %d", i+1, got[fund.Reserved], got[fund.Encumbered],
				wantReserved, before[fund.Encumbered]+signed)
		}
	}
	if err := w.db.Transaction(func(tx *gorm.DB) error { return contract.SettleReservation(tx, w.officer, v.ID) }); err != nil {
		t.Fatalf("SettleReservation() again error = %v", err)
	}
	if n := w.count(`SELECT count(*) FROM ledger_postings WHERE kind = 'release' AND reference_id = ?`, fmt.Sprintf("%d/remainder", v.ID)); n != 1 {
		t.Errorf("%d remainder releases, want exactly 1", n)
	}
	if got := w.ledger(); got[fund.Available] != before[fund.Available]-signed {
		t.Errorf("available = %d, want %d: only the three contracts stay out", got[fund.Available], before[fund.Available]-signed)
	}
}

// TestConcurrentSecondSignatures: 20 second signatures at once make one
// signed contract and one encumbrance.
func TestConcurrentSecondSignatures(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	svc := w.contracts()
	_, c := w.awarded()
	w.populate(c)
	if _, err := svc.Sign(ctx, w.officer, c.ID); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make([]error, 20)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = svc.Sign(ctx, w.orgs[1], c.ID)
		}()
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, contract.ErrNotDraft) && !errors.Is(err, contract.ErrAlreadySigned):
			t.Errorf("Sign() error = %v, want contract.not_draft", err)
		}
	}
	if ok != 1 {
		t.Errorf("%d signatures succeeded, want 1", ok)
	}
	if n := w.count(`SELECT count(*) FROM ledger_postings WHERE kind = 'encumber' AND reference_type = 'contract' AND reference_id = ?`, fmt.Sprint(c.ID)); n != 1 {
		t.Errorf("%d encumbrances, want 1", n)
	}
}

// TestReplacementChallengeUpheld: a challenge to a replacement award cannot
// send the tender back to evaluation; upheld, it withdraws the replacement,
// the award before it stands, and the reservation returns.
func TestReplacementChallengeUpheld(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	svc := w.contracts()
	before := w.ledger()
	v, c := w.awarded()
	w.clock.Set(c.SignBy.Add(time.Hour))
	if _, err := svc.Terminate(ctx, w.officer, c.ID, contract.TerminateInput{Reason: "逾期未签", Next: contract.NextRanked}); err != nil {
		t.Fatalf("Terminate(drop, next ranked) error = %v", err)
	}
	ch, err := w.svc.FileChallenge(ctx, w.orgs[0], v.ID, "替补人选有误", nil)
	if err != nil {
		t.Fatalf("FileChallenge() error = %v", err)
	}
	wantErr(t, "AnswerChallenge(upheld, reevaluate)", errOf(w.svc.AnswerChallenge(ctx, w.officer, ch.ID,
		tender.ChallengeAnswer{Outcome: "upheld", Answer: "质疑成立", Action: "reevaluate"})), tender.ErrReplacementReevaluate)
	if _, err := w.svc.AnswerChallenge(ctx, w.officer, ch.ID, tender.ChallengeAnswer{Outcome: "upheld", Answer: "质疑成立", Action: "cancel"}); err != nil {
		t.Fatalf("AnswerChallenge(upheld, cancel) error = %v", err)
	}
	got := w.get(v.ID)
	pub, err := w.svc.PublicGet(ctx, v.ID)
	if err != nil || got.Status != tender.StatusAwarded || pub.Award == nil || pub.Award.Status != "final" || pub.Award.BidIDs[0] != c.BidID {
		t.Fatalf("tender after the upheld challenge: %s, award %+v (%v); want the first award final again", got.Status, pub.Award, err)
	}
	if l := w.ledger(); l[fund.Reserved] != before[fund.Reserved] || l[fund.Available] != before[fund.Available] {
		t.Errorf("ledger = %v, want as before the tender %v", l, before)
	}
}

// TestReplacementCountsSignedAmounts: a standing contract holds its amount at
// signing out of the reservation, whatever an amendment later made of it, so
// a next-ranked bid that would not fit beside it is never proposed; the
// officer cancels and exactly the rest of the ceiling returns.
func TestReplacementCountsSignedAmounts(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	svc := w.contracts()
	before := w.ledger()
	w.freshOrgs(3)
	in := w.input(3)
	method, two := "venture_philanthropy", 2
	in.PurchaseMethod, in.MaxWinners = &method, &two
	v, rec := w.open(in, 20_000_000, 25_000_000, 32_000_000)
	w.evaluate(v.ID, w.evaluators[:3], rec, same(3, 50, 50, 50))
	p, err := w.svc.ProposeAward(ctx, w.officer, v.ID, tender.AwardInput{})
	if err != nil || len(p.BidIDs) != 2 {
		t.Fatalf("ProposeAward() = %v, %v; want two winners", p.BidIDs, err)
	}
	v = w.advanceTo(v.ID, p.ChallengeEndsAt.Add(time.Second))
	var first, second contract.Contract
	for _, k := range v.Contracts {
		if k.OrganizationID == w.orgs[0].Scope.OrganizationID {
			first = k
		} else {
			second = k
		}
	}
	w.sign(w.contract(w.officer, first.ID), w.orgs[0])
	cut, err := svc.ProposeAmendment(ctx, w.orgs[0], first.ID, contract.AmendmentInput{Reason: "服务对象减少",
		Changes: contract.Changes{AmountFen: fen(15_000_000)}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.DecideAmendment(ctx, w.officer, cut.ID, true, ""); err != nil {
		t.Fatal(err)
	}
	w.clock.Set(second.SignBy)
	drop := contract.TerminateInput{Reason: "逾期未签", Next: contract.NextRanked}
	wantErr(t, "Terminate(drop, next ranked, 200,000 + 320,000 over the 500,000 ceiling)", errOf(svc.Terminate(ctx, w.officer, second.ID, drop)), tender.ErrNoNextBid)
	if got := w.contract(w.officer, second.ID); got.Status != contract.StatusDraft {
		t.Errorf("after the refused replacement the draft is %s, want it unchanged", got.Status)
	}
	drop.Next = contract.NextCancel
	if _, err := svc.Terminate(ctx, w.officer, second.ID, drop); err != nil {
		t.Fatalf("Terminate(drop, cancel) error = %v", err)
	}
	got := w.ledger()
	if got[fund.Reserved] != before[fund.Reserved] || got[fund.Encumbered] != before[fund.Encumbered]+15_000_000 ||
		got[fund.Available] != before[fund.Available]-15_000_000 {
		t.Errorf("ledger = %v, want only the amended 150,000 out of available (before %v)", got, before)
	}
}

// TestSigningRechecksTheTendersMinimums: a winner whose certification fell
// below the tender's minimum grade after the award cannot sign, and the
// officer may drop the draft at once.
func TestSigningRechecksTheTendersMinimums(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	svc := w.contracts()
	v, c := w.awarded()
	w.populate(c)
	// The district re-grades the winner below the tender's minimum.
	if err := w.db.Exec(`UPDATE certifications SET grade = ? WHERE organization_id = ?`, v.MinGrade-1, w.orgs[1].Scope.OrganizationID).Error; err != nil {
		t.Fatal(err)
	}
	err := errOf(svc.Sign(ctx, w.orgs[1], c.ID))
	if e, ok := apperr.As(err); !ok || e.Code != "contract.organization_ineligible" {
		t.Fatalf("Sign(below the minimum grade) error = %v, want contract.organization_ineligible", err)
	}
	if d, err := svc.Terminate(ctx, w.officer, c.ID, contract.TerminateInput{Reason: "资质等级不足", Next: contract.NextCancel}); err != nil || d.Status != contract.StatusLapsed {
		t.Fatalf("Terminate(drop within the period, below the minimum) = %s, %v", d.Status, err)
	}
}
