package tender_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/auth"
	"github.com/jiedao-market/jiedao/internal/money"
	"github.com/jiedao-market/jiedao/internal/org"
	"github.com/jiedao-market/jiedao/internal/tender"
)

// TestEligibility: an organization without a certification for the
// category, below the tender's grade, or suspended may neither bid nor ask.
func TestEligibility(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	w.freshOrgs(4)
	v := w.published(w.input(3))
	in := w.input(3)
	five := 5
	in.MinGrade = &five
	grade5 := w.published(in)
	in = w.input(3)
	eleven := 11
	in.MinSocialWorkers = &eleven
	staffed := w.published(in)

	district := w.actor("demo-district")
	o, err := org.CreateTx(w.db, w.admin, org.Input{CreditCode: creditCode(900), LegalName: "未认证社会组织", OrgType: org.SocialServiceInstitution,
		DistrictID: district.Scope.DistrictID, LegalRepresentative: "王五", ContactName: "赵六", ContactPhone: "0572-7654321",
		StaffCount: 30, CertifiedSocialWorkers: 10}, w.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	uncertified := w.newUser("uncertified-admin", access.OrgAdmin, auth.UserInput{OrganizationID: &o.ID})
	suspendedOrg, suspendedCert := w.orgs[2], w.orgs[3]
	if err := w.db.Exec(`UPDATE organizations SET status = 'suspended' WHERE id = ?`, suspendedOrg.Scope.OrganizationID).Error; err != nil {
		t.Fatal(err)
	}
	var certID int64
	if err := w.db.Raw(`SELECT id FROM certifications WHERE organization_id = ?`, suspendedCert.Scope.OrganizationID).Scan(&certID).Error; err != nil {
		t.Fatal(err)
	}
	if _, err := org.NewService(w.db, w.clock, org.Options{Argon2: cheapArgon}).Suspend(ctx, district, certID, "年检不合格"); err != nil {
		t.Fatalf("Suspend() error = %v", err)
	}

	tests := []struct {
		name     string
		by       access.Actor
		tenderID int64
		want     error
	}{
		{"certified at grade 4", w.orgs[0], v.ID, nil},
		{"no certification for the category", uncertified, v.ID, tender.ErrNotEligible},
		{"another category only (demo-org2)", w.actor("demo-org2"), v.ID, tender.ErrNotEligible},
		{"grade 4 below min_grade 5", w.orgs[1], grade5.ID, tender.ErrNotEligible},
		{"10 social workers below min_social_workers 11", w.orgs[1], staffed.ID, tender.ErrNotEligible},
		{"organization suspended", suspendedOrg, v.ID, tender.ErrNotEligible},
		{"certification suspended", suspendedCert, v.ID, tender.ErrNotEligible},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := w.svc.SubmitBid(ctx, tt.by, tt.tenderID, w.body(45_000_000, "方案")); !errors.Is(err, tt.want) {
				t.Errorf("SubmitBid() error = %v, want %v", err, tt.want)
			}
			if _, err := w.svc.Ask(ctx, tt.by, tt.tenderID, "服务范围是否包含助浴？"); !errors.Is(err, tt.want) {
				t.Errorf("Ask() error = %v, want %v", err, tt.want)
			}
			w.wantEligible(t, tt.by, tt.tenderID, tt.want == nil)
		})
	}
	if n := w.count(`SELECT count(*) FROM bids WHERE tender_id IN (?, ?, ?)`, v.ID, grade5.ID, staffed.ID); n != 1 {
		t.Errorf("bids stored = %d, want 1 (the eligible one)", n)
	}
	if _, err := w.svc.Eligible(ctx, w.officer, v.ID); !errors.Is(err, apperr.ErrForbidden) {
		t.Errorf("Eligible(officer) error = %v, want %v", err, apperr.ErrForbidden)
	}
	draft, err := w.svc.Create(ctx, w.officer, w.input(3))
	if err != nil {
		t.Fatalf("Create() error = %v", err)
	}
	if _, err := w.svc.Eligible(ctx, w.orgs[0], draft.ID); !errors.Is(err, apperr.ErrNotFound) {
		t.Errorf("Eligible(a draft) error = %v, want %v", err, apperr.ErrNotFound)
	}
}

