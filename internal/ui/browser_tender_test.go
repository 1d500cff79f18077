package ui_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/jiedao-market/jiedao/internal/servertest"
)

// A whole tender in the browser: the officer creates it in the wizard and
// publishes it; two organizations bid through the bid form, one replacing its
// bid; time passes the close and the opening; three evaluators declare and
// score; the officer proposes the award; the losing bidder challenges with
// evidence; the officer dismisses the challenge; the challenge period ends;
// the award is final and the tender page shows the draft contract.
func TestBrowserTender(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t)
	tenderCast(t, e)
	svc := tenderService(t, e)
	base := serveHTTP(t, e)
	ctx := newBrowserFor(t, 90*time.Second)
	css := func(sel string) chromedp.CSS { return chromedp.CSS(sel) }
	signInAs := func(username, landmark string) { t.Helper(); browserSignIn(t, ctx, base, username, landmark) }
	signOut := func() { t.Helper(); browserSignOut(t, ctx) }
	dir := t.TempDir()
	proposalFile := filepath.Join(dir, "服务方案.txt")
	if err := os.WriteFile(proposalFile, []byte("助浴服务实施细则：每周两次上门，配备移动助浴设备。"), 0o600); err != nil {
		t.Fatal(err)
	}
	evidenceFile := filepath.Join(dir, "质疑证明材料.pdf")
	if err := os.WriteFile(evidenceFile, samplePDF, 0o600); err != nil {
		t.Fatal(err)
	}

	// The officer creates the tender in the wizard and publishes it.
	title := "爱山街道失能老人居家照护服务（浏览器测试）"
	item, fund := elderlyItem(t, e), elderlyFund(t, e)
	committee := committeeIDs(t, e)
	signInAs("demo-officer", "#dashboard-procurement_officer")
	browse(t, ctx, "start the wizard",
		chromedp.Click(css(`#work-nav details:has(a[href="/tenders"]) > summary`)),
		chromedp.Click(css(`header a[href="/tenders"]`)),
		chromedp.WaitVisible(css(`#tender-new`)),
		chromedp.Click(css(`#tender-new`)),
		chromedp.WaitVisible(css(fmt.Sprintf(`#item-%d`, item))),
		chromedp.Click(css(fmt.Sprintf(`#item-%d`, item))),
		chromedp.WaitVisible(css(`#save-tender`)),
	)
	browse(t, ctx, "fill in the tender",
		chromedp.Clear(css(`#tf-title`)),
		chromedp.SendKeys(css(`#tf-title`), title),
		chromedp.SetValue(css(`#tf-fund_account_id`), strconv.FormatInt(fund, 10)),
		chromedp.SendKeys(css(`#tf-ceiling_fen`), "450,000"),
		chromedp.SetValue(css(`#tf-service_start`), "2027-01-01"),
		chromedp.SetValue(css(`#tf-service_end`), "2027-12-31"),
		chromedp.SetValue(css(`#tf-min_bids`), "2"),
		chromedp.SetValue(css(`#tf-questions_close_at`), "2026-11-29T17:00"),
		chromedp.SetValue(css(`#tf-closes_at`), "2026-12-02T09:00"),
		chromedp.SetValue(css(`#tf-opens_at`), "2026-12-02T10:00"),
		chromedp.SendKeys(css(`#tf-short_window_justification`), "原服务合同年底到期，需在年内接续服务"),
		chromedp.Click(css(fmt.Sprintf(`#tf-evaluator-%d`, committee[0]))),
		chromedp.Click(css(fmt.Sprintf(`#tf-evaluator-%d`, committee[1]))),
		chromedp.Click(css(fmt.Sprintf(`#tf-evaluator-%d`, committee[2]))),
		chromedp.Click(css(`#save-tender`)),
		chromedp.WaitVisible(css(`#done[data-done="created"]`)),
	)
	id := e.IDOf(t, "tenders", "title = ?", title)
	wantSubstrings(t, "the draft", pageValue(t, ctx, chromedp.Text(css(`main`))), "草稿", "¥450,000.00", "2026-12-02 09:00", "服务方案", "人员配置与管理")
	browse(t, ctx, "publish",
		chromedp.Click(css(`#publish-tender`)),
		chromedp.WaitVisible(css(`#tender-status[data-status="published"]`)),
	)
	signOut()

	// Two organizations bid; the first replaces its bid.
	v, err := svc.Get(t.Context(), e.ActorOf(t, "demo-officer"), id)
	if err != nil {
		t.Fatal(err)
	}
	bid := func(username, price, proposal string, files []string, replace bool) string {
		t.Helper()
		var steps []chromedp.Action[chromedp.Void]
		if !replace {
			steps = append(steps,
				chromedp.Click(css(`header a[href="/opportunities"]`)),
				chromedp.Click(css(fmt.Sprintf(`#open-tenders-%d a`, id))),
			)
		}
		steps = append(steps,
			chromedp.WaitVisible(css(`#bid-submit`)),
			chromedp.SetValue(css(`#bid-price_fen`), price),
			chromedp.SetValue(css(`#bid-technical_proposal`), proposal),
			chromedp.SetValue(css(`#bid-staffing_plan`), "持证社工 4 名，养老护理员 12 名，康复治疗师 1 名"),
		)
		for _, m := range v.Metrics {
			steps = append(steps, chromedp.SetValue(css(`#bid-commit-`+m.Code), strconv.FormatFloat(m.Target, 'f', -1, 64)))
		}
		if len(files) > 0 {
			steps = append(steps, chromedp.SetUploadFiles(css(`#bid-attachments`), files))
		}
		// The receipt page a replacement starts from says "submitted" already:
		// wait for what only the new one shows.
		landmark := `#done[data-done="submitted"]`
		if replace {
			landmark = `#receipt-replaces`
		}
		steps = append(steps, chromedp.Click(css(`#bid-submit`)), chromedp.WaitVisible(css(landmark)))
		browse(t, ctx, username+" bids "+price, steps...)
		return pageValue(t, ctx, chromedp.Text(css(`#receipt-digest`)))
	}
	signInAs("demo-org", "#dashboard-org_admin")
	first := bid("demo-org", "430000", "康乐中心技术方案：分片包干，专人负责。", []string{proposalFile}, false)
	wantSubstrings(t, "demo-org's receipt", pageValue(t, ctx, chromedp.Text(css(`#receipt`))), "有效", first, "¥430,000.00", "服务方案.txt")
	second := bid("demo-org", "420000", "康乐中心技术方案（修订）：分片包干，专人负责，夜间应急。", nil, true)
	if second == first || len(second) != 64 {
		t.Errorf("the replacement's receipt digest = %q, want a new SHA-256 (the first was %q)", second, first)
	}
	wantSubstrings(t, "demo-org's new receipt", pageValue(t, ctx, chromedp.Text(css(`#receipt`))), "替换了第", "¥420,000.00")
	signOut()
	signInAs("demo-org3", "#dashboard-org_admin")
	bid("demo-org3", "445000", "颐康中心技术方案：集中调度。", nil, false)
	signOut()

	// Time passes the close and the opening; the job runner opens the bids.
	advanceTender(t, e, svc, id, v.OpensAt.Add(time.Minute))
	bids := activeBids(t, e, id, "demo-org", "demo-org3")
	winner, loser := bids[0], bids[1]

	// Three evaluators declare and score.
	points := map[int64][3]string{winner: {"26", "17", "8.5"}, loser: {"20", "14", "6"}}
	for i, name := range []string{"demo-evaluator", "demo-evaluator2", "demo-evaluator3"} {
		signInAs(name, "#dashboard-evaluator")
		browse(t, ctx, name+" declares",
			chromedp.Click(css(`#work-nav details:has(a[href="/reviews"]) > summary`)),
			chromedp.Click(css(`header a[href="/reviews"]`)),
			chromedp.Click(css(fmt.Sprintf(`#tender-list-%d a`, id))),
			chromedp.WaitVisible(css(`#declare-submit`)),
		)
		wantSubstrings(t, "the bidders to declare about", pageValue(t, ctx, chromedp.Text(css(`#bidders`))),
			"湖州市吴兴区康乐居家养老服务中心")
		steps := []chromedp.Action[chromedp.Void]{
			chromedp.Click(css(`#declare-no`)),
			chromedp.Click(css(`#declare-submit`)),
			chromedp.WaitVisible(css(`#scores-submit`)),
		}
		for bidID, ps := range points {
			for j, code := range []string{"plan", "team", "quality"} {
				steps = append(steps,
					chromedp.SetValue(css(fmt.Sprintf(`#score-%d-%s-points`, bidID, code)), ps[j]),
					chromedp.SetValue(css(fmt.Sprintf(`#score-%d-%s-comment`, bidID, code)), "符合要求"))
			}
		}
		last := i == 2
		done := `#done[data-done="scored"]`
		if last {
			done = `#score-table`
		}
		steps = append(steps, chromedp.Click(css(`#scores-submit`)), chromedp.WaitVisible(css(done)))
		browse(t, ctx, name+" scores", steps...)
		if last {
			wantSubstrings(t, "the score table", pageValue(t, ctx, chromedp.Text(css(`#score-table`))), "湖州市吴兴区康乐居家养老服务中心", "¥420,000.00", "¥445,000.00")
		}
		signOut()
	}

	// The officer proposes the top-ranked bid.
	signInAs("demo-officer", "#dashboard-procurement_officer")
	browse(t, ctx, "propose the award",
		chromedp.Navigate(fmt.Sprintf("%s/tenders/%d", base, id)),
		chromedp.WaitVisible(css(`#award-submit`)),
		chromedp.WaitVisible(css(fmt.Sprintf(`#award-bid-%d:checked`, winner))),
		chromedp.Click(css(`#award-submit`)),
		chromedp.WaitVisible(css(`#award-status[data-status="proposed"]`)),
	)
	wantSubstrings(t, "the award", pageValue(t, ctx, chromedp.Text(css(`#award-winners`))), "湖州市吴兴区康乐居家养老服务中心")
	signOut()

	// The losing bidder uploads evidence and challenges.
	signInAs("demo-org3", "#dashboard-org_admin")
	browse(t, ctx, "upload evidence",
		chromedp.Navigate(base+"/org"),
		chromedp.WaitVisible(css(`#upload-submit`)),
		chromedp.SetUploadFiles(css(`#document-file`), []string{evidenceFile}),
		chromedp.Click(css(`#upload-submit`)),
		chromedp.WaitVisible(css(`#documents #done`)),
	)
	doc := e.IDOf(t, "organization_documents", "organization_id = ? AND original_name = ?", e.ActorOf(t, "demo-org3").Scope.OrganizationID, "质疑证明材料.pdf")
	browse(t, ctx, "challenge the award",
		chromedp.Navigate(fmt.Sprintf("%s/opportunities/%d", base, id)),
		chromedp.WaitVisible(css(`#challenge-submit`)),
		chromedp.SendKeys(css(`#challenge-reasons`), "我中心报价与方案均优于中标候选人，评分偏低且未说明理由，请求复核。"),
		chromedp.Click(css(fmt.Sprintf(`#evidence-%d`, doc))),
		chromedp.Click(css(`#challenge-submit`)),
		chromedp.WaitVisible(css(`#done[data-done="challenged"]`)),
	)
	wantSubstrings(t, "the challenge", pageValue(t, ctx, chromedp.Text(css(`#challenge-list`))), "待答复", "质疑证明材料.pdf")
	signOut()

	// The officer dismisses it.
	challenge := e.IDOf(t, "challenges", "tender_id = ?", id)
	signInAs("demo-officer", "#dashboard-procurement_officer")
	browse(t, ctx, "dismiss the challenge",
		chromedp.Navigate(fmt.Sprintf("%s/tenders/%d", base, id)),
		chromedp.WaitVisible(css(fmt.Sprintf(`#ch-%d-submit`, challenge))),
		chromedp.Click(css(fmt.Sprintf(`#ch-%d-dismissed`, challenge))),
		chromedp.SendKeys(css(fmt.Sprintf(`#ch-%d-answer`, challenge)), "经复核，评审委员会评分符合评分标准，质疑不成立。"),
		chromedp.Click(css(fmt.Sprintf(`#ch-%d-submit`, challenge))),
		chromedp.WaitVisible(css(`#done[data-done="challenge_answered"]`)),
	)
	wantSubstrings(t, "the answered challenge", pageValue(t, ctx, chromedp.Text(css(`#challenge-list`))), "驳回", "经复核，评审委员会评分符合评分标准")
	if st := pageValue(t, ctx, chromedp.AttributeValue(css(`#tender-status`), "data-status")); st.Value != "award_proposed" {
		t.Errorf("the tender's state before the period ends = %q, want award_proposed", st.Value)
	}
	signOut()

	// The challenge period ends: the award is final and the draft contract exists.
	var ends time.Time
	if err := e.DB.Table("tenders").Select("challenge_ends_at").Where("id = ?", id).Scan(&ends).Error; err != nil {
		t.Fatal(err)
	}
	advanceTender(t, e, svc, id, ends.Add(time.Minute))
	signInAs("demo-officer", "#dashboard-procurement_officer")
	browse(t, ctx, "open the awarded tender",
		chromedp.Navigate(fmt.Sprintf("%s/tenders/%d", base, id)),
		chromedp.WaitVisible(css(`#tender-status[data-status="awarded"]`)),
		chromedp.WaitVisible(css(`#contract-list`)),
	)
	wantSubstrings(t, "the contracts", pageValue(t, ctx, chromedp.Text(css(`#contract-list`))), "湖州市吴兴区康乐居家养老服务中心", "¥420,000.00", "合同草稿", "2027-01-01")
	wantSubstrings(t, "the award", pageValue(t, ctx, chromedp.Text(css(`#award-status`))), "已确定")
	signOut()
	browse(t, ctx, "open the public notice",
		chromedp.Navigate(fmt.Sprintf("%s/procurement/%d", base, id)),
		chromedp.WaitVisible(css(`#score-table`)),
	)
	wantSubstrings(t, "the public notice", pageValue(t, ctx, chromedp.Text(css(`main`))), "已定标", "¥420,000.00", "¥445,000.00", second[:16], "已确定")
}
