package server_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"testing"

	"github.com/jiedao-market/jiedao/internal/platform/db"
	"github.com/jiedao-market/jiedao/internal/platform/db/dbtest"
	"github.com/jiedao-market/jiedao/internal/server"
	"github.com/jiedao-market/jiedao/internal/servertest"
)

// /readyz checks the read replica too when there is one: ready while it
// answers, 503 once it does not.
func TestReadyChecksReplica(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t, servertest.AccountsOnly)
	_, url := dbtest.NewWithURL(t)
	standby, err := db.Open(context.Background(), url, db.Options{MaxOpenConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	sqlDB, err := standby.DB()
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(server.Deps{Config: e.Cfg, DB: e.DB, Replica: sqlDB,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Clock: e.Clock, Services: e.Services})
	if err != nil {
		t.Fatal(err)
	}
	withReplica := &servertest.Env{DB: e.DB, Clock: e.Clock, Cfg: e.Cfg, Services: e.Services, Server: srv, Logs: e.Logs}
	if r := withReplica.Do(t, servertest.Request{Method: "GET", Path: "/readyz"}); r.Status != http.StatusOK {
		t.Errorf("GET /readyz with the replica up = %d %s, want 200", r.Status, r.Body)
	}
	sqlDB.Close()
	if r := withReplica.Do(t, servertest.Request{Method: "GET", Path: "/readyz"}); r.Status != http.StatusServiceUnavailable {
		t.Errorf("GET /readyz with the replica gone = %d %s, want 503", r.Status, r.Body)
	}
}