// wantEligible fails unless Eligible and the list's Eligible filter both say
// whether by's organization may bid on the tender as want does.
func (w *world) wantEligible(t *testing.T, by access.Actor, tenderID int64, want bool) {
	t.Helper()
	ctx := context.Background()
	if got, err := w.svc.Eligible(ctx, by, tenderID); err != nil || got != want {
		t.Errorf("Eligible(%s, %d) = %v, %v; want %v", by.Username, tenderID, got, err, want)
	}
	list, err := w.svc.ListAll(ctx, by, tender.Filter{Eligible: true})
	if err != nil {
		t.Fatalf("ListAll(eligible) error = %v", err)
	}
	if listed := slices.ContainsFunc(list, func(s tender.Summary) bool { return s.ID == tenderID }); listed != want {
		t.Errorf("ListAll(%s, eligible) lists tender %d: %v, want %v", by.Username, tenderID, listed, want)
	}
}

// TestEligibilityAtOpening: eligibility is checked again at the opening; a
// bidder whose certification was suspended after bidding is not compliant.
func TestEligibilityAtOpening(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	w.freshOrgs(4)
	v := w.published(w.input(3))
	for i := range 4 {
		w.bid(w.orgs[i], v.ID, money.Fen(45_000_000+i*1_000_000))
	}
	var certID int64
	if err := w.db.Raw(`SELECT id FROM certifications WHERE organization_id = ?`, w.orgs[3].Scope.OrganizationID).Scan(&certID).Error; err != nil {
		t.Fatal(err)
	}
	if _, err := org.NewService(w.db, w.clock, org.Options{Argon2: cheapArgon}).Suspend(ctx, w.actor("demo-district"), certID, "投诉查实"); err != nil {
		t.Fatalf("Suspend() error = %v", err)
	}
	v = w.advanceTo(v.ID, v.OpensAt)
	rec, err := w.svc.OpeningRecord(ctx, w.orgs[0], v.ID)
	if err != nil {
		t.Fatal(err)
	}
	if v.Status != tender.StatusOpened || rec.CompliantCount != 3 {
		t.Fatalf("status %s, %d compliant, want opened with 3", v.Status, rec.CompliantCount)
	}
	for _, e := range rec.Bids {
		if e.OrganizationID != w.orgs[3].Scope.OrganizationID {
			continue
		}
		if e.Compliant || !slices.Equal(e.ComplianceReasons, []string{"not eligible at the opening"}) || e.PriceFen == nil {
			t.Errorf("suspended bidder at the opening: compliant %v reasons %v price %v, want not eligible with its price shown",
				e.Compliant, e.ComplianceReasons, e.PriceFen)
		}
	}
}

