// Package server is the HTTP application: the Fiber app with its middleware,
// the single error handler, the operational endpoints (/healthz, /readyz,
// /metrics) and Serve. It mounts the JSON API (package api) and the pages
// (package ui) on the services cmd/jiedao builds.
package server

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
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
	log     *slog.Logger
	api     *api.Handler
	ui      *ui.Handler
	metrics *metrics
	app     *fiber.App
}

// Deps are what New needs: the configuration, the database (for readiness),
// the logger, the clock and the domain services.
type Deps struct {
	Config   config.Config
	DB       *gorm.DB
	Log      *slog.Logger
	Clock    clock.Clock
	Services request.Services
}

// New builds the server and its route table.
func New(d Deps) (*Server, error) {
	s := &Server{cfg: d.Config, db: d.DB, log: d.Log}
	var err error
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
		StrictRouting:         false,
		CaseSensitive:         true,
		// Behind a trusted reverse proxy the client address comes from X-Forwarded-For.
		EnableTrustedProxyCheck: len(d.Config.HTTP.TrustedProxies) > 0,
		TrustedProxies:          d.Config.HTTP.TrustedProxies,
		ProxyHeader:             proxyHeader(d.Config.HTTP.TrustedProxies),
	})
	s.routes()
	return s, nil
}

func proxyHeader(trusted []string) string {
	if len(trusted) == 0 {
		return ""
	}
	return fiber.HeaderXForwardedFor
}

// App returns the Fiber app, for tests (app.Test) and for serving.
func (s *Server) App() *fiber.App { return s.app }

// Serve listens on the configured address until ctx ends, then shuts down
// gracefully, letting requests in flight finish within the grace period.
func (s *Server) Serve(ctx context.Context) error {
	errc := make(chan error, 1)
	go func() { errc <- s.app.Listen(s.cfg.HTTP.Addr) }()
	s.log.Info("serving", "addr", s.cfg.HTTP.Addr)
	select {
	case err := <-errc:
		return fmt.Errorf("listen %s: %w", s.cfg.HTTP.Addr, err)
	case <-ctx.Done():
	}
	s.log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), s.cfg.HTTP.ShutdownGrace)
	defer cancel()
	return s.app.ShutdownWithContext(sctx)
}
