package ui_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/jiedao-market/jiedao/internal/civil"
	"github.com/jiedao-market/jiedao/internal/contract"
	"github.com/jiedao-market/jiedao/internal/evaluation"
	"github.com/jiedao-market/jiedao/internal/servertest"
)

// WORKED_EXAMPLES §4's mid-term payment in a browser: the evaluator
// declares no conflict, enters the on-site inspection score (70 of 100, the
// contract's one metric) and submits the mid-term evaluation of a 450,000.00
// contract, scoring 70.0; the procurement officer accepts the milestone
// from the contract's page, the organization attaches its receipt for the
// payable 162,000.00, a finance officer (not the accepting account)
// approves it from the approvals queue and confirms the bank transfer, and
// the organization sees the payment received.
func TestBrowserMilestonePayment(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t)
	c := e.SignedContractWithMetrics(t, 45_000_000, []contract.Metric{{Code: "inspection_score", NameZh: "现场检查得分",
		NameEn: "On-site inspection score", Unit: "分", Direction: "higher", Source: "evaluator", Target: 100, Weight: 100}})
	today := civil.ChinaDate(e.Clock.Now())
	if _, err := e.Services.Evaluations.Schedule(t.Context(), e.ActorOf(t, "demo-officer"), c.ID, evaluation.ScheduleInput{
		Kind: evaluation.KindMidterm, PeriodEnd: today.AddDays(-1).String(), DueOn: today.String(),
		EvaluatorID: e.IDOf(t, "users", "username = 'demo-evaluator'")}); err != nil {
		t.Fatalf("Schedule() error = %v", err)
	}
	evID := e.IDOf(t, "evaluations", "contract_id = ? AND kind = 'midterm'", c.ID)
	mid := e.IDOf(t, "contract_milestones", "contract_id = ? AND seq = 2", c.ID)
	receipt := filepath.Join(t.TempDir(), "收据.pdf")
	if err := os.WriteFile(receipt, samplePDF, 0o600); err != nil {
		t.Fatal(err)
	}
	base := serveHTTP(t, e)
	ctx := newBrowserFor(t, 120*time.Second)
	css := func(sel string) chromedp.CSS { return chromedp.CSS(sel) }
	signInAs := func(username, landmark string) { t.Helper(); browserSignIn(t, ctx, base, username, landmark) }
	milestoneSel := func(format string) chromedp.CSS { return css(fmt.Sprintf(format, mid)) }

	signInAs("demo-evaluator", "#dashboard-evaluator")
	browse(t, ctx, "declare no conflict",
		chromedp.Click(css(`#work-nav details:has(a[href="/evaluations"]) > summary`)),
		chromedp.Click(css(`header a[href="/evaluations"]`)),
		chromedp.Click(css(fmt.Sprintf(`a[href="/evaluations/%d"]`, evID))),
		chromedp.WaitVisible(css(`#evdeclare-no`)),
		chromedp.Click(css(`#evdeclare-no`)),
		chromedp.Click(css(`#evdeclare-submit`)),
		chromedp.WaitVisible(css(`#done[data-done="declared"]`)),
		chromedp.WaitVisible(css(`#figure-inspection_score-actual`)),
	)
	browse(t, ctx, "enter the inspection score and submit",
		chromedp.SendKeys(css(`#figure-inspection_score-actual`), "70"),
		chromedp.SendKeys(css(`#figure-inspection_score-note`), "现场检查：台账基本完整，个别记录缺签字"),
		chromedp.Click(css(`#eventer-submit`)),
		chromedp.WaitVisible(css(`#done[data-done="saved"]`)),
		chromedp.Click(css(`#evsubmit-submit`)),
		chromedp.WaitVisible(css(`#done[data-done="submitted"]`)),
	)
	wantSubstrings(t, "the submitted evaluation", pageValue(t, ctx, chromedp.Text(css(`#score`))), "70.0", "合格")
	browserSignOut(t, ctx)

	signInAs("demo-officer", "#dashboard-procurement_officer")
	browse(t, ctx, "accept the mid-term milestone from the contract's page",
		chromedp.Navigate(fmt.Sprintf("%s/contracts/%d", base, c.ID)),
		chromedp.Click(css(`#milestones-link`)),
		chromedp.WaitVisible(milestoneSel(`#acceptance-note-%d`)),
		chromedp.SendKeys(milestoneSel(`#acceptance-note-%d`), "中期服务已现场核查，台账与服务记录一致"),
		chromedp.Click(milestoneSel(`#accept-%d-submit`)),
		chromedp.WaitVisible(css(`#milestones-done`)),
	)
	wantSubstrings(t, "the accepted milestone", pageValue(t, ctx, chromedp.Text(milestoneSel(`#milestone-%d`))),
		"70.0", "0.90", "162,000.00", "18,000.00", "已验收，待审批", "中期服务已现场核查")
	browserSignOut(t, ctx)

	signInAs("demo-org", "#dashboard-org_admin")
	browse(t, ctx, "attach the receipt",
		chromedp.Click(css(`#work-nav details:has(a[href="/org/milestones"]) > summary`)),
		chromedp.Click(css(`header a[href="/org/milestones"]`)),
		chromedp.WaitVisible(milestoneSel(`#invoice-file-%d`)),
		chromedp.SetValue(milestoneSel(`#invoice-kind-%d`), "receipt"),
		chromedp.SendKeys(milestoneSel(`#invoice-number-%d`), "浙民收 No.0042"),
		chromedp.SetUploadFiles(milestoneSel(`#invoice-file-%d`), []string{receipt}),
		chromedp.Click(milestoneSel(`#invoice-%d-submit`)),
		chromedp.WaitVisible(css(`#milestones-done`)),
	)
	wantSubstrings(t, "the invoiced milestone", pageValue(t, ctx, chromedp.Text(milestoneSel(`#milestone-%d`))), "收据", "浙民收 No.0042")
	browserSignOut(t, ctx)

	signInAs("demo-finance", "#dashboard-finance_officer")
	browse(t, ctx, "approve from the queue",
		chromedp.Click(css(`#work-nav details:has(a[href="/approvals"]) > summary`)),
		chromedp.Click(css(`header a[href="/approvals"]`)),
		chromedp.WaitVisible(milestoneSel(`#approve-%d-submit`)),
	)
	wantSubstrings(t, "the queue", pageValue(t, ctx, chromedp.Text(css(`#approvals`))), "测试付款节点项目", "162,000.00", "浙民收 No.0042")
	browse(t, ctx, "approve",
		chromedp.Click(milestoneSel(`#approve-%d-submit`)),
		chromedp.WaitVisible(css(`#approvals-done`)),
		chromedp.Click(css(`#approvals-done a[href="/payouts"]`)),
		chromedp.WaitVisible(css(`#payouts`)),
	)
	payout := e.IDOf(t, "payouts", "reference_type = 'milestone' AND reference_id = ?", fmt.Sprintf("%d/2/1", c.ID))
	row := fmt.Sprintf(`#payout-%d`, payout)
	wantSubstrings(t, "the payout", pageValue(t, ctx, chromedp.Text(css(row))), "162,000.00", "待支付", fmt.Sprintf("合同 #%d · 节点 2 · 第 1 轮", c.ID))
	browse(t, ctx, "confirm the bank transfer",
		chromedp.SendKeys(css(fmt.Sprintf(`#confirm-%d-reference`, payout)), "ICBC-20261122-0042"),
		chromedp.Click(css(fmt.Sprintf(`#confirm-%d`, payout))),
		chromedp.WaitVisible(css(`#done`)),
	)
	browserSignOut(t, ctx)

	signInAs("demo-org", "#dashboard-org_admin")
	browse(t, ctx, "see the payment received",
		chromedp.Click(css(`#work-nav details:has(a[href="/org/payouts"]) > summary`)),
		chromedp.Click(css(`header a[href="/org/payouts"]`)),
		chromedp.WaitVisible(css(row)),
	)
	wantSubstrings(t, "the payment received", pageValue(t, ctx, chromedp.Text(css(row))), "162,000.00", "已支付", "ICBC-20261122-0042")
	browse(t, ctx, "see the milestone paid",
		chromedp.Click(css(`#milestones-link`)),
		chromedp.WaitVisible(milestoneSel(`#milestone-%d`)),
	)
	wantSubstrings(t, "the paid milestone", pageValue(t, ctx, chromedp.Text(milestoneSel(`#milestone-%d`))), "已支付", "162,000.00")
}