// TestInvitedAndSingleSource: an invited tender takes bids from invited
// organizations only; a single-source one needs a justification and exactly
// one organization.
func TestInvitedAndSingleSource(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	w.freshOrgs(4)
	ids := func(as ...access.Actor) *[]int64 {
		var out []int64
		for _, a := range as {
			out = append(out, a.Scope.OrganizationID)
		}
		return &out
	}
	method := func(m string) *string { return &m }

	invited := w.input(3)
	invited.PurchaseMethod, invited.InvitedOrgIDs = method("invited_tender"), ids(w.orgs[0], w.orgs[1], w.orgs[2])
	iv := w.published(invited)
	if _, err := w.svc.SubmitBid(ctx, w.orgs[3], iv.ID, w.body(45_000_000, "方案")); !errors.Is(err, tender.ErrNotEligible) {
		t.Errorf("SubmitBid(not invited) error = %v, want %v", err, tender.ErrNotEligible)
	}
	if _, err := w.svc.Ask(ctx, w.orgs[3], iv.ID, "能否参加？"); !errors.Is(err, tender.ErrNotEligible) {
		t.Errorf("Ask(not invited) error = %v, want %v", err, tender.ErrNotEligible)
	}
	w.wantEligible(t, w.orgs[3], iv.ID, false)
	w.wantEligible(t, w.orgs[0], iv.ID, true)
	w.bid(w.orgs[0], iv.ID, 45_000_000)

	refused := []struct {
		name  string
		edit  func(in *tender.Input)
		field string
	}{
		{"single source without justification", func(in *tender.Input) {
			in.PurchaseMethod, in.InvitedOrgIDs = method("single_source"), ids(w.orgs[0])
		}, "justification"},
		{"single source, blank justification", func(in *tender.Input) {
			j := "  "
			in.PurchaseMethod, in.InvitedOrgIDs, in.Justification = method("single_source"), ids(w.orgs[0]), &j
		}, "justification"},
		{"single source naming two", func(in *tender.Input) {
			j := "唯一具备资质的机构"
			in.PurchaseMethod, in.InvitedOrgIDs, in.Justification = method("single_source"), ids(w.orgs[0], w.orgs[1]), &j
		}, "invited_organization_ids"},
		{"single source naming none", func(in *tender.Input) {
			j := "唯一具备资质的机构"
			in.PurchaseMethod, in.Justification = method("single_source"), &j
		}, "invited_organization_ids"},
		{"invited naming none", func(in *tender.Input) { in.PurchaseMethod = method("invited_tender") }, "invited_organization_ids"},
		{"open tender naming organizations", func(in *tender.Input) { in.InvitedOrgIDs = ids(w.orgs[0]) }, "invited_organization_ids"},
	}
	for _, tt := range refused {
		in := w.input(3)
		tt.edit(&in)
		if _, err := w.svc.Create(ctx, w.officer, in); !slices.Contains(fieldsOf(err), tt.field) {
			t.Errorf("Create(%s) error = %v (fields %v), want one naming %s", tt.name, err, fieldsOf(err), tt.field)
		}
	}

	single := w.input(3)
	j := "该机构为辖区内唯一持有居家养老服务资质且已建成服务网点的组织"
	single.PurchaseMethod, single.InvitedOrgIDs, single.Justification = method("single_source"), ids(w.orgs[1]), &j
	sv := w.published(single)
	if sv.MinBids != 1 || sv.Justification != j {
		t.Errorf("single source: min_bids %d justification %q, want 1 and the justification", sv.MinBids, sv.Justification)
	}
	for _, o := range []access.Actor{w.orgs[0], w.orgs[2]} {
		if _, err := w.svc.SubmitBid(ctx, o, sv.ID, w.body(45_000_000, "方案")); !errors.Is(err, tender.ErrNotEligible) {
			t.Errorf("SubmitBid(%s on single source) error = %v, want %v", o.Username, err, tender.ErrNotEligible)
		}
	}
	w.bid(w.orgs[1], sv.ID, 49_000_000)
	if got := w.advanceTo(sv.ID, sv.OpensAt); got.Status != tender.StatusOpened {
		t.Errorf("single source with its one bid: status %s (%s), want opened", got.Status, got.StatusReason)
	}
}

// canary is bid content that must not be readable anywhere before the opening.
const (
	canaryPrice      = money.Fen(31_415_926)
	canaryProposal   = "CANARY-PROPOSAL-金丝雀-9f3b1c"
	canaryStaffing   = "CANARY-STAFFING-7a2e"
	canaryAttachment = "CANARY-ATTACHMENT-5d8c0e plain text"
)

