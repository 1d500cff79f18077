// Package server is the HTTP application: the Fiber app with its middleware,
// the single error handler, the operational endpoints (/healthz, /readyz,
// /metrics) and Serve. It mounts the JSON API (package api) and the pages
// (package ui) on the services cmd/jiedao builds.
package server

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/api"
	"github.com/jiedao-market/jiedao/internal/config"
	"github.com/jiedao-market/jiedao/internal/platform/clock"
	"github.com/jiedao-market/jiedao/internal/request"
	"github.com/jiedao-market/jiedao/internal/ui"
)

// Server is the HTTP application with its dependencies.
type Server struct {
	cfg     config.Config
	db      *gorm.DB
	replica *sql.DB // the read replica, nil when none
	log     *slog.Logger
	api     *api.Handler
	ui      *ui.Handler
	metrics *metrics
	proxies proxies // trusted reverse proxies
	app     *fiber.App
	// patterns are the registered routes, "METHOD /path/:param", for the
	// route label of logs and metrics.
	patterns map[string]bool
	// micro keeps shareable public answers for http.public_cache (cache.go).
	micro *microCache
}

// Deps are what New needs: the configuration, the database (for readiness),
// the logger, the clock and the domain services.
type Deps struct {
	Config config.Config
	DB     *gorm.DB
	// Replica is the read replica's pool (replica.Use), checked by
	// /readyz with the primary; nil when there is none.
	Replica  *sql.DB
	Log      *slog.Logger
	Clock    clock.Clock
	Services request.Services
}

// New builds the server and its route table.
func New(d Deps) (*Server, error) {
	s := &Server{cfg: d.Config, db: d.DB, replica: d.Replica, log: d.Log, micro: newMicroCache(d.Config.HTTP.PublicCache)}
	var err error
	if s.proxies, err = parseProxies(d.Config.HTTP.TrustedProxies); err != nil {
		return nil, err
	}
	if s.api, err = api.New(d.Config, d.Services); err != nil {
		return nil, err
	}
	if s.ui, err = ui.New(d.Config, d.Clock, d.Services); err != nil {
		return nil, err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if sqlDB, err := d.DB.DB(); err == nil {
		reg.MustRegister(collectors.NewDBStatsCollector(sqlDB, "jiedao"))
	}
	if d.Replica != nil {
		reg.MustRegister(collectors.NewDBStatsCollector(d.Replica, "jiedao_replica"))
	}
	s.metrics = newMetrics(reg)
	s.app = fiber.New(fiber.Config{
		AppName:      "jiedao",
		ErrorHandler: s.handleError,
		// fasthttp reads a request whole before any handler runs: a declared
		// length over BodyLimit is refused unread, a client slower than
		// ReadTimeout is cut off (408), headers must fit ReadBufferSize.
		// Compressed bodies are refused by refuseContentEncoding.
		BodyLimit:             d.Config.HTTP.BodyLimit,
		ReadTimeout:           d.Config.HTTP.ReadTimeout,
		ReadBufferSize:        d.Config.HTTP.ReadBufferBytes,
		WriteTimeout:          d.Config.HTTP.RequestTimeout,
		IdleTimeout:           2 * time.Minute,
		DisableStartupMessage: true,
		// Every string a handler gets from the request (method, path, params,
		// query, headers, form values) is a copy, not a view of fasthttp's
		// buffers that the next request on the connection overwrites: values
		// kept past the handler (metric labels, limiter keys, anything cached
		// or logged later) stay what they were. It costs an allocation per
		// value read, which the benchmarks show to be small beside the rest of
		// a request.
		Immutable:     true,
		StrictRouting: false,
		CaseSensitive: true,
		// The client address is derived by the clientIP middleware (the
		// right-most X-Forwarded-For hop that is not a trusted proxy), not by
		// Fiber, whose c.IP() would believe the left-most, which the client writes.
	})
	s.routes()
	s.patterns = map[string]bool{}
	for _, r := range s.app.GetRoutes(true) {
		s.patterns[r.Method+" "+r.Path] = true
	}
	return s, nil
}

// App returns the Fiber app, for tests (app.Test) and for serving.
func (s *Server) App() *fiber.App { return s.app }

// MetricsHandler answers GET /metrics with the Prometheus exposition: the
// requests and their latency by method and route pattern, the database pool,
// the Go runtime. Serve serves it on its own address (http.metrics_addr).
func (s *Server) MetricsHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.metrics.registry, promhttp.HandlerOpts{}))
	if s.cfg.HTTP.Pprof {
		// Opt-in (http.pprof): the profiler is for the operator on the
		// metrics address, never on the public one.
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	}
	return mux
}

// Serve listens on the configured addresses (http.addr, and http.metrics_addr
// unless it is empty) until ctx ends, then shuts down gracefully, letting
// requests in flight finish within the grace period. It fails at once when an
// address cannot be listened on.
func (s *Server) Serve(ctx context.Context) error {
	app, err := net.Listen("tcp", s.cfg.HTTP.Addr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", s.cfg.HTTP.Addr, err)
	}
	var metrics net.Listener
	if s.cfg.HTTP.MetricsAddr != "" {
		if metrics, err = net.Listen("tcp", s.cfg.HTTP.MetricsAddr); err != nil {
			app.Close()
			return fmt.Errorf("listen %s for metrics (http.metrics_addr; each process on a host needs its own): %w", s.cfg.HTTP.MetricsAddr, err)
		}
	}
	return s.ServeOn(ctx, app, metrics)
}

// ServeOn is Serve on listeners of the caller's: the site on app, the metrics
// on metrics unless it is nil.
func (s *Server) ServeOn(ctx context.Context, app, metrics net.Listener) error {
	errc := make(chan error, 2)
	go func() { errc <- s.app.Listener(app) }()
	s.log.Info("serving", "addr", app.Addr().String())
	var ms *http.Server
	if metrics != nil {
		ms = &http.Server{Handler: s.MetricsHandler(), ReadHeaderTimeout: 10 * time.Second}
		go func() {
			if err := ms.Serve(metrics); !errors.Is(err, http.ErrServerClosed) {
				errc <- fmt.Errorf("metrics on %s: %w", metrics.Addr(), err)
			}
		}()
		s.log.Info("serving metrics", "addr", metrics.Addr().String())
	}
	select {
	case err := <-errc:
		if ms != nil {
			_ = ms.Close()
		}
		_ = s.app.Shutdown()
		return err
	case <-ctx.Done():
	}
	s.log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), s.cfg.HTTP.ShutdownGrace)
	defer cancel()
	if ms != nil {
		_ = ms.Shutdown(sctx)
	}
	return s.app.ShutdownWithContext(sctx)
}
