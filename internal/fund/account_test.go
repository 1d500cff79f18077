package fund_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/apperr/apperrtest"
	"github.com/jiedao-market/jiedao/internal/fund"
	"github.com/jiedao-market/jiedao/internal/money"
)

func TestCreateAccount(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()

	v, err := w.svc.CreateAccount(ctx, w.financeA, fund.AccountInput{FiscalYear: 2026, Source: "fiscal_budget",
		Name: "  2026年度街道购买服务预算 ", Categories: []string{"LEGAL_AID", "ELDERLY_HOME_CARE", "LEGAL_AID"}, AcceptsDonations: true})
	if err != nil {
		t.Fatalf("CreateAccount() error = %v", err)
	}
	want := fund.View{
		Account: fund.Account{ID: v.ID, SubdistrictID: w.a.ID, FiscalYear: 2026, Source: "fiscal_budget", Name: "2026年度街道购买服务预算",
			AcceptsDonations: true, CreatedBy: &w.financeA.UserID, CreatedAt: start, UpdatedAt: start},
		Categories: []string{"ELDERLY_HOME_CARE", "LEGAL_AID"},
		Balances:   map[string]money.Fen{fund.Available: 0, fund.Reserved: 0, fund.Encumbered: 0, fund.Payable: 0, fund.Paid: 0},
	}
	if diff := cmp.Diff(want, v); diff != "" {
		t.Errorf("CreateAccount() mismatch (-want +got):\n%s", diff)
	}
	// Six ledger accounts, the source among them, all at zero.
	var kinds []string
	if err := w.db.Raw(`SELECT kind FROM ledger_accounts WHERE fund_account_id = ? AND balance = 0 ORDER BY id`, v.ID).Scan(&kinds).Error; err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(fund.Kinds, kinds); diff != "" {
		t.Errorf("ledger accounts at zero mismatch (-want +got):\n%s", diff)
	}
	if n := w.count(t, `SELECT count(*) FROM audit_entries WHERE action = 'fund.create' AND entity_type = 'fund_account'
		AND entity_id = ? AND actor_id = ? AND actor_role = 'finance_officer'`, fmt.Sprint(v.ID), w.financeA.UserID); n != 1 {
		t.Errorf("fund.create audit entries = %d, want 1", n)
	}
	got, err := w.svc.Get(ctx, w.financeA, v.ID)
	if err != nil {
		t.Fatalf("Get() error = %v", err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Get() mismatch (-want +got):\n%s", diff)
	}

	t.Run("other roles are forbidden", func(t *testing.T) {
		for _, by := range []access.Actor{w.procurementA, w.adminD, platform, w.evaluatorD, w.orgAdmin, w.resident} {
			before := w.snapshot(t)
			_, err := w.svc.CreateAccount(ctx, by, fund.AccountInput{FiscalYear: 2026, Source: "welfare_lottery", Name: "福彩公益金",
				Categories: []string{"ELDERLY_HOME_CARE"}})
			apperrtest.WantErr(t, "CreateAccount() by "+string(by.Role), err, apperr.ErrForbidden)
			w.unchanged(t, "CreateAccount() by "+string(by.Role), before)
		}
	})

	t.Run("validation names the fields", func(t *testing.T) {
		valid := func() fund.AccountInput {
			return fund.AccountInput{FiscalYear: 2026, Source: "social_donations", Name: "慈善捐赠", Categories: []string{"CHARITY_SUPERMARKET"}}
		}
		seventeen := make([]string, 17)
		for i := range seventeen {
			seventeen[i] = fmt.Sprintf("CATEGORY_%c", 'A'+i)
		}
		for _, tc := range []struct {
			name   string
			edit   func(*fund.AccountInput)
			fields []string
		}{
			{"year 1999", func(in *fund.AccountInput) { in.FiscalYear = 1999 }, []string{"fiscal_year"}},
			{"year 2101", func(in *fund.AccountInput) { in.FiscalYear = 2101 }, []string{"fiscal_year"}},
			{"unknown source", func(in *fund.AccountInput) { in.Source = "lottery" }, []string{"source"}},
			{"blank name", func(in *fund.AccountInput) { in.Name = " \t " }, []string{"name"}},
			{"name of 201 bytes", func(in *fund.AccountInput) { in.Name = strings.Repeat("a", 201) }, []string{"name"}},
			{"no categories", func(in *fund.AccountInput) { in.Categories = nil }, []string{"categories"}},
			{"17 categories", func(in *fund.AccountInput) { in.Categories = seventeen }, []string{"categories"}},
			{"everything", func(in *fund.AccountInput) { *in = fund.AccountInput{} }, []string{"categories", "fiscal_year", "name", "source"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				in := valid()
				tc.edit(&in)
				before := w.snapshot(t)
				_, err := w.svc.CreateAccount(ctx, w.financeA, in)
				apperrtest.WantInvalid(t, err, tc.fields...)
				w.unchanged(t, "CreateAccount("+tc.name+")", before)
			})
		}
		// The limits themselves are accepted.
		in := valid()
		in.FiscalYear, in.Name = 2100, strings.Repeat("a", 200)
		in.Categories = []string{"ELDERLY_HOME_CARE", "ELDERLY_DAY_CARE", "ELDERLY_APARTMENT", "DISABILITY_SUPPORT", "SOCIAL_ASSISTANCE",
			"CHARITY_SUPERMARKET", "VOLUNTEER_SERVICE", "YOUTH_GUIDANCE", "LEGAL_AID", "CIVIL_MEDIATION", "EMPLOYMENT_SERVICE",
			"COMMUNITY_EDUCATION", "CULTURE_SPORTS", "COMMUNITY_HEALTH", "SOCIAL_WORK_STATION", "SERVICE_HOTLINE"}
		if v, err := w.svc.CreateAccount(ctx, w.financeA, in); err != nil || len(v.Categories) != 16 {
			t.Errorf("CreateAccount(at the limits) = %d categories, %v; want 16, nil", len(v.Categories), err)
		}
	})

	t.Run("duplicate", func(t *testing.T) {
		before := w.snapshot(t)
		_, err := w.svc.CreateAccount(ctx, w.financeA2, fund.AccountInput{FiscalYear: 2026, Source: "fiscal_budget",
			Name: "2026年度街道购买服务预算", Categories: []string{"CULTURE_SPORTS"}})
		apperrtest.WantErr(t, "CreateAccount(same subdistrict, year, source, name)", err, fund.ErrDuplicateAccount)
		w.unchanged(t, "duplicate CreateAccount()", before)
		// Another year, another source or another subdistrict is another account.
		w.account(t, w.financeA, 2027, "fiscal_budget", "2026年度街道购买服务预算", "CULTURE_SPORTS")
		w.account(t, w.financeA, 2026, "welfare_lottery", "2026年度街道购买服务预算", "CULTURE_SPORTS")
		other := w.account(t, w.financeB, 2026, "fiscal_budget", "2026年度街道购买服务预算", "CULTURE_SPORTS")
		if other.SubdistrictID != w.b.ID {
			t.Errorf("finance officer B's account is in subdistrict %d, want %d", other.SubdistrictID, w.b.ID)
		}
	})

	t.Run("unknown category", func(t *testing.T) {
		before := w.snapshot(t)
		_, err := w.svc.CreateAccount(ctx, w.financeA, fund.AccountInput{FiscalYear: 2026, Source: "special_development",
			Name: "专项发展基金", Categories: []string{"ELDERLY_HOME_CARE", "ASTROLOGY"}})
		apperrtest.WantInvalid(t, err, "categories")
		w.unchanged(t, "CreateAccount(unknown category)", before)
	})
}

func TestAccountScope(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	fa := w.account(t, w.financeA, 2026, "fiscal_budget", "月河街道预算", "ELDERLY_HOME_CARE")
	fb := w.account(t, w.financeB, 2026, "fiscal_budget", "朝阳街道预算", "ELDERLY_HOME_CARE")
	fc := w.account(t, w.financeC, 2025, "fiscal_budget", "南浔镇预算", "ELDERLY_HOME_CARE")

	for _, tc := range []struct {
		name string
		by   access.Actor
		want []int64
	}{
		{"finance officer A", w.financeA, []int64{fa.ID}},
		{"procurement officer A", w.procurementA, []int64{fa.ID}},
		{"finance officer B", w.financeB, []int64{fb.ID}},
		{"district admin D", w.adminD, []int64{fa.ID, fb.ID}},
		{"district admin E", w.adminE, []int64{fc.ID}},
		{"platform admin", platform, []int64{fa.ID, fb.ID, fc.ID}},
		{"evaluator", w.evaluatorD, nil},
		{"org admin", w.orgAdmin, nil},
		{"resident", w.resident, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			list, err := w.svc.List(ctx, tc.by)
			if err != nil {
				t.Fatalf("List() error = %v", err)
			}
			var got []int64
			for _, v := range list {
				got = append(got, v.ID)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("List() ids mismatch (-want +got):\n%s", diff)
			}
			for _, id := range []int64{fa.ID, fb.ID, fc.ID} {
				_, err := w.svc.Get(ctx, tc.by, id)
				visible := false
				for _, v := range tc.want {
					visible = visible || v == id
				}
				if visible && err != nil {
					t.Errorf("Get(%d) error = %v, want nil", id, err)
				}
				if !visible {
					apperrtest.WantErr(t, fmt.Sprintf("Get(%d)", id), err, apperr.ErrNotFound)
				}
			}
		})
	}
}