// dump returns every row of every table of the database as text (bytea as
// hex), table by table.
func (w *world) dump() map[string]string {
	w.t.Helper()
	var tables []string
	if err := w.db.Raw(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1`).
		Scan(&tables).Error; err != nil {
		w.t.Fatal(err)
	}
	out := map[string]string{}
	for _, name := range tables {
		var text string
		if err := w.db.Raw(fmt.Sprintf(`SELECT coalesce(string_agg(t::text, E'\n'), '') FROM %q t`, name)).Scan(&text).Error; err != nil {
			w.t.Fatalf("dump %s: %v", name, err)
		}
		out[name] = text
	}
	return out
}

// TestSealedAtRest: before the opening no table holds any of a bid's
// content, in clear, hex or base64; after it the opened price is there.
func TestSealedAtRest(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	in := w.input(3)
	one := 1
	in.MinBids = &one
	v := w.published(in)
	body := w.body(canaryPrice, canaryProposal)
	body.StaffingPlan = canaryStaffing
	body.Attachments = []tender.Attachment{{Name: "plan.txt", Data: []byte(canaryAttachment)}}
	r, err := w.svc.SubmitBid(ctx, w.orgs[0], v.ID, body)
	if err != nil {
		t.Fatalf("SubmitBid() error = %v", err)
	}
	var needles []string
	for _, s := range []string{canaryPrice.Yuan(), fmt.Sprint(int64(canaryPrice)), canaryProposal, canaryStaffing, canaryAttachment} {
		b64 := base64.StdEncoding.EncodeToString([]byte(s))
		needles = append(needles, s, hex.EncodeToString([]byte(s)), b64, hex.EncodeToString([]byte(b64)))
	}
	var sealed []byte
	if err := w.db.Raw(`SELECT sealed FROM bids WHERE id = ?`, r.BidID).Row().Scan(&sealed); err != nil {
		t.Fatal(err)
	}
	for _, n := range needles {
		if bytes.Contains(sealed, []byte(n)) {
			t.Errorf("sealed body holds %q", n)
		}
	}
	w.advanceTo(v.ID, v.ClosesAt) // closed, not opened
	for table, text := range w.dump() {
		for _, n := range needles {
			if strings.Contains(text, n) {
				t.Errorf("before the opening table %s holds %q", table, n)
			}
		}
	}
	w.advanceTo(v.ID, v.OpensAt)
	after := w.dump()
	if !strings.Contains(after["bids"], fmt.Sprint(int64(canaryPrice))) || !strings.Contains(after["bids"], canaryProposal) {
		t.Errorf("after the opening the bids table lacks the price or proposal: the dump does not see what it looks for")
	}
}

// TestCopiedSealedBody: a sealed body copied onto another bid row, of another
// bidder or from another tender, does not open: the opening stops with
// ErrTampered and opens nothing, and the officer may cancel. Untouched, the
// bids open and their receipts are published with the opening record.
func TestCopiedSealedBody(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.freshOrgs(5)
	ctx := context.Background()
	for _, tt := range []struct {
		name string
		// from returns the bid whose row is copied for w.orgs[to], or 0.
		from func(receipts map[int]tender.Receipt, elsewhere tender.Receipt) int64
		to   int
	}{
		{"another bidder's body, same tender", func(r map[int]tender.Receipt, _ tender.Receipt) int64 { return r[0].BidID }, 3},
		{"the same bidder's body from another tender", func(_ map[int]tender.Receipt, e tender.Receipt) int64 { return e.BidID }, 4},
		{"nothing copied", func(map[int]tender.Receipt, tender.Receipt) int64 { return 0 }, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w.clock.Set(start)
			v := w.published(w.input(3))
			other := w.published(w.input(3))
			receipts := map[int]tender.Receipt{}
			for i := range 3 {
				receipts[i] = w.bid(w.orgs[i], v.ID, money.Fen(45_000_000+i*1_000_000))
			}
			elsewhere := w.bid(w.orgs[4], other.ID, 44_000_000)
			from := tt.from(receipts, elsewhere)
			if from != 0 {
				if err := w.db.Exec(`INSERT INTO bids (tender_id, organization_id, status, sealed, digest, seal_key_id, seal_version, received_at)
					SELECT ?, ?, 'active', sealed, digest, seal_key_id, seal_version, ? FROM bids WHERE id = ?`,
					v.ID, w.orgs[tt.to].Scope.OrganizationID, w.clock.Now(), from).Error; err != nil {
					t.Fatalf("copy sealed body: %v", err)
				}
			}
			w.clock.Set(v.OpensAt)
			_, err := w.svc.Advance(ctx, v.ID)
			defer func() {
				for _, id := range []int64{v.ID, other.ID} {
					if _, err := w.svc.Cancel(ctx, w.officer, id, "测试结束"); err != nil {
						t.Fatalf("Cancel() error = %v", err)
					}
				}
			}()
			if from != 0 {
				if !errors.Is(err, tender.ErrTampered) {
					t.Fatalf("Advance() error = %v, want %v", err, tender.ErrTampered)
				}
				if got := w.get(v.ID); got.Status != tender.StatusClosed || got.OpenedAt != nil {
					t.Errorf("status %s, opened at %v; want closed, not opened", got.Status, got.OpenedAt)
				}
				if n := w.count(`SELECT count(*) FROM bids WHERE tender_id = ? AND opened_at IS NOT NULL`, v.ID); n != 0 {
					t.Errorf("%d bids opened, want none", n)
				}
				return
			}
			if err != nil {
				t.Fatalf("Advance() error = %v", err)
			}
			rec, err := w.svc.OpeningRecord(ctx, w.officer, v.ID)
			if err != nil {
				t.Fatal(err)
			}
			if rec.Outcome != tender.StatusOpened || rec.CompliantCount != 3 || len(rec.Bids) != 3 {
				t.Fatalf("outcome %s, %d compliant of %d, want opened with 3 of 3", rec.Outcome, rec.CompliantCount, len(rec.Bids))
			}
			for _, e := range rec.Bids {
				i := slices.IndexFunc(w.orgs, func(o access.Actor) bool { return o.Scope.OrganizationID == e.OrganizationID })
				if r := receipts[i]; e.BidID != r.BidID || e.Digest != r.Digest || !e.ReceivedAt.Equal(r.ReceivedAt) || !e.Compliant {
					t.Errorf("opening record entry %+v, want the receipt %+v and compliant", e, r)
				}
			}
		})
	}
}

// TestAmendmentNeedsReconfirmation: an amendment with less than three days
// left moves the close to three days from now; the bids in then need a
// replacement to count at the opening.
func TestAmendmentNeedsReconfirmation(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	w.freshOrgs(4)
	in := w.input(3)
	two := 2
	in.MinBids = &two
	v := w.published(in)
	for i := range 3 {
		w.bid(w.orgs[i], v.ID, money.Fen(45_000_000+i*1_000_000))
	}
	oldClose, gap := v.ClosesAt, v.OpensAt.Sub(v.ClosesAt)

	w.clock.Set(oldClose.Add(-5 * 24 * time.Hour))
	desc := "补充：服务对象含失能老人"
	a1, err := w.svc.Amend(ctx, w.officer, v.ID, tender.AmendInput{Reason: "补充服务对象", Description: &desc})
	if err != nil {
		t.Fatalf("Amend() with 5 days left error = %v", err)
	}
	if !a1.ClosesAt.Equal(oldClose) {
		t.Errorf("Amend() with 5 days left moved the close to %v", a1.ClosesAt)
	}
	earlier := oldClose.Add(-time.Hour)
	if _, err := w.svc.Amend(ctx, w.officer, v.ID, tender.AmendInput{Reason: "提前截止", ClosesAt: &earlier}); !slices.Contains(fieldsOf(err), "closes_at") {
		t.Errorf("Amend(earlier close) error = %v, want one naming closes_at", err)
	}

	w.clock.Set(oldClose.Add(-2 * 24 * time.Hour))
	now := w.clock.Now()
	desc2 := "补充：服务时间含周末"
	a2, err := w.svc.Amend(ctx, w.officer, v.ID, tender.AmendInput{Reason: "补充服务时间", Description: &desc2})
	if err != nil {
		t.Fatalf("Amend() with 2 days left error = %v", err)
	}
	if want := now.AddDate(0, 0, 3); !a2.ClosesAt.Equal(want) || !a2.OpensAt.Equal(want.Add(gap)) {
		t.Errorf("Amend() with 2 days left: closes %v opens %v, want %v and %v", a2.ClosesAt, a2.OpensAt, want, want.Add(gap))
	}
	if len(a2.Amendments) != 2 || !a2.Amendments[1].OldClosesAt.Equal(oldClose) || !a2.Amendments[1].NewClosesAt.Equal(a2.ClosesAt) || a2.Description != desc2 {
		t.Errorf("amendments = %+v, want two, the second moving the close", a2.Amendments)
	}
	for i := range 3 {
		got, err := w.svc.Get(ctx, w.orgs[i], v.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.MyBid == nil || !got.MyBid.NeedsReconfirmation {
			t.Errorf("org %d bid = %+v, want needs_reconfirmation", i, got.MyBid)
		}
		if n := w.count(`SELECT count(*) FROM notifications WHERE tender_id = ? AND organization_id = ? AND kind = ?`,
			v.ID, w.orgs[i].Scope.OrganizationID, tender.KindAmendment); n < 2 {
			t.Errorf("amendment notifications to org %d = %d, want one per amendment", i, n)
		}
	}
	// Reconfirm by replacing; a new bidder comes in after the old close.
	w.clock.Set(oldClose.Add(time.Hour))
	w.bid(w.orgs[0], v.ID, 45_000_000)
	w.bid(w.orgs[3], v.ID, 48_000_000)
	got := w.advanceTo(v.ID, a2.OpensAt)
	rec, err := w.svc.OpeningRecord(ctx, w.officer, v.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != tender.StatusOpened || rec.CompliantCount != 2 {
		t.Fatalf("status %s (%s), %d compliant, want opened with 2", got.Status, got.StatusReason, rec.CompliantCount)
	}
	for _, e := range rec.Bids {
		i := slices.IndexFunc(w.orgs, func(o access.Actor) bool { return o.Scope.OrganizationID == e.OrganizationID })
		var want []string
		if i == 1 || i == 2 {
			want = []string{"not reconfirmed after an amendment"}
		}
		if e.Compliant != (want == nil) || !slices.Equal(e.ComplianceReasons, nonNilStrings(want)) {
			t.Errorf("org %d at the opening: compliant %v reasons %v, want reasons %v", i, e.Compliant, e.ComplianceReasons, want)
		}
	}
	if _, err := w.svc.Amend(ctx, w.officer, v.ID, tender.AmendInput{Reason: "太晚了", Description: &desc}); !errors.Is(err, tender.ErrNotPublished) {
		t.Errorf("Amend() after the opening error = %v, want %v", err, tender.ErrNotPublished)
	}
}

// TestEligibilityUsesTheVerifiedSocialWorkers: an organization that raises
// its declared number of certified social workers after its certification
// does not become eligible for a tender asking for more: the district's
// verified figure bounds it.
func TestEligibilityUsesTheVerifiedSocialWorkers(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	w.freshOrgs(2)
	in := w.input(3)
	eleven := 11
	in.MinSocialWorkers = &eleven
	staffed := w.published(in)
	by := w.orgs[1] // certified with 10 social workers declared
	w.wantEligible(t, by, staffed.ID, false)
	svc := org.NewService(w.db, w.clock, org.Options{Argon2: cheapArgon})
	if _, err := svc.Edit(ctx, by, by.Scope.OrganizationID, func(in *org.Input) { in.CertifiedSocialWorkers = 12 }); err != nil {
		t.Fatalf("Edit(12 social workers) error = %v", err)
	}
	w.wantEligible(t, by, staffed.ID, false)
	if _, err := w.svc.SubmitBid(ctx, by, staffed.ID, w.body(45_000_000, "方案")); !errors.Is(err, tender.ErrNotEligible) {
		t.Errorf("SubmitBid() after declaring 12 social workers error = %v, want %v", err, tender.ErrNotEligible)
	}
}
