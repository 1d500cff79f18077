package payout_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/webhook"
	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/fund"
	"github.com/jiedao-market/jiedao/internal/money"
	"github.com/jiedao-market/jiedao/internal/payout"
	"github.com/jiedao-market/jiedao/internal/place"
	"github.com/jiedao-market/jiedao/internal/platform/clock"
	"github.com/jiedao-market/jiedao/internal/platform/db/dbtest"
	"github.com/jiedao-market/jiedao/internal/platform/jobs"
	"github.com/jiedao-market/jiedao/internal/platform/stripetest"
)

var (
	start    = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	platform = access.Actor{Username: "platform", Role: access.PlatformAdmin, RequestID: "req-platform"}
)

const (
	webhookSecret = "whsec_test"

	appropriated money.Fen = 10_000_000 // 100,000.00 yuan brought into the fund
	contracted   money.Fen = 6_000_000  // encumbered by the signed contract
	milestone    money.Fen = 1_500_000  // one milestone's payment
)

// TestPayoutFlows runs the payout, webhook, donation and onboarding flows
// against one stripe-mock (it takes about a second to start and keeps no
// state between calls, so the flows share it); each flow has its own
// database, clock, call counter and service, and they run in parallel. The
// parent's cleanup stops stripe-mock after every flow has finished.
func TestPayoutFlows(t *testing.T) {
	t.Parallel()
	stripeURL := stripetest.Start(t)
	for _, tt := range []struct {
		name string
		run  func(t *testing.T, stripeURL string)
	}{
		{"request writes the payable posting and the payout in one transaction", testRequestTx},
		{"fifty concurrent requests make one payout and one transfer", testConcurrentRequests},
		{"a crash after Stripe answered is retried with the same key", testCrashAfterTransfer},
		{"past Stripe's idempotency window the job stops for reconciliation", testIdempotencyWindow},
		{"the sweep schedules what lost its job, once", testSweep},
		{"a manual payout is confirmed by a finance officer", testManualPayout},
		{"webhooks are verified, stored once and applied once", testWebhooks},
		{"donations through Checkout credit the fund once", testDonations},
		{"onboarding connects an organization once", testOnboard},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.run(t, stripeURL)
		})
	}
}

// env is one flow's world: district D with subdistricts A and B, two
// organizations of D (org is connected to Stripe as acct_test_1, other is
// not), a fund account of A with money encumbered by a contract, a fund
// account of A that takes donations, and the payout service.
type env struct {
	t        *testing.T
	db       *gorm.DB
	url      string
	clock    *clock.Manual
	counter  *stripetest.CallCounter
	provider *payout.StripeProvider // nil without Stripe
	svc      *payout.Service
	funds    *fund.Service
	pool     *pgxpool.Pool // River's, once asked for

	district            place.District
	a, b                place.Subdistrict
	org, other          int64 // organization ids
	fundID, donationsID int64 // fund account ids

	financeA, financeB, procurementA, orgAdmin, otherAdmin, otherMember access.Actor
}

type envOptions struct {
	stripe        bool                      // UseStripe with stripe-mock; else every payout is manual
	afterTransfer func(payout.Payout) error // the test seam of Process
}

