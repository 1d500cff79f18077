package ui

import (
	"io/fs"
	"net/http"
	"slices"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/filesystem"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/request"
	"github.com/jiedao-market/jiedao/web"
)

// Role groups used by the page table.
var (
	placeReaders = []access.Role{access.PlatformAdmin, access.DistrictAdmin, access.ProcurementOfficer, access.FinanceOfficer, access.Evaluator}
	orgReaders   = []access.Role{access.PlatformAdmin, access.DistrictAdmin, access.OrgAdmin, access.OrgMember}
	itemReaders  = []access.Role{access.PlatformAdmin, access.DistrictAdmin, access.ProcurementOfficer, access.FinanceOfficer}
	fundReaders  = []access.Role{access.PlatformAdmin, access.DistrictAdmin, access.ProcurementOfficer, access.FinanceOfficer}
)

// Routes registers the static files and the whole page table on app. Write
// routes check the CSRF token first, then the role; the services check the
// scope again.
func (h *Handler) Routes(app fiber.Router) {
	app.Use("/static", filesystem.New(filesystem.Config{Root: http.FS(mustSub(web.Static, "static")), MaxAge: 3600}))
	app.Get("/lang/:code", h.handleLanguage)
	pages := app.Group("", h.webSession)
	csrf := h.checkCSRF
	anonymous := func() fiber.Handler { return request.LimitAnonymous(h.cfg.HTTP.AnonymousWritesPerMinute) }

	pages.Get("/", h.handleHome)
	pages.Get("/login", h.handleLoginPage)
	pages.Post("/login", csrf, h.handleLoginSubmit)
	pages.Post("/logout", csrf, h.handleLogoutSubmit)
	pages.Get("/dashboard", h.handleDashboard)
	pages.Get("/communities", h.pageFor("/communities"), h.handleCommunitiesPage)
	pages.Get("/organizations", h.pageFor("/organizations"), h.handleOrganizationsPage)
	pages.Get("/admin/users", h.pageFor("/admin/users"), h.handleUsersPage)

	// The public transfer-item catalog and service standards, the district
	// admin's standards and guidance catalog, and the officers' transfer items.
	pages.Get("/catalog", h.handleCatalogPage)
	pages.Get("/catalog/items/:id", h.handleCatalogItemPage)
	pages.Get("/standards", h.handleStandardsPage)

	standards, guidance := h.pageFor("/district/standards"), h.pageFor("/district/guidance")
	pages.Get("/district/standards", standards, h.handleDistrictStandardsPage)
	pages.Post("/district/standards/metrics", csrf, standards, h.handleMetricAddSubmit)
	pages.Post("/district/standards/:code/:metric", csrf, standards, h.handleMetricAdjustSubmit)
	pages.Post("/district/standards/:code/:metric/retire", csrf, standards, h.handleMetricRetireSubmit)
	pages.Get("/district/guidance", guidance, h.handleGuidancePage)
	pages.Post("/district/guidance", csrf, guidance, h.handleGuidanceSubmit)

	// Readers see items; only procurement officers (the roles of /items/new) change them.
	read, write := h.pageFor("/items"), h.pageFor("/items/new")
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
	// evidence; its admin alone (the roles of the other paths) edits, invites
	// and applies.
	pages.Get("/signup", h.handleSignupPage)
	pages.Post("/signup", anonymous(), csrf, h.handleSignupSubmit)
	pages.Get("/capable", h.handleCapablePage)

	staff, profile := h.pageFor("/org"), h.pageFor("/org/profile")
	pages.Get("/org", staff, h.handleOrgPage)
	pages.Get("/org/profile", profile, h.handleOrgProfilePage)
	pages.Post("/org/profile", csrf, profile, h.handleOrgProfileSubmit)
	pages.Post("/org/members", csrf, h.pageFor("/org/members"), h.handleMemberInviteSubmit)
	pages.Post("/org/documents", csrf, staff, h.handleDocumentUploadSubmit)
	pages.Get("/org/documents/:id", staff, h.handleOwnDocument)
	pages.Post("/org/certifications", csrf, h.pageFor("/org/certifications"), h.handleApplySubmit)

	queue := h.pageFor("/district/certifications")
	pages.Get("/district/certifications", queue, h.handleQueuePage)
	pages.Post("/district/certifications/:id/approve", csrf, queue, h.handleApproveSubmit)
	for _, decision := range certDecisions {
		pages.Post("/district/certifications/:id/"+decision, csrf, queue, h.handleDecisionSubmit(decision))
	}
	pages.Get("/district/documents/:org/:doc", queue, h.handleDistrictDocument)

	// Project funds and payments: the finance officer's fund accounts,
	// appropriations, corrections and payouts (which the other staff of the
	// fund roles read), the fund reports, an organization's received payments
	// with its Stripe onboarding, and the public donation pages.
	fundRead, fundWrite := h.pageFor("/funds"), h.pageFor("/funds/write")
	pages.Get("/funds", fundRead, h.handleFundsPage)
	pages.Post("/funds", csrf, fundWrite, h.handleFundCreateSubmit)
	pages.Get("/funds/:id", fundRead, h.handleFundPage)
	pages.Get("/funds/:id/postings.csv", fundRead, h.handlePostingsCSV)
	pages.Post("/funds/:id/appropriations", csrf, fundWrite, h.handleAppropriationSubmit)
	pages.Post("/funds/:id/postings/:posting/correct", csrf, fundWrite, h.handleCorrectionSubmit)
	pages.Get("/payouts", h.pageFor("/payouts"), h.handlePayoutsPage)
	pages.Post("/payouts/:id/confirm", csrf, fundWrite, h.handlePayoutConfirmSubmit)
	pages.Get("/reports/funds", h.pageFor("/reports/funds"), h.handleFundReportPage)

	pages.Get("/org/payouts", h.pageFor("/org/payouts"), h.handleOrgPayoutsPage)
	pages.Post("/org/payouts/connect", csrf, h.pageFor("/org/payouts/connect"), h.handleOnboardSubmit)

	pages.Get("/donate", h.handleDonatePage)
	pages.Post("/donate", anonymous(), csrf, h.handleDonateSubmit)
	pages.Get("/donate/receipt/:id", h.handleReceiptPage)

	// Tendering: the procurement officer's tenders (list, wizard, overview and
	// its forms), an organization's opportunities (detail, questions, the
	// sealed bid with its receipt, withdrawal, challenge), an evaluator's
	// reviews (declaration, scoring, score table), the public tender notices
	// and every user's notifications.
	officer := h.pageFor("/tenders")
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

	bidder := h.pageFor("/opportunities")
	pages.Get("/opportunities", bidder, h.handleOpportunitiesPage)
	pages.Get("/opportunities/:id", bidder, h.handleOpportunityPage)
	pages.Post("/opportunities/:id/questions", csrf, bidder, h.handleAskSubmit)
	pages.Post("/opportunities/:id/bid", csrf, bidder, h.handleBidSubmitPage)
	pages.Post("/opportunities/:id/bids/:bid/withdraw", csrf, bidder, h.handleWithdrawSubmit)
	pages.Post("/opportunities/:id/challenges", csrf, bidder, h.handleChallengeSubmit)
	pages.Get("/opportunities/:id/bids/:bid/attachments/:n", bidder, h.handleBidAttachment)

	evaluator := h.pageFor("/reviews")
	pages.Get("/reviews", evaluator, h.handleReviewsPage)
	pages.Get("/reviews/:id", evaluator, h.handleReviewPage)
	pages.Post("/reviews/:id/declaration", csrf, evaluator, h.handleDeclareSubmit)
	pages.Post("/reviews/:id/scores", csrf, evaluator, h.handleScoresSubmit)
	pages.Get("/reviews/:id/bids/:bid/attachments/:n", evaluator, h.handleBidAttachment)

	pages.Get("/procurement", h.handleProcurementPage)
	pages.Get("/procurement/:id", h.handleNoticePage)
	pages.Get("/notifications", h.pageFor("/notifications"), h.handleNotificationsPage)
}

