// Package server holds the HTTP side: the Fiber app, its middleware, the route
// table, the API handlers, the server-rendered pages and the OpenAPI document.
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

	"github.com/jiedao-market/jiedao/internal/auth"
	"github.com/jiedao-market/jiedao/internal/catalog"
	"github.com/jiedao-market/jiedao/internal/config"
	"github.com/jiedao-market/jiedao/internal/fund"
	"github.com/jiedao-market/jiedao/internal/org"
	"github.com/jiedao-market/jiedao/internal/payout"
	"github.com/jiedao-market/jiedao/internal/place"
	"github.com/jiedao-market/jiedao/internal/platform/clock"
	"github.com/jiedao-market/jiedao/internal/tender"
)

// Server is the HTTP application with its dependencies.
type Server struct {
	cfg     config.Config
	db      *gorm.DB
	log     *slog.Logger
	clock   clock.Clock
	auth    *auth.Service
	places  *place.Service
	orgs    *org.Service
	catalog *catalog.Service
	funds   *fund.Service
	payouts *payout.Service
	tenders *tender.Service
	pages   *pages
	metrics *metrics
	openapi []byte
	app     *fiber.App
}

// Deps are what New needs.
type Deps struct {
	Config config.Config
	DB     *gorm.DB
	Log    *slog.Logger
	Clock  clock.Clock
	Auth   *auth.Service
	// Payouts may be nil: a payout service without Stripe or jobs is made.
	Payouts *payout.Service
	// Tenders may be nil: a tender service without jobs is made, sealing
	// under Config.Tender.SealKey.
	Tenders *tender.Service
}

// New builds the server and its route table.
func New(d Deps) (*Server, error) {
	s := &Server{
		cfg:     d.Config,
		db:      d.DB,
		log:     d.Log,
		clock:   d.Clock,
		auth:    d.Auth,
		places:  place.NewService(d.DB, d.Clock),
		orgs:    org.NewService(d.DB, d.Clock, org.Options{Argon2: d.Config.Auth.Argon2, Uploads: d.Config.Uploads}),
		catalog: catalog.NewService(d.DB, d.Clock),
		funds:   fund.NewService(d.DB, d.Clock),
		payouts: d.Payouts,
	}
	if s.payouts == nil {
		s.payouts = payout.NewService(d.DB, d.Clock, d.Log, payout.Options{})
	}
	var err error
	if s.tenders = d.Tenders; s.tenders == nil {
		if s.tenders, err = NewTenderService(d.Config, d.DB, d.Clock); err != nil {
			return nil, err
		}
	}
	if s.openapi, err = loadOpenAPI(); err != nil {
		return nil, err
	}
	if s.pages, err = newPages(d.Config); err != nil {
		return nil, err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if sqlDB, err := d.DB.DB(); err == nil {
		reg.MustRegister(collectors.NewDBStatsCollector(sqlDB, "jiedao"))
	}
	s.metrics = newMetrics(reg)
	s.app = fiber.New(fiber.Config{
		AppName:               "jiedao",
		ErrorHandler:          s.handleError,
		BodyLimit:             d.Config.HTTP.BodyLimit,
		ReadTimeout:           d.Config.HTTP.RequestTimeout,
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

// NewTenderService returns the tender service the configuration describes:
// bids sealed under tender.seal_key (JIEDAO_SEAL_KEY), which must be set.
func NewTenderService(cfg config.Config, db *gorm.DB, c clock.Clock) (*tender.Service, error) {
	if err := cfg.Tender.RequireSealKey(); err != nil {
		return nil, err
	}
	sealer, err := tender.NewSealer(cfg.Tender.SealKey)
	if err != nil {
		return nil, err
	}
	return tender.NewService(db, c, sealer, tender.Options{AmendmentMinDays: cfg.Tender.AmendmentMinDays, ChallengeDays: cfg.Tender.ChallengeDays}), nil
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
