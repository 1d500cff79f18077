package dataset_test

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/auth"
	"github.com/jiedao-market/jiedao/internal/bench/dataset"
	"github.com/jiedao-market/jiedao/internal/config"
	"github.com/jiedao-market/jiedao/internal/fund"
	"github.com/jiedao-market/jiedao/internal/platform/clock"
	"github.com/jiedao-market/jiedao/internal/platform/db/dbtest"
	"github.com/jiedao-market/jiedao/internal/rating"
	"github.com/jiedao-market/jiedao/internal/request"
	"github.com/jiedao-market/jiedao/internal/tender"
)

const tiny = 0.002

func testConfig(t testing.TB) config.Config {
	cfg := config.Default()
	seed := make([]byte, 32)
	rand.Read(seed)
	cfg.Auth.Keys = []config.SigningKey{{ID: "test-key", Seed: seed}}
	cfg.Auth.CSRFSecret = make([]byte, 32)
	rand.Read(cfg.Auth.CSRFSecret)
	cfg.Auth.Argon2 = config.Argon2{MemoryKiB: 8192, Iterations: 1, Parallelism: 1}
	cfg.Tender.SealKey = make([]byte, 32)
	rand.Read(cfg.Tender.SealKey)
	cfg.Rating.CodeKey = make([]byte, 32)
	rand.Read(cfg.Rating.CodeKey)
	cfg.Uploads.Dir = t.TempDir()
	return cfg
}

func options(cfg config.Config, scale float64, now time.Time) dataset.Options {
	return dataset.Options{Scale: scale, Seed: 7, Now: now, SealKey: cfg.Tender.SealKey, RatingKey: cfg.Rating.CodeKey, Argon2: cfg.Auth.Argon2}
}

// generated is a database filled at the tiny scale.
func generated(t *testing.T, cfg config.Config, now time.Time) (*gorm.DB, dataset.Report) {
	t.Helper()
	gdb, url := dbtest.NewWithURL(t)
	rep, err := dataset.Generate(context.Background(), url, options(cfg, tiny, now))
	if err != nil {
		t.Fatalf("Generate() error = %v", err)
	}
	return gdb, rep
}

