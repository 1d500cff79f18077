package db_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/jiedao-market/jiedao/internal/platform/db/dbtest"
)

// tenantPath names, for every tenant table, how a row finds its district:
// "district_id" when it carries it, otherwise the column of the one foreign
// key that leads to a table carrying it. It is the premise of distributing
// the tenant tables by district (README, "Past one machine"): a row's shard
// is known from the row or from one parent.
var tenantPath = map[string]string{
	// Carry the district.
	"subdistricts": "district_id", "organizations": "district_id", "certifications": "district_id",
	"guidance_entries": "district_id",
	"tenders":          "district_id", "contracts": "district_id", "transfer_items": "district_id",
	"transfer_item_versions": "district_id", "fund_accounts": "district_id",
	"ledger_postings": "district_id", "evaluations": "district_id", "service_records": "district_id",

	// Through their subdistrict.
	"communities": "subdistrict_id", "complaints": "subdistrict_id", "service_requests": "subdistrict_id",
	"red_flags": "subdistrict_id",

	// Through their tender.
	"bids": "tender_id", "bid_commitments": "tender_id", "bid_scores": "tender_id",
	"bid_performance": "tender_id", "award_proposals": "tender_id", "challenges": "tender_id",
	"score_sheets": "tender_id", "tender_amendments": "tender_id", "tender_committee": "tender_id",
	"tender_communities": "tender_id", "tender_criteria": "tender_id", "tender_invitations": "tender_id",
	"tender_metrics": "tender_id", "tender_questions": "tender_id", "ocds_releases": "tender_id",

	// Through their contract, evaluation or service record.
	"contract_amendments": "contract_id", "contract_communities": "contract_id",
	"contract_metrics": "contract_id", "contract_milestones": "contract_id",
	"contract_termination_requests": "contract_id", "contract_versions": "contract_id",
	"follow_ups": "contract_id", "ratings": "contract_id", "rectification_orders": "contract_id",
	"milestone_payments":   "contract_id",
	"evaluation_documents": "evaluation_id", "evaluation_figures": "evaluation_id",
	"service_record_revisions": "record_id",

	// Through their transfer item version (a two-column key).
	"transfer_item_communities": "item_id", "transfer_item_metrics": "item_id",

	// Through their fund account, posting or payout.
	"donations": "fund_account_id", "fund_account_categories": "fund_account_id",
	"ledger_accounts": "fund_account_id", "payouts": "fund_account_id", "ledger_lines": "posting_id",
	"contract_ledger_totals": "fund_account_id",

	// Through their organization or certification.
	"organization_documents": "organization_id", "organization_payout_accounts": "organization_id",
	"certification_categories": "certification_id", "certification_documents": "certification_id",
}

// logicalPath lists the tenant tables whose path column has no foreign key on
// purpose, with the table it names.
var logicalPath = map[string]string{
	// 00004: written outside the payout job's transaction; a foreign key
	// would wait for the job's lock on the payout.
	"payout_attempts": "payouts",
}

// notTenant lists every other table, with why it is not distributed by
// district.
var notTenant = map[string]string{
	"districts":            "reference: every district, on every node",
	"service_categories":   "reference: the national category list",
	"metric_templates":     "reference: the service standards, national (no district) or a district's own, read by every district's tenders",
	"users":                "identity: a user (a resident, an organization's staff) acts across districts",
	"auth_sessions":        "identity: read on every request by session id",
	"refresh_tokens":       "identity",
	"email_tokens":         "identity",
	"mail_messages":        "identity: a user's outgoing mail",
	"mail_preferences":     "identity: a user's choice of mail per notification kind",
	"mail_digests":         "identity: the daily digest sent to a user",
	"notifications":        "identity: addressed to a user or an organization, which may bid in several districts",
	"login_failures":       "identity: throttling by username and address",
	"rating_aggregates":    "derived: running sums per provider or contract, rebuilt from ratings",
	"rating_code_failures": "platform: throttling of rating-code guesses by client",
	"rate_limits":          "platform: the anonymous requests per client address, across replicas",
	"red_flag_runs":        "platform: one row per nightly run",
	"stripe_events":        "platform: Stripe's webhook events, by Stripe's id",
	"audit_entries":        "platform: the one audit chain",
	"audit_heads":          "platform: the chain's published heads",
	"goose_db_version":     "platform: applied migrations",
}

