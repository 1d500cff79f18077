package api

import (
	"github.com/gofiber/fiber/v2"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/complaint"
	"github.com/jiedao-market/jiedao/internal/delivery"
	"github.com/jiedao-market/jiedao/internal/evaluation"
	"github.com/jiedao-market/jiedao/internal/request"
	"github.com/jiedao-market/jiedao/internal/servicerequest"
	"github.com/jiedao-market/jiedao/internal/trail"
)

// Routes registers the API description at /api/openapi.json and the whole
// /api/v1 route table on app.
func (h *Handler) Routes(app fiber.Router) {
	app.Get("/api/openapi.json", h.handleOpenAPI)

	api := app.Group("/api/v1", h.bearer)
	allow := request.Allow
	anonymous := func() fiber.Handler {
		return request.LimitAnonymous(h.Limits, "write", h.cfg.HTTP.AnonymousWritesPerMinute)
	}
	// public marks a read whose answer depends on its URL alone: anonymous
	// callers get an ETag, 304 and Cache-Control: public (server.publicCache).
	public := request.PublicRead

	api.Post("/auth/login", h.handleLogin)
	api.Post("/auth/refresh", h.handleRefresh)
	api.Post("/auth/logout", request.SignedIn, h.handleLogout)
	api.Get("/me", request.SignedIn, h.handleMe)

	api.Get("/districts", request.SignedIn, h.handleDistrictList)
	api.Post("/districts", allow(access.PlatformAdmin), h.handleDistrictCreate)
	api.Get("/districts/:id", request.SignedIn, h.handleDistrictGet)
	api.Patch("/districts/:id", allow(access.PlatformAdmin), h.handleDistrictUpdate)

	api.Get("/subdistricts", request.SignedIn, h.handleSubdistrictList)
	api.Post("/subdistricts", allow(access.PlatformAdmin), h.handleSubdistrictCreate)
	api.Get("/subdistricts/:id", request.SignedIn, h.handleSubdistrictGet)
	api.Patch("/subdistricts/:id", allow(access.PlatformAdmin), h.handleSubdistrictUpdate)

	api.Get("/communities", allow(access.SubdistrictStaff...), h.handleCommunityList)
	api.Post("/communities", allow(access.PlaceEditors...), h.handleCommunityCreate)
	api.Get("/communities/:id", allow(access.SubdistrictStaff...), h.handleCommunityGet)
	api.Patch("/communities/:id", allow(access.PlaceEditors...), h.handleCommunityUpdate)

	api.Get("/organizations", allow(access.OrgReaders...), h.handleOrganizationList)
	api.Post("/organizations", anonymous(), h.handleOrganizationCreate) // anonymous sign-up, or an admin's registration
	api.Get("/organizations/:id", allow(access.OrgReaders...), h.handleOrganizationGet)
	api.Patch("/organizations/:id", allow(access.OrgEditors...), h.handleOrganizationUpdate)

	api.Get("/users", allow(access.PlatformAdmin), h.handleUserList)
	api.Post("/users", allow(access.PlatformAdmin), h.handleUserCreate)
	api.Get("/users/:id", allow(access.PlatformAdmin), h.handleUserGet)
	api.Patch("/users/:id", allow(access.PlatformAdmin), h.handleUserUpdate)

	// Catalogs: service standards, guidance catalogs, transfer items.
	api.Get("/standards", public, h.handleStandardList)
	api.Get("/standards/:code", public, h.handleStandardGet)
	api.Post("/standards/:code/metrics", allow(access.DistrictAdmin), h.handleMetricAdd)
	api.Patch("/standards/:code/metrics/:metric", allow(access.DistrictAdmin), h.handleMetricAdjust)
	api.Post("/standards/:code/metrics/:metric/retire", allow(access.DistrictAdmin), h.handleMetricRetire)

	api.Get("/districts/:id/guidance-catalog", public, h.handleGuidanceList)
	api.Post("/districts/:id/guidance-catalog", allow(access.DistrictAdmin), h.handleGuidanceAdd)

	api.Get("/transfer-items", allow(access.SubdistrictStaff...), h.handleItemList)
	api.Post("/transfer-items", allow(access.ProcurementOfficer), h.handleItemCreate)
	api.Get("/transfer-items/:id", allow(access.SubdistrictStaff...), h.handleItemGet)
	api.Patch("/transfer-items/:id", allow(access.ProcurementOfficer), h.handleItemUpdate)
	api.Post("/transfer-items/:id/publish", allow(access.ProcurementOfficer), h.handleItemPublish)
	api.Post("/transfer-items/:id/retire", allow(access.ProcurementOfficer), h.handleItemRetire)
	api.Get("/transfer-items/:id/versions", allow(access.SubdistrictStaff...), h.handleItemVersions)

	api.Get("/public/transfer-items", public, h.handlePublicItemList)
	api.Get("/public/transfer-items/:id", public, h.handlePublicItemGet)

	// Organizations' self-service and certification.
	api.Get("/organizations/:id/members", allow(access.OrgReaders...), h.handleMemberList)
	api.Post("/organizations/:id/members", allow(access.OrgAdmin), h.handleMemberAdd)
	api.Post("/organizations/:id/members/:uid/password", allow(access.OrgAdmin), h.handleMemberPassword)
	api.Get("/organizations/:id/documents", allow(access.OrgReaders...), h.handleDocumentList)
	api.Post("/organizations/:id/documents", allow(access.OrgStaff...), h.handleDocumentUpload)
	api.Get("/organizations/:id/documents/:doc", allow(access.OrgReaders...), h.handleDocumentDownload)

	api.Get("/certifications", allow(access.OrgReaders...), h.handleCertificationList)
	api.Post("/certifications", allow(access.OrgAdmin), h.handleCertificationApply)
	api.Get("/certifications/:id", allow(access.OrgReaders...), h.handleCertificationGet)
	api.Post("/certifications/:id/approve", allow(access.DistrictAdmin), h.handleCertificationApprove)
	api.Post("/certifications/:id/verified-social-workers", allow(access.DistrictAdmin), h.handleCertificationVerify)
	api.Post("/certifications/:id/reject", allow(access.DistrictAdmin), h.handleCertificationDecide("reject"))
	api.Post("/certifications/:id/suspend", allow(access.DistrictAdmin), h.handleCertificationDecide("suspend"))
	api.Post("/certifications/:id/revoke", allow(access.DistrictAdmin), h.handleCertificationDecide("revoke"))

	api.Get("/public/organizations", public, h.handlePublicOrganizations)
	api.Get("/public/organizations/:id", public, h.handlePublicOrganizationGet) // the provider profile with its track record

	// Funds.
	api.Get("/fund-accounts", allow(access.SubdistrictStaff...), h.handleFundList)
	api.Post("/fund-accounts", allow(access.FinanceOfficer), h.handleFundCreate)
	api.Get("/fund-accounts/:id", allow(access.SubdistrictStaff...), h.handleFundGet)
	api.Post("/fund-accounts/:id/appropriations", allow(access.FinanceOfficer), h.handleAppropriate)
	api.Post("/fund-accounts/:id/corrections", allow(access.FinanceOfficer), h.handleCorrect)
	api.Get("/fund-accounts/:id/postings", allow(access.SubdistrictStaff...), h.handlePostings)
	api.Get("/reports/funds", allow(access.SubdistrictStaff...), h.handleFundReport)
	api.Get("/reports/community-funding-floor", allow(access.SubdistrictStaff...), h.handleFloorReport)

	// Payouts, donations and Stripe.
	api.Get("/payouts", allow(access.PayoutReaders...), h.handlePayoutList)
	api.Get("/exports/payouts.csv", allow(access.PayoutReaders...), h.handleExportPayouts)
	api.Post("/payouts/:id/manual-confirmation", allow(access.FinanceOfficer), h.handleManualConfirmation)
	api.Post("/organizations/:id/payout-onboarding", allow(access.OrgAdmin), h.handlePayoutOnboarding)
	api.Post("/public/donations", anonymous(), h.handleDonationStart)
	api.Get("/public/donations/:id", h.handleDonationGet)
	api.Post("/stripe/webhook", h.handleStripeWebhook)

	// Tendering.
	api.Get("/tenders", allow(access.TenderReaders...), h.handleTenderList)
	api.Post("/tenders", allow(access.ProcurementOfficer), h.handleTenderCreate)
	api.Get("/tenders/:id", allow(access.TenderReaders...), h.handleTenderGet)
	api.Patch("/tenders/:id", allow(access.ProcurementOfficer), h.handleTenderUpdate)
	api.Post("/tenders/:id/publish", allow(access.ProcurementOfficer), h.handleTenderPublish)
	api.Post("/tenders/:id/cancel", allow(access.ProcurementOfficer), h.handleTenderCancel)
	api.Post("/tenders/:id/amend", allow(access.ProcurementOfficer), h.handleTenderAmend)
	api.Get("/tenders/:id/questions", allow(access.TenderReaders...), h.handleQuestionList)
	api.Post("/tenders/:id/questions", allow(access.OrgStaff...), h.handleQuestionAsk)
	api.Post("/tenders/:id/questions/:qid/answer", allow(access.ProcurementOfficer), h.handleQuestionAnswer)
	api.Post("/tenders/:id/bids", allow(access.OrgStaff...), h.handleBidSubmit)
	api.Get("/tenders/:id/bids", allow(access.BidReaders...), h.handleBidList)
	api.Post("/bids/:id/withdraw", allow(access.OrgStaff...), h.handleBidWithdraw)
	api.Get("/tenders/:id/opening-record", allow(access.TenderReaders...), h.handleOpeningRecord)
	api.Post("/tenders/:id/declarations", allow(access.Evaluator), h.handleDeclare)
	api.Post("/tenders/:id/scores", allow(access.Evaluator), h.handleScores)
	api.Get("/tenders/:id/score-table", allow(access.TenderReaders...), h.handleScoreTable)
	api.Post("/tenders/:id/award-proposal", allow(access.ProcurementOfficer), h.handleAwardPropose)
	api.Get("/tenders/:id/challenges", allow(access.TenderReaders...), h.handleChallengeList)
	api.Post("/tenders/:id/challenges", allow(access.OrgStaff...), h.handleChallengeFile)
	api.Post("/challenges/:id/answer", allow(access.ProcurementOfficer), h.handleChallengeAnswer)
	api.Get("/public/tenders", public, h.handlePublicTenderList)
	api.Get("/public/tenders/:id", public, h.handlePublicTenderGet)
	api.Get("/public/tenders/:id/commitment", public, h.handlePublicCommitment)            // the bids committed at the close
	api.Get("/public/tenders/:id/commitment/proof", public, h.handlePublicCommitmentProof) // ?digest=: a receipt's inclusion proof
	api.Get("/public/exports/tenders.csv", h.handleExportTenders)
	api.Get("/public/exports/awards.csv", h.handleExportAwards)
	api.Get("/public/exports/contracts.csv", h.handleExportContracts)
	api.Get("/public/red-flags", public, h.handlePublicRedFlags)
	api.Get("/public/ocds/releases", public, h.handleOCDSReleases)
	api.Get("/public/ocds/records/:ocid", public, h.handleOCDSRecord)
	api.Get("/public/ocds/bulk.jsonl", h.handleOCDSBulk)
	api.Get("/notifications", request.SignedIn, h.handleNotifications)

	// Delivery: service records and their import.
	api.Get("/contracts/:id/service-records", allow(delivery.Readers...), h.handleRecordList)
	api.Post("/contracts/:id/service-records", allow(access.OrgStaff...), h.handleRecordCreate)
	api.Post("/contracts/:id/service-records/import", allow(access.OrgStaff...), h.handleRecordImport)
	api.Patch("/service-records/:id", allow(access.OrgStaff...), h.handleRecordCorrect)

	// Residents' ratings, follow-up calls (回访) and moderation.
	api.Post("/public/ratings", anonymous(), h.handleRatingSubmit)
	api.Get("/public/organizations/:id/ratings", public, h.handlePublicProviderRatings)
	api.Get("/public/communities/:id/ratings", public, h.handlePublicCommunityRatings)
	api.Get("/contracts/:id/ratings", allow(access.ContractReaders...), h.handleContractRatings)
	api.Post("/ratings/:id/reply", allow(access.OrgStaff...), h.handleRatingReply)
	api.Post("/ratings/:id/hide", allow(access.ProcurementOfficer), h.handleRatingHide)
	api.Get("/contracts/:id/follow-ups", allow(access.ProcurementOfficer), h.handleFollowUpList)
	api.Post("/contracts/:id/follow-ups", allow(access.ProcurementOfficer), h.handleFollowUpDraw)
	api.Post("/follow-ups/:id/rating", allow(access.ProcurementOfficer), h.handleFollowUpRating)

	// Contracts.
	api.Get("/contracts", allow(access.ContractReaders...), h.handleContractList)
	api.Get("/contracts/:id", allow(access.ContractReaders...), h.handleContractGet)
	api.Patch("/contracts/:id", allow(access.ProcurementOfficer), h.handleContractUpdate)
	api.Get("/contracts/:id/versions/:version", allow(access.ContractReaders...), h.handleContractVersion)
	api.Post("/contracts/:id/sign", allow(access.ContractParties...), h.handleContractSign)
	api.Post("/contracts/:id/amendments", allow(access.ContractParties...), h.handleAmendmentPropose)
	api.Post("/contract-amendments/:id/accept", allow(access.ContractParties...), h.handleAmendmentDecide(true))
	api.Post("/contract-amendments/:id/reject", allow(access.ContractParties...), h.handleAmendmentDecide(false))
	api.Post("/contracts/:id/terminate", allow(access.ContractParties...), h.handleContractTerminate)
	api.Get("/public/contracts/:id", public, h.handlePublicContractGet)

	// Milestone payments: due on signing and on the evaluations; the officer
	// accepts the work, the organization attaches its invoice, a finance
	// officer who did not accept approves the payment.
	api.Get("/contracts/:id/milestones", allow(access.ContractReaders...), h.handleMilestoneList)
	api.Post("/milestones/:id/accept", allow(access.ProcurementOfficer), h.handleMilestoneAccept)
	api.Post("/milestones/:id/invoice", allow(access.OrgStaff...), h.handleMilestoneInvoice)
	api.Get("/milestones/:id/invoice", allow(access.ContractReaders...), h.handleMilestoneInvoiceDownload)
	api.Post("/milestones/:id/approve", allow(access.FinanceOfficer), h.handleMilestoneApprove)

	// Residents' service requests (菜单式服务) and the demand they leave unmet.
	api.Post("/public/residents", anonymous(), h.handleResidentSignup)
	api.Get("/public/communities/:id/services", public, h.handleMenu)
	api.Get("/service-requests", allow(servicerequest.Readers...), h.handleServiceRequestList)
	api.Post("/service-requests", allow(servicerequest.Requesters...), h.handleServiceRequestCreate)
	api.Post("/service-requests/:id/accept", allow(access.OrgStaff...), h.handleServiceRequestAccept)
	api.Post("/service-requests/:id/decline", allow(access.OrgStaff...), h.handleServiceRequestDecline)
	api.Post("/service-requests/:id/fulfil", allow(access.OrgStaff...), h.handleServiceRequestFulfil)
	api.Get("/reports/demand", allow(servicerequest.DemandReaders...), h.handleDemandReport)

	// Complaints: filed by anyone, triaged and decided by the subdistrict's
	// officers, answered by the organization (the service checks each step's role).
	api.Post("/public/complaints", anonymous(), h.handleComplaintFile)
	api.Get("/public/complaints/:reference", request.LimitAnonymous(h.Limits, "lookup", h.cfg.HTTP.AnonymousLookupsPerMinute), h.handleComplaintFollow)
	api.Get("/complaints", allow(complaint.Readers...), h.handleComplaintList)
	api.Post("/complaints/:id/assign", allow(access.ProcurementOfficer), h.handleComplaintAssign)
	api.Post("/complaints/:id/respond", allow(access.OrgStaff...), h.handleComplaintRespond)
	api.Post("/complaints/:id/decide", allow(access.ProcurementOfficer), h.handleComplaintDecide)

	// Evaluations (评估) of contracts: the officer schedules and assigns,
	// the evaluator declares, enters and submits; rectification orders (整改)
	// after a failing grade, and the organization's report (the service
	// checks each step's role).
	api.Get("/contracts/:id/evaluations", allow(evaluation.Readers...), h.handleEvaluationList)
	api.Post("/contracts/:id/evaluations", allow(access.ProcurementOfficer), h.handleEvaluationSchedule)
	api.Get("/evaluations/:id", allow(evaluation.Readers...), h.handleEvaluationGet)
	api.Patch("/evaluations/:id", allow(evaluation.Editors...), h.handleEvaluationUpdate)
	api.Post("/evaluations/:id/submit", allow(access.Evaluator), h.handleEvaluationSubmit)
	api.Post("/evaluations/:id/rectification", allow(access.ProcurementOfficer), h.handleRectificationOrder)
	api.Post("/evaluations/:id/rectification/report", allow(access.OrgAdmin), h.handleRectificationReport)

	// The audit trail of a record, for its subdistrict's staff, and the
	// published heads of the audit chain, for everyone.
	api.Get("/audit", allow(trail.Readers...), h.handleAuditTrail)
	api.Get("/public/audit/heads", public, h.handleAuditHeads)

	// The signed-in user's worklist: what waits for them (待办) and what they did (已办).
	api.Get("/worklist", request.SignedIn, h.handleWorklist)
	// The signed-in users' search, each kind within the caller's scope.
	api.Get("/search", request.SignedIn, h.handleSearch)

	api.Use(func(c *fiber.Ctx) error { return request.ErrRouteNotFound })
}
