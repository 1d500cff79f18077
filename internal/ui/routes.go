package ui

import (
	"slices"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/evaluation"
	"github.com/jiedao-market/jiedao/internal/org"
	"github.com/jiedao-market/jiedao/internal/request"
	"github.com/jiedao-market/jiedao/internal/servicerequest"
	"github.com/jiedao-market/jiedao/internal/trail"
)

// Routes registers the static files and the whole page table on app. Write
// routes check the CSRF token first, then the role; the services check the
// scope again.
func (h *Handler) Routes(app fiber.Router) {
	app.Get("/static/*", h.handleStatic)
	app.Get("/lang/:code", h.handleLanguage)
	pages := app.Group("", h.webSession)
	csrf, page := h.checkCSRF, h.page
	// public marks a page that is the same for every anonymous visitor of its
	// URL; render keeps it shareable unless it holds a CSRF token or its
	// language came from a cookie (server.publicCache decides the rest).
	public := request.PublicRead
	anonymous := func() fiber.Handler {
		return request.LimitAnonymous(h.Limits, "write", h.cfg.HTTP.AnonymousWritesPerMinute)
	}

	pages.Get("/", public, h.handleHome)
	pages.Get("/login", h.handleLoginPage)
	pages.Post("/login", csrf, h.handleLoginSubmit)
	pages.Post("/logout", csrf, h.handleLogoutSubmit)
	pages.Get("/dashboard", h.handleDashboard)
	// E-mail: every user's settings (the address, verified by a link), the
	// page the link opens, and the password recovery (account_mail.go).
	pages.Get("/settings", page(access.Roles...), h.handleSettingsPage)
	pages.Post("/settings", csrf, page(access.Roles...), h.handleSettingsSubmit)
	pages.Post("/settings/notices", csrf, page(access.Roles...), h.handleNoticesSubmit)
	pages.Get("/email/verify", h.handleEmailVerifyPage)
	pages.Get("/password/forgot", h.handleForgotPage)
	pages.Post("/password/forgot", anonymous(), csrf, h.handleForgotSubmit)
	pages.Get("/password/reset", h.handleResetPage)
	pages.Post("/password/reset", anonymous(), csrf, h.handleResetSubmit)
	pages.Get("/communities", page(access.SubdistrictStaff...), h.handleCommunitiesPage)
	pages.Get("/organizations", page(access.OrgReaders...), h.handleOrganizationsPage)
	pages.Get("/admin/users", page(access.PlatformAdmin), h.handleUsersPage)

	// The public transfer-item catalog and service standards, the district
	// admin's standards and guidance catalog, and the officers' transfer items.
	pages.Get("/catalog", public, h.handleCatalogPage)
	pages.Get("/catalog/items/:id", public, h.handleCatalogItemPage)
	pages.Get("/standards", public, h.handleStandardsPage)

	district := page(access.DistrictAdmin)
	pages.Get("/district/standards", district, h.handleDistrictStandardsPage)
	pages.Post("/district/standards/metrics", csrf, district, h.handleMetricAddSubmit)
	pages.Post("/district/standards/:code/:metric", csrf, district, h.handleMetricAdjustSubmit)
	pages.Post("/district/standards/:code/:metric/retire", csrf, district, h.handleMetricRetireSubmit)
	pages.Get("/district/guidance", district, h.handleGuidancePage)
	pages.Post("/district/guidance", csrf, district, h.handleGuidanceSubmit)

	// Subdistrict staff read items; only procurement officers change them.
	read, write := page(access.SubdistrictStaff...), page(access.ProcurementOfficer)
	pages.Get("/items", read, h.handleItemsPage)
	pages.Get("/items/new", write, h.handleItemNewPage)
	pages.Post("/items", csrf, write, h.handleItemCreateSubmit)
	pages.Get("/items/:id", read, h.handleItemPage)
	pages.Get("/items/:id/edit", write, h.handleItemEditPage)
	pages.Post("/items/:id/edit", csrf, write, h.handleItemEditSubmit)
	pages.Post("/items/:id/publish", csrf, write, h.handleItemPublishSubmit)
	pages.Post("/items/:id/retire", csrf, write, h.handleItemRetireSubmit)
	pages.Get("/items/:id/versions", read, h.handleItemVersionsPage)

	// Social organizations: the public sign-up and directory of capable
	// organizations, an organization's own page and the district admin's
	// certification queue. The organization's staff read its page and upload
	// evidence; its admin alone (the roles of the other paths) edits, invites,
	// resets its accounts' passwords and applies.
	pages.Get("/signup", h.handleSignupPage)
	pages.Post("/signup", anonymous(), csrf, h.handleSignupSubmit)
	pages.Get("/capable", public, h.handleCapablePage)

	staff, profile := page(access.OrgStaff...), page(access.OrgAdmin)
	pages.Get("/org", staff, h.handleOrgPage)
	pages.Get("/org/profile", profile, h.handleOrgProfilePage)
	pages.Post("/org/profile", csrf, profile, h.handleOrgProfileSubmit)
	pages.Post("/org/members", csrf, page(access.OrgAdmin), h.handleMemberInviteSubmit)
	pages.Post("/org/members/:id/password", csrf, page(access.OrgAdmin), h.handleMemberPasswordSubmit)
	pages.Post("/org/documents", csrf, staff, h.handleDocumentUploadSubmit)
	pages.Get("/org/documents/:id", staff, h.handleOwnDocument)
	pages.Post("/org/certifications", csrf, page(access.OrgAdmin), h.handleApplySubmit)

	pages.Get("/district/certifications", district, h.handleQueuePage)
	pages.Post("/district/certifications/:id/approve", csrf, district, h.handleApproveSubmit)
	pages.Post("/district/certifications/:id/verify", csrf, district, h.handleVerifySubmit)
	for _, decision := range org.Decisions {
		pages.Post("/district/certifications/:id/"+decision, csrf, district, h.handleDecisionSubmit(decision))
	}
	pages.Get("/district/documents/:org/:doc", district, h.handleDistrictDocument)

	// Project funds and payments: the finance officer's fund accounts,
	// appropriations, corrections and payouts (which the other staff of the
	// fund roles read), the fund reports, an organization's received payments
	// with its Stripe onboarding, and the public donation pages.
	fundRead, fundWrite := page(access.SubdistrictStaff...), page(access.FinanceOfficer)
	pages.Get("/funds", fundRead, h.handleFundsPage)
	pages.Post("/funds", csrf, fundWrite, h.handleFundCreateSubmit)
	pages.Get("/funds/:id", fundRead, h.handleFundPage)
	pages.Get("/funds/:id/postings.csv", fundRead, h.handlePostingsCSV)
	pages.Post("/funds/:id/appropriations", csrf, fundWrite, h.handleAppropriationSubmit)
	pages.Post("/funds/:id/postings/:posting/correct", csrf, fundWrite, h.handleCorrectionSubmit)
	pages.Get("/payouts", page(access.SubdistrictStaff...), h.handlePayoutsPage)
	pages.Post("/payouts/:id/confirm", csrf, fundWrite, h.handlePayoutConfirmSubmit)
	pages.Get("/reports/funds", page(access.SubdistrictStaff...), h.handleFundReportPage)

	pages.Get("/org/payouts", page(access.OrgStaff...), h.handleOrgPayoutsPage)
	pages.Post("/org/payouts/connect", csrf, page(access.OrgAdmin), h.handleOnboardSubmit)

	// Milestone payments: a contract's milestones page, where its procurement
	// officer accepts, its organization invoices and a finance officer
	// approves (milestone.go); the finance officers' approvals queue
	// (approvals.go); the organization's milestones (org_milestones.go); and
	// the public provider profile (profile.go).
	msRead, msAccept, msApprove := page(milestonePageRoles...), page(access.ProcurementOfficer), page(access.FinanceOfficer)
	pages.Get("/contracts/:id/milestones", msRead, h.handleContractMilestonesPage)
	pages.Post("/contracts/:id/milestones/:mid/accept", csrf, msAccept, h.handleMilestoneAcceptSubmit)
	pages.Post("/contracts/:id/milestones/:mid/invoice", csrf, staff, h.handleMilestoneInvoiceSubmit)
	pages.Post("/contracts/:id/milestones/:mid/approve", csrf, msApprove, h.handleMilestoneApproveSubmit)
	pages.Get("/contracts/:id/milestones/:mid/invoice", msRead, h.handleMilestoneInvoice)
	pages.Get("/approvals", msApprove, h.handleApprovalsPage)
	pages.Post("/approvals/:id/approve", csrf, msApprove, h.handleApprovalSubmit)
	pages.Get("/org/milestones", staff, h.handleOrgMilestonesPage)
	pages.Post("/org/milestones/:id/invoice", csrf, staff, h.handleOrgInvoiceSubmit)
	pages.Get("/organizations/:id", public, h.handleProviderProfilePage)

	pages.Get("/donate", h.handleDonatePage)
	pages.Post("/donate", anonymous(), csrf, h.handleDonateSubmit)
	pages.Get("/donate/receipt/:id", h.handleReceiptPage)

	// Tendering: the procurement officer's tenders (list, wizard, overview and
	// its forms), an organization's opportunities (detail, questions, the
	// sealed bid with its receipt, withdrawal, challenge), an evaluator's
	// reviews (declaration, scoring, score table), the public tender notices
	// and every user's notifications.
	officer := page(access.ProcurementOfficer)
	pages.Get("/tenders", officer, h.handleTendersPage)
	pages.Get("/tenders/new", officer, h.handleTenderNewPage)
	pages.Post("/tenders", csrf, officer, h.handleTenderCreateSubmit)
	pages.Get("/tenders/:id", officer, h.handleTenderPage)
	pages.Get("/tenders/:id/edit", officer, h.handleTenderEditPage)
	pages.Post("/tenders/:id/edit", csrf, officer, h.handleTenderEditSubmit)
	pages.Post("/tenders/:id/publish", csrf, officer, h.handleTenderPublishSubmit)
	pages.Post("/tenders/:id/cancel", csrf, officer, h.handleTenderCancelSubmit)
	pages.Post("/tenders/:id/amend", csrf, officer, h.handleTenderAmendSubmit)
	pages.Post("/tenders/:id/questions/:qid/answer", csrf, officer, h.handleTenderAnswerSubmit)
	pages.Post("/tenders/:id/committee", csrf, officer, h.handleCommitteeSubmit)
	pages.Post("/tenders/:id/award", csrf, officer, h.handleAwardSubmit)
	pages.Post("/tenders/:id/challenges/:cid/answer", csrf, officer, h.handleChallengeAnswerSubmit)
	pages.Get("/tenders/:id/bids/:bid/attachments/:n", officer, h.handleBidAttachment)
	pages.Get("/tenders/:id/challenges/:cid/evidence/:doc", officer, h.handleEvidenceDownload)

	bidder := page(access.OrgStaff...)
	pages.Get("/opportunities", bidder, h.handleOpportunitiesPage)
	pages.Get("/opportunities/:id", bidder, h.handleOpportunityPage)
	pages.Post("/opportunities/:id/questions", csrf, bidder, h.handleAskSubmit)
	pages.Post("/opportunities/:id/bid", csrf, bidder, h.handleBidSubmitPage)
	pages.Post("/opportunities/:id/bids/:bid/withdraw", csrf, bidder, h.handleWithdrawSubmit)
	pages.Post("/opportunities/:id/challenges", csrf, bidder, h.handleChallengeSubmit)
	pages.Get("/opportunities/:id/bids/:bid/attachments/:n", bidder, h.handleBidAttachment)

	evaluator := page(access.Evaluator)
	pages.Get("/reviews", evaluator, h.handleReviewsPage)
	pages.Get("/reviews/:id", evaluator, h.handleReviewPage)
	pages.Post("/reviews/:id/declaration", csrf, evaluator, h.handleDeclareSubmit)
	pages.Post("/reviews/:id/scores", csrf, evaluator, h.handleScoresSubmit)
	pages.Get("/reviews/:id/bids/:bid/attachments/:n", evaluator, h.handleBidAttachment)

	// Contracts: the parties' list and contract page (the finance officer
	// reads them), the officer's terms of a draft, both parties' signatures,
	// amendments and termination, and the public summary of a signed contract.
	contracts, terms, parties := page(contractPageRoles...), page(access.ProcurementOfficer), page(access.ProcurementOfficer, access.OrgAdmin)
	pages.Get("/contracts", contracts, h.handleContractsPage)
	pages.Get("/contracts/:id", contracts, h.handleContractPage)
	pages.Post("/contracts/:id/terms", csrf, terms, h.handleContractTermsSubmit)
	pages.Post("/contracts/:id/sign", csrf, parties, h.handleContractSignSubmit)
	pages.Post("/contracts/:id/amendments", csrf, parties, h.handleAmendmentSubmit)
	pages.Post("/contracts/:id/amendments/:aid/decide", csrf, parties, h.handleAmendmentDecisionSubmit)
	pages.Post("/contracts/:id/terminate", csrf, parties, h.handleTerminateSubmit)
	pages.Get("/procurement/contracts/:id", public, h.handlePublicContractPage)

	// Service records: the contract's organization records services, imports
	// them from CSV, corrects them and prints their rating codes; the
	// contract's subdistrict officers read the list. The contract's page
	// links to recordsPath.
	recordRead, recordWrite := page(recordReaders...), page(access.OrgStaff...)
	pages.Get("/contracts/:id/records", recordRead, h.handleRecordsPage)
	pages.Get("/contracts/:id/records/new", recordWrite, h.handleRecordNewPage)
	pages.Post("/contracts/:id/records", csrf, recordWrite, h.handleRecordSubmit)
	pages.Get("/contracts/:id/records/import", recordWrite, h.handleImportPage)
	pages.Post("/contracts/:id/records/import", csrf, recordWrite, h.handleImportSubmit)
	pages.Get("/contracts/:id/records/template.csv", recordWrite, h.handleImportTemplate)
	pages.Get("/contracts/:id/records/print", recordWrite, h.handlePrintSheet)
	pages.Get("/service-records/:id", recordWrite, h.handleRecordPage)
	pages.Post("/service-records/:id/correct", csrf, recordWrite, h.handleCorrectSubmit)

	// A contract's residents' ratings: its readers see the summaries and the
	// latest ratings; the subdistrict's procurement officer hides abusive
	// comments and makes the follow-up calls (contract_ratings.go). The
	// contract's page links to contractRatingsPath.
	ratingsRead, moderate := page(contractRatingRoles...), page(access.ProcurementOfficer)
	pages.Get("/contracts/:id/ratings", ratingsRead, h.handleContractRatingsPage)
	pages.Post("/contracts/:id/ratings/:rid/hide", csrf, moderate, h.handleRatingHideSubmit)
	pages.Post("/contracts/:id/follow-ups", csrf, moderate, h.handleFollowUpDrawSubmit)
	pages.Post("/contracts/:id/follow-ups/:fid/rating", csrf, moderate, h.handleFollowUpRatingSubmit)

	// Evaluations (评估): a contract's evaluations with the officer's
	// scheduling and re-evaluation forms, the list of an evaluator's and of
	// an organization's, and an evaluation's page with the forms of whoever
	// acts next, with the evaluator's evidence (contract_evaluations.go,
	// evaluation.go, evaluation_forms.go, evaluation_evidence.go).
	pages.Get("/contracts/:id/evaluations", page(contractEvaluationRoles...), h.handleContractEvaluationsPage)
	pages.Post("/contracts/:id/evaluations", csrf, officer, h.handleEvaluationScheduleSubmit)
	pages.Get("/evaluations", page(evaluationListRoles...), h.handleEvaluationsPage)
	pages.Get("/evaluations/:id", page(evaluation.Readers...), h.handleEvaluationPage)
	pages.Post("/evaluations/:id/declaration", csrf, evaluator, h.handleEvaluationDeclareSubmit)
	pages.Post("/evaluations/:id/figures", csrf, evaluator, h.handleEvaluationFiguresSubmit)
	pages.Post("/evaluations/:id/submit", csrf, evaluator, h.handleEvaluationSubmitSubmit)
	pages.Post("/evaluations/:id/documents", csrf, evaluator, h.handleEvidenceUploadSubmit)
	pages.Get("/evaluations/:id/documents/:doc", page(evaluation.Readers...), h.handleEvidenceDocument)
	pages.Post("/evaluations/:id/assign", csrf, officer, h.handleEvaluationAssignSubmit)
	pages.Post("/evaluations/:id/cancel", csrf, officer, h.handleEvaluationCancelSubmit)
	pages.Post("/evaluations/:id/rectification", csrf, officer, h.handleRectificationOrderSubmit)
	pages.Post("/evaluations/:id/rectification/report", csrf, page(access.OrgAdmin), h.handleRectificationReportSubmit)

	// Residents' signals for the organization: its ratings with the reply
	// form, the complaints forwarded to it and the service requests on its
	// contracts (staff.go, staff_org.go).
	pages.Get("/org/ratings", staff, h.handleOrgRatingsPage)
	pages.Post("/org/ratings/:id/reply", csrf, staff, h.handleRatingReplySubmit)
	pages.Get("/org/complaints", staff, h.handleOrgComplaintsPage)
	pages.Post("/org/complaints/:id/respond", csrf, staff, h.handleComplaintRespondSubmit)
	pages.Get("/org/requests", staff, h.handleOrgRequestsPage)
	pages.Post("/org/requests/:id/accept", csrf, staff, h.handleRequestAcceptSubmit)
	pages.Post("/org/requests/:id/decline", csrf, staff, h.handleRequestDeclineSubmit)
	pages.Post("/org/requests/:id/fulfil", csrf, staff, h.handleRequestFulfilSubmit)

	// Residents' public pages: the rating page a record's QR code opens, the
	// complaint form, the case lookup by reference and a provider's ratings.
	pages.Get("/rate", h.handleRatePage)
	pages.Post("/rate", anonymous(), csrf, h.handleRateSubmit)
	pages.Get("/rate/thanks", h.handleRateThanksPage)
	pages.Get("/complaints/new", h.handleComplaintNewPage)
	pages.Post("/complaints/new", anonymous(), csrf, h.handleComplaintSubmit)
	pages.Get("/complaints/track", request.LimitAnonymous(h.Limits, "lookup", h.cfg.HTTP.AnonymousLookupsPerMinute), h.handleComplaintTrackPage)
	pages.Get("/organizations/:id/ratings", public, h.handleProviderRatingsPage)

	// Residents' own pages: the sign-up bound to a community, the
	// community's menu of services, the requests (a resident's own, the
	// subdistrict's for an officer, the district's for its admin) and the
	// officer's hotline form (resident_signup.go, resident_requests.go).
	pages.Get("/residents/signup", h.handleResidentSignupPage)
	pages.Post("/residents/signup", anonymous(), csrf, h.handleResidentSignupSubmit)
	pages.Get("/services", page(access.Resident), h.handleServicesPage)
	pages.Get("/requests", page(requestReaders...), h.handleRequestsPage)
	pages.Get("/requests/new", officer, h.handleHotlinePage)
	pages.Post("/requests", csrf, page(servicerequest.Requesters...), h.handleRequestSubmit)
	// The officers' complaint queue, where procurement officers triage and
	// decide and a district admin reads, and the demand report of unmet
	// service requests (complaint_queue.go, demand.go).
	queue, triage, demand := page(complaintQueueRoles...), page(access.ProcurementOfficer), page(demandRoles...)
	pages.Get("/complaints", queue, h.handleComplaintQueuePage)
	pages.Post("/complaints/:id/assign", csrf, triage, h.handleComplaintAssignSubmit)
	pages.Post("/complaints/:id/decide", csrf, triage, h.handleComplaintDecideSubmit)
	pages.Get("/reports/demand", demand, h.handleDemandPage)
	pages.Get("/reports/demand.csv", demand, h.handleDemandCSV)

	pages.Get("/procurement", public, h.handleProcurementPage)
	pages.Get("/procurement/:id", public, h.handleNoticePage)
	pages.Get("/transparency/red-flags", public, h.handleRedFlagsPage)

	// The public portal: the subdistricts' figures, the fund transparency
	// page and the provider directory (portal.go; the home page too).
	pages.Get("/subdistricts", public, h.handleSubdistrictsPage)
	pages.Get("/subdistricts/:id", public, h.handleSubdistrictPage)
	pages.Get("/transparency/funds", public, h.handleFundTransparencyPage)
	pages.Get("/providers", public, h.handleProvidersPage)
	pages.Get("/notifications", page(access.Roles...), h.handleNotificationsPage)

	// The audit trail of a record for its subdistrict's staff, and the
	// public list of the audit chain's published heads (audit.go).
	pages.Get("/audit", page(trail.Readers...), h.handleAuditPage)
	pages.Get("/transparency/audit-heads", public, h.handleAuditHeadsPage)

	// The signed-in users' search, which the layout's header form opens
	// (search.go).
	pages.Get("/search", page(access.Roles...), h.handleSearchPage)
}

