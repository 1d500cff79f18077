//go:build scale

package explain_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/bench/dataset"
	"github.com/jiedao-market/jiedao/internal/platform/clock"
	"github.com/jiedao-market/jiedao/internal/platform/db/dbtest"
	"github.com/jiedao-market/jiedao/internal/request"
	"github.com/jiedao-market/jiedao/internal/server"
	"github.com/jiedao-market/jiedao/internal/servertest"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Run(m)) }

// bigTables are the tables that grow with the platform: a hot read may never
// scan one of them whole. Small reference tables (districts, subdistricts,
// communities, service categories, standards) may be scanned.
var bigTables = []string{
	"tenders", "tender_communities", "tender_metrics", "tender_criteria", "bids", "bid_scores",
	"contracts", "contract_communities", "contract_milestones", "service_records", "ratings",
	"rating_aggregates", "complaints", "evaluations", "transfer_items", "transfer_item_versions",
	"transfer_item_communities", "organizations", "certifications", "certification_categories",
	"users", "ocds_releases", "audit_entries", "ledger_lines", "ledger_postings",
}

// fewRows is the size under which a table is read whole whatever its
// indexes: PostgreSQL reads a table of a few pages in a few sequential reads
// rather than descend an index and jump to each row. At scale 1 that is the
// catalog (400 transfer items and versions, 1,194 item-community rows) and
// the tables the dataset leaves empty (complaints, challenges, amendments);
// the transfer-item search reads the 400 published versions whole for most
// terms, and must for two-character ones, which pg_trgm cannot index.
const fewRows = 2000

// table is what the test knows of a table: its rows.
type table struct {
	Name string
	Rows float64
}

// statement is one SQL statement the application sent, with its bound values.
type statement struct {
	sql  string
	vars []any
}

// recorder keeps the statements GORM sends while it is on.
type recorder struct {
	mu   sync.Mutex
	on   bool
	seen []statement
}

