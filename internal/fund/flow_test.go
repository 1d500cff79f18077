package fund_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/apperr/apperrtest"
	"github.com/jiedao-market/jiedao/internal/fund"
	"github.com/jiedao-market/jiedao/internal/money"
)

// TestFlowsMoveExactFen follows WORKED_EXAMPLES §4 through the ledger: a
// tender reserves 500,000.00, the contract is signed at 450,000.00 (exactly
// that is encumbered; the tender returns the 50,000.00 left once its last
// contract is signed), an amendment raises it and another cuts it, milestones of 30 / 40 / 30 % are paid, the second at factor 0.90,
// and at the close the 18,000.00 left encumbered returns. Every movement is
// retried with its Ref (one posting) and with its Ref and another amount
// (ErrKeyReused, nothing written).
func TestFlowsMoveExactFen(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	f := w.account(t, w.financeA, 2026, "fiscal_budget", "月河街道预算", "ELDERLY_HOME_CARE", "LEGAL_AID")
	w.appropriate(t, w.financeA, f.ID, 100_000_000, "budget-2026")
	by := w.procurementA
	tender := fund.Ref{Type: "tender", ID: "17"}
	contract := fund.Ref{Type: "contract", ID: "9"}
	milestone := func(id string) fund.Ref { return fund.Ref{Type: "milestone", ID: id} }
	payout := func(id string) fund.Ref { return fund.Ref{Type: "payout", ID: id} }

	type balances struct{ available, reserved, encumbered, payable, paid money.Fen }
	for _, step := range []struct {
		name  string
		kind  string
		ref   fund.Ref
		do    func(tx *gorm.DB, amount money.Fen) (fund.Posting, error)
		amt   money.Fen
		lines []fund.Line
		want  balances
	}{
		{"reserve 500,000.00 for the tender", "reserve", tender,
			func(tx *gorm.DB, a money.Fen) (fund.Posting, error) {
				return fund.Reserve(tx, by, f.ID, "ELDERLY_HOME_CARE", a, tender)
			}, 50_000_000,
			[]fund.Line{{Account: fund.Available, Amount: -50_000_000}, {Account: fund.Reserved, Amount: 50_000_000}},
			balances{available: 50_000_000, reserved: 50_000_000}},
		{"sign the contract at 450,000.00", "encumber", contract,
			func(tx *gorm.DB, a money.Fen) (fund.Posting, error) {
				return fund.Encumber(tx, by, f.ID, a, contract)
			}, 45_000_000,
			[]fund.Line{{Account: fund.Reserved, Amount: -45_000_000}, {Account: fund.Encumbered, Amount: 45_000_000}},
			balances{available: 50_000_000, reserved: 5_000_000, encumbered: 45_000_000}},
		{"the tender's last contract signed: the 50,000.00 left of the reservation returns", "release", fund.Ref{Type: "tender", ID: "17/remainder"},
			func(tx *gorm.DB, a money.Fen) (fund.Posting, error) {
				return fund.Release(tx, by, f.ID, a, fund.Ref{Type: "tender", ID: "17/remainder"})
			}, 5_000_000,
			[]fund.Line{{Account: fund.Reserved, Amount: -5_000_000}, {Account: fund.Available, Amount: 5_000_000}},
			balances{available: 55_000_000, encumbered: 45_000_000}},
		{"an amendment raises the contract by 20,000.00 out of available money", "encumber", fund.Ref{Type: "contract", ID: "9/v2"},
			func(tx *gorm.DB, a money.Fen) (fund.Posting, error) {
				return fund.EncumberMore(tx, by, f.ID, a, fund.Ref{Type: "contract", ID: "9/v2"})
			}, 2_000_000,
			[]fund.Line{{Account: fund.Available, Amount: -2_000_000}, {Account: fund.Encumbered, Amount: 2_000_000}},
			balances{available: 53_000_000, encumbered: 47_000_000}},
		{"another amendment cuts it by the same 20,000.00", "return_encumbrance", fund.Ref{Type: "contract", ID: "9/v3"},
			func(tx *gorm.DB, a money.Fen) (fund.Posting, error) {
				return fund.ReturnEncumbrance(tx, by, f.ID, a, fund.Ref{Type: "contract", ID: "9/v3"})
			}, 2_000_000,
			[]fund.Line{{Account: fund.Encumbered, Amount: -2_000_000}, {Account: fund.Available, Amount: 2_000_000}},
			balances{available: 55_000_000, encumbered: 45_000_000}},
		{"milestone 1 approved: 135,000.00", "payable", milestone("1"),
			func(tx *gorm.DB, a money.Fen) (fund.Posting, error) {
				return fund.MakePayable(tx, w.financeA, f.ID, a, milestone("1"))
			}, 13_500_000,
			[]fund.Line{{Account: fund.Encumbered, Amount: -13_500_000}, {Account: fund.Payable, Amount: 13_500_000}},
			balances{available: 55_000_000, encumbered: 31_500_000, payable: 13_500_000}},
		{"milestone 1 paid", "paid", payout("1"),
			func(tx *gorm.DB, a money.Fen) (fund.Posting, error) {
				return fund.MarkPaid(tx, w.financeA, f.ID, a, payout("1"))
			}, 13_500_000,
			[]fund.Line{{Account: fund.Payable, Amount: -13_500_000}, {Account: fund.Paid, Amount: 13_500_000}},
			balances{available: 55_000_000, encumbered: 31_500_000, paid: 13_500_000}},
		{"milestone 2 approved at factor 0.90: 162,000.00 of 180,000.00", "payable", milestone("2"),
			func(tx *gorm.DB, a money.Fen) (fund.Posting, error) {
				return fund.MakePayable(tx, w.financeA, f.ID, a, milestone("2"))
			}, 16_200_000,
			[]fund.Line{{Account: fund.Encumbered, Amount: -16_200_000}, {Account: fund.Payable, Amount: 16_200_000}},
			balances{available: 55_000_000, encumbered: 15_300_000, payable: 16_200_000, paid: 13_500_000}},
		{"milestone 2 paid", "paid", payout("2"),
			func(tx *gorm.DB, a money.Fen) (fund.Posting, error) {
				return fund.MarkPaid(tx, w.financeA, f.ID, a, payout("2"))
			}, 16_200_000,
			[]fund.Line{{Account: fund.Payable, Amount: -16_200_000}, {Account: fund.Paid, Amount: 16_200_000}},
			balances{available: 55_000_000, encumbered: 15_300_000, paid: 29_700_000}},
		{"milestone 3 approved: 135,000.00", "payable", milestone("3"),
			func(tx *gorm.DB, a money.Fen) (fund.Posting, error) {
				return fund.MakePayable(tx, w.financeA, f.ID, a, milestone("3"))
			}, 13_500_000,
			[]fund.Line{{Account: fund.Encumbered, Amount: -13_500_000}, {Account: fund.Payable, Amount: 13_500_000}},
			balances{available: 55_000_000, encumbered: 1_800_000, payable: 13_500_000, paid: 29_700_000}},
		{"milestone 3 paid", "paid", payout("3"),
			func(tx *gorm.DB, a money.Fen) (fund.Posting, error) {
				return fund.MarkPaid(tx, w.financeA, f.ID, a, payout("3"))
			}, 13_500_000,
			[]fund.Line{{Account: fund.Payable, Amount: -13_500_000}, {Account: fund.Paid, Amount: 13_500_000}},
			balances{available: 55_000_000, encumbered: 1_800_000, paid: 43_200_000}},
		{"contract closed: 18,000.00 returns", "return_encumbrance", contract,
			func(tx *gorm.DB, a money.Fen) (fund.Posting, error) {
				return fund.ReturnEncumbrance(tx, w.financeA, f.ID, a, contract)
			}, 1_800_000,
			[]fund.Line{{Account: fund.Encumbered, Amount: -1_800_000}, {Account: fund.Available, Amount: 1_800_000}},
			balances{available: 56_800_000, paid: 43_200_000}},
		{"a second tender reserves 300,000.00", "reserve", fund.Ref{Type: "tender", ID: "18"},
			func(tx *gorm.DB, a money.Fen) (fund.Posting, error) {
				return fund.Reserve(tx, by, f.ID, "LEGAL_AID", a, fund.Ref{Type: "tender", ID: "18"})
			}, 30_000_000,
			[]fund.Line{{Account: fund.Available, Amount: -30_000_000}, {Account: fund.Reserved, Amount: 30_000_000}},
			balances{available: 26_800_000, reserved: 30_000_000, paid: 43_200_000}},
		{"the second tender fails: its reservation is released", "release", fund.Ref{Type: "tender", ID: "18"},
			func(tx *gorm.DB, a money.Fen) (fund.Posting, error) {
				return fund.Release(tx, by, f.ID, a, fund.Ref{Type: "tender", ID: "18"})
			}, 30_000_000,
			[]fund.Line{{Account: fund.Reserved, Amount: -30_000_000}, {Account: fund.Available, Amount: 30_000_000}},
			balances{available: 56_800_000, paid: 43_200_000}},
	} {
		t.Run(step.name, func(t *testing.T) {
			postings, audited := w.postings(t, f.ID), w.audited(t, "ledger."+step.kind)
			p := w.mustMove(t, step.name, func(tx *gorm.DB) (fund.Posting, error) { return step.do(tx, step.amt) })
			if p.ID == 0 || p.Kind != step.kind || p.FundAccountID != f.ID || p.ReferenceType != step.ref.Type || p.ReferenceID != step.ref.ID ||
				p.IdempotencyKey != fmt.Sprintf("%s:%d:%s:%s", step.kind, f.ID, step.ref.Type, step.ref.ID) {
				t.Errorf("posting = %+v, want kind %s for %+v", p, step.kind, step.ref)
			}
			if diff := cmp.Diff(step.lines, p.Lines); diff != "" {
				t.Errorf("lines mismatch (-want +got):\n%s", diff)
			}
			check := func(when string) {
				t.Helper()
				b := w.balances(t, f.ID)
				got := balances{b[fund.Available], b[fund.Reserved], b[fund.Encumbered], b[fund.Payable], b[fund.Paid]}
				if got != step.want {
					t.Errorf("balances %s = %+v, want %+v", when, got, step.want)
				}
				// Everything that came in is somewhere.
				if sum := got.available + got.reserved + got.encumbered + got.payable + got.paid; sum != -b[fund.Source] || sum != 100_000_000 {
					t.Errorf("balances %s sum to %d, source %d; want 100000000", when, sum, b[fund.Source])
				}
				if n := w.postings(t, f.ID); n != postings+1 {
					t.Errorf("postings %s = %d, want %d", when, n, postings+1)
				}
				if n := w.audited(t, "ledger."+step.kind); n != audited+1 {
					t.Errorf("ledger.%s audit entries %s = %d, want %d", step.kind, when, n, audited+1)
				}
			}
			check("after it")

			again := w.mustMove(t, step.name+" again", func(tx *gorm.DB) (fund.Posting, error) { return step.do(tx, step.amt) })
			if again.ID != p.ID {
				t.Errorf("retry = posting %d, want %d", again.ID, p.ID)
			}
			if diff := cmp.Diff(step.lines, again.Lines); diff != "" {
				t.Errorf("retry lines mismatch (-want +got):\n%s", diff)
			}
			check("after a retry")

			before := w.snapshot(t)
			_, err := w.move(func(tx *gorm.DB) (fund.Posting, error) { return step.do(tx, step.amt-1) })
			apperrtest.WantErr(t, step.name+" with the same Ref and another amount", err, fund.ErrKeyReused)
			w.unchanged(t, step.name+" with the same Ref and another amount", before)
		})
	}
}