// contractPageRoles open the contract pages: the parties' staff and the
// finance officer, who reads them.
var contractPageRoles = []access.Role{access.ProcurementOfficer, access.FinanceOfficer, access.OrgAdmin, access.OrgMember}

// The header has two navigations: the public bar (layout.html), the same for
// everyone, and below it for a signed-in user the working navigation of their
// role: the worklist, the groups of pages by what the role does, and the
// notifications. Each group's badge counts the worklist items pending in it.

// navLink is one page of a working group.
type navLink struct {
	Key     string // message key
	Href    string
	Current bool // the page shown (aria-current="page")
}

// navGroup is one group of the working navigation.
type navGroup struct {
	Key    string   // the group's id and, after "nav.group.", its message key
	Counts []string // the worklist groups its badge sums (work.Service.Counts keys)
	Links  []navLink
	// Filled per request by workNav:
	Pending int
	Current bool // holds the page shown or the page it belongs to
}

// Worklist groups (the keys work.Service.Counts reports).
const (
	wlProcurement   = "procurement"
	wlContracts     = "contracts"
	wlPayments      = "payments"
	wlEvaluations   = "evaluations"
	wlCertification = "certification"
	wlComplaints    = "complaints"
	wlRequests      = "requests"
)

// navLinks makes the links of a group from pairs of message key and path.
func navLinks(kv ...string) []navLink {
	out := make([]navLink, 0, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, navLink{Key: kv[i], Href: kv[i+1]})
	}
	return out
}