func count(t *testing.T, db *gorm.DB, q string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := db.Raw(q, args...).Scan(&n).Error; err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

func TestGenerate(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	now := time.Now()
	gdb, url := dbtest.NewWithURL(t)
	rep, err := dataset.Generate(context.Background(), url, options(cfg, tiny, now))
	if err != nil {
		t.Fatalf("Generate() error = %v", err)
	}

	t.Run("counts follow the scale", func(t *testing.T) {
		for table, atOne := range map[string]float64{"tenders": 20000, "service_records": 1_000_000, "ratings": 200_000,
			"bids": 100_000, "contracts": 5000} {
			got, want := float64(count(t, gdb, "SELECT count(*) FROM "+table)), atOne*tiny
			if math.Abs(got-want) > 0.5*want+3 {
				t.Errorf("%s: %v rows, want about %v", table, got, want)
			}
			if int64(got) != rep.Rows[table] {
				t.Errorf("Report.Rows[%s] = %d, the table holds %v", table, rep.Rows[table], got)
			}
		}
	})
	t.Run("every tender state", func(t *testing.T) {
		for _, s := range tender.States {
			if n := count(t, gdb, "SELECT count(*) FROM tenders WHERE status = ?", s); n == 0 {
				t.Errorf("no tender is %s", s)
			}
		}
		for _, s := range []string{"draft", "signed", "active", "completed", "terminated"} {
			if n := count(t, gdb, "SELECT count(*) FROM contracts WHERE status = ?", s); n == 0 {
				t.Errorf("no contract is %s", s)
			}
		}
	})
	t.Run("ledger and aggregates hold", func(t *testing.T) {
		v, err := fund.CheckInvariants(gdb)
		if err != nil || len(v) > 0 {
			t.Errorf("fund.CheckInvariants() = %v, %v", v, err)
		}
		if n := count(t, gdb, `SELECT count(*) FROM rating_aggregates a WHERE a.scope = 'organization' AND a.n <>
			(SELECT count(*) FROM ratings r WHERE r.organization_id = a.scope_id AND r.kind = a.kind)`); n != 0 {
			t.Errorf("%d organization aggregates differ from their ratings", n)
		}
		if n := count(t, gdb, `SELECT count(*) FROM audit_entries WHERE action = 'bench.seed'`); n != 1 {
			t.Errorf("%d bench.seed audit entries, want 1", n)
		}
	})
	t.Run("a filled database is refused", func(t *testing.T) {
		if _, err := dataset.Generate(context.Background(), url, options(cfg, tiny, now)); !errors.Is(err, dataset.ErrNotEmpty) {
			t.Errorf("Generate() again error = %v, want ErrNotEmpty", err)
		}
	})
	t.Run("targets work through the services", func(t *testing.T) {
		targets, err := dataset.LoadTargets(context.Background(), gdb)
		if err != nil {
			t.Fatalf("LoadTargets() error = %v", err)
		}
		if len(targets.SurgeTenders) < 2 || len(targets.SurgeOrgs) < 12 || targets.OpeningTender == 0 || targets.OpeningBids < 5 ||
			len(targets.Imports) == 0 || len(targets.Ratings) == 0 || len(targets.Approvals) == 0 || len(targets.PublicTenders) == 0 ||
			len(targets.Providers) == 0 || len(targets.SearchTerms) == 0 || targets.CatalogPages == 0 {
			t.Fatalf("LoadTargets() = %+v, lacks targets", targets)
		}
		clk := clock.NewManual(now)
		svc, err := request.NewServices(cfg, gdb, clk, slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		login := func(username string) access.Actor {
			tok, err := svc.Auth.Login(ctx, username, dataset.Password, auth.Client{IP: "127.0.0.1"})
			if err != nil {
				t.Fatalf("Login(%s) error = %v", username, err)
			}
			a, err := svc.Auth.Authenticate(ctx, tok.AccessToken, auth.Client{IP: "127.0.0.1"})
			if err != nil {
				t.Fatalf("Authenticate(%s) error = %v", username, err)
			}
			return a
		}
		org := login(targets.SurgeOrgs[len(targets.SurgeOrgs)-1])
		body := tender.BidBody{PriceFen: 100_000, TechnicalProposal: "方案", StaffingPlan: "团队"}
		if _, err := svc.Tenders.SubmitBid(ctx, org, targets.SurgeTenders[0], body); err != nil {
			t.Errorf("SubmitBid() on a surge tender error = %v", err)
		}
		resident := login(targets.Ratings[0].Resident)
		if _, err := svc.Ratings.Submit(ctx, resident, targets.Ratings[0].Code(cfg.Rating.CodeKey),
			rating.Stars{Timeliness: 5, Professionalism: 4, Attitude: 5, Effectiveness: 4, Overall: 5}); err != nil {
			t.Errorf("rating Submit() error = %v", err)
		}
		im := targets.Imports[0]
		if im.ServiceStart == "" || len(im.Communities) == 0 || len(im.ServiceTypes) == 0 || im.OrgUsername == "" {
			t.Fatalf("Imports[0] = %+v, lacks its period, communities or service types", im)
		}
		csv := fmt.Sprintf("date,community,service_type,duration_minutes,staff,beneficiary_ref,notes\n%s,%d,%s,60,社工王芳,bench-r-1,\n",
			now.AddDate(0, 0, -1).Format(time.DateOnly), im.Communities[0], im.ServiceTypes[0])
		if res, err := svc.Records.Import(ctx, login(im.OrgUsername), im.ContractID, []byte(csv)); err != nil {
			t.Errorf("Import() into an active contract = %+v, error %v", res, err)
		}
		a := targets.Approvals[0]
		if _, err := svc.Milestones.Approve(ctx, login(a.Finance), a.MilestoneID); err != nil {
			t.Errorf("milestone Approve() error = %v", err)
		}
		clk.Set(targets.OpensAt.Add(time.Minute))
		if _, err := svc.Tenders.Advance(ctx, targets.OpeningTender); err != nil {
			t.Fatalf("Advance() of the opening tender error = %v", err)
		}
		if n := count(t, gdb, "SELECT count(*) FROM bids WHERE tender_id = ? AND opened_at IS NOT NULL AND compliant", targets.OpeningTender); n != int64(targets.OpeningBids) {
			t.Errorf("the opening opened %d compliant bids, want %d", n, targets.OpeningBids)
		}
		if st := count(t, gdb, "SELECT count(*) FROM tenders WHERE id = ? AND status = 'opened'", targets.OpeningTender); st != 1 {
			t.Errorf("the opening tender is not opened")
		}
	})
}

// TestGenerateIsDeterministic compares two runs with the same seed and day.
func TestGenerateIsDeterministic(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	now := time.Now()
	a, _ := generated(t, cfg, now)
	b, _ := generated(t, cfg, now)
	for _, q := range []string{
		"SELECT id, username, role, subdistrict_id, organization_id, community_id FROM users",
		"SELECT * FROM organizations", "SELECT * FROM transfer_item_versions", "SELECT * FROM tenders",
		"SELECT id, tender_id, organization_id, status, received_at, replaces_id, price_fen, opened_body FROM bids",
		"SELECT * FROM contracts", "SELECT * FROM service_records", "SELECT * FROM ratings", "SELECT * FROM ledger_lines",
		"SELECT * FROM milestone_payments", "SELECT * FROM award_proposals",
	} {
		sum := func(db *gorm.DB) string {
			var s string
			if err := db.Raw("SELECT coalesce(md5(string_agg(t::text, ',' ORDER BY t::text)), '') FROM (" + q + ") t").Scan(&s).Error; err != nil {
				t.Fatal(err)
			}
			return s
		}
		if x, y := sum(a), sum(b); x != y || x == "" {
			t.Errorf("%s: checksums %q and %q differ", q, x, y)
		}
	}
}

// BenchmarkGenerate generates the dataset at scale 0.005 (100 tenders,
// 5,000 service records) and reports the rows written per second.
func BenchmarkGenerate(b *testing.B) {
	cfg := testConfig(b)
	var rows int64
	var took time.Duration
	for b.Loop() {
		b.StopTimer()
		_, url := dbtest.NewWithURL(b)
		b.StartTimer()
		rep, err := dataset.Generate(context.Background(), url, options(cfg, 0.005, time.Now()))
		if err != nil {
			b.Fatal(err)
		}
		for _, n := range rep.Rows {
			rows += n
		}
		took += rep.Took
	}
	b.ReportMetric(float64(rows)/took.Seconds(), "rows/s")
}