// newEnv builds the world on a fresh database and checks the ledger's
// invariants when the test ends, whatever it did.
func newEnv(t *testing.T, stripeURL string, o envOptions) *env {
	t.Helper()
	ctx := context.Background()
	gdb, url := dbtest.NewWithURL(t)
	e := &env{t: t, db: gdb, url: url, clock: clock.NewManual(start), counter: &stripetest.CallCounter{}}
	t.Cleanup(e.checkLedger) // registered after the database's cleanup, so it runs before the drop
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	opts := payout.Options{AfterTransfer: o.afterTransfer}
	if o.stripe {
		e.provider = payout.NewStripeProvider(stripetest.SecretKey, stripetest.Backends(stripeURL, e.counter))
		opts.Stripe = e.provider
	}
	e.svc = payout.NewService(gdb, e.clock, log, opts)
	if o.stripe {
		e.svc.UseStripe(payout.StripeConfig{Provider: e.provider, WebhookSecret: webhookSecret})
	}
	e.funds = fund.NewService(gdb, e.clock)

	places := place.NewService(gdb, e.clock)
	var err error
	if e.district, err = places.CreateDistrict(ctx, platform, place.DistrictInput{Code: "330502", NameZh: "吴兴区", NameEn: "Wuxing"}); err != nil {
		t.Fatalf("CreateDistrict() error = %v", err)
	}
	if e.a, err = places.CreateSubdistrict(ctx, platform, place.SubdistrictInput{DistrictID: e.district.ID, Code: "330502001", NameZh: "月河街道"}); err != nil {
		t.Fatalf("CreateSubdistrict(A) error = %v", err)
	}
	if e.b, err = places.CreateSubdistrict(ctx, platform, place.SubdistrictInput{DistrictID: e.district.ID, Code: "330502002", NameZh: "朝阳街道"}); err != nil {
		t.Fatalf("CreateSubdistrict(B) error = %v", err)
	}
	e.org = e.organization("91330502MA2B3C4D5E", "吴兴区阳光社工服务中心", "org@sunshine.example.cn")
	e.other = e.organization("91330502MA2B3C4D6F", "吴兴区邻里互助协会", "contact@linli.example.cn")
	e.exec(`INSERT INTO organization_payout_accounts (organization_id, stripe_account_id) VALUES (?, 'acct_test_1')`, e.org)

	e.financeA = e.user("finance-a", access.FinanceOfficer, e.a.ID, 0)
	e.financeB = e.user("finance-b", access.FinanceOfficer, e.b.ID, 0)
	e.procurementA = e.user("procurement-a", access.ProcurementOfficer, e.a.ID, 0)
	e.orgAdmin = e.user("org-admin", access.OrgAdmin, 0, e.org)
	e.otherAdmin = e.user("other-admin", access.OrgAdmin, 0, e.other)
	e.otherMember = e.user("other-member", access.OrgMember, 0, e.other)

	f, err := e.funds.CreateAccount(ctx, e.financeA, fund.AccountInput{FiscalYear: 2026, Source: "fiscal_budget",
		Name: "2026年居家养老服务经费", Categories: []string{"ELDERLY_HOME_CARE"}})
	if err != nil {
		t.Fatalf("CreateAccount() error = %v", err)
	}
	e.fundID = f.ID
	if _, err := e.funds.Appropriate(ctx, e.financeA, e.fundID, fund.AppropriationInput{Amount: appropriated,
		DocumentRef: "湖财预〔2026〕12号", IdempotencyKey: "budget-2026"}); err != nil {
		t.Fatalf("Appropriate() error = %v", err)
	}
	err = gdb.Transaction(func(tx *gorm.DB) error {
		if _, err := fund.Reserve(tx, e.financeA, e.fundID, "ELDERLY_HOME_CARE", contracted, fund.Ref{Type: "tender", ID: "1"}); err != nil {
			return err
		}
		_, err := fund.Encumber(tx, e.financeA, e.fundID, contracted, fund.Ref{Type: "contract", ID: "1"})
		return err
	})
	if err != nil {
		t.Fatalf("Reserve() and Encumber() error = %v", err)
	}
	d, err := e.funds.CreateAccount(ctx, e.financeA, fund.AccountInput{FiscalYear: 2026, Source: "social_donations",
		Name: "2026年社会捐赠", Categories: []string{"ELDERLY_HOME_CARE"}, AcceptsDonations: true})
	if err != nil {
		t.Fatalf("CreateAccount(donations) error = %v", err)
	}
	e.donationsID = d.ID
	return e
}

func (e *env) organization(creditCode, name, email string) int64 {
	e.t.Helper()
	var id int64
	if err := e.db.Raw(`INSERT INTO organizations (credit_code, legal_name, org_type, district_id, contact_email)
		VALUES (?, ?, 'social_service_institution', ?, ?) RETURNING id`, creditCode, name, e.district.ID, email).Scan(&id).Error; err != nil {
		e.t.Fatalf("insert organization %s: %v", name, err)
	}
	return id
}

