package db

import (
	"context"
	"database/sql"
	"fmt"

	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/plugin/dbresolver"
)

// publicRead names the resolver of the read replica. Only statements that
// name it (PublicRead) go to the replica: there is no global resolver, so
// every other statement keeps gorm's own pool, the primary. dbresolver also
// matches a resolver's name against table names, so the name is no table's.
const publicRead = "public-read"

// resolverPlugin is the name dbresolver registers itself under.
const resolverPlugin = "gorm:db_resolver"

// UseReplica registers the streaming read replica at url on gdb, for the
// public reads that opt in with PublicRead, and returns the replica's pool
// (for readiness checks and metrics; the caller closes it). It fails
// when the replica cannot be reached.
func UseReplica(ctx context.Context, gdb *gorm.DB, url string, opt Options) (*sql.DB, error) {
	rdb, err := Open(ctx, url, opt)
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

// PublicRead returns tx with its reads sent to the read replica, when one is
// registered (UseReplica); otherwise tx itself. Only anonymous public reads
// that may lag the primary by the replica's delay use it: a session check,
// anything read after a write, and everything in a transaction (dbresolver
// never moves a transaction's statements) stay on the primary. It is for
// reads only: a raw statement through it goes to the replica whatever it
// says, so a write fails there (the replica is read-only), which no test
// misses. The result may be reused for several statements.
func PublicRead(tx *gorm.DB) *gorm.DB {
	if _, ok := tx.Config.Plugins[resolverPlugin]; !ok {
		return tx
	}
	return tx.Clauses(dbresolver.Use(publicRead), dbresolver.Read).Session(&gorm.Session{})
}
