package server

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"

	"github.com/jiedao-market/jiedao/internal/request"
)

// HTTP caching and compression of public reads.
//
// A response is shareable when its handler marked it so (request.Shareable:
// the same for every anonymous visitor, its language in the URL, no CSRF
// token), the request is anonymous, the answer is 200 and it sets no cookie.
// A shareable response gets a strong ETag (a hash of its body), answers a
// matching If-None-Match with 304, may be kept by browsers and shared caches
// for http.public_max_age (Cache-Control: public), and is compressed (br or
// gzip) for clients that accept it. Every other GET is private, no-store
// unless its handler chose otherwise.
//
// The compression rule (BREACH): only shareable responses are compressed. A
// response that carries a secret — a page with a CSRF token, the login and
// token answers, anything a signed-in session sees — is never compressed,
// because a compressed secret beside text the attacker puts in the request
// (a query echoed in the page) leaks through the response's length. A
// shareable response holds no secret by definition, so compressing it is
// safe.
//
// The server also keeps shareable answers to cookie-less, unauthenticated
// requests for http.public_cache (a micro-cache, as a reverse proxy would):
// under load the same public page is rendered once per interval, not once
// per request. When an answer expires, the first request to ask for it
// starts rendering it again in the background, and it and the others are
// sent the expired one meanwhile (for at most staleFor), so that a page is
// neither rendered by every request arriving in that moment nor kept waiting
// for by any (stale-while-revalidate, RFC 5861). A write
// through this process (any non-GET answered below 400) empties it at once;
// other replicas' writes show within the interval.

// minCompress is the smallest body worth compressing.
const minCompress = 256

// Bounds of the micro-cache: entries and the largest body kept.
const (
	microMaxEntries = 4096
	microMaxBody    = 1 << 20
)

// shared is a shareable response, as sent and as the micro-cache keeps it.
type shared struct {
	expires      time.Time
	route        string // for logs and metrics on a cache hit
	contentType  string
	cacheControl string
	vary         string
	etag         string // the hash, without quotes or coding suffix
	body         []byte
	mu           sync.Mutex // guards br and gz, made on first use
	br, gz       []byte
	// refreshing is set by the one request that has the answer rendered
	// again once it has expired; every request is sent this one meanwhile.
	refreshing atomic.Bool
}

type microCache struct {
	ttl     time.Duration
	mu      sync.RWMutex
	gen     uint64 // bumped by every write, so a read that began before it is not kept
	entries map[string]*shared
	// renewals bounds the answers rendered again in the background at once
	// (one per CPU): the pages that expire together are rendered a few at a
	// time, not all at once beside the requests being answered.
	renewals chan struct{}
}

func newMicroCache(ttl time.Duration) *microCache {
	return &microCache{ttl: ttl, entries: map[string]*shared{}, renewals: make(chan struct{}, max(1, runtime.GOMAXPROCS(0)))}
}

// lifetime is how long an answer made now is kept: the interval less up to
// a quarter of it at random, so that the pages first rendered together (a
// cold start, a write emptying the cache) do not all expire, and are not all
// rendered again, at the same moment.
func (m *microCache) lifetime() time.Duration {
	return m.ttl - time.Duration(rand.Int64N(int64(m.ttl/4)+1)) // #nosec G404 -- spreading expiries, not a secret
}

// startRenewal runs renew in the background for e, expired, when a renewal
// slot is free; otherwise e is left for a later request to renew.
func (m *microCache) startRenewal(e *shared, renew func()) bool {
	select {
	case m.renewals <- struct{}{}:
		go func() {
			defer func() { <-m.renewals }()
			renew()
		}()
		return true
	default:
		e.refreshing.Store(false)
		return false
	}
}

// get returns the answer kept for key, if any, the generation to put a new
// one under, and whether the caller is to have it rendered again (renew).
// Once an answer has expired, the first request to ask gets renew set,
// and every request is sent the expired answer, for at most staleFor; past
// that get returns nil, and the request renders it.
func (m *microCache) get(key string, now time.Time) (e *shared, gen uint64, renew bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	e = m.entries[key]
	if e == nil || !now.After(e.expires) {
		return e, m.gen, false
	}
	if now.After(e.expires.Add(staleFor)) {
		return nil, m.gen, false
	}
	return e, m.gen, e.refreshing.CompareAndSwap(false, true)
}

// generation is the generation to put a new answer under.
func (m *microCache) generation() uint64 {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.gen
}

// staleFor bounds how long an expired answer is sent while it is rendered
// again.
const staleFor = 5 * time.Second

