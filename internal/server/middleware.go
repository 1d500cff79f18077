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
	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/jiedao-market/jiedao/internal/request"
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
	request.SetID(c, rid)
	request.SetJSONLimit(c, s.cfg.HTTP.JSONBodyLimit)
	c.Set(fiber.HeaderXRequestID, rid)
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.HTTP.RequestTimeout)
	defer cancel()
	c.SetUserContext(ctx)
	return c.Next()
}

// refuseContentEncoding refuses a request whose body comes with a content
// coding (gzip, deflate, br, …) before anything reads the body. Fiber's
// Ctx.Body and fasthttp's multipart parser inflate such a body without a
// limit, while the body limit counts the bytes received: 300 KB of gzip grew
// to 1.5 GB of allocations. Browsers and our clients never compress what they
// send, so nothing is lost. The answer carries Accept-Encoding: identity, as
// RFC 9110 §15.5.16 asks.
func refuseContentEncoding(c *fiber.Ctx) error {
	for _, v := range c.Request().Header.PeekAll(fiber.HeaderContentEncoding) {
		for _, coding := range bytes.Split(v, []byte(",")) {
			if coding = bytes.TrimSpace(coding); len(coding) > 0 && !bytes.EqualFold(coding, []byte("identity")) {
				c.Set(fiber.HeaderAcceptEncoding, "identity")
				return request.ErrContentEncoding
			}
		}
	}
	return c.Next()
}

// rejectBadURL refuses a path or query that is not valid UTF-8 or holds NUL,
// so that no handler passes such text to the database.
func rejectBadURL(c *fiber.Ctx) error {
	if !cleanURL(c) {
		return request.ErrBadURL
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

// routePattern is the matched route's pattern, for logs and metric labels: a
// request that no route of its method matched (it only passed through
// middleware, such as the API's catch-all) is "unmatched", never a raw path.
func (s *Server) routePattern(c *fiber.Ctx) string {
	if r, ok := c.Locals(localRoute).(string); ok {
		return r
	}
	r := c.Route()
	if r == nil || !s.patterns[r.Method+" "+r.Path] {
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
	// Metric labels outlive the request: the registry keeps them. The method
	// is copied out of fasthttp's buffer, which the next request reuses (the
	// app is Immutable too, see New); the route is the registered pattern.
	route, method := s.routePattern(c), strings.Clone(c.Method())
	elapsed := time.Since(start)
	s.metrics.requests.WithLabelValues(method, route, strconv.Itoa(status)).Inc()
	s.metrics.latency.WithLabelValues(method, route).Observe(elapsed.Seconds())
	attrs := []any{"request_id", request.ID(c), "method", method, "route", route, "status", status,
		"duration_ms", elapsed.Milliseconds(), "client_ip", request.ClientIP(c)}
	if a := request.Actor(c); a.Authenticated() {
		attrs = append(attrs, "user_id", a.UserID)
	}
	if c.Context().UserValue(renewing{}) != nil {
		// The micro-cache rendering an expired answer again (cache.go), no client's.
		attrs = append(attrs, "renewal", true)
	}
	s.log.InfoContext(c.UserContext(), "request", attrs...)
	return nil
}