// TestFlowRefusals: a movement the fund cannot make writes nothing.
func TestFlowRefusals(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	f := w.account(t, w.financeA, 2026, "fiscal_budget", "月河街道预算", "ELDERLY_HOME_CARE")
	other := w.account(t, w.financeA, 2026, "welfare_lottery", "福彩公益金", "LEGAL_AID")
	w.appropriate(t, w.financeA, f.ID, 1_000_000, "budget")
	w.appropriate(t, w.financeA, other.ID, 1_000_000, "lottery")
	by := w.procurementA
	ref := func(id string) fund.Ref { return fund.Ref{Type: "tender", ID: id} }
	// Setting up: 400,000 reserved of which 300,000 encumbered, 100,000 payable.
	w.mustMove(t, "Reserve()", func(tx *gorm.DB) (fund.Posting, error) {
		return fund.Reserve(tx, by, f.ID, "ELDERLY_HOME_CARE", 400_000, ref("setup"))
	})
	w.mustMove(t, "Encumber()", func(tx *gorm.DB) (fund.Posting, error) {
		return fund.Encumber(tx, by, f.ID, 300_000, fund.Ref{Type: "contract", ID: "setup"})
	})
	w.mustMove(t, "MakePayable()", func(tx *gorm.DB) (fund.Posting, error) {
		return fund.MakePayable(tx, w.financeA, f.ID, 100_000, fund.Ref{Type: "milestone", ID: "setup"})
	})
	// available 600,000, reserved 100,000, encumbered 200,000, payable 100,000.

	for _, tc := range []struct {
		name   string
		do     func(tx *gorm.DB) (fund.Posting, error)
		want   error
		fields []string // for an Invalid error
	}{
		{"reserve for a category outside the earmark", func(tx *gorm.DB) (fund.Posting, error) {
			return fund.Reserve(tx, by, f.ID, "LEGAL_AID", 100, ref("a"))
		}, fund.ErrNotEarmarked, nil},
		{"reserve for an unknown category", func(tx *gorm.DB) (fund.Posting, error) {
			return fund.Reserve(tx, by, f.ID, "ASTROLOGY", 100, ref("b"))
		}, fund.ErrNotEarmarked, nil},
		{"reserve one fen more than available", func(tx *gorm.DB) (fund.Posting, error) {
			return fund.Reserve(tx, by, f.ID, "ELDERLY_HOME_CARE", 600_001, ref("c"))
		}, fund.ErrInsufficient, nil},
		{"reserve nothing", func(tx *gorm.DB) (fund.Posting, error) {
			return fund.Reserve(tx, by, f.ID, "ELDERLY_HOME_CARE", 0, ref("d"))
		}, nil, []string{"amount"}},
		{"reserve a negative amount", func(tx *gorm.DB) (fund.Posting, error) {
			return fund.Reserve(tx, by, f.ID, "ELDERLY_HOME_CARE", -100, ref("e"))
		}, nil, []string{"amount"}},
		{"release more than reserved", func(tx *gorm.DB) (fund.Posting, error) {
			return fund.Release(tx, by, f.ID, 100_001, ref("f"))
		}, fund.ErrInsufficient, nil},
		{"encumber a zero contract", func(tx *gorm.DB) (fund.Posting, error) {
			return fund.Encumber(tx, by, f.ID, 0, fund.Ref{Type: "contract", ID: "h"})
		}, nil, []string{"amount"}},
		{"encumber more than is reserved", func(tx *gorm.DB) (fund.Posting, error) {
			return fund.Encumber(tx, by, f.ID, 100_001, fund.Ref{Type: "contract", ID: "i"})
		}, fund.ErrInsufficient, nil},
		{"raise a contract by more than is available", func(tx *gorm.DB) (fund.Posting, error) {
			return fund.EncumberMore(tx, by, f.ID, 600_001, fund.Ref{Type: "contract", ID: "g"})
		}, fund.ErrInsufficient, nil},
		{"make more payable than encumbered", func(tx *gorm.DB) (fund.Posting, error) {
			return fund.MakePayable(tx, w.financeA, f.ID, 200_001, fund.Ref{Type: "milestone", ID: "j"})
		}, fund.ErrInsufficient, nil},
		{"pay more than payable", func(tx *gorm.DB) (fund.Posting, error) {
			return fund.MarkPaid(tx, w.financeA, f.ID, 100_001, fund.Ref{Type: "payout", ID: "k"})
		}, fund.ErrInsufficient, nil},
		{"return more than encumbered", func(tx *gorm.DB) (fund.Posting, error) {
			return fund.ReturnEncumbrance(tx, w.financeA, f.ID, 200_001, fund.Ref{Type: "contract", ID: "l"})
		}, fund.ErrInsufficient, nil},
		{"release on a fund that does not exist", func(tx *gorm.DB) (fund.Posting, error) {
			return fund.Release(tx, by, other.ID+1000, 1, ref("m"))
		}, apperr.ErrNotFound, nil},
		{"credit nothing", func(tx *gorm.DB) (fund.Posting, error) {
			return fund.Credit(tx, w.financeA, f.ID, "donation", 0, "donation:n", "", "", fund.Ref{})
		}, nil, []string{"amount"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := w.snapshot(t)
			_, err := w.move(tc.do)
			if tc.fields != nil {
				apperrtest.WantInvalid(t, err, tc.fields...)
			} else {
				apperrtest.WantErr(t, tc.name, err, tc.want)
			}
			w.unchanged(t, tc.name, before)
		})
	}

	// Exactly what is available can be reserved; then not one fen more.
	w.mustMove(t, "Reserve(all that is available)", func(tx *gorm.DB) (fund.Posting, error) {
		return fund.Reserve(tx, by, f.ID, "ELDERLY_HOME_CARE", 600_000, ref("all"))
	})
	before := w.snapshot(t)
	_, err := w.move(func(tx *gorm.DB) (fund.Posting, error) {
		return fund.Reserve(tx, by, f.ID, "ELDERLY_HOME_CARE", 1, ref("one more"))
	})
	apperrtest.WantErr(t, "Reserve(1 fen of an empty fund)", err, fund.ErrInsufficient)
	w.unchanged(t, "Reserve(1 fen of an empty fund)", before)
	if b := w.balances(t, f.ID); b[fund.Available] != 0 || b[fund.Reserved] != 700_000 {
		t.Errorf("balances = %v, want available 0 and reserved 700000", b)
	}
	// The other fund, earmarked to LEGAL_AID, was never touched.
	if b := w.balances(t, other.ID); b[fund.Available] != 1_000_000 || b[fund.Reserved] != 0 {
		t.Errorf("other fund's balances = %v, want available 1000000", b)
	}
}