// drop removes the answer kept for key when it is e, after the request that
// was to renew it did not (an error, an answer no longer shareable).
func (m *microCache) drop(key string, e *shared) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.entries[key] == e {
		delete(m.entries, key)
	}
}

// peek returns the answer kept for key, expired or not.
func (m *microCache) peek(key string) *shared {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.entries[key]
}

// put keeps e for key unless a write came since gen or the cache is full;
// it reports whether e was kept.
func (m *microCache) put(key string, gen uint64, e *shared, now time.Time) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if gen != m.gen || len(e.body) > microMaxBody {
		return false
	}
	if _, ok := m.entries[key]; !ok && len(m.entries) >= microMaxEntries {
		for k, old := range m.entries {
			if now.After(old.expires.Add(staleFor)) {
				delete(m.entries, k)
			}
		}
		if len(m.entries) >= microMaxEntries {
			return false
		}
	}
	m.entries[key] = e
	return true
}

func (m *microCache) clear() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.gen++
	clear(m.entries)
}

// publicCache applies the rules above to every request.
func (s *Server) publicCache(c *fiber.Ctx) error {
	if m := c.Method(); m != fiber.MethodGet && m != fiber.MethodHead {
		err := c.Next()
		if err == nil && c.Response().StatusCode() < 400 {
			s.micro.clear()
		}
		return err
	}
	now := time.Now()
	var key string
	var gen uint64
	hdr := &c.Request().Header
	if s.micro.ttl > 0 && len(hdr.Peek(fiber.HeaderCookie)) == 0 && len(hdr.Peek(fiber.HeaderAuthorization)) == 0 {
		key = string(c.Request().URI().RequestURI())
		if c.Context().UserValue(renewing{}) != nil {
			gen = s.micro.generation()
		} else {
			hit, g, renew := s.micro.get(key, now)
			if hit != nil {
				if renew {
					host := string(hdr.Host())
					s.micro.startRenewal(hit, func() { s.renew(key, host) })
				}
				c.Locals(localRoute, hit.route)
				return s.sendShared(c, hit)
			}
			gen = g
		}
	}
	stored := false
	if key != "" {
		// An expired answer this request was to renew goes, unless renewed.
		if old := s.micro.peek(key); old != nil {
			defer func() {
				if !stored {
					s.micro.drop(key, old)
				}
			}()
		}
	}
	if err := c.Next(); err != nil {
		return err
	}
	if !shareable(c) {
		if len(c.Response().Header.Peek(fiber.HeaderCacheControl)) == 0 {
			c.Set(fiber.HeaderCacheControl, "private, no-store")
		}
		return nil
	}
	e := s.newShared(c, now)
	if key != "" {
		stored = s.micro.put(key, gen, e, now)
	}
	return s.sendShared(c, e)
}

// renewing marks the request renew makes.
type renewing struct{}

// renew renders the answer for key (a path and query) again, as an
// anonymous cookie-less GET through the whole application, and keeps it
// (publicCache): the expired answer is sent until it is done. An answer that
// is no longer shareable, or an error, drops the expired one instead.
func (s *Server) renew(key, host string) {
	var req fasthttp.Request
	req.Header.SetMethod(fiber.MethodGet)
	req.SetRequestURI(key)
	req.Header.SetHost(host)
	var rc fasthttp.RequestCtx
	rc.Init(&req, nil, nil)
	rc.SetUserValue(renewing{}, true)
	s.app.Handler()(&rc)
}

// shareable reports whether the response just made may be shared.
func shareable(c *fiber.Ctx) bool {
	if !request.IsShareable(c) || request.Actor(c).Authenticated() || c.Response().StatusCode() != fiber.StatusOK ||
		len(c.Response().Header.ContentEncoding()) > 0 {
		return false
	}
	cookie := false
	c.Response().Header.VisitAllCookie(func(_, _ []byte) { cookie = true })
	return !cookie
}

