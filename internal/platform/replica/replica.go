// Package replica sends the named public reads to a streaming read replica
// of the primary database (database.replica_url) and everything else to the
// primary: a query reaches the replica only when it opts in with Public.
package replica

import (
	"context"
	"database/sql"
	"fmt"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/jiedao-market/jiedao/internal/platform/db"
)

// pluginName is the name the resolver registers itself under
// (gorm.Config.Plugins): Public looks for it to know a replica is there.
const pluginName = "jiedao:replica"

// markName names the clause by which Public marks its statements.
const markName = "jiedao:replica:public"

// publicMark is that clause. GORM copies a statement's clauses into every
// statement derived from it, so the result of Public may be reused; and
// builds only the clauses a statement's kind names (SELECT, FROM, WHERE…),
// so this one adds nothing to the SQL. (A setting, gorm.DB.Set, would do as
// well, but looking one up in a statement's fresh sync.Map allocates.)
type publicMark struct{}

// Name implements clause.Interface.
func (publicMark) Name() string { return markName }

// Build implements clause.Interface: the mark writes nothing.
func (publicMark) Build(clause.Builder) {}

// MergeClause implements clause.Interface.
func (publicMark) MergeClause(c *clause.Clause) { c.Expression = publicMark{} }

// Use registers the streaming read replica at url on gdb, for the public
// reads that opt in with Public, and returns the replica's pool
// (for readiness checks and metrics; the caller closes it). It fails
// when the replica cannot be reached.
func Use(ctx context.Context, gdb *gorm.DB, url string, opt db.Options) (*sql.DB, error) {
	rdb, err := db.Open(ctx, url, opt)
	if err != nil {
		return nil, fmt.Errorf("read replica: %w", err)
	}
	sqlDB, err := rdb.DB()
	if err != nil {
		return nil, fmt.Errorf("read replica: %w", err)
	}
	if err := gdb.Use(&resolver{replica: sqlDB}); err != nil {
		sqlDB.Close()
		return nil, fmt.Errorf("register the read replica: %w", err)
	}
	return sqlDB, nil
}

// resolver is a GORM plugin that sends the statements Public marked to the
// replica. Its callbacks run before every query, row and raw statement, and
// look at the statement's clauses and pool only, never at its SQL: an
// unmarked statement stays on gorm's own pool, the primary, for the price of
// a map look-up. (gorm.io/plugin/dbresolver, used before, matched every raw
// statement's text against a regular expression to find a table name: some
// 30 µs of CPU for a statement of 800 characters, BenchmarkUnmarkedStatement.)
type resolver struct {
	replica *sql.DB
}

// Name implements gorm.Plugin.
func (*resolver) Name() string { return pluginName }

// Initialize implements gorm.Plugin: it registers route before GORM's
// query, row (Scan, Rows) and raw (Exec) callbacks. Create, Update and
// Delete are never routed: they stay on the primary.
func (r *resolver) Initialize(gdb *gorm.DB) error {
	cb := gdb.Callback()
	if err := cb.Query().Before("gorm:query").Register(pluginName, r.route); err != nil {
		return err
	}
	if err := cb.Row().Before("gorm:row").Register(pluginName, r.route); err != nil {
		return err
	}
	return cb.Raw().Before("gorm:raw").Register(pluginName, r.route)
}

// route sends tx's statement to the replica when Public marked it, unless
// it runs in a transaction (its pool is then the transaction's, which
// stays where it began: the primary).
func (r *resolver) route(tx *gorm.DB) {
	if _, ok := tx.Statement.Clauses[markName]; !ok {
		return
	}
	if _, inTx := tx.Statement.ConnPool.(gorm.TxCommitter); inTx {
		return
	}
	tx.Statement.ConnPool = r.replica
}

// lagKey marks a context whose public reads may lag the primary.
type lagKey struct{}

// AllowLag returns ctx marked as a request that has written nothing it could
// expect to read back: a request of no signed-in user. Only under such a
// context does Public send reads to the replica, so that a signed-in user's
// page shows what they have just done even when it reuses a public read
// (an organization's ratings page after its reply, an officer's tender
// page after the opening).
func AllowLag(ctx context.Context) context.Context {
	return context.WithValue(ctx, lagKey{}, true)
}

// Public returns tx with its reads sent to the read replica, when one is
// registered (Use) and tx's context allows lag (AllowLag); otherwise tx
// itself. Only the named public reads use it (README, "Deployment"): a
// session check, anything read after a write, and everything in a
// transaction (the resolver never moves a transaction's statements) stay on
// the primary. It is for reads only: a raw statement through it goes to the
// replica whatever it says, so a write fails there (the replica is
// read-only). The result may be reused for several statements.
func Public(tx *gorm.DB) *gorm.DB {
	if _, ok := tx.Config.Plugins[pluginName]; !ok {
		return tx
	}
	if ctx := tx.Statement.Context; ctx == nil || ctx.Value(lagKey{}) == nil {
		return tx
	}
	return tx.Clauses(publicMark{}).Session(&gorm.Session{})
}