func (r *recorder) record(db *gorm.DB) {
	if db.DryRun {
		return // a subquery being built, not a statement sent
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.on {
		r.seen = append(r.seen, statement{sql: db.Statement.SQL.String(), vars: slices.Clone(db.Statement.Vars)})
	}
}

// during returns the statements sent while do ran.
func (r *recorder) during(do func()) []statement {
	r.mu.Lock()
	r.on, r.seen = true, nil
	r.mu.Unlock()
	do()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.on = false
	return r.seen
}

// planNode is the part of an EXPLAIN (FORMAT JSON) node the test reads.
type planNode struct {
	NodeType string     `json:"Node Type"`
	Relation string     `json:"Relation Name"`
	Index    string     `json:"Index Name"`
	Rows     float64    `json:"Plan Rows"`
	Plans    []planNode `json:"Plans"`
}

// scans lists the plan's scans of tables, with the rows each table holds:
// "Index Scan tenders[20000] (tenders_status_idx)".
func (n planNode) scans(tables map[string]table, out []string) []string {
	if n.Relation != "" {
		s := fmt.Sprintf("%s %s[%.0f]", n.NodeType, n.Relation, tables[n.Relation].Rows)
		if n.Index != "" {
			s += " (" + n.Index + ")"
		}
		out = append(out, s)
	} else if n.Index != "" {
		out = append(out, n.NodeType+" ("+n.Index+")")
	}
	for _, c := range n.Plans {
		out = c.scans(tables, out)
	}
	return out
}

// seqScans lists the big tables the plan reads whole to keep a few of their
// rows: a Seq Scan of a table of fewRows or more of which the planner
// expects to keep less than half. A scan that keeps most of the table (the
// count of every published tender, of every capable organization) reads
// what it needs; no index would spare it a row.
func (n planNode) seqScans(tables map[string]table, out []string) []string {
	if t := tables[n.Relation]; n.NodeType == "Seq Scan" && slices.Contains(bigTables, n.Relation) &&
		t.Rows >= fewRows && n.Rows < t.Rows/2 {
		out = append(out, fmt.Sprintf("%s (keeps %.0f of %.0f rows)", n.Relation, n.Rows, t.Rows))
	}
	for _, c := range n.Plans {
		out = c.seqScans(tables, out)
	}
	return out
}

// scale is the dataset's scale: 1, or JIEDAO_EXPLAIN_SCALE for a quicker local run.
func scale(t *testing.T) float64 {
	s := os.Getenv("JIEDAO_EXPLAIN_SCALE")
	if s == "" {
		return 1
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f <= 0 {
		t.Fatalf("JIEDAO_EXPLAIN_SCALE = %q, want a positive number", s)
	}
	return f
}

// On the bench dataset at scale 1, every statement of every hot public read
// finds its rows of the big tables through indexes: none reads such a table
// from end to end to keep a few of its rows (seqScans).
func TestHotReadsUseIndexes(t *testing.T) {
	ctx := context.Background()
	cfg := servertest.Config(t)
	now := time.Now()
	gdb, dbURL := dbtest.NewWithURL(t)
	started := time.Now()
	rep, err := dataset.Generate(ctx, dbURL, dataset.Options{Scale: scale(t), Seed: 1, Now: now,
		SealKey: cfg.Tender.SealKey, RatingKey: cfg.Rating.CodeKey, Argon2: cfg.Auth.Argon2})
	if err != nil {
		t.Fatalf("dataset.Generate() error = %v", err)
	}
	t.Logf("dataset at scale %g in %s (%d tenders, %d service records)", rep.Scale, time.Since(started).Round(time.Second),
		rep.Rows["tenders"], rep.Rows["service_records"])
	// A live database is vacuumed by autovacuum: its visibility map lets the
	// planner answer from an index alone (Index Only Scan), which a table
	// freshly filled by COPY does not allow yet.
	if err := gdb.Exec("VACUUM (ANALYZE)").Error; err != nil {
		t.Fatalf("VACUUM: %v", err)
	}
	t.Logf("dataset generated and vacuumed in %s", time.Since(started).Round(time.Second))
	var sizes []table
	if err := gdb.Raw(`SELECT relname AS name, reltuples AS rows FROM pg_class
		WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace`).Scan(&sizes).Error; err != nil {
		t.Fatalf("table sizes: %v", err)
	}
	tables := map[string]table{}
	for _, s := range sizes {
		tables[s.Name] = s
	}
	targets, err := dataset.LoadTargets(ctx, gdb)
	if err != nil {
		t.Fatalf("dataset.LoadTargets() error = %v", err)
	}
	if len(targets.PublicTenders) == 0 || len(targets.Providers) == 0 || len(targets.SearchTerms) == 0 {
		t.Fatalf("targets = %d public tenders, %d providers, %d search terms; want some of each",
			len(targets.PublicTenders), len(targets.Providers), len(targets.SearchTerms))
	}

	// The application on the generated database, its micro-cache off
	// (servertest.Config), so that every request reaches PostgreSQL.
	clk := clock.NewManual(now)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc, err := request.NewServices(cfg, gdb, clk, log)
	if err != nil {
		t.Fatalf("request.NewServices() error = %v", err)
	}
	srv, err := server.New(server.Deps{Config: cfg, DB: gdb, Log: log, Clock: clk, Services: svc})
	if err != nil {
		t.Fatalf("server.New() error = %v", err)
	}
	e := &servertest.Env{DB: gdb, Clock: clk, Cfg: cfg, Services: svc, Server: srv, Logs: &servertest.LogBuffer{}}

	rec := &recorder{}
	cb := gdb.Callback()
	for name, err := range map[string]error{
		"query": cb.Query().After("gorm:query").Register("explain:query", rec.record),
		"row":   cb.Row().After("gorm:row").Register("explain:row", rec.record),
		"raw":   cb.Raw().After("gorm:raw").Register("explain:raw", rec.record),
	} {
		if err != nil {
			t.Fatalf("register the recorder (%s): %v", name, err)
		}
	}
	sqlDB, err := gdb.DB()
	if err != nil {
		t.Fatal(err)
	}

	routes := []struct{ name, path string }{
		{"public tender list", "/api/v1/public/tenders"},
		{"capable organizations", "/api/v1/public/organizations"},
		{"tender detail", fmt.Sprintf("/api/v1/public/tenders/%d", targets.PublicTenders[0])},
		{"provider profile", fmt.Sprintf("/api/v1/public/organizations/%d", targets.Providers[0])},
		{"catalog page", "/catalog"},
		{"catalog, last page", fmt.Sprintf("/catalog?page=%d", max(targets.CatalogPages, 1))},
	}
	// The portal's figures and the public summary of a contract.
	routes = append(routes, []struct{ name, path string }{
		{"home page", "/"},
		{"subdistrict page", fmt.Sprintf("/subdistricts/%d", targets.Subdistricts[0])},
	}...)
	// The public fund report: this year's contracts' running totals.
	routes = append(routes, []struct{ name, path string }{
		{"fund transparency page", "/transparency/funds"},
		{"fund transparency, one subdistrict", fmt.Sprintf("/transparency/funds?subdistrict=%d", targets.Subdistricts[0])},
	}...)
	if len(targets.Imports) > 0 {
		routes = append(routes, struct{ name, path string }{"public contract", fmt.Sprintf("/api/v1/public/contracts/%d", targets.Imports[0].ContractID)})
	}
	for _, q := range targets.SearchTerms {
		routes = append(routes, struct{ name, path string }{"transfer-item search " + q, "/api/v1/public/transfer-items?q=" + url.QueryEscape(q)})
	}
	for _, r := range routes {
		stmts := rec.during(func() {
			if res := e.Do(t, servertest.Request{Method: http.MethodGet, Path: r.path}); res.Status != http.StatusOK {
				t.Fatalf("%s: GET %s = %d, want 200: %s", r.name, r.path, res.Status, res.Body)
			}
		})
		if len(stmts) == 0 {
			t.Errorf("%s: GET %s sent no statement", r.name, r.path)
		}
		for i, s := range stmts {
			head := strings.ToUpper(strings.TrimSpace(s.sql))
			if !strings.HasPrefix(head, "SELECT") && !strings.HasPrefix(head, "WITH") {
				t.Logf("%s #%d: not planned: %s", r.name, i+1, s.sql) // a SET or the like
				continue
			}
			var raw []byte
			if err := sqlDB.QueryRowContext(ctx, "EXPLAIN (FORMAT JSON) "+s.sql, s.vars...).Scan(&raw); err != nil {
				t.Fatalf("%s: EXPLAIN %s %v: %v", r.name, s.sql, s.vars, err)
			}
			var plans []struct {
				Plan planNode `json:"Plan"`
			}
			if err := json.Unmarshal(raw, &plans); err != nil || len(plans) != 1 {
				t.Fatalf("%s: EXPLAIN answered %s: %v", r.name, raw, err)
			}
			p := plans[0].Plan
			t.Logf("%s #%d: %s", r.name, i+1, strings.Join(p.scans(tables, nil), ", "))
			if seq := p.seqScans(tables, nil); len(seq) > 0 {
				t.Errorf("%s (GET %s) statement %d reads %s whole (Seq Scan):\n%s\nvars %v\nplan %s",
					r.name, r.path, i+1, strings.Join(seq, ", "), s.sql, s.vars, raw)
			}
		}
	}
}
