package ocds

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/audit"
	"github.com/jiedao-market/jiedao/internal/civil"
	"github.com/jiedao-market/jiedao/internal/config"
	"github.com/jiedao-market/jiedao/internal/platform/clock"
	"github.com/jiedao-market/jiedao/internal/platform/replica"
)

// Service publishes the releases of tenders' events (Publish, in the events'
// transactions) and serves them: release pages, records and the bulk file.
type Service struct {
	db     *gorm.DB
	clock  clock.Clock
	prefix string
	meta   Meta
}

// NewService returns the OCDS service on db: ocids under cfg.Prefix, packages
// published by cfg's publisher under its licence and publication policy,
// declaring the metrics extension.
func NewService(db *gorm.DB, c clock.Clock, cfg config.OCDS) *Service {
	return &Service{db: db, clock: c, prefix: cfg.Prefix, meta: Meta{
		Publisher: Publisher{Name: cfg.PublisherName, Scheme: cfg.PublisherScheme, UID: cfg.PublisherUID, URI: cfg.PublisherURI},
		License:   cfg.License, PublicationPolicy: cfg.PublicationPolicy, Extensions: []string{MetricsExtension}}}
}

// ErrEmptyPage answers a page of the release list that holds no release:
// a release package has at least one.
var ErrEmptyPage = apperr.New(apperr.NotFound, "ocds.no_releases", "no release matches these filters on this page")

// metaNow is the packages' metadata with the audit chain's latest published
// head in the publisher (none before the first is published); headsURI is
// where the whole list of heads is served.
func (s *Service) metaNow(ctx context.Context, headsURI string) (Meta, error) {
	m := s.meta
	h, ok, err := audit.LatestHead(ctx, replica.Public(s.db.WithContext(ctx)))
	if err != nil {
		return Meta{}, err
	}
	if ok {
		m.Publisher.AuditChainHead = &ChainHead{Day: h.Day.String(), Seq: h.Seq, Hash: h.Hash,
			PublishedAt: h.PublishedAt.UTC().Format(time.RFC3339), URI: headsURI}
	}
	return m, nil
}

// Query selects releases (Filter: published on or after From and before
// To, of one subdistrict's tenders), and a page of them for Releases.
type Query struct {
	Filter
	Page, PerPage int
}

// Paging limits of Releases.
const (
	DefaultPerPage = 50
	MaxPerPage     = 100
)

// ParseQuery reads the public query parameters of the release list and the
// bulk file: from and to (dates, YYYY-MM-DD, Chinese days, both included),
// subdistrict (an id), page and per_page (from 1; per_page at most
// MaxPerPage). It returns an apperr.Invalid naming every bad field.
func ParseQuery(from, to, subdistrict, page, perPage string) (Query, error) {
	q := Query{Page: 1, PerPage: DefaultPerPage}
	var bad apperr.Fields
	date := func(field, text string) (civil.Date, bool) {
		if text = strings.TrimSpace(text); text == "" {
			return civil.Date{}, false
		}
		d, err := civil.ParseDate(text)
		bad.Check(err == nil, field, "must be a date (YYYY-MM-DD)")
		return d, err == nil
	}
	f, hasFrom := date("from", from)
	t, hasTo := date("to", to)
	if hasFrom {
		q.From = f.StartInChina()
	}
	if hasTo {
		q.To = t.AddDays(1).StartInChina()
	}
	if hasFrom && hasTo && t.Before(f) {
		bad.Add("to", "must not be before from")
	}
	num := func(field, text string, max int64, dst *int64) {
		if text = strings.TrimSpace(text); text == "" {
			return
		}
		n, err := strconv.ParseInt(text, 10, 64)
		ok := err == nil && n >= 1 && (max == 0 || n <= max)
		if max == 0 {
			bad.Check(ok, field, "must be a positive whole number")
		} else {
			bad.Check(ok, field, fmt.Sprintf("must be a whole number from 1 to %d", max))
		}
		if ok {
			*dst = n
		}
	}
	var sub, pg, per int64 = 0, 1, DefaultPerPage
	num("subdistrict", subdistrict, 0, &sub)
	num("page", page, 1_000_000, &pg)
	num("per_page", perPage, MaxPerPage, &per)
	q.SubdistrictID, q.Page, q.PerPage = sub, int(pg), int(per)
	return q, bad.Err()
}

