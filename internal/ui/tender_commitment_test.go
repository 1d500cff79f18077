package ui_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/jiedao-market/jiedao/internal/servertest"
	"github.com/jiedao-market/jiedao/internal/tender"
)

// The public notice shows the commitment to the bids once bidding has
// closed, and its "check my bid" form answers with the receipt's inclusion
// proof, verified; a malformed digest is 400 with the form's alert, writing
// nothing, and an unknown one is said so.
func TestPagesTenderCommitment(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t)
	tenderCast(t, e)
	svc := tenderService(t, e)
	v := openTender(t, e, svc, "南街社区居家养老服务（承诺测试）")
	serviceBid(t, e, svc, "demo-org", v, 40_000_000)
	serviceBid(t, e, svc, "demo-org3", v, 41_000_000)
	notice := fmt.Sprintf("/procurement/%d", v.ID)
	p := servertest.NewPageClient(e)
	wantNoBody(t, "the notice while bidding is open", p.Get(t, notice), `id="commitment"`)

	advanceTender(t, e, svc, v.ID, v.ClosesAt)
	cm, err := svc.BidCommitment(context.Background(), v.ID)
	if err != nil {
		t.Fatal(err)
	}
	r := p.Get(t, notice)
	wantStatus(t, "the notice after the close", r, http.StatusOK)
	wantBody(t, "the notice after the close", r, `id="commitment-count">2<`, cm.Root, `id="check-form"`, "核对我的投标")

	var digest string
	if err := e.DB.Raw(`SELECT digest FROM bids WHERE tender_id = ? AND organization_id = ? AND status = 'active'`, v.ID,
		e.ActorOf(t, "demo-org").Scope.OrganizationID).Scan(&digest).Error; err != nil {
		t.Fatal(err)
	}
	proof, err := svc.CommitmentProof(context.Background(), v.ID, digest)
	if err != nil {
		t.Fatal(err)
	}
	for _, who := range []*servertest.PageClient{p, servertest.SignIn(t, e, "demo-org"), servertest.SignIn(t, e, "demo-officer")} {
		r = who.Get(t, notice+"?digest="+strings.ToUpper(digest))
		wantStatus(t, "check my bid", r, http.StatusOK)
		wantBody(t, "check my bid", r, `id="check-verified"`, proof.AuditPath[0], `id="proof-size">2<`)
	}
	r = p.Get(t, notice+"?digest="+strings.Repeat("0", 64))
	wantStatus(t, "check an unknown digest", r, http.StatusOK)
	wantBody(t, "check an unknown digest", r, `id="check-unknown"`)
	wantNoBody(t, "check an unknown digest", r, `id="check-verified"`)
	for _, bad := range []string{"", "xyz", digest[:63]} {
		var got servertest.Response
		e.WritesNothing(t, "check a malformed digest", func() { got = p.Get(t, notice+"?digest="+bad) })
		wantFormAlert(t, "check the malformed digest "+bad, got, http.StatusBadRequest, "check-digest")
	}

	// A tender closed before commitments were kept says it has none.
	legacy := openTender(t, e, svc, "南街社区居家养老服务（无承诺）")
	if err := e.DB.Exec(`UPDATE tenders SET status = ? WHERE id = ?`, tender.StatusClosed, legacy.ID).Error; err != nil {
		t.Fatal(err)
	}
	wantBody(t, "the notice of a tender closed before commitments", p.Get(t, fmt.Sprintf("/procurement/%d", legacy.ID)), `id="commitment-none"`)
}

// An opening refused because the bids differ from the commitment reaches
// the officer's notifications page under its own kind.
func TestPagesOpeningRefusedNotification(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t)
	tenderCast(t, e)
	svc := tenderService(t, e)
	v := openTender(t, e, svc, "南街社区居家养老服务（拒绝开标）")
	serviceBid(t, e, svc, "demo-org", v, 40_000_000)
	serviceBid(t, e, svc, "demo-org3", v, 41_000_000)
	advanceTender(t, e, svc, v.ID, v.ClosesAt)
	tx := e.DB.Begin()
	for _, s := range []string{`ALTER TABLE bids DISABLE TRIGGER bids_seal_immutable`,
		fmt.Sprintf(`UPDATE bids SET status = 'withdrawn', ended_at = now() WHERE tender_id = %d AND organization_id = %d`, v.ID,
			e.ActorOf(t, "demo-org3").Scope.OrganizationID),
		`ALTER TABLE bids ENABLE TRIGGER bids_seal_immutable`} {
		if err := tx.Exec(s).Error; err != nil {
			tx.Rollback()
			t.Fatalf("tamper: %v", err)
		}
	}
	if err := tx.Commit().Error; err != nil {
		t.Fatal(err)
	}
	e.Clock.Set(v.OpensAt)
	if _, err := svc.Advance(context.Background(), v.ID); !errors.Is(err, tender.ErrCommitmentMismatch) {
		t.Fatalf("Advance() error = %v, want %v", err, tender.ErrCommitmentMismatch)
	}
	r := servertest.SignIn(t, e, "demo-officer").Get(t, "/notifications")
	wantBody(t, "the officer's notifications", r, "开标被拒绝", fmt.Sprintf(`href="/tenders/%d"`, v.ID))
}