// orgNav is the working navigation of an organization's admin and members.
var orgNav = []navGroup{
	{Key: "bids", Counts: []string{wlProcurement}, Links: navLinks("nav.opportunities", "/opportunities")},
	{Key: "contracts", Counts: []string{wlContracts, wlEvaluations}, Links: navLinks("nav.contracts", "/contracts", "nav.evaluations", "/evaluations")},
	{Key: "services", Counts: []string{wlRequests}, Links: navLinks("nav.org_requests", "/org/requests")},
	{Key: "payments", Counts: []string{wlPayments}, Links: navLinks("nav.org_milestones", "/org/milestones", "nav.org_payouts", "/org/payouts")},
	{Key: "ratings", Counts: []string{wlComplaints}, Links: navLinks("nav.org_ratings", "/org/ratings", "nav.org_complaints", "/org/complaints")},
	{Key: "profile", Links: navLinks("nav.org", "/org", "nav.organizations", "/organizations")},
}

// navGroups is the working navigation of each role: only pages whose routes
// admit the role (TestPagesWorkNavigation opens every link).
var navGroups = map[access.Role][]navGroup{
	access.PlatformAdmin: {
		{Key: "admin", Links: navLinks("nav.users", "/admin/users", "nav.communities", "/communities", "nav.organizations", "/organizations", "nav.items", "/items")},
		{Key: "funds", Links: navLinks("nav.funds", "/funds", "nav.payouts", "/payouts")},
		{Key: "reports", Links: navLinks("nav.fund_reports", "/reports/funds", "nav.demand", "/reports/demand")},
	},
	access.DistrictAdmin: {
		{Key: "certification", Counts: []string{wlCertification}, Links: navLinks("nav.certifications", "/district/certifications", "nav.organizations", "/organizations")},
		{Key: "standards", Links: navLinks("nav.district_standards", "/district/standards", "nav.guidance", "/district/guidance")},
		{Key: "area", Links: navLinks("nav.communities", "/communities", "nav.items", "/items")},
		{Key: "funds", Links: navLinks("nav.funds", "/funds", "nav.payouts", "/payouts")},
		{Key: "signals", Counts: []string{wlComplaints, wlRequests}, Links: navLinks("nav.complaints", "/complaints", "nav.requests", "/requests")},
		{Key: "reports", Links: navLinks("nav.fund_reports", "/reports/funds", "nav.demand", "/reports/demand")},
	},
	access.ProcurementOfficer: {
		{Key: "procurement", Counts: []string{wlProcurement, wlRequests}, Links: navLinks("nav.tenders", "/tenders", "nav.items", "/items", "nav.requests", "/requests", "nav.communities", "/communities")},
		// Milestones are accepted and evaluations scheduled on a contract's pages.
		{Key: "contracts", Counts: []string{wlContracts, wlPayments, wlEvaluations}, Links: navLinks("nav.contracts", "/contracts")},
		{Key: "funds", Links: navLinks("nav.funds", "/funds", "nav.payouts", "/payouts")},
		{Key: "complaints", Counts: []string{wlComplaints}, Links: navLinks("nav.complaints", "/complaints")},
		{Key: "reports", Links: navLinks("nav.fund_reports", "/reports/funds", "nav.demand", "/reports/demand")},
	},
	access.FinanceOfficer: {
		{Key: "funds", Counts: []string{wlPayments}, Links: navLinks("nav.approvals", "/approvals", "nav.funds", "/funds", "nav.payouts", "/payouts")},
		{Key: "contracts", Counts: []string{wlContracts}, Links: navLinks("nav.contracts", "/contracts")},
		{Key: "area", Links: navLinks("nav.communities", "/communities", "nav.items", "/items")},
		{Key: "reports", Links: navLinks("nav.fund_reports", "/reports/funds")},
	},
	access.Evaluator: {
		{Key: "evaluations", Counts: []string{wlEvaluations}, Links: navLinks("nav.reviews", "/reviews", "nav.evaluations", "/evaluations")},
	},
	access.OrgAdmin:  orgNav,
	access.OrgMember: orgNav,
	access.Resident: {
		{Key: "services", Links: navLinks("nav.services", "/services")},
		{Key: "requests", Counts: []string{wlRequests}, Links: navLinks("nav.requests", "/requests")},
	},
}

