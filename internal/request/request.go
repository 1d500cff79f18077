// Package request holds what the JSON API (package api) and the server-rendered
// pages (package ui) both need from a Fiber request: who is asking (the actor
// and the request id), path and query parameters, strict JSON decoding, the
// role guards, the transport's own errors, attachment and CSV downloads, and
// the domain services both readers call.
package request

import (
	"context"
	"log/slog"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/auth"
	"github.com/jiedao-market/jiedao/internal/catalog"
	"github.com/jiedao-market/jiedao/internal/complaint"
	"github.com/jiedao-market/jiedao/internal/config"
	"github.com/jiedao-market/jiedao/internal/contract"
	"github.com/jiedao-market/jiedao/internal/delivery"
	"github.com/jiedao-market/jiedao/internal/evaluation"
	"github.com/jiedao-market/jiedao/internal/export"
	"github.com/jiedao-market/jiedao/internal/fund"
	"github.com/jiedao-market/jiedao/internal/limit"
	"github.com/jiedao-market/jiedao/internal/mail"
	"github.com/jiedao-market/jiedao/internal/milestone"
	"github.com/jiedao-market/jiedao/internal/notify"
	"github.com/jiedao-market/jiedao/internal/ocds"
	"github.com/jiedao-market/jiedao/internal/org"
	"github.com/jiedao-market/jiedao/internal/payout"
	"github.com/jiedao-market/jiedao/internal/place"
	"github.com/jiedao-market/jiedao/internal/platform/clock"
	"github.com/jiedao-market/jiedao/internal/platform/replica"
	"github.com/jiedao-market/jiedao/internal/portal"
	"github.com/jiedao-market/jiedao/internal/rating"
	"github.com/jiedao-market/jiedao/internal/redflag"
	"github.com/jiedao-market/jiedao/internal/remind"
	"github.com/jiedao-market/jiedao/internal/search"
	"github.com/jiedao-market/jiedao/internal/servicerequest"
	"github.com/jiedao-market/jiedao/internal/tender"
	"github.com/jiedao-market/jiedao/internal/track"
	"github.com/jiedao-market/jiedao/internal/trail"
	"github.com/jiedao-market/jiedao/internal/work"
)

// Services are the domain services the API and the pages call; cmd/jiedao
// builds them and hands them to both.
type Services struct {
	// Log is the application's logger, for what a handler can no longer
	// answer with an error (a streamed download that fails midway).
	Log  *slog.Logger
	Auth *auth.Service
	// Mail is the outbox and SMTP transport every e-mail goes through.
	Mail      *mail.Service
	Places    *place.Service
	Orgs      *org.Service
	Catalog   *catalog.Service
	Funds     *fund.Service
	Payouts   *payout.Service
	Tenders   *tender.Service
	Contracts *contract.Service
	Records   *delivery.Service
	Ratings   *rating.Service
	// ServiceRequests are residents' service requests and the menu.
	ServiceRequests *servicerequest.Service
	// Complaints are residents' complaints about a service.
	Complaints *complaint.Service
	// Evaluations are the contracts' evaluations and rectification orders.
	Evaluations *evaluation.Service
	// Track reads organizations' track records and public profiles.
	Track *track.Service
	// Milestones are contracts' milestone payments: due on signing and on
	// evaluations, accepted, invoiced, approved and paid.
	Milestones *milestone.Service
	// Exports stream the open-data CSV files.
	Exports *export.Service
	// RedFlags computes the red flags nightly and reads them.
	RedFlags *redflag.Service
	// Trails read records' audit trails and the published chain heads.
	Trails *trail.Service
	// Portal reads the public portal's figures.
	Portal *portal.Service
	// OCDS publishes the OCDS releases of every public event, in the event's
	// transaction (wired to the services' hooks by NewServices), and serves
	// the open data.
	OCDS *ocds.Service
	// Work assembles each user's worklist (待办, 已办) from the services above.
	Work *work.Service
	// Search is the signed-in users' search across tenders, contracts,
	// organizations and transfer items.
	Search *search.Service
	// Notices keeps each user's e-mail choice per notification kind.
	Notices *notify.Service
	// Remind mails the daily digests and the deadline reminders.
	Remind *remind.Service
	// Limits counts the anonymous requests per address across replicas.
	Limits *limit.Service
}

// The request's locals.
const (
	localID        = "request_id"
	localActor     = "actor"
	localJSONLimit = "json_limit"
	localClientIP  = "client_ip"
)

// SetClientIP records the request's client address, as the server derived it
// from the connection and its trusted proxies.
func SetClientIP(c *fiber.Ctx, ip string) { c.Locals(localClientIP, ip) }

