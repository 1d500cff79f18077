package server

import (
	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/gofiber/fiber/v2/middleware/recover"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/jiedao-market/jiedao/internal/access"
)

// Role groups used by the route table.
var (
	placeReaders = []access.Role{access.PlatformAdmin, access.DistrictAdmin, access.ProcurementOfficer, access.FinanceOfficer, access.Evaluator}
	orgReaders   = []access.Role{access.PlatformAdmin, access.DistrictAdmin, access.OrgAdmin, access.OrgMember}
)

// routes is the whole route table.
func (s *Server) routes() {
	app := s.app
	app.Use(s.requestContext, s.observe, recover.New(), securityHeaders, rejectBadURL)

	app.Get("/healthz", s.handleHealthz)
	app.Get("/readyz", s.handleReadyz)
	app.Get("/metrics", adaptor.HTTPHandler(promhttp.HandlerFor(s.metrics.registry, promhttp.HandlerOpts{})))
	app.Get("/api/openapi.json", s.handleOpenAPI)

	api := app.Group("/api/v1", s.bearer)
	api.Post("/auth/login", s.handleLogin)
	api.Post("/auth/refresh", s.handleRefresh)
	api.Post("/auth/logout", signedIn, s.handleLogout)
	api.Get("/me", signedIn, s.handleMe)

	api.Get("/districts", signedIn, s.handleDistrictList)
	api.Post("/districts", allow(access.PlatformAdmin), s.handleDistrictCreate)
	api.Get("/districts/:id", signedIn, s.handleDistrictGet)
	api.Patch("/districts/:id", allow(access.PlatformAdmin), s.handleDistrictUpdate)

	api.Get("/subdistricts", signedIn, s.handleSubdistrictList)
	api.Post("/subdistricts", allow(access.PlatformAdmin), s.handleSubdistrictCreate)
	api.Get("/subdistricts/:id", signedIn, s.handleSubdistrictGet)
	api.Patch("/subdistricts/:id", allow(access.PlatformAdmin), s.handleSubdistrictUpdate)

	api.Get("/communities", allow(placeReaders...), s.handleCommunityList)
	api.Post("/communities", allow(access.PlatformAdmin, access.ProcurementOfficer), s.handleCommunityCreate)
	api.Get("/communities/:id", allow(placeReaders...), s.handleCommunityGet)
	api.Patch("/communities/:id", allow(access.PlatformAdmin, access.ProcurementOfficer), s.handleCommunityUpdate)

	api.Get("/organizations", allow(orgReaders...), s.handleOrganizationList)
	api.Post("/organizations", s.anonymousLimit(), s.handleOrganizationCreate) // anonymous sign-up, or an admin's registration
	api.Get("/organizations/:id", allow(orgReaders...), s.handleOrganizationGet)
	api.Patch("/organizations/:id", allow(access.PlatformAdmin, access.DistrictAdmin, access.OrgAdmin), s.handleOrganizationUpdate)

	api.Get("/users", allow(access.PlatformAdmin), s.handleUserList)
	api.Post("/users", allow(access.PlatformAdmin), s.handleUserCreate)
	api.Get("/users/:id", allow(access.PlatformAdmin), s.handleUserGet)
	api.Patch("/users/:id", allow(access.PlatformAdmin), s.handleUserUpdate)

	s.catalogRoutes(api)
	s.orgRoutes(api)
	s.fundRoutes(api)
	s.payoutRoutes(api)
	s.tenderRoutes(api)

	api.Use(func(c *fiber.Ctx) error { return errRouteNotFound })

	s.pageRoutes()
}