// user inserts a user account and returns its actor, scoped as the session
// layer scopes it (a subdistrict officer carries its district too).
func (e *env) user(name string, role access.Role, subdistrictID, orgID int64) access.Actor {
	e.t.Helper()
	var id int64
	if err := e.db.Raw(`INSERT INTO users (username, password_hash, role, subdistrict_id, organization_id)
		VALUES (?, 'x', ?, NULLIF(?::bigint, 0), NULLIF(?::bigint, 0)) RETURNING id`, name, string(role), subdistrictID, orgID).Scan(&id).Error; err != nil {
		e.t.Fatalf("insert user %s: %v", name, err)
	}
	a := access.Actor{UserID: id, Username: name, Role: role, RequestID: "req-" + name, Scope: access.Scope{OrganizationID: orgID}}
	if subdistrictID != 0 {
		a.Scope.DistrictID, a.Scope.SubdistrictID = e.district.ID, subdistrictID
	}
	return a
}

func (e *env) checkLedger() {
	e.t.Helper()
	violations, err := fund.CheckInvariants(e.db)
	if err != nil {
		e.t.Errorf("CheckInvariants() error = %v", err)
		return
	}
	for _, v := range violations {
		e.t.Errorf("ledger invariant broken: %s (id %d)", v.What, v.ID)
	}
}

func (e *env) exec(query string, args ...any) {
	e.t.Helper()
	if err := e.db.Exec(query, args...).Error; err != nil {
		e.t.Fatalf("%s: %v", query, err)
	}
}

func (e *env) count(query string, args ...any) int64 {
	e.t.Helper()
	var n int64
	if err := e.db.Raw(query, args...).Scan(&n).Error; err != nil {
		e.t.Fatalf("%s: %v", query, err)
	}
	return n
}

// postings counts the postings of kind made for a reference.
func (e *env) postings(kind, refType, refID string) int64 {
	e.t.Helper()
	return e.count(`SELECT count(*) FROM ledger_postings WHERE kind = ? AND reference_type = ? AND reference_id = ?`, kind, refType, refID)
}

// paidPostings counts the payable → paid postings of a payout.
func (e *env) paidPostings(id int64) int64 {
	e.t.Helper()
	return e.postings("paid", "payout", strconv.FormatInt(id, 10))
}

// balances reads a fund account's sub-account balances.
func (e *env) balances(fundID int64) map[string]money.Fen {
	e.t.Helper()
	var rows []fund.LedgerAccount
	if err := e.db.Where("fund_account_id = ?", fundID).Find(&rows).Error; err != nil {
		e.t.Fatalf("read ledger accounts of %d: %v", fundID, err)
	}
	out := map[string]money.Fen{}
	for _, r := range rows {
		out[r.Kind] = r.Balance
	}
	return out
}

// payout reads a payout row.
func (e *env) payout(id int64) payout.Payout {
	e.t.Helper()
	var p payout.Payout
	if err := e.db.Take(&p, id).Error; err != nil {
		e.t.Fatalf("read payout %d: %v", id, err)
	}
	return p
}

// request asks, as finance officer A, to pay org for milestone ref.
func (e *env) request(ref string, amount money.Fen) payout.Payout {
	e.t.Helper()
	p, err := e.svc.Request(context.Background(), e.financeA, e.requestInput(ref, amount))
	if err != nil {
		e.t.Fatalf("Request(%s) error = %v", ref, err)
	}
	return p
}

func (e *env) requestInput(ref string, amount money.Fen) payout.RequestInput {
	return payout.RequestInput{FundAccountID: e.fundID, OrganizationID: e.org, Amount: amount, Ref: fund.Ref{Type: "milestone", ID: ref}}
}

// river returns a pool on the test database with River's tables, made once.
func (e *env) river() *pgxpool.Pool {
	e.t.Helper()
	if e.pool != nil {
		return e.pool
	}
	ctx := context.Background()
	pool, err := jobs.Open(ctx, e.url)
	if err != nil {
		e.t.Fatalf("jobs.Open() error = %v", err)
	}
	e.t.Cleanup(pool.Close) // after the database's cleanup is registered, so it runs before the drop
	if err := jobs.Migrate(ctx, pool); err != nil {
		e.t.Fatalf("jobs.Migrate() error = %v", err)
	}
	e.pool = pool
	return pool
}