// TestCreditIsIdempotentByKey: a donation credited twice with its key posts once.
func TestCreditIsIdempotentByKey(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	f := w.account(t, w.financeA, 2026, "social_donations", "社会捐赠", "CHARITY_SUPERMARKET")
	donate := func(amount money.Fen) (fund.Posting, error) {
		return w.move(func(tx *gorm.DB) (fund.Posting, error) {
			return fund.Credit(tx, w.financeA, f.ID, "donation", amount, "donation:cs_test_1", "", "张三捐赠", fund.Ref{Type: "donation", ID: "1"})
		})
	}
	p, err := donate(88_800)
	if err != nil {
		t.Fatalf("Credit() error = %v", err)
	}
	again, err := donate(88_800)
	if err != nil || again.ID != p.ID {
		t.Errorf("Credit(again) = posting %d, %v; want %d", again.ID, err, p.ID)
	}
	_, err = donate(88_000)
	apperrtest.WantErr(t, "Credit(same key, other amount)", err, fund.ErrKeyReused)
	if b := w.balances(t, f.ID); b[fund.Available] != 88_800 || w.postings(t, f.ID) != 1 {
		t.Errorf("balances = %v, postings = %d; want available 88800 from one posting", b, w.postings(t, f.ID))
	}
}

// TestFlowsInsideSavepoints: a domain service may run a movement in a nested
// transaction (a savepoint) and carry on when it is refused. The refused
// reservation leaves nothing behind; the next one and the commit succeed.
func TestFlowsInsideSavepoints(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	f := w.account(t, w.financeA, 2026, "fiscal_budget", "月河街道预算", "ELDERLY_HOME_CARE")
	w.appropriate(t, w.financeA, f.ID, 1_000_000, "budget")
	reserve := func(tx *gorm.DB, amount money.Fen, id string) error {
		return tx.Transaction(func(tx *gorm.DB) error {
			_, err := fund.Reserve(tx, w.procurementA, f.ID, "ELDERLY_HOME_CARE", amount, fund.Ref{Type: "tender", ID: id})
			return err
		})
	}
	err := w.db.Transaction(func(tx *gorm.DB) error {
		if err := reserve(tx, 1_000_001, "too-much"); !errors.Is(err, fund.ErrInsufficient) {
			t.Errorf("Reserve(too much) error = %v, want ErrInsufficient", err)
		}
		if err := reserve(tx, 600_000, "first"); err != nil {
			return err
		}
		return reserve(tx, 400_000, "second")
	})
	if err != nil {
		t.Fatalf("transaction error = %v", err)
	}
	if b := w.balances(t, f.ID); b[fund.Available] != 0 || b[fund.Reserved] != 1_000_000 || w.postings(t, f.ID) != 3 {
		t.Errorf("balances = %v, postings = %d; want available 0, reserved 1000000, 3 postings", b, w.postings(t, f.ID))
	}
}