func TestAppropriate(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	f := w.account(t, w.financeA, 2026, "fiscal_budget", "月河街道预算", "ELDERLY_HOME_CARE")
	in := fund.AppropriationInput{Amount: 50_000_000, DocumentRef: " 湖财预〔2026〕12号 ", Memo: "第一批", IdempotencyKey: "req-7f3a"}

	p, err := w.svc.Appropriate(ctx, w.financeA, f.ID, in)
	if err != nil {
		t.Fatalf("Appropriate() error = %v", err)
	}
	if p.ID == 0 || p.Kind != "appropriation" || p.FundAccountID != f.ID || p.DocumentRef != "湖财预〔2026〕12号" || p.Memo != "第一批" ||
		p.ReferenceType != "appropriation" || p.ReversesID != nil || p.CreatedBy == nil || *p.CreatedBy != w.financeA.UserID {
		t.Errorf("Appropriate() = %+v", p)
	}
	wantLines := []fund.Line{{Account: fund.Source, Amount: -50_000_000}, {Account: fund.Available, Amount: 50_000_000}}
	if diff := cmp.Diff(wantLines, p.Lines); diff != "" {
		t.Errorf("Appropriate() lines mismatch (-want +got):\n%s", diff)
	}
	v, err := w.svc.Get(ctx, w.financeA, f.ID)
	if err != nil || v.Balances["available"] != 50_000_000 {
		t.Errorf("Get() available = %d, %v; want 50000000", v.Balances["available"], err)
	}

	t.Run("the same key posts once", func(t *testing.T) {
		again, err := w.svc.Appropriate(ctx, w.financeA, f.ID, in)
		if err != nil || again.ID != p.ID {
			t.Errorf("Appropriate(again) = posting %d, %v; want posting %d", again.ID, err, p.ID)
		}
		if n := w.postings(t, f.ID); n != 1 {
			t.Errorf("postings = %d, want 1", n)
		}
		if n := w.count(t, `SELECT count(*) FROM ledger_lines`); n != 2 {
			t.Errorf("ledger lines = %d, want 2", n)
		}
		if n := w.audited(t, "ledger.appropriation"); n != 1 {
			t.Errorf("ledger.appropriation audit entries = %d, want 1", n)
		}
		if b := w.balances(t, f.ID); b[fund.Available] != 50_000_000 || b[fund.Source] != -50_000_000 {
			t.Errorf("balances = %v, want available 50000000 and source -50000000", b)
		}
		// The same key with another amount is refused, not posted.
		before := w.snapshot(t)
		other := in
		other.Amount = 60_000_000
		_, err = w.svc.Appropriate(ctx, w.financeA, f.ID, other)
		apperrtest.WantErr(t, "Appropriate(same key, other amount)", err, fund.ErrKeyReused)
		w.unchanged(t, "Appropriate(same key, other amount)", before)
		// Another key posts again.
		second := w.appropriate(t, w.financeA2, f.ID, 1, "req-8b1c")
		if second.ID == p.ID || w.balances(t, f.ID)[fund.Available] != 50_000_001 {
			t.Errorf("Appropriate(another key) = posting %d, balances %v", second.ID, w.balances(t, f.ID))
		}
	})

	// Fields are named as in the API's request (amount_fen, not amount).
	t.Run("validation names the fields", func(t *testing.T) {
		for _, tc := range []struct {
			name   string
			edit   func(*fund.AppropriationInput)
			fields []string
		}{
			{"zero amount", func(in *fund.AppropriationInput) { in.Amount = 0 }, []string{"amount_fen"}},
			{"negative amount", func(in *fund.AppropriationInput) { in.Amount = -100 }, []string{"amount_fen"}},
			{"over 1,000,000,000.00", func(in *fund.AppropriationInput) { in.Amount = 100_000_000_001 }, []string{"amount_fen"}},
			{"no document_ref", func(in *fund.AppropriationInput) { in.DocumentRef = "  " }, []string{"document_ref"}},
			{"document_ref of 201 bytes", func(in *fund.AppropriationInput) { in.DocumentRef = strings.Repeat("x", 201) }, []string{"document_ref"}},
			{"memo of 1001 bytes", func(in *fund.AppropriationInput) { in.Memo = strings.Repeat("x", 1001) }, []string{"memo"}},
			{"no idempotency_key", func(in *fund.AppropriationInput) { in.IdempotencyKey = "" }, []string{"idempotency_key"}},
			{"idempotency_key of 101 bytes", func(in *fund.AppropriationInput) { in.IdempotencyKey = strings.Repeat("k", 101) }, []string{"idempotency_key"}},
			{"nothing", func(in *fund.AppropriationInput) { *in = fund.AppropriationInput{} }, []string{"amount_fen", "document_ref", "idempotency_key"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				bad := in
				bad.IdempotencyKey = "validation-" + tc.name
				tc.edit(&bad)
				before := w.snapshot(t)
				_, err := w.svc.Appropriate(ctx, w.financeA, f.ID, bad)
				apperrtest.WantInvalid(t, err, tc.fields...)
				w.unchanged(t, "Appropriate("+tc.name+")", before)
			})
		}
		// The limits themselves are accepted.
		limit := fund.AppropriationInput{Amount: 100_000_000_000, DocumentRef: strings.Repeat("x", 200), IdempotencyKey: strings.Repeat("k", 100)}
		if _, err := w.svc.Appropriate(ctx, w.financeA, f.ID, limit); err != nil {
			t.Errorf("Appropriate(at the limits) error = %v", err)
		}
	})

	t.Run("who may appropriate", func(t *testing.T) {
		fb := w.account(t, w.financeB, 2026, "fiscal_budget", "朝阳街道预算", "ELDERLY_HOME_CARE")
		for _, tc := range []struct {
			name string
			by   access.Actor
			id   int64
			want error
		}{
			{"procurement officer of A", w.procurementA, f.ID, apperr.ErrForbidden},
			{"district admin", w.adminD, f.ID, apperr.ErrForbidden},
			{"platform admin", platform, f.ID, apperr.ErrForbidden},
			{"finance officer of B on A's fund", w.financeB, f.ID, apperr.ErrNotFound},
			{"finance officer of A on B's fund", w.financeA, fb.ID, apperr.ErrNotFound},
			{"finance officer of A on no fund", w.financeA, fb.ID + 1000, apperr.ErrNotFound},
		} {
			t.Run(tc.name, func(t *testing.T) {
				before := w.snapshot(t)
				_, err := w.svc.Appropriate(ctx, tc.by, tc.id, fund.AppropriationInput{Amount: 100, DocumentRef: "doc", IdempotencyKey: "who-" + tc.name})
				apperrtest.WantErr(t, "Appropriate()", err, tc.want)
				w.unchanged(t, "Appropriate() by "+tc.name, before)
			})
		}
	})
}

