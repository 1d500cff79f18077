// Package replica sends the named public reads to a streaming read replica
// of the primary database (database.replica_url) and everything else to the
// primary: a query reaches the replica only when it opts in with Public.
package replica

import (
	"context"
	"database/sql"
	"fmt"

	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/plugin/dbresolver"

	"github.com/jiedao-market/jiedao/internal/platform/db"
)

// publicRead names the resolver of the read replica. Only statements that
// name it (Public) go to the replica: there is no global resolver, so
// every other statement keeps gorm's own pool, the primary. dbresolver also
// matches a resolver's name against table names, so the name is no table's.
const publicRead = "public-read"

// resolverPlugin is the name dbresolver registers itself under.
const resolverPlugin = "gorm:db_resolver"

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
	resolver := dbresolver.Register(dbresolver.Config{
		Replicas: []gorm.Dialector{postgres.New(postgres.Config{Conn: sqlDB})},
	}, publicRead)
	if err := gdb.Use(resolver); err != nil {
		sqlDB.Close()
		return nil, fmt.Errorf("register the read replica: %w", err)
	}
	return sqlDB, nil
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
// transaction (dbresolver never moves a transaction's statements) stay on
// the primary. It is for reads only: a raw statement through it goes to the
// replica whatever it says, so a write fails there (the replica is
// read-only). The result may be reused for several statements.
func Public(tx *gorm.DB) *gorm.DB {
	if _, ok := tx.Config.Plugins[resolverPlugin]; !ok {
		return tx
	}
	if ctx := tx.Statement.Context; ctx == nil || ctx.Value(lagKey{}) == nil {
		return tx
	}
	return tx.Clauses(dbresolver.Use(publicRead), dbresolver.Read).Session(&gorm.Session{})
}
