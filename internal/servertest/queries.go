package servertest

import (
	"sync"
	"sync/atomic"
	"testing"

	"gorm.io/gorm"
)

// Queries counts the SQL statements the application runs through e.DB, for
// tests that hold a route to a fixed number of queries per request.
type Queries struct {
	n   atomic.Int64
	mu  sync.Mutex
	sql []string
}

// Count returns the statements run since the counter was made.
func (q *Queries) Count() int64 { return q.n.Load() }

// Since returns the statements run after the first n, for a failure message.
func (q *Queries) Since(n int64) []string {
	q.mu.Lock()
	defer q.mu.Unlock()
	if int(n) > len(q.sql) {
		return nil
	}
	return append([]string(nil), q.sql[n:]...)
}

// CountQueries installs a counter on e.DB's callbacks (every query, row,
// raw statement, create, update and delete) and returns it.
func (e *Env) CountQueries(t testing.TB) *Queries {
	t.Helper()
	q := &Queries{}
	inc := func(db *gorm.DB) {
		if db.DryRun {
			return // a subquery being built, not a statement sent
		}
		q.mu.Lock()
		defer q.mu.Unlock()
		q.n.Add(1)
		q.sql = append(q.sql, db.Statement.SQL.String())
	}
	cb := e.DB.Callback()
	for name, err := range map[string]error{
		"query":  cb.Query().After("gorm:query").Register("servertest:count_query", inc),
		"row":    cb.Row().After("gorm:row").Register("servertest:count_row", inc),
		"raw":    cb.Raw().After("gorm:raw").Register("servertest:count_raw", inc),
		"create": cb.Create().After("gorm:create").Register("servertest:count_create", inc),
		"update": cb.Update().After("gorm:update").Register("servertest:count_update", inc),
		"delete": cb.Delete().After("gorm:delete").Register("servertest:count_delete", inc),
	} {
		if err != nil {
			t.Fatalf("register the query counter (%s): %v", name, err)
		}
	}
	return q
}