// ClientIP returns the request's client address: the peer, or behind a
// trusted proxy the right-most X-Forwarded-For address that is not a proxy.
// Logs, throttles, limits and audit entries use it, never c.IP().
func ClientIP(c *fiber.Ctx) string {
	if ip, ok := c.Locals(localClientIP).(string); ok {
		return ip
	}
	return c.Context().RemoteIP().String()
}

// SetID records the request's id, for logs, audit entries and problems.
func SetID(c *fiber.Ctx, id string) { c.Locals(localID, id) }

// ID returns the request's id ("" before the server gave it one).
func ID(c *fiber.Ctx) string {
	rid, _ := c.Locals(localID).(string)
	return rid
}

// SetActor records who is making the request. A request of no signed-in
// user may have its public reads answered by the read replica
// (replica.AllowLag); a signed-in user's are read from the primary.
func SetActor(c *fiber.Ctx, a access.Actor) {
	c.Locals(localActor, a)
	if !a.Authenticated() {
		c.SetUserContext(replica.AllowLag(c.UserContext()))
	}
}

// Actor returns who is making the request: the signed-in user, else an
// anonymous actor.
func Actor(c *fiber.Ctx) access.Actor {
	if a, ok := c.Locals(localActor).(access.Actor); ok {
		return a
	}
	return access.Anonymous(ID(c), ClientIP(c))
}

// Client describes the caller for the auth service's logs and throttles.
func Client(c *fiber.Ctx) auth.Client {
	return auth.Client{IP: ClientIP(c), UserAgent: string(c.Request().Header.UserAgent()), RequestID: ID(c)}
}