// Every table of the schema is classified, and every tenant table reaches its
// district in at most one step: it carries district_id (NOT NULL) or its
// path column is NOT NULL with a foreign key to a table that does.
func TestEveryTenantTableReachesItsDistrict(t *testing.T) {
	t.Parallel()
	gdb := dbtest.New(t)
	ctx := context.Background()

	var tables []string
	if err := gdb.WithContext(ctx).Raw(`SELECT table_name FROM information_schema.tables
		WHERE table_schema = 'public' AND table_type = 'BASE TABLE' AND table_name NOT LIKE 'river\_%'
		ORDER BY table_name`).Scan(&tables).Error; err != nil {
		t.Fatal(err)
	}
	notNull := func(table, column string) bool {
		var n int64
		if err := gdb.WithContext(ctx).Raw(`SELECT count(*) FROM information_schema.columns
			WHERE table_schema = 'public' AND table_name = ? AND column_name = ? AND is_nullable = 'NO'`,
			table, column).Scan(&n).Error; err != nil {
			t.Fatal(err)
		}
		return n == 1
	}
	// referenced returns the tables that a foreign key on table, whose
	// columns include column, points at.
	referenced := func(table, column string) []string {
		var out []string
		if err := gdb.WithContext(ctx).Raw(`SELECT DISTINCT cf.relname FROM pg_constraint c
			JOIN pg_class cl ON cl.oid = c.conrelid JOIN pg_class cf ON cf.oid = c.confrelid
			JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)
			WHERE c.contype = 'f' AND cl.relname = ? AND a.attname = ? AND cl.relnamespace = 'public'::regnamespace`,
			table, column).Scan(&out).Error; err != nil {
			t.Fatal(err)
		}
		return out
	}

	for _, table := range tables {
		path, tenant := tenantPath[table]
		target, logical := logicalPath[table]
		_, other := notTenant[table]
		switch {
		case !tenant && !logical && !other:
			t.Errorf("table %s is not classified: add it to tenantPath (how it reaches its district) or notTenant (why it is not distributed)", table)
		case tenant && path == "district_id":
			if !notNull(table, "district_id") {
				t.Errorf("%s: district_id is missing or nullable", table)
			}
		case tenant:
			if !notNull(table, path) {
				t.Errorf("%s: path column %s is missing or nullable", table, path)
				continue
			}
			parents := referenced(table, path)
			if !slices.ContainsFunc(parents, func(p string) bool { return notNull(p, "district_id") }) {
				t.Errorf("%s.%s refers to %v, none of which carries district_id: a row would need more than one step to find its district",
					table, path, parents)
			}
		case logical:
			if _, ok := tenantPath[target]; !ok {
				t.Errorf("%s names %s, which is not a tenant table", table, target)
			}
		}
	}
	for _, m := range []map[string]string{tenantPath, notTenant} {
		for table := range m {
			if !slices.Contains(tables, table) {
				t.Errorf("classified table %s does not exist", table)
			}
		}
	}
}

// The district a parent carries is copied into each new child by the
// database, whoever inserts it, and cannot disagree with the parent's.
func TestDistrictCopiedFromTheParent(t *testing.T) {
	t.Parallel()
	gdb := dbtest.New(t)
	ctx := context.Background()
	var districts []int64
	err := gdb.WithContext(ctx).Raw(`WITH d AS (INSERT INTO districts (code, name_zh, name_en)
		VALUES ('990001', '测试一区', 'Test One'), ('990002', '测试二区', 'Test Two') RETURNING id)
		SELECT id FROM d ORDER BY id`).Scan(&districts).Error
	if err != nil {
		t.Fatal(err)
	}
	var sub int64
	if err := gdb.WithContext(ctx).Raw(`INSERT INTO subdistricts (district_id, code, name_zh, name_en)
		VALUES (?, '990001001', '测试街道', 'Test Street') RETURNING id`, districts[1]).Scan(&sub).Error; err != nil {
		t.Fatal(err)
	}
	var item struct{ DistrictID int64 }
	if err := gdb.WithContext(ctx).Raw(`INSERT INTO transfer_items (subdistrict_id, district_id) VALUES (?, ?) RETURNING district_id`,
		sub, districts[0]).Scan(&item).Error; err != nil {
		t.Fatal(err)
	}
	if item.DistrictID != districts[1] {
		t.Errorf("transfer item's district_id = %d, want its subdistrict's %d (whatever the insert says)", item.DistrictID, districts[1])
	}
	err = gdb.WithContext(ctx).Exec(`UPDATE transfer_items SET district_id = ? WHERE subdistrict_id = ?`, districts[0], sub).Error
	if err == nil || !strings.Contains(err.Error(), "transfer_items_district_fkey") {
		t.Errorf("moving a transfer item to another district: error = %v, want the district foreign key to refuse", err)
	}
}