// TestHeld: what each contract holds encumbered, in one query: its signing
// and amendments less its milestones made payable, never another contract's
// whose id begins with the same digits, nor another fund's.
func TestHeld(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	f := w.account(t, w.financeA, 2026, "fiscal_budget", "月河街道预算", "ELDERLY_HOME_CARE")
	other := w.account(t, w.financeA, 2026, "welfare_lottery", "福彩公益金", "ELDERLY_HOME_CARE")
	w.appropriate(t, w.financeA, f.ID, 10_000_000, "held-1")
	w.appropriate(t, w.financeA, other.ID, 10_000_000, "held-2")
	by := w.procurementA
	for _, m := range []struct {
		fund   int64
		kind   string
		ref    fund.Ref
		amount money.Fen
	}{
		{f.ID, "reserve", fund.Ref{Type: "tender", ID: "1"}, 5_000_000},
		{f.ID, "encumber", fund.Ref{Type: "contract", ID: "7"}, 1_000_000},
		{f.ID, "encumber", fund.Ref{Type: "contract", ID: "70"}, 2_000_000},
		{f.ID, "encumber_more", fund.Ref{Type: "contract", ID: "7/v2"}, 100_000},
		{f.ID, "payable", fund.Ref{Type: "milestone", ID: "7/1"}, 300_000},
		{other.ID, "reserve", fund.Ref{Type: "tender", ID: "2"}, 500_000},
		{other.ID, "encumber", fund.Ref{Type: "contract", ID: "7"}, 400_000},
	} {
		w.mustMove(t, m.kind+" "+m.ref.ID, func(tx *gorm.DB) (fund.Posting, error) {
			switch m.kind {
			case "reserve":
				return fund.Reserve(tx, by, m.fund, "ELDERLY_HOME_CARE", m.amount, m.ref)
			case "encumber":
				return fund.Encumber(tx, by, m.fund, m.amount, m.ref)
			case "encumber_more":
				return fund.EncumberMore(tx, by, m.fund, m.amount, m.ref)
			}
			return fund.MakePayable(tx, w.financeA, m.fund, m.amount, m.ref)
		})
	}
	seven, seventy, elsewhere := fund.Holder{FundID: f.ID, ID: "7"}, fund.Holder{FundID: f.ID, ID: "70"}, fund.Holder{FundID: other.ID, ID: "7"}
	none := fund.Holder{FundID: f.ID, ID: "8"}
	got, err := fund.Held(w.db, fund.Encumbered, []string{"contract", "milestone"}, seven, seventy, elsewhere, none)
	if err != nil {
		t.Fatal(err)
	}
	want := map[fund.Holder]money.Fen{seven: 1_000_000 + 100_000 - 300_000, seventy: 2_000_000, elsewhere: 400_000, none: 0}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Held() (-want +got):\n%s", diff)
	}
}
