package ui

import (
	"io/fs"
	"net/http"
	"slices"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/filesystem"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/evaluation"
	"github.com/jiedao-market/jiedao/internal/org"
	"github.com/jiedao-market/jiedao/internal/request"
	"github.com/jiedao-market/jiedao/internal/servicerequest"
	"github.com/jiedao-market/jiedao/internal/trail"
	"github.com/jiedao-market/jiedao/web"
)

// Routes registers the static files and the whole page table on app. Write
// routes check the CSRF token first, then the role; the services check the
// scope again.
func (h *Handler) Routes(app fiber.Router) {
	app.Use("/static", filesystem.New(filesystem.Config{Root: http.FS(mustSub(web.Static, "static")), MaxAge: 3600}))
	app.Get("/lang/:code", h.handleLanguage)
	pages := app.Group("", h.webSession)
	csrf, page := h.checkCSRF, h.page
	anonymous := func() fiber.Handler { return request.LimitAnonymous(h.cfg.HTTP.AnonymousWritesPerMinute) }

	pages.Get("/", h.handleHome)
	pages.Get("/login", h.handleLoginPage)
	pages.Post("/login", csrf, h.handleLoginSubmit)
	pages.Post("/logout", csrf, h.handleLogoutSubmit)
	pages.Get("/dashboard", h.handleDashboard)
	// E-mail: every user's settings (the address, verified by a link), the
	// page the link opens, and the password recovery (account_mail.go).
	pages.Get("/settings", page(access.Roles...), h.handleSettingsPage)
	pages.Post("/settings", csrf, page(access.Roles...), h.handleSettingsSubmit)
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
	pages.Get("/catalog", h.handleCatalogPage)
	pages.Get("/catalog/items/:id", h.handleCatalogItemPage)
	pages.Get("/standards", h.handleStandardsPage)

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
	pages.Get("/capable", h.handleCapablePage)

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
	pages.Get("/organizations/:id", h.handleProviderProfilePage)

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
	pages.Get("/procurement/contracts/:id", h.handlePublicContractPage)

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
	pages.Get("/complaints/track", request.LimitAnonymous(h.cfg.HTTP.AnonymousLookupsPerMinute), h.handleComplaintTrackPage)
	pages.Get("/organizations/:id/ratings", h.handleProviderRatingsPage)

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

	pages.Get("/procurement", h.handleProcurementPage)
	pages.Get("/procurement/:id", h.handleNoticePage)

	// The public portal: the subdistricts' figures, the fund transparency
	// page and the provider directory (portal.go; the home page too).
	pages.Get("/subdistricts", h.handleSubdistrictsPage)
	pages.Get("/subdistricts/:id", h.handleSubdistrictPage)
	pages.Get("/transparency/funds", h.handleFundTransparencyPage)
	pages.Get("/providers", h.handleProvidersPage)
	pages.Get("/notifications", page(access.Roles...), h.handleNotificationsPage)

	// The audit trail of a record for its subdistrict's staff, and the
	// public list of the audit chain's published heads (audit.go).
	pages.Get("/audit", page(trail.Readers...), h.handleAuditPage)
	pages.Get("/transparency/audit-heads", h.handleAuditHeadsPage)
}

// contractPageRoles open the contract pages: the parties' staff and the
// finance officer, who reads them.
var contractPageRoles = []access.Role{access.ProcurementOfficer, access.FinanceOfficer, access.OrgAdmin, access.OrgMember}

// navItem is one entry of the header navigation: a page and the roles that
// may open it (the same group its route admits).
type navItem struct {
	Key   string // message key
	Href  string
	Roles []access.Role
}

var navOrder = []navItem{
	{"nav.communities", "/communities", access.SubdistrictStaff},
	{"nav.organizations", "/organizations", access.OrgReaders},
	{"nav.users", "/admin/users", []access.Role{access.PlatformAdmin}},
	{"nav.items", "/items", access.SubdistrictStaff},
	{"nav.district_standards", "/district/standards", []access.Role{access.DistrictAdmin}},
	{"nav.guidance", "/district/guidance", []access.Role{access.DistrictAdmin}},
	{"nav.certifications", "/district/certifications", []access.Role{access.DistrictAdmin}},
	{"nav.org", "/org", access.OrgStaff},
	{"nav.org_payouts", "/org/payouts", access.OrgStaff},
	{"nav.org_milestones", "/org/milestones", access.OrgStaff},
	{"nav.org_ratings", "/org/ratings", access.OrgStaff},
	{"nav.org_complaints", "/org/complaints", access.OrgStaff},
	{"nav.org_requests", "/org/requests", access.OrgStaff},
	{"nav.funds", "/funds", access.SubdistrictStaff},
	{"nav.payouts", "/payouts", access.SubdistrictStaff},
	{"nav.approvals", "/approvals", []access.Role{access.FinanceOfficer}},
	{"nav.fund_reports", "/reports/funds", access.SubdistrictStaff},
	{"nav.tenders", "/tenders", []access.Role{access.ProcurementOfficer}},
	{"nav.services", "/services", []access.Role{access.Resident}},
	{"nav.requests", "/requests", requestReaders},
	{"nav.opportunities", "/opportunities", access.OrgStaff},
	{"nav.contracts", "/contracts", contractPageRoles},
	{"nav.reviews", "/reviews", []access.Role{access.Evaluator}},
	{"nav.evaluations", "/evaluations", evaluationListRoles},
	{"nav.complaints", "/complaints", complaintQueueRoles},
	{"nav.demand", "/reports/demand", demandRoles},
	{"nav.notifications", "/notifications", access.Roles},
}

func navFor(role access.Role) []navItem {
	var out []navItem
	for _, it := range navOrder {
		if slices.Contains(it.Roles, role) {
			out = append(out, it)
		}
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

func mustSub(fsys fs.FS, dir string) fs.FS {
	sub, err := fs.Sub(fsys, dir)
	if err != nil {
		panic(err)
	}
	return sub
}
