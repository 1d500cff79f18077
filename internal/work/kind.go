package work

import "slices"

// Kind is a kind of worklist item: its labels and its navigation group.
type Kind struct {
	Zh, En string
	Group  string
}

// The navigation groups Counts reports.
const (
	GroupProcurement   = "procurement"
	GroupContracts     = "contracts"
	GroupPayments      = "payments"
	GroupEvaluations   = "evaluations"
	GroupCertification = "certification"
	GroupComplaints    = "complaints"
	GroupRequests      = "requests"
)

// Kinds labels every kind a domain service answers.
var Kinds = map[string]Kind{
	// procurement officer
	"tender.question":       {"答复提问", "Answer a question", GroupProcurement},
	"tender.committee":      {"更换回避的评审委员", "Replace a recused committee member", GroupProcurement},
	"tender.award":          {"提出中标建议", "Propose the award", GroupProcurement},
	"tender.opening":        {"开标未完成，请核查", "Opening not done: check the tender", GroupProcurement},
	"tender.challenge":      {"答复质疑", "Answer a challenge", GroupProcurement},
	"contract.sign":         {"签订合同", "Sign the contract", GroupContracts},
	"contract.amendment":    {"处理合同变更", "Decide an amendment", GroupContracts},
	"milestone.accept":      {"验收里程碑", "Accept a milestone", GroupPayments},
	"complaint.triage":      {"分派投诉", "Triage a complaint", GroupComplaints},
	"complaint.decide":      {"裁定投诉", "Decide a complaint", GroupComplaints},
	"rectification.due":     {"整改期限", "Rectification deadline", GroupEvaluations},
	"evaluation.schedule":   {"安排合同评估", "Schedule an evaluation", GroupEvaluations},
	"evaluation.reevaluate": {"安排整改后复评", "Schedule the re-evaluation", GroupEvaluations},
	"complaint.overdue":     {"投诉回应已逾期", "Complaint response overdue", GroupComplaints},
	// finance officer
	"milestone.approve": {"审批付款", "Approve a payment", GroupPayments},
	"payout.failed":     {"核对失败的付款", "Reconcile a failed payout", GroupPayments},
	"fund.low":          {"资金账户余额不足", "Fund account running low", GroupPayments},
	// evaluator
	"review.declare":     {"声明无利害关系", "Declare no conflict of interest", GroupEvaluations},
	"review.score":       {"提交评分", "Submit your scores", GroupEvaluations},
	"evaluation.perform": {"完成合同评估", "Carry out a contract evaluation", GroupEvaluations},
	// district admin
	"certification.review": {"审核认定申请", "Review a certification application", GroupCertification},
	"certification.expire": {"认定即将到期", "Certification expiring", GroupCertification},
	// organization
	"tender.open":           {"可投标项目即将截止", "Eligible tender closing soon", GroupProcurement},
	"bid.reconfirm":         {"确认投标", "Reconfirm your bid", GroupProcurement},
	"org.contract.sign":     {"签订合同", "Sign the contract", GroupContracts},
	"org.amendment":         {"答复合同变更", "Answer an amendment", GroupContracts},
	"request.accept":        {"受理服务需求", "Accept a service request", GroupRequests},
	"org.complaint.respond": {"回应投诉", "Respond to a complaint", GroupComplaints},
	"rating.reply":          {"回复评价", "Reply to a rating", GroupComplaints},
	"org.rectification":     {"整改通知", "Rectification order", GroupEvaluations},
	"payout.onboard":        {"开通收款账户", "Set up payouts", GroupPayments},
	// resident
	"resident.request":   {"我的服务需求", "My service request", GroupRequests},
	"resident.complaint": {"我的投诉", "My complaint", GroupComplaints},
}

// label fills an item's titles and group from its kind.
func label(it *Item) {
	k, ok := Kinds[it.Kind]
	if !ok {
		k = Kind{Zh: it.Kind, En: it.Kind}
	}
	it.Group = k.Group
	it.TitleZh, it.TitleEn = k.Zh, k.En
	if it.Subject != "" {
		it.TitleZh += "：" + it.Subject
		it.TitleEn += ": " + it.Subject
	}
}

// Actions labels the audit actions the done list shows: what a user does
// by hand.
var Actions = map[string][2]string{
	"bid.submit":                 {"提交投标", "Submitted a bid"},
	"bid.withdraw":               {"撤回投标", "Withdrew a bid"},
	"certification.apply":        {"申请认定", "Applied for certification"},
	"certification.approve":      {"批准认定", "Approved a certification"},
	"challenge.answer":           {"答复质疑", "Answered a challenge"},
	"challenge.file":             {"提出质疑", "Filed a challenge"},
	"committee.declare":          {"声明利害关系", "Declared on conflicts"},
	"committee.replace":          {"更换评审委员", "Replaced committee members"},
	"committee.score":            {"提交评分", "Submitted scores"},
	"complaint.assign":           {"分派投诉", "Assigned a complaint"},
	"complaint.decide":           {"裁定投诉", "Decided a complaint"},
	"complaint.respond":          {"回应投诉", "Responded to a complaint"},
	"contract.sign":              {"签订合同", "Signed a contract"},
	"contract.signed":            {"签订合同（双方已签）", "Signed a contract (both parties now)"},
	"contract.amendment_propose": {"提出合同变更", "Proposed an amendment"},
	"contract.update":            {"修改合同草稿", "Changed a draft contract"},
	"evaluation.schedule":        {"安排评估", "Scheduled an evaluation"},
	"evaluation.submit":          {"提交评估", "Submitted an evaluation"},
	"milestone.accept":           {"验收里程碑", "Accepted a milestone"},
	"milestone.approve":          {"审批付款", "Approved a payment"},
	"milestone.invoice":          {"上传发票", "Attached an invoice"},
	"rating.reply":               {"回复评价", "Replied to a rating"},
	"rectification.order":        {"下达整改通知", "Ordered rectification"},
	"rectification.report":       {"提交整改报告", "Reported on rectification"},
	"service_record.create":      {"记录服务", "Recorded a service"},
	"service_request.create":     {"提出服务需求", "Made a service request"},
	"tender.answer":              {"答复提问", "Answered a question"},
	"tender.award_propose":       {"提出中标建议", "Proposed the award"},
	"tender.create":              {"创建招标", "Created a tender"},
	"tender.publish":             {"发布招标", "Published a tender"},
	"tender.question":            {"提问", "Asked a question"},
}

// doneActions are the actions the done list shows.
var doneActions = func() []string {
	out := make([]string, 0, len(Actions))
	for a := range Actions {
		out = append(out, a)
	}
	slices.Sort(out)
	return out
}()
