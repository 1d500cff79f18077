package server

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"net/url"
	"testing"
	"time"

	"github.com/jiedao-market/jiedao/internal/platform/db/dbtest"
)

// TestDatabaseAway classifies real errors: those of a database that is away
// (a closed port, a terminated backend, no connection before the deadline)
// are unavailable, every other database error stays internal.
func TestDatabaseAway(t *testing.T) {
	t.Parallel()
	gdb, dbURL := dbtest.NewWithURL(t)
	ctx := context.Background()
	errs := map[string]error{}

	// A closed port: nothing listens where the database should be.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedPort := l.Addr().String()
	l.Close()
	u, _ := url.Parse(dbURL)
	u.Host = closedPort
	closed, err := sql.Open("pgx", u.String())
	if err != nil {
		t.Fatal(err)
	}
	defer closed.Close()
	errs["closed port"] = closed.PingContext(ctx)

	// A backend terminated under the pool: the next statement on its
	// connection reads the server's FATAL 57P01, the one after finds the
	// connection gone (driver.ErrBadConn).
	pool, err := sql.Open("pgx", dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	conn, err := pool.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var pid int
	if err := conn.QueryRowContext(ctx, "SELECT pg_backend_pid()").Scan(&pid); err != nil {
		t.Fatal(err)
	}
	var done bool
	if err := gdb.Raw("SELECT pg_terminate_backend(?)", pid).Scan(&done).Error; err != nil || !done {
		t.Fatalf("pg_terminate_backend(%d) = %v, %v", pid, done, err)
	}
	_, errs["terminated backend"] = conn.ExecContext(ctx, "SELECT 1")
	_, errs["connection after termination"] = conn.ExecContext(ctx, "SELECT 1")
	conn.Close()
	// The pool itself recovers: a new connection replaces the dead one.
	if err := pool.PingContext(ctx); err != nil {
		t.Errorf("PingContext() after the termination error = %v, want a new connection", err)
	}

	// No connection before the deadline: the pool's only one is taken.
	pool.SetMaxOpenConns(1)
	held, err := pool.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	_, errs["no connection before the deadline"] = pool.ExecContext(short, "SELECT 1")
	cancel()

	// Errors that stay internal: the statement, not the database, failed.
	_, errs["internal: syntax error"] = held.ExecContext(ctx, "SELEC 1")
	_, errs["internal: division by zero"] = held.ExecContext(ctx, "SELECT 1 FROM (VALUES (1)) v(x) GROUP BY x HAVING 1/0 = 1")
	if _, err := held.ExecContext(ctx, "SET statement_timeout = 10"); err != nil {
		t.Fatal(err)
	}
	_, errs["internal: statement timeout"] = held.ExecContext(ctx, "SELECT pg_sleep(1)")
	if _, err := held.ExecContext(ctx, "RESET statement_timeout"); err != nil {
		t.Fatal(err)
	}
	slow, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	_, errs["internal: statement past the request's deadline"] = held.ExecContext(slow, "SELECT pg_sleep(1)")
	cancel()
	held.Close()
	errs["internal: record not found"] = gdb.Table("districts").Where("id = -1").Take(&struct{ ID int64 }{}).Error
	errs["internal: plain error"] = errors.New("something else")

	for name, err := range errs {
		t.Run(name, func(t *testing.T) {
			if err == nil {
				t.Fatal("the operation succeeded; want an error")
			}
			want := name[:9] != "internal:"
			t.Logf("%T: %v", err, err)
			wrapped := fmt.Errorf("do something: %w", err)
			if got := databaseAway(wrapped); got != want {
				t.Errorf("databaseAway(%T %v) = %v, want %v", errors.Unwrap(wrapped), err, got, want)
			}
		})
	}
}
