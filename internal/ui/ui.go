// Package ui is the server-rendered site: routes.go holds the whole page table
// and the navigation; render.go, session.go, form.go and format.go are what
// every page uses; each group of pages has its file. Pages read forms, call
// the same service methods as the API, and render html/template pages in
// zh-CN or English.
package ui

import (
	"github.com/jiedao-market/jiedao/internal/config"
	"github.com/jiedao-market/jiedao/internal/platform/clock"
	"github.com/jiedao-market/jiedao/internal/request"
)

// Handler renders the pages with the domain services.
type Handler struct {
	request.Services
	cfg   config.Config
	clock clock.Clock
	pages *pages
}

// New returns the pages' handler; it fails when a template or a message
// catalog does not load, or no CSRF secret is configured.
func New(cfg config.Config, clk clock.Clock, svc request.Services) (*Handler, error) {
	p, err := newPages(cfg)
	if err != nil {
		return nil, err
	}
	return &Handler{Services: svc, cfg: cfg, clock: clk, pages: p}, nil
}