// navItem is one entry of the header navigation.
type navItem struct {
	Key  string // message key
	Href string
}

// pageRoles says which roles may open each signed-in page; the header shows a
// role only the pages it may open.
var pageRoles = map[string][]access.Role{
	"/communities":   placeReaders,
	"/organizations": orgReaders,
	"/admin/users":   {access.PlatformAdmin},
	// Transfer items: staff read them, procurement officers (/items/new) change them.
	"/items":              itemReaders,
	"/items/new":          {access.ProcurementOfficer},
	"/district/standards": {access.DistrictAdmin},
	"/district/guidance":  {access.DistrictAdmin},
	// Organizations: their staff see their page and upload evidence; only the
	// organization's admin edits the profile, invites members and applies.
	"/org":                     {access.OrgAdmin, access.OrgMember},
	"/org/profile":             {access.OrgAdmin},
	"/org/members":             {access.OrgAdmin},
	"/org/certifications":      {access.OrgAdmin},
	"/district/certifications": {access.DistrictAdmin},
	// Funds: the staff who read fund accounts see them, their payouts and the
	// reports; finance officers alone ("/funds/write", the key of every form
	// posted from these pages) open accounts, appropriate, correct and confirm.
	"/funds":         fundReaders,
	"/funds/write":   {access.FinanceOfficer},
	"/payouts":       fundReaders,
	"/reports/funds": fundReaders,
	// An organization's staff see the payments it received; its admin connects
	// it to Stripe.
	"/org/payouts":         {access.OrgAdmin, access.OrgMember},
	"/org/payouts/connect": {access.OrgAdmin},
	// Tendering: the procurement officer runs the subdistrict's tenders, an
	// organization's staff bid on its opportunities, evaluators review the
	// tenders whose committee they sit on; everyone reads notifications.
	"/tenders":       {access.ProcurementOfficer},
	"/opportunities": {access.OrgAdmin, access.OrgMember},
	"/reviews":       {access.Evaluator},
	"/notifications": access.Roles,
}

var navOrder = []navItem{
	{"nav.communities", "/communities"},
	{"nav.organizations", "/organizations"},
	{"nav.users", "/admin/users"},
	{"nav.items", "/items"},
	{"nav.district_standards", "/district/standards"},
	{"nav.guidance", "/district/guidance"},
	{"nav.certifications", "/district/certifications"},
	{"nav.org", "/org"},
	{"nav.org_payouts", "/org/payouts"},
	{"nav.funds", "/funds"},
	{"nav.payouts", "/payouts"},
	{"nav.fund_reports", "/reports/funds"},
	{"nav.tenders", "/tenders"},
	{"nav.opportunities", "/opportunities"},
	{"nav.reviews", "/reviews"},
	{"nav.notifications", "/notifications"},
}

func navFor(role access.Role) []navItem {
	var out []navItem
	for _, it := range navOrder {
		if slices.Contains(pageRoles[it.Href], role) {
			out = append(out, it)
		}
	}
	return out
}

// pageFor admits signed-in users whose role may open the page at path: others
// are sent to the login page, or shown 403.
func (h *Handler) pageFor(path string) fiber.Handler {
	roles := pageRoles[path]
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
