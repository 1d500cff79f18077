package server

import (
	"bytes"
	"context"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/limiter"
	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/auth"
)

const (
	localRequestID = "request_id"
	localActor     = "actor"
)

var validRequestID = regexp.MustCompile(`^[A-Za-z0-9._-]{8,64}$`)

// requestContext gives each request an id (a well-formed X-Request-ID from the
// client is kept, anything else replaced) and a context with the request deadline.
func (s *Server) requestContext(c *fiber.Ctx) error {
	rid := c.Get(fiber.HeaderXRequestID)
	if !validRequestID.MatchString(rid) {
		rid = uuid.NewString()
	} else {
		rid = strings.Clone(rid)
	}
	c.Locals(localRequestID, rid)
	c.Set(fiber.HeaderXRequestID, rid)
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.HTTP.RequestTimeout)
	defer cancel()
	c.SetUserContext(ctx)
	return c.Next()
}

// rejectBadURL refuses a path or query that is not valid UTF-8 or holds NUL,
// so that no handler passes such text to the database.
func rejectBadURL(c *fiber.Ctx) error {
	if !cleanURL(c) {
		return errBadURL
	}
	return c.Next()
}

func cleanURL(c *fiber.Ctx) bool {
	ok := func(b []byte) bool { return utf8.Valid(b) && bytes.IndexByte(b, 0) < 0 }
	if !ok(c.Request().URI().Path()) {
		return false
	}
	clean := true
	c.Request().URI().QueryArgs().VisitAll(func(k, v []byte) {
		clean = clean && ok(k) && ok(v)
	})
	return clean
}

func requestID(c *fiber.Ctx) string {
	rid, _ := c.Locals(localRequestID).(string)
	return rid
}

// routePattern is the matched route's pattern, for logs and metric labels; a
// 404 that only passed through middleware is "unmatched", never a raw path.
func routePattern(c *fiber.Ctx) string {
	r := c.Route()
	if r == nil || r.Path == "" || (r.Method == "USE" && c.Response().StatusCode() == fiber.StatusNotFound) {
		return "unmatched"
	}
	return r.Path
}

// securityHeaders sets the headers every response carries.
func securityHeaders(c *fiber.Ctx) error {
	setSecurityHeaders(c)
	return c.Next()
}

func setSecurityHeaders(c *fiber.Ctx) {
	c.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "+
		"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
	c.Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
	c.Set("X-Content-Type-Options", "nosniff")
	c.Set("X-Frame-Options", "DENY")
	c.Set("Referrer-Policy", "strict-origin-when-cross-origin")
	c.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
	c.Set("Cross-Origin-Opener-Policy", "same-origin")
}

type metrics struct {
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	registry *prometheus.Registry
}

func newMetrics(reg *prometheus.Registry) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "jiedao_http_requests_total", Help: "HTTP requests by method, route pattern and status.",
		}, []string{"method", "route", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "jiedao_http_request_duration_seconds", Help: "HTTP request latency by method and route pattern.",
			Buckets: prometheus.DefBuckets,
		}, []string{"method", "route"}),
		registry: reg,
	}
	reg.MustRegister(m.requests, m.latency)
	return m
}

// observe logs each request and counts it in the metrics. It runs outermost but
// one, so it sees the status the error handler chose.
func (s *Server) observe(c *fiber.Ctx) error {
	start := time.Now()
	err := c.Next()
	if err != nil {
		if herr := s.app.ErrorHandler(c, err); herr != nil {
			_ = c.SendStatus(fiber.StatusInternalServerError)
		}
	}
	status := c.Response().StatusCode()
	route, method := routePattern(c), c.Method()
	elapsed := time.Since(start)
	s.metrics.requests.WithLabelValues(method, route, strconv.Itoa(status)).Inc()
	s.metrics.latency.WithLabelValues(method, route).Observe(elapsed.Seconds())
	attrs := []any{"request_id", requestID(c), "method", method, "route", route, "status", status,
		"duration_ms", elapsed.Milliseconds(), "client_ip", c.IP()}
	if a, ok := c.Locals(localActor).(access.Actor); ok && a.Authenticated() {
		attrs = append(attrs, "user_id", a.UserID)
	}
	s.log.InfoContext(c.UserContext(), "request", attrs...)
	return nil
}

func (s *Server) client(c *fiber.Ctx) auth.Client {
	return auth.Client{IP: c.IP(), UserAgent: string(c.Request().Header.UserAgent()), RequestID: requestID(c)}
}

// bearer authenticates API requests that carry "Authorization: Bearer …". A
// request without the header is anonymous; a bad token answers 401 at once.
func (s *Server) bearer(c *fiber.Ctx) error {
	h := c.Get(fiber.HeaderAuthorization)
	if h == "" {
		c.Locals(localActor, access.Anonymous(requestID(c), c.IP()))
		return c.Next()
	}
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return auth.ErrInvalidToken
	}
	a, err := s.auth.Authenticate(c.UserContext(), token, s.client(c))
	if err != nil {
		return err
	}
	c.Locals(localActor, a)
	return c.Next()
}

// actor returns who is making the request.
func actor(c *fiber.Ctx) access.Actor {
	if a, ok := c.Locals(localActor).(access.Actor); ok {
		return a
	}
	return access.Anonymous(requestID(c), c.IP())
}

// signedIn refuses anonymous requests with 401.
func signedIn(c *fiber.Ctx) error {
	if !actor(c).Authenticated() {
		return apperr.ErrUnauthorized
	}
	return c.Next()
}

// allow admits signed-in users holding one of roles; others get 401 or 403.
func allow(roles ...access.Role) fiber.Handler {
	return func(c *fiber.Ctx) error {
		a := actor(c)
		if !a.Authenticated() {
			return apperr.ErrUnauthorized
		}
		if !a.Is(roles...) {
			return apperr.ErrForbidden
		}
		return c.Next()
	}
}

// anonymousLimit limits, per client address, the writes made without signing
// in; signed-in callers pass. The count is per replica (in memory).
func (s *Server) anonymousLimit() fiber.Handler {
	return limiter.New(limiter.Config{
		Max:          s.cfg.HTTP.AnonymousWritesPerMinute,
		Expiration:   time.Minute,
		Next:         func(c *fiber.Ctx) bool { return actor(c).Authenticated() },
		KeyGenerator: func(c *fiber.Ctx) string { return c.IP() },
		LimitReached: func(c *fiber.Ctx) error {
			e := *errTooManyWrites
			e.RetryAfter = 60
			return &e
		},
	})
}

// paramID reads a positive integer path parameter; a malformed one is 404.
func paramID(c *fiber.Ctx, name string) (int64, error) {
	id, err := strconv.ParseInt(c.Params(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, apperr.ErrNotFound
	}
	return id, nil
}