func (s *Server) newShared(c *fiber.Ctx, now time.Time) *shared {
	res := &c.Response().Header
	body := bytes.Clone(c.Response().Body())
	sum := sha256.Sum256(body)
	e := &shared{
		expires:      now.Add(s.micro.lifetime()),
		route:        s.routePattern(c),
		contentType:  string(res.ContentType()),
		cacheControl: string(res.Peek(fiber.HeaderCacheControl)),
		etag:         base64.RawURLEncoding.EncodeToString(sum[:18]),
		body:         body,
	}
	if e.cacheControl == "" {
		e.cacheControl = fmt.Sprintf("public, max-age=%d", int(s.cfg.HTTP.PublicMaxAge.Seconds()))
	}
	// What else the answer depended on: the pages read the session and
	// language cookies, the API the bearer token; static files nothing.
	path := c.Path()
	switch {
	case strings.HasPrefix(path, "/static/"):
		e.vary = fiber.HeaderAcceptEncoding
	case strings.HasPrefix(path, "/api/"):
		e.vary = fiber.HeaderAcceptEncoding + ", " + fiber.HeaderAuthorization
	default:
		e.vary = fiber.HeaderAcceptEncoding + ", " + fiber.HeaderCookie
	}
	return e
}

// sendShared answers with e: 304 when the client holds it already, else its
// body in the best coding the client accepts.
func (s *Server) sendShared(c *fiber.Ctx, e *shared) error {
	coding := ""
	if compressible(e.contentType) && len(e.body) >= minCompress {
		coding = acceptedCoding(string(c.Request().Header.Peek(fiber.HeaderAcceptEncoding)))
	}
	etag := e.etag
	if coding != "" {
		etag += "-" + coding // each coding is its own representation
	}
	res := c.Response()
	res.Header.Set(fiber.HeaderCacheControl, e.cacheControl)
	res.Header.Set(fiber.HeaderVary, e.vary)
	res.Header.Set(fiber.HeaderETag, `"`+etag+`"`)
	if etagMatches(string(c.Request().Header.Peek(fiber.HeaderIfNoneMatch)), e.etag) {
		res.Header.Del(fiber.HeaderContentType)
		res.ResetBody()
		res.SetStatusCode(fiber.StatusNotModified)
		return nil
	}
	res.SetStatusCode(fiber.StatusOK)
	res.Header.SetContentType(e.contentType)
	switch coding {
	case "br", "gzip":
		res.Header.Set(fiber.HeaderContentEncoding, coding)
		res.SetBodyRaw(e.encoded(coding))
	default:
		res.SetBodyRaw(e.body)
	}
	return nil
}

// encoded returns the body in coding, compressing it on first use.
func (e *shared) encoded(coding string) []byte {
	e.mu.Lock()
	defer e.mu.Unlock()
	if coding == "br" {
		if e.br == nil {
			e.br = fasthttp.AppendBrotliBytesLevel(nil, e.body, fasthttp.CompressBrotliDefaultCompression)
		}
		return e.br
	}
	if e.gz == nil {
		e.gz = fasthttp.AppendGzipBytesLevel(nil, e.body, fasthttp.CompressDefaultCompression)
	}
	return e.gz
}

// compressible are the content types worth compressing: HTML, JSON, CSS,
// script and text.
func compressible(contentType string) bool {
	ct, _, _ := strings.Cut(contentType, ";")
	switch strings.TrimSpace(ct) {
	case fiber.MIMETextHTML, fiber.MIMEApplicationJSON, "application/problem+json", "text/css",
		fiber.MIMETextJavaScript, "application/javascript", fiber.MIMETextPlain, "image/svg+xml":
		return true
	}
	return false
}

// acceptedCoding picks br, else gzip, from an Accept-Encoding header, or ""
// (identity). A coding with q=0 is refused.
func acceptedCoding(header string) string {
	var br, gz bool
	for _, part := range strings.Split(header, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if q := strings.ReplaceAll(params, " ", ""); q == "q=0" || q == "q=0.0" || q == "q=0.00" || q == "q=0.000" {
			continue
		}
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "br":
			br = true
		case "gzip", "x-gzip":
			gz = true
		}
	}
	switch {
	case br:
		return "br"
	case gz:
		return "gzip"
	}
	return ""
}

// etagMatches reports whether an If-None-Match header names the
// representation hash (in any of its codings) or is "*". Weak comparison, as
// RFC 9110 §13.1.2 asks for If-None-Match.
func etagMatches(header, hash string) bool {
	if header == "" {
		return false
	}
	for _, tag := range strings.Split(header, ",") {
		tag = strings.TrimPrefix(strings.TrimSpace(tag), "W/")
		if tag == "*" {
			return true
		}
		tag = strings.Trim(tag, `"`)
		tag = strings.TrimSuffix(strings.TrimSuffix(tag, "-br"), "-gzip")
		if tag == hash {
			return true
		}
	}
	return false
}

// localRoute holds, on a micro-cache hit, the route pattern of the cached
// answer, for logs and metrics (no route ran).
const localRoute = "cached_route"
