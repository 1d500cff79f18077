package server

import (
	"github.com/gofiber/fiber/v2/middleware/recover"
)

// routes installs the middleware and the operational endpoints, then mounts
// the API and the pages.
func (s *Server) routes() {
	app := s.app
	// None of these reads the body; refuseContentEncoding must come before
	// anything that does.
	app.Use(s.clientIP, s.requestContext, s.observe, recover.New(), securityHeaders, refuseContentEncoding, rejectBadURL, s.publicCache)

	app.Get("/healthz", s.handleHealthz)
	app.Get("/readyz", s.handleReadyz)

	s.api.Routes(app)
	s.ui.Routes(app)
}
