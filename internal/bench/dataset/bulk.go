package dataset

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// deferred is a foreign key or index of a big table, dropped before its
// rows are copied and made again after (restore), inside the run's
// transaction: a foreign key added to a filled table is checked by one join
// instead of one query per row, an index built once instead of row by row.
// Re-adding validates every row, so nothing the schema forbids gets in.
type deferred struct {
	table, name, def string
	index            bool
}

// bulkTables are the tables whose foreign keys and indexes wait for the
// end of the run: every index but those of primary keys and constraints and
// those foreign keys refer to. A unique index made again checks that no two
// rows collide, as it would have row by row.
var bulkTables = []string{"tenders", "tender_communities", "tender_metrics", "tender_criteria", "tender_committee", "bids",
	"bid_scores", "bid_performance", "score_sheets", "service_records", "ratings", "contract_metrics", "contract_communities",
	"evaluation_figures", "milestone_payments", "users", "ledger_postings", "ledger_lines", "contract_milestones", "payouts",
	"organization_documents", "certifications", "certification_categories", "award_proposals", "contracts"}

// deferConstraints drops the foreign keys and indexes of bulkTables,
// remembering them for restore.
func (g *gen) deferConstraints(ctx context.Context) error {
	rows, err := g.c.Query(ctx, `
		SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid), false
		  FROM pg_constraint c WHERE c.contype = 'f' AND c.conrelid = ANY($1::regclass[])
		UNION ALL
		SELECT i.indrelid::regclass::text, x.relname, pg_get_indexdef(i.indexrelid), true
		  FROM pg_index i JOIN pg_class x ON x.oid = i.indexrelid
		 WHERE i.indrelid = ANY($1::regclass[]) AND NOT i.indisprimary
		   AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
		ORDER BY 4, 1, 2`, bulkTables)
	if err != nil {
		return err
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (deferred, error) {
		var d deferred
		return d, r.Scan(&d.table, &d.name, &d.def, &d.index)
	})
	if err != nil {
		return err
	}
	for _, d := range list {
		stmt := fmt.Sprintf("ALTER TABLE %s DROP CONSTRAINT %s", d.table, pgx.Identifier{d.name}.Sanitize())
		if d.index {
			stmt = "DROP INDEX " + pgx.Identifier{d.name}.Sanitize()
		}
		if _, err := g.c.Exec(ctx, stmt); err != nil {
			return fmt.Errorf("defer %s: %w", d.name, err)
		}
	}
	g.deferred = list
	return nil
}

// restore makes again what deferConstraints dropped: indexes first, then
// the foreign keys, each checking every row.
func (g *gen) restore(ctx context.Context) error {
	for _, d := range g.deferred {
		stmt := d.def
		if !d.index {
			stmt = fmt.Sprintf("ALTER TABLE %s ADD CONSTRAINT %s %s", d.table, pgx.Identifier{d.name}.Sanitize(), d.def)
		}
		if _, err := g.c.Exec(ctx, stmt); err != nil {
			return fmt.Errorf("restore %s on %s: %w", d.name, d.table, err)
		}
	}
	g.deferred = nil
	return nil
}