// ParamID reads a positive integer path parameter; a malformed one is 404.
func ParamID(c *fiber.Ctx, name string) (int64, error) {
	id, err := strconv.ParseInt(c.Params(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, apperr.ErrNotFound
	}
	return id, nil
}

// QueryInt reads an optional positive integer query parameter (0 when absent).
func QueryInt(c *fiber.Ctx, name string) (int64, error) {
	v := c.Query(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		return 0, apperr.InvalidField(name, "must be a positive whole number")
	}
	return n, nil
}

// NewServices builds the domain services on db with cfg's settings: payouts
// without Stripe or jobs (UseStripe and UseRiver add them), tenders sealing
// bids under cfg.Tender.SealKey and service records issuing rating codes
// under cfg.Rating.CodeKey, which must both be set.
func NewServices(cfg config.Config, db *gorm.DB, c clock.Clock, log *slog.Logger) (Services, error) {
	authSvc, err := auth.NewService(db, c, cfg.Auth, log)
	if err != nil {
		return Services{}, err
	}
	tenders, err := tender.NewConfigured(db, c, cfg.Tender, cfg.Contract.SignDays)
	if err != nil {
		return Services{}, err
	}
	records, err := delivery.NewConfigured(db, c, cfg.Rating)
	if err != nil {
		return Services{}, err
	}
	ratings, err := rating.NewService(db, c, records, cfg.Rating)
	if err != nil {
		return Services{}, err
	}
	tenders.UsePerformance(track.ParamsOf(cfg.Rating))
	contracts := contract.NewService(db, c, contract.Options{AmendmentCapPercent: cfg.Contract.AmendmentCapPercent})
	contracts.UseReplacer(tenders.ProposeReplacement)
	orgs := org.NewService(db, c, org.Options{Argon2: cfg.Auth.Argon2, Uploads: cfg.Uploads})
	svc := Services{
		Log:       log,
		Auth:      authSvc,
		Places:    place.NewService(db, c),
		Orgs:      orgs,
		Catalog:   catalog.NewService(db, c),
		Funds:     fund.NewService(db, c),
		Payouts:   payout.NewService(db, c, log, payout.Options{}),
		Tenders:   tenders,
		Contracts: contracts,
		Records:   records,
		Ratings:   ratings,

		ServiceRequests: servicerequest.NewService(db, c, cfg.ServiceRequest, cfg.Auth.Argon2),
		Complaints: complaint.NewService(db, c, complaint.Options{FirstResponse: cfg.Complaint.FirstResponse,
			Decision: cfg.Complaint.Decision}, ratings.LookupCode),
		Evaluations: evaluation.NewService(db, c, cfg.Uploads),
		Track:       track.NewService(db, c, orgs, ratings, track.ParamsOf(cfg.Rating)),
		Exports:     export.NewService(db),
		RedFlags:    redflag.New(db, c, cfg.RedFlags, cfg.Tender.MinBiddingDays),
		Trails:      trail.NewService(db),
	}
	svc.Mail = mail.NewService(db, c, cfg.Mail, cfg.HTTP.PublicURL, log)
	authSvc.UseMail(svc.Mail, cfg.Mail)
	svc.Portal = portal.NewService(db, c, svc.Funds, orgs, cfg.Rating)
	svc.OCDS = ocds.NewService(db, c, cfg.OCDS)
	svc.Search = search.NewService(db, c)
	svc.Notices = notify.NewService(db, c)
	svc.UsePayouts(db, c, svc.Payouts)
	// Signing makes the first milestone due, a submitted evaluation the
	// milestones it triggers (the milestone service's payout-free steps).
	contracts.OnSigned(svc.Milestones.ContractSigned)
	svc.Evaluations.OnSubmit(svc.Milestones.EvaluationSubmitted)
	svc.UseReleases()
	svc.Remind = remind.NewService(db, c, cfg.Mail, cfg.HTTP.PublicURL, svc.Mail, svc.Work, log)
	svc.Limits = limit.NewService(db)
	return svc, nil
}

// UsePayouts makes payouts the services' payout service, and the milestone
// payments' (a new milestone service on db, registered to hear of paid
// payouts); tests that hold their own payout service use it.
func (s *Services) UsePayouts(db *gorm.DB, c clock.Clock, payouts *payout.Service) {
	s.Payouts = payouts
	s.Milestones = milestone.NewService(db, c, payouts, s.Orgs)
	payouts.OnPaid(s.Milestones.PayoutPaid)
	if s.OCDS != nil {
		// After the milestone's hook: the release shows the payment paid.
		payouts.OnPaid(func(tx *gorm.DB, _ access.Actor, p payout.Payout) error { return s.OCDS.PublishPayout(tx, p.ID) })
	}
	s.Work = s.worklists(db, c)
}

// worklists wires each role's worklist to the domain services that answer
// for its kinds of item.
func (s *Services) worklists(db *gorm.DB, c clock.Clock) *work.Service {
	org := []work.Source{s.Tenders.WorkOrg, s.Contracts.WorkOrg, s.ServiceRequests.WorkOrg, s.Complaints.WorkOrg,
		s.Ratings.WorkOrg, s.Evaluations.WorkOrg, s.Payouts.WorkOrg}
	return work.NewService(db, c, map[access.Role][]work.Source{
		access.ProcurementOfficer: {s.Tenders.WorkOfficer, s.Contracts.WorkOfficer, s.Milestones.WorkOfficer,
			s.Complaints.WorkOfficer, s.Evaluations.WorkOfficer},
		access.FinanceOfficer: {s.Milestones.WorkFinance, s.Payouts.WorkFinance, s.Funds.WorkFinance},
		access.Evaluator:      {s.Tenders.WorkEvaluator, s.Evaluations.WorkEvaluator},
		access.DistrictAdmin:  {s.Orgs.WorkDistrict},
		access.OrgAdmin:       org,
		access.OrgMember:      org,
		access.Resident:       {s.ServiceRequests.WorkResident, s.Complaints.WorkResident},
	})
}

// UseReleases wires s.OCDS to every public event of the tenders,
// contracts and evaluations (the payouts' is wired by UsePayouts), each
// release published in the event's own transaction after the other hooks.
func (s *Services) UseReleases() {
	pub := s.OCDS
	s.Tenders.OnRelease(pub.Publish)
	s.Contracts.OnRelease(pub.Publish)
	s.Contracts.OnSigned(func(tx *gorm.DB, _ access.Actor, c contract.Contract, now time.Time) error {
		return pub.Publish(tx, c.TenderID, ocds.TagContract, now)
	})
	s.Evaluations.OnSubmit(func(tx *gorm.DB, _ access.Actor, ev evaluation.Submitted) error {
		return pub.PublishContract(tx, ev.ContractID, ocds.TagImplementationUpdate, ev.SubmittedAt)
	})
}

// Read calls read with the request's context, its actor and the path
// parameter "id" (ParamID: a malformed one is apperr.ErrNotFound), the first
// step of a handler that shows one record or a list under one.
func Read[T any](c *fiber.Ctx, read func(context.Context, access.Actor, int64) (T, error)) (T, error) {
	id, err := ParamID(c, "id")
	if err != nil {
		var zero T
		return zero, err
	}
	return read(c.UserContext(), Actor(c), id)
}

// ReadPublic is Read for the public reads, which take no actor.
func ReadPublic[T any](c *fiber.Ctx, read func(context.Context, int64) (T, error)) (T, error) {
	id, err := ParamID(c, "id")
	if err != nil {
		var zero T
		return zero, err
	}
	return read(c.UserContext(), id)
}

// ParamIDs reads several positive integer path parameters (ParamID), in order.
func ParamIDs(c *fiber.Ctx, names ...string) ([]int64, error) {
	out := make([]int64, len(names))
	for i, name := range names {
		id, err := ParamID(c, name)
		if err != nil {
			return nil, err
		}
		out[i] = id
	}
	return out, nil
}