// where narrows db to the releases q selects.
func (q Query) where(db *gorm.DB) *gorm.DB {
	if !q.From.IsZero() {
		db = db.Where("date >= ?", q.From)
	}
	if !q.To.IsZero() {
		db = db.Where("date < ?", q.To)
	}
	if q.SubdistrictID != 0 {
		db = db.Where("subdistrict_id = ?", q.SubdistrictID)
	}
	return db
}

// Page is one page of the release list: the release package and whether a
// next page exists.
type Page struct {
	Package []byte
	Next    bool
}

// Releases returns the release package at uri of q's page of releases, in
// publication order (date, then id); headsURI is where the audit chain's
// published heads are (the publisher names the latest). A page without a
// release is ErrEmptyPage.
func (s *Service) Releases(ctx context.Context, uri, headsURI string, q Query) (Page, error) {
	var bodies []string
	err := q.where(replica.Public(s.db.WithContext(ctx)).Table("ocds_releases")).Order("date, id").
		Offset((q.Page-1)*q.PerPage).Limit(q.PerPage+1).Pluck("body", &bodies).Error
	if err != nil {
		return Page{}, fmt.Errorf("ocds releases: %w", err)
	}
	if len(bodies) == 0 {
		return Page{}, ErrEmptyPage
	}
	next := len(bodies) > q.PerPage
	if next {
		bodies = bodies[:q.PerPage]
	}
	meta, err := s.metaNow(ctx, headsURI)
	if err != nil {
		return Page{}, err
	}
	pkg, err := meta.ReleasePackage(uri, s.clock.Now(), raw(bodies))
	if err != nil {
		return Page{}, err
	}
	return Page{Package: pkg, Next: next}, nil
}

// Bulk writes the releases q selects (all of them, not a page) to w as JSON
// Lines: one release package per line, each release at uriOf(release id),
// streamed in publication order with bounded memory (StreamBulk); every
// line's publisher names the audit chain head published last (at headsURI).
func (s *Service) Bulk(ctx context.Context, uriOf func(releaseID string) string, headsURI string, q Query, w io.Writer) error {
	meta, err := s.metaNow(ctx, headsURI)
	if err != nil {
		return err
	}
	return StreamBulk(ctx, replica.Public(s.db.WithContext(ctx)), meta, uriOf, q.Filter, w)
}

// OCIDOf returns the ocid of a release id ("" for an id not of this
// package's form, ocid + "-" + sequence).
func OCIDOf(releaseID string) string {
	i := strings.LastIndexByte(releaseID, '-')
	if i < 0 {
		return ""
	}
	return releaseID[:i]
}

// Record returns the record package at uri of ocid: every release of the
// tender and their compiled release, published by the publisher with the
// audit chain's latest head (at headsURI). An ocid that names no published
// tender is apperr.ErrNotFound.
func (s *Service) Record(ctx context.Context, uri, headsURI, ocid string) ([]byte, error) {
	var bodies []string
	if err := replica.Public(s.db.WithContext(ctx)).Table("ocds_releases").Where("ocid = ?", ocid).Order("date, id").
		Pluck("body", &bodies).Error; err != nil {
		return nil, fmt.Errorf("ocds record %s: %w", ocid, err)
	}
	if len(bodies) == 0 {
		return nil, apperr.ErrNotFound
	}
	meta, err := s.metaNow(ctx, headsURI)
	if err != nil {
		return nil, err
	}
	return meta.RecordPackage(uri, s.clock.Now(), Record{OCID: ocid, Releases: raw(bodies)})
}

func raw(bodies []string) []json.RawMessage {
	out := make([]json.RawMessage, len(bodies))
	for i, b := range bodies {
		out[i] = json.RawMessage(b)
	}
	return out
}