// inserter starts an insert-only River client (jobs.Start without run), as
// an API replica has, with the payout job kinds registered.
func (e *env) inserter() *jobs.Runner {
	e.t.Helper()
	workers := jobs.NewWorkers()
	e.svc.Register(workers)
	r, err := jobs.Start(context.Background(), e.river(), workers, nil, false, nil)
	if err != nil {
		e.t.Fatalf("jobs.Start(run=false) error = %v", err)
	}
	return r
}

// worker starts a River client that works the payout jobs (and periodic,
// when given) and returns its completion and failure events. It subscribes
// before starting, so no job worked at once is missed (jobs.Start starts
// first); it is stopped when the test ends, before the pool closes.
func (e *env) worker(periodic []*river.PeriodicJob) <-chan *river.Event {
	e.t.Helper()
	workers := jobs.NewWorkers()
	e.svc.Register(workers)
	c, err := jobs.NewClient(e.river(), workers, periodic, true, nil)
	if err != nil {
		e.t.Fatalf("jobs.NewClient() error = %v", err)
	}
	events, cancel := c.Subscribe(river.EventKindJobCompleted, river.EventKindJobFailed)
	if err := c.Start(context.Background()); err != nil {
		e.t.Fatalf("Start() error = %v", err)
	}
	e.t.Cleanup(func() {
		ctx, stop := context.WithTimeout(context.Background(), 10*time.Second)
		defer stop()
		if err := c.Stop(ctx); err != nil {
			e.t.Errorf("Stop() error = %v", err)
		}
		cancel()
	})
	return events
}

// jobRows counts River's jobs of kind whose argument field equals value.
func (e *env) jobRows(kind, field string, value any) int64 {
	e.t.Helper()
	return e.count(`SELECT count(*) FROM river_job WHERE kind = ? AND args->>'`+field+`' = ?`, kind, fmt.Sprint(value))
}

// jobKey names a River job by its kind and argument, as waitJobs expects.
func jobKey(ev *river.Event) string {
	var args struct {
		PayoutID int64  `json:"payout_id"`
		EventID  string `json:"event_id"`
	}
	_ = json.Unmarshal(ev.Job.EncodedArgs, &args)
	switch ev.Job.Kind {
	case payout.PayoutArgs{}.Kind():
		return "payout:" + strconv.FormatInt(args.PayoutID, 10)
	case payout.EventArgs{}.Kind():
		return "stripe_event:" + args.EventID
	}
	return ev.Job.Kind
}

// waitJobs reads River's events until a job named by each of want (see
// jobKey) has completed, failing on any failed job or after 30 seconds.
func waitJobs(t *testing.T, events <-chan *river.Event, want ...string) {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for len(want) > 0 {
		select {
		case ev := <-events:
			if ev.Kind == river.EventKindJobFailed {
				t.Fatalf("job %s failed (attempt %d): %+v", jobKey(ev), ev.Job.Attempt, ev.Job.Errors)
			}
			if ev.Kind == river.EventKindJobCompleted {
				want = slices.DeleteFunc(want, func(w string) bool { return w == jobKey(ev) })
			}
		case <-deadline:
			t.Fatalf("jobs %v not completed within 30 s", want)
		}
	}
}

// checkoutEvent is a Stripe event about a Checkout session in the API
// version stripe-go pins.
func checkoutEvent(t *testing.T, id, typ string, created time.Time, session string, donationID int64, amountTotal money.Fen, paymentStatus string) []byte {
	t.Helper()
	return stripeEvent(t, id, typ, created, map[string]any{
		"id": session, "object": "checkout.session", "payment_status": paymentStatus, "amount_total": amountTotal,
		"currency": "cny", "metadata": map[string]string{"donation_id": strconv.FormatInt(donationID, 10)},
	})
}

func stripeEvent(t *testing.T, id, typ string, created time.Time, object map[string]any) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{"id": id, "object": "event", "api_version": stripe.APIVersion, "type": typ,
		"created": created.Unix(), "livemode": false, "pending_webhooks": 1, "data": map[string]any{"object": object}})
	if err != nil {
		t.Fatalf("marshal event: %v", err)
	}
	return b
}

// sign returns the Stripe-Signature header of payload signed with secret at at.
func sign(payload []byte, secret string, at time.Time) string {
	return webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: payload, Secret: secret, Timestamp: at}).Header
}