func TestCorrect(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	f := w.account(t, w.financeA, 2026, "fiscal_budget", "月河街道预算", "ELDERLY_HOME_CARE")
	fb := w.account(t, w.financeB, 2026, "fiscal_budget", "朝阳街道预算", "ELDERLY_HOME_CARE")
	wrong := w.appropriate(t, w.financeA, f.ID, 1_000_000, "first")
	kept := w.appropriate(t, w.financeA, f.ID, 300_000, "second")
	otherFund := w.appropriate(t, w.financeB, fb.ID, 500, "b-first")

	t.Run("refused before anything", func(t *testing.T) {
		for _, tc := range []struct {
			name          string
			by            access.Actor
			fund, posting int64
			reason        string
			want          error
		}{
			{"procurement officer", w.procurementA, f.ID, wrong.ID, "错账", apperr.ErrForbidden},
			{"finance officer of B", w.financeB, f.ID, wrong.ID, "错账", apperr.ErrNotFound},
			{"another fund's posting", w.financeA, f.ID, otherFund.ID, "错账", apperr.ErrNotFound},
			{"no such posting", w.financeA, f.ID, otherFund.ID + 1000, "错账", apperr.ErrNotFound},
		} {
			t.Run(tc.name, func(t *testing.T) {
				before := w.snapshot(t)
				_, err := w.svc.Correct(ctx, tc.by, tc.fund, tc.posting, tc.reason)
				apperrtest.WantErr(t, "Correct()", err, tc.want)
				w.unchanged(t, "Correct() "+tc.name, before)
			})
		}
		before := w.snapshot(t)
		_, err := w.svc.Correct(ctx, w.financeA, f.ID, wrong.ID, "  ")
		apperrtest.WantInvalid(t, err, "reason")
		_, err = w.svc.Correct(ctx, w.financeA, f.ID, wrong.ID, strings.Repeat("x", 1001))
		apperrtest.WantInvalid(t, err, "reason")
		w.unchanged(t, "Correct(bad reason)", before)
	})

	c, err := w.svc.Correct(ctx, w.financeA2, f.ID, wrong.ID, "拨款文号录错")
	if err != nil {
		t.Fatalf("Correct() error = %v", err)
	}
	if c.Kind != "correction" || c.ReversesID == nil || *c.ReversesID != wrong.ID || c.Memo != "拨款文号录错" || c.DocumentRef != wrong.DocumentRef ||
		c.CreatedBy == nil || *c.CreatedBy != w.financeA2.UserID {
		t.Errorf("Correct() = %+v, want a correction reversing %d", c, wrong.ID)
	}
	if diff := cmp.Diff([]fund.Line{{Account: fund.Source, Amount: 1_000_000}, {Account: fund.Available, Amount: -1_000_000}}, c.Lines); diff != "" {
		t.Errorf("Correct() lines mismatch (-want +got):\n%s", diff)
	}
	if b := w.balances(t, f.ID); b[fund.Available] != 300_000 || b[fund.Source] != -300_000 {
		t.Errorf("balances after Correct() = %v, want available 300000 and source -300000", b)
	}
	if n := w.audited(t, "ledger.correction"); n != 1 {
		t.Errorf("ledger.correction audit entries = %d, want 1", n)
	}
	// The original stays as it was.
	list, err := w.svc.Postings(ctx, w.financeA, f.ID, fund.PostingFilter{})
	if err != nil {
		t.Fatalf("Postings() error = %v", err)
	}
	if len(list) != 3 || list[0].ID != c.ID || list[2].ID != wrong.ID {
		t.Fatalf("Postings() = %+v, want the correction, the second and the first appropriation", list)
	}
	if diff := cmp.Diff(wrong, list[2], cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".CreatedAt" }, cmp.Ignore())); diff != "" {
		t.Errorf("original posting changed (-want +got):\n%s", diff)
	}

	t.Run("twice", func(t *testing.T) {
		before := w.snapshot(t)
		_, err := w.svc.Correct(ctx, w.financeA, f.ID, wrong.ID, "再冲一次")
		apperrtest.WantErr(t, "Correct(again)", err, fund.ErrNotCorrectable)
		_, err = w.svc.Correct(ctx, w.financeA, f.ID, c.ID, "冲销冲销")
		apperrtest.WantErr(t, "Correct(the correction)", err, fund.ErrNotCorrectable)
		w.unchanged(t, "Correct(twice)", before)
	})

	t.Run("only appropriations and donations", func(t *testing.T) {
		r := w.mustMove(t, "Reserve()", func(tx *gorm.DB) (fund.Posting, error) {
			return fund.Reserve(tx, w.procurementA, f.ID, "ELDERLY_HOME_CARE", 200_000, fund.Ref{Type: "tender", ID: "T-1"})
		})
		before := w.snapshot(t)
		_, err := w.svc.Correct(ctx, w.financeA, f.ID, r.ID, "取消")
		apperrtest.WantErr(t, "Correct(a reservation)", err, fund.ErrNotCorrectable)
		w.unchanged(t, "Correct(a reservation)", before)
	})

	t.Run("the money was reserved meanwhile", func(t *testing.T) {
		// 300,000 came in; 200,000 of it is reserved: the correction would
		// take available to -200,000.
		if b := w.balances(t, f.ID); b[fund.Available] != 100_000 || b[fund.Reserved] != 200_000 {
			t.Fatalf("balances = %v, want available 100000 and reserved 200000", b)
		}
		before := w.snapshot(t)
		_, err := w.svc.Correct(ctx, w.financeA, f.ID, kept.ID, "金额有误")
		apperrtest.WantErr(t, "Correct(reserved money)", err, fund.ErrInsufficient)
		w.unchanged(t, "Correct(reserved money)", before)
		if n := w.count(t, `SELECT count(*) FROM ledger_postings WHERE reverses_id = ?`, kept.ID); n != 0 {
			t.Errorf("corrections of %d = %d, want 0", kept.ID, n)
		}
	})
}