// workNav returns role's working navigation for the page at path: the
// groups with their pending counts (from counts, keyed by worklist group),
// the page shown marked, and its group marked, also for a page below one of
// its links (/contracts/7 belongs to /contracts).
func workNav(role access.Role, path string, counts map[string]int) []navGroup {
	src := navGroups[role]
	out := make([]navGroup, len(src))
	best, bestLen := -1, 0
	for i, g := range src {
		g.Links = slices.Clone(g.Links)
		for j := range g.Links {
			href := g.Links[j].Href
			g.Links[j].Current = href == path
			if (href == path || strings.HasPrefix(path, href+"/")) && len(href) > bestLen {
				best, bestLen = i, len(href)
			}
		}
		for _, k := range g.Counts {
			g.Pending += counts[k]
		}
		out[i] = g
	}
	if best >= 0 {
		out[best].Current = true
	}
	return out
}

// page admits signed-in users holding one of roles: others are sent to the
// login page, or shown 403.
func (h *Handler) page(roles ...access.Role) fiber.Handler {
	return func(c *fiber.Ctx) error {
		a := request.Actor(c)
		if !a.Authenticated() {
			return c.Redirect("/login", fiber.StatusSeeOther)
		}
		if !a.Is(roles...) {
			return apperr.ErrForbidden
		}
		return c.Next()
	}
}