// TestPostingsTakeTheClocksTime: a posting is dated by the service's clock,
// like everything else the service writes, so that postings filtered by date
// (the ledger view, its CSV export) agree with the dates the service reports.
func TestPostingsTakeTheClocksTime(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	f := w.account(t, w.financeA, 2026, "fiscal_budget", "月河街道预算", "ELDERLY_HOME_CARE")
	first := w.appropriate(t, w.financeA, f.ID, 1_000_000, "first")
	w.clock.Advance(48 * time.Hour)
	second := w.appropriate(t, w.financeA, f.ID, 2_000_000, "second")
	if !first.CreatedAt.Equal(start) || !second.CreatedAt.Equal(start.Add(48*time.Hour)) {
		t.Errorf("postings created at %v and %v, want %v and %v", first.CreatedAt, second.CreatedAt, start, start.Add(48*time.Hour))
	}
	for _, tc := range []struct {
		name string
		f    fund.PostingFilter
		want []int64
	}{
		{"from the day after", fund.PostingFilter{From: start.Add(24 * time.Hour)}, []int64{second.ID}},
		{"until the day after", fund.PostingFilter{Until: start.Add(24 * time.Hour)}, []int64{first.ID}},
	} {
		list, err := w.svc.Postings(ctx, w.financeA, f.ID, tc.f)
		if err != nil {
			t.Fatalf("Postings(%s) error = %v", tc.name, err)
		}
		var got []int64
		for _, p := range list {
			got = append(got, p.ID)
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("Postings(%s) ids mismatch (-want +got):\n%s", tc.name, diff)
		}
	}
}
