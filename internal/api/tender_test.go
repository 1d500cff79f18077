package api_test

import (
	"bytes"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/jiedao-market/jiedao/internal/tender"
)

// TestTenderDraftAndPublish covers what an officer relies on before bidding
// starts: a draft copies its transfer item and is refused when it loosens it,
// edits stay possible until publication, publication reserves the ceiling in
// the fund (and a refused one reserves nothing), and certified organizations
// hear of it while drafts stay out of sight.
func TestTenderDraftAndPublish(t *testing.T) {
	t.Parallel()
	w := newTenderWorld(t)
	e := w.e

	body := w.tenderBody(5)
	v := w.create(t, body)
	if v.Status != tender.StatusDraft || v.SubdistrictID != w.subA || v.TransferItemID != w.item.ID || v.CategoryCode != twCategory ||
		v.Title != w.item.Title || v.CeilingFen != twCeiling || v.MinBids != 3 || v.MaxWinners != 1 || v.ChallengeDays != 5 {
		t.Errorf("created tender = %+v, want a draft of item %d with ceiling %d, 3 bids at least, one winner and 5 challenge days",
			v, w.item.ID, twCeiling)
	}
	if diff := cmp.Diff(w.item.CommunityIDs, v.CommunityIDs); diff != "" {
		t.Errorf("tender communities (-item +tender):\n%s", diff)
	}
	if len(v.Metrics) != len(w.item.Metrics) || v.MinGrade != w.item.MinGrade || v.MinSocialWorkers != w.item.MinSocialWorkers {
		t.Errorf("tender metrics %+v, grade %d, social workers %d; want the item's %d metrics, grade %d, %d",
			v.Metrics, v.MinGrade, v.MinSocialWorkers, len(w.item.Metrics), w.item.MinGrade, w.item.MinSocialWorkers)
	}
	if len(v.Committee) != 5 || v.PublishedAt != nil || len(v.Amendments) != 0 || len(v.Contracts) != 0 {
		t.Errorf("created tender committee %+v published_at %v, want 5 members and no publication", v.Committee, v.PublishedAt)
	}

	t.Run("refused drafts write nothing", func(t *testing.T) {
		other := fundCreate(t, e, w.token(t, "demo-finance"), fundBody("法律援助专项资金", "LEGAL_AID")).ID
		metric := w.item.Metrics[0]
		looser := metric.Target - 1
		if metric.Direction == "lower" {
			looser = metric.Target + 1
		}
		for _, tc := range []struct {
			name   string
			change map[string]any
			field  string
		}{
			{"no item", map[string]any{"transfer_item_id": nil}, "transfer_item_id"},
			{"weights not summing to 100", map[string]any{"weights": map[string]int{"price": 30, "technical": 60, "performance": 20}}, "weights"},
			{"criteria not summing to the technical weight", map[string]any{"criteria": []map[string]any{{"code": "plan", "name": "方案", "max_points": 50}}}, "criteria"},
			{"fund not earmarked for the category", map[string]any{"fund_account_id": other}, "fund_account_id"},
			{"even committee", map[string]any{"committee_user_ids": []int64{w.evaluators[0].ID, w.evaluators[1].ID}}, "committee_user_ids"},
			{"committee of non-evaluators", map[string]any{"committee_user_ids": []int64{w.evaluators[0].ID, w.evaluators[1].ID,
				e.IDOf(t, "users", "username = ?", "demo-finance")}}, "committee_user_ids"},
			{"loosened metric target", map[string]any{"metric_targets": map[string]float64{metric.Code: looser}}, "metric_targets." + metric.Code},
			{"lower grade than the item", map[string]any{"min_grade": w.item.MinGrade - 1}, "min_grade"},
			{"opening before the close", map[string]any{"opens_at": body["closes_at"].(time.Time).Add(-time.Minute)}, "opens_at"},
			{"community the item does not serve", map[string]any{"community_ids": []int64{e.Demo(t).CommB}}, "community_ids"},
			{"invitations on an open tender", map[string]any{"invited_organization_ids": []int64{w.orgs[0].ID}}, "invited_organization_ids"},
		} {
			b := w.tenderBody(5)
			for k, val := range tc.change {
				if val == nil {
					delete(b, k)
				} else {
					b[k] = val
				}
			}
			w.refused(t, "POST", "/api/v1/tenders", "demo-officer", b, http.StatusBadRequest, "validation", tc.field)
		}
		// 飞英's officer cannot make a tender of 爱山's item.
		w.refused(t, "POST", "/api/v1/tenders", "demo-officer2", w.tenderBody(3), http.StatusBadRequest, "validation", "transfer_item_id")
	})

	t.Run("a draft is edited in place and seen by its subdistrict only", func(t *testing.T) {
		var edited tender.View
		w.call(t, "PATCH", twPath(v.ID, ""), "demo-officer", map[string]any{"title": "2027年度居家养老上门服务项目",
			"ceiling_fen": 48_000_000, "min_grade": 4, "committee_user_ids": []int64{w.evaluators[0].ID, w.evaluators[1].ID, w.evaluators[2].ID}},
			http.StatusOK, &edited)
		if edited.Title != "2027年度居家养老上门服务项目" || edited.CeilingFen != 48_000_000 || edited.MinGrade != 4 || len(edited.Committee) != 3 ||
			edited.Status != tender.StatusDraft {
			t.Errorf("edited draft = %+v, want the new title, ceiling, grade and a committee of 3", edited)
		}
		w.refused(t, "PATCH", twPath(v.ID, ""), "demo-officer", map[string]any{"transfer_item_id": w.item.ID + 1000},
			http.StatusBadRequest, "validation", "transfer_item_id")
		w.refused(t, "PATCH", twPath(v.ID, ""), "demo-officer2", map[string]any{"title": "越权修改"}, http.StatusNotFound, "not_found")
		for _, who := range []string{"demo-officer2", "demo-org", "demo-evaluator", w.orgs[0].Admin, w.evaluators[0].Username} {
			w.refused(t, "GET", twPath(v.ID, ""), who, nil, http.StatusNotFound, "not_found")
		}
		w.refused(t, "GET", "/api/v1/public/tenders/"+fmt.Sprint(v.ID), "", nil, http.StatusNotFound, "not_found")
		w.refused(t, "GET", "/api/v1/public/tenders?status=draft", "", nil, http.StatusBadRequest, "validation", "status")
		for _, who := range []string{"", w.orgs[0].Admin} {
			path := "/api/v1/public/tenders?per_page=100"
			if who != "" {
				path = "/api/v1/tenders?per_page=100"
			}
			if ids := twListIDs(t, w, who, path); slices.Contains(ids, v.ID) {
				t.Errorf("GET %s as %q lists the draft %d", path, who, v.ID)
			}
		}
		if ids := twListIDs(t, w, "demo-finance", "/api/v1/tenders?status=draft&per_page=100"); !slices.Contains(ids, v.ID) {
			t.Errorf("爱山's finance officer's drafts = %v, want %d among them", ids, v.ID)
		}
	})

	t.Run("a publication the fund cannot hold reserves nothing", func(t *testing.T) {
		big := w.create(t, func() map[string]any { b := w.tenderBody(3); b["ceiling_fen"] = twFundFen + 1; return b }())
		before := w.balances(t)
		w.refused(t, "POST", twPath(big.ID, "/publish"), "demo-officer", nil, http.StatusConflict, "fund.insufficient")
		if got := w.get(t, "demo-officer", big.ID); got.Status != tender.StatusDraft || got.PublishedAt != nil {
			t.Errorf("after the refused publication the tender is %s (published_at %v), want a draft", got.Status, got.PublishedAt)
		}
		if diff := cmp.Diff(before, w.balances(t)); diff != "" {
			t.Errorf("refused publication moved money (-before +after):\n%s", diff)
		}
		w.refused(t, "POST", twPath(big.ID, "/publish"), "demo-officer2", nil, http.StatusNotFound, "not_found")
	})

	t.Run("publication reserves the ceiling and tells certified organizations", func(t *testing.T) {
		before := w.balances(t)
		p := w.publish(t, v.ID)
		if p.Status != tender.StatusPublished || p.PublishedAt == nil || !p.PublishedAt.Equal(e.Clock.Now()) {
			t.Errorf("published tender status %s published_at %v, want published now", p.Status, p.PublishedAt)
		}
		after := w.balances(t)
		if after["available"] != before["available"]-48_000_000 || after["reserved"] != before["reserved"]+48_000_000 {
			t.Errorf("balances %v → %v, want 480,000.00 moved from available to reserved", before, after)
		}
		w.refused(t, "POST", twPath(v.ID, "/publish"), "demo-officer", nil, http.StatusConflict, "tender.not_draft")
		w.refused(t, "PATCH", twPath(v.ID, ""), "demo-officer", map[string]any{"title": "发布后修改"}, http.StatusConflict, "tender.not_draft")
		for _, o := range w.orgs {
			if got := twKinds(w.notifications(t, o.Admin, v.ID)); !slices.Equal(got, []string{tender.KindTenderPublished}) {
				t.Errorf("notifications of certified %s = %v, want [tender_published]", o.Admin, got)
			}
		}
		for _, who := range []string{w.uncertified.Admin, "demo-org2"} {
			if got := twKinds(w.notifications(t, who, v.ID)); len(got) != 0 {
				t.Errorf("notifications of uncertified %s = %v, want none", who, got)
			}
		}
		// Organizations see it (the eligible ones among their opportunities); the
		// public portal lists it, without its committee.
		if got := w.get(t, w.orgs[0].Admin, v.ID); got.Committee != nil || got.InvitedOrganizationIDs != nil || got.MyBid != nil {
			t.Errorf("tender as an organization shows committee %v invitations %v my_bid %v, want none", got.Committee, got.InvitedOrganizationIDs, got.MyBid)
		}
		if ids := twListIDs(t, w, w.orgs[0].Admin, "/api/v1/tenders?eligible=true&per_page=100"); !slices.Contains(ids, v.ID) {
			t.Errorf("eligible tenders of a certified organization = %v, want %d among them", ids, v.ID)
		}
		if ids := twListIDs(t, w, w.uncertified.Admin, "/api/v1/tenders?eligible=true&per_page=100"); slices.Contains(ids, v.ID) {
			t.Errorf("eligible tenders of an uncertified organization = %v, want %d not among them", ids, v.ID)
		}
		if ids := twListIDs(t, w, "", "/api/v1/public/tenders?status=published&per_page=100"); !slices.Contains(ids, v.ID) {
			t.Errorf("public published tenders = %v, want %d among them", ids, v.ID)
		}
		r := w.call(t, "GET", "/api/v1/public/tenders/"+fmt.Sprint(v.ID), "", nil, http.StatusOK, nil)
		if bytes.Contains(r.Body, []byte(`"committee"`)) || bytes.Contains(r.Body, []byte(`"opening_record":{`)) {
			t.Errorf("public tender = %s, want no committee and no opening record", r.Body)
		}
	})

	t.Run("a tender cannot be published once its cut-off has passed", func(t *testing.T) {
		late := w.create(t, w.tenderBody(3))
		e.Clock.Set(late.QuestionsCloseAt)
		w.refused(t, "POST", twPath(late.ID, "/publish"), "demo-officer", nil, http.StatusConflict, "tender.too_late")
	})
}

// twListIDs returns the ids of a tender list as username ("" anonymous).
func twListIDs(t testing.TB, w *tenderWorld, username, path string) []int64 {
	t.Helper()
	var page tender.Page[tender.Summary]
	w.call(t, "GET", path, username, nil, http.StatusOK, &page)
	ids := []int64{}
	for _, s := range page.Items {
		ids = append(ids, s.ID)
	}
	return ids
}

// TestTenderCancel: cancelling a draft moves no money; cancelling a published
// tender releases its reservation and tells its bidders; a cancelled tender
// stays cancelled.
func TestTenderCancel(t *testing.T) {
	t.Parallel()
	w := newTenderWorld(t)
	before := w.balances(t)

	draft := w.create(t, w.tenderBody(3))
	w.refused(t, "POST", twPath(draft.ID, "/cancel"), "demo-officer", map[string]any{"reason": "  "}, http.StatusBadRequest, "validation", "reason")
	w.refused(t, "POST", twPath(draft.ID, "/cancel"), "demo-officer2", map[string]any{"reason": "越权"}, http.StatusNotFound, "not_found")
	var c tender.View
	w.call(t, "POST", twPath(draft.ID, "/cancel"), "demo-officer", map[string]any{"reason": "需求调整"}, http.StatusOK, &c)
	if c.Status != tender.StatusCancelled || c.StatusReason != "需求调整" || c.EndedAt == nil {
		t.Errorf("cancelled draft = status %s reason %q ended %v, want cancelled with the reason", c.Status, c.StatusReason, c.EndedAt)
	}
	if diff := cmp.Diff(before, w.balances(t)); diff != "" {
		t.Errorf("cancelling a draft moved money (-before +after):\n%s", diff)
	}
	// Never published, it stays out of sight once cancelled.
	w.refused(t, "GET", "/api/v1/public/tenders/"+fmt.Sprint(draft.ID), "", nil, http.StatusNotFound, "not_found")
	w.refused(t, "GET", twPath(draft.ID, ""), w.orgs[0].Admin, nil, http.StatusNotFound, "not_found")

	pub := w.published(t, w.tenderBody(3))
	w.bid(t, w.orgs[0].Admin, pub.ID, 40_000_000)
	if got := w.balances(t); got["reserved"] != before["reserved"]+twCeiling {
		t.Fatalf("reserved after publication = %d, want %d", got["reserved"], before["reserved"]+twCeiling)
	}
	w.call(t, "POST", twPath(pub.ID, "/cancel"), "demo-officer", map[string]any{"reason": "预算调整，项目终止"}, http.StatusOK, &c)
	if c.Status != tender.StatusCancelled {
		t.Errorf("cancelled tender status = %s, want cancelled", c.Status)
	}
	if diff := cmp.Diff(before, w.balances(t)); diff != "" {
		t.Errorf("cancelling a published tender did not release its reservation (-before +after):\n%s", diff)
	}
	if got := twKinds(w.notifications(t, w.orgs[0].Admin, pub.ID)); !slices.Equal(got, []string{tender.KindTenderPublished, tender.KindTenderCancelled}) {
		t.Errorf("bidder's notifications = %v, want [tender_published tender_cancelled]", got)
	}
	w.refused(t, "POST", twPath(pub.ID, "/cancel"), "demo-officer", map[string]any{"reason": "再次终止"}, http.StatusConflict, "tender.not_cancellable")
	w.refused(t, "POST", twPath(pub.ID, "/bids"), w.orgs[1].Admin, w.bidBody(40_000_000, "方案"), http.StatusConflict, "tender.not_published")
	if ids := twListIDs(t, w, "", "/api/v1/public/tenders?status=cancelled&per_page=100"); !slices.Contains(ids, pub.ID) || slices.Contains(ids, draft.ID) {
		t.Errorf("public cancelled tenders = %v, want %d and not the cancelled draft %d", ids, pub.ID, draft.ID)
	}
}

// TestTenderAmend: an amendment is recorded with its reason, extends the
// close when fewer than three days remain, never brings it forward, and makes
// the bids already in need reconfirmation: a bid not replaced after it is not
// compliant at the opening.
func TestTenderAmend(t *testing.T) {
	t.Parallel()
	w := newTenderWorld(t)
	e := w.e
	body := w.tenderBody(3)
	body["min_bids"] = 2
	v := w.published(t, body)
	first := w.bid(t, w.orgs[0].Admin, v.ID, 40_000_000)
	w.bid(t, w.orgs[1].Admin, v.ID, 41_000_000)

	// Ten days before the close: nothing moves but what the amendment says.
	var a tender.View
	w.call(t, "POST", twPath(v.ID, "/amend"), "demo-officer", map[string]any{"reason": "补充服务对象范围",
		"description": "服务对象增加 70 周岁以上独居老人。"}, http.StatusOK, &a)
	if len(a.Amendments) != 1 || a.Amendments[0].Number != 1 || a.Amendments[0].Reason != "补充服务对象范围" ||
		a.Description != "服务对象增加 70 周岁以上独居老人。" || !a.ClosesAt.Equal(v.ClosesAt) || !a.OpensAt.Equal(v.OpensAt) {
		t.Errorf("after the first amendment: amendments %+v description %q closes %s opens %s, want amendment 1 and the times unchanged",
			a.Amendments, a.Description, a.ClosesAt, a.OpensAt)
	}
	if mine := w.get(t, w.orgs[0].Admin, v.ID).MyBid; mine == nil || mine.ID != first.BidID || !mine.NeedsReconfirmation {
		t.Errorf("my_bid after the amendment = %+v, want bid %d needing reconfirmation", mine, first.BidID)
	}
	for _, o := range w.orgs[:2] {
		if got := twKinds(w.notifications(t, o.Admin, v.ID)); !slices.Equal(got, []string{tender.KindTenderPublished, tender.KindAmendment}) {
			t.Errorf("notifications of bidder %s = %v, want [tender_published tender_amended]: one per amendment", o.Admin, got)
		}
	}
	if got := twKinds(w.notifications(t, w.orgs[2].Admin, v.ID)); !slices.Equal(got, []string{tender.KindTenderPublished, tender.KindAmendment}) {
		t.Errorf("notifications of certified non-bidder = %v, want [tender_published tender_amended]", got)
	}

	// A reason and a change are required; the close never comes forward.
	w.refused(t, "POST", twPath(v.ID, "/amend"), "demo-officer", map[string]any{"description": "无理由变更"}, http.StatusBadRequest, "validation", "reason")
	w.refused(t, "POST", twPath(v.ID, "/amend"), "demo-officer", map[string]any{"reason": "无变更"}, http.StatusBadRequest, "validation", "changes")
	w.refused(t, "POST", twPath(v.ID, "/amend"), "demo-officer", map[string]any{"reason": "提前截止",
		"closes_at": v.ClosesAt.Add(-24 * time.Hour)}, http.StatusBadRequest, "validation", "closes_at")
	w.refused(t, "POST", twPath(v.ID, "/amend"), "demo-officer2", map[string]any{"reason": "越权", "description": "x"}, http.StatusNotFound, "not_found")

	// One day before the close: the close moves to three days from now and
	// the opening with it.
	e.Clock.Set(v.ClosesAt.Add(-24 * time.Hour))
	now := e.Clock.Now()
	w.call(t, "POST", twPath(v.ID, "/amend"), "demo-officer", map[string]any{"reason": "更正评分标准说明", "description": "评分标准以附件为准。"},
		http.StatusOK, &a)
	if want := now.AddDate(0, 0, 3); !a.ClosesAt.Equal(want) || !a.OpensAt.Equal(want.Add(time.Hour)) {
		t.Errorf("after a late amendment closes %s opens %s, want %s and an hour later", a.ClosesAt, a.OpensAt, want)
	}
	if len(a.Amendments) != 2 || !a.Amendments[1].OldClosesAt.Equal(v.ClosesAt) || !a.Amendments[1].NewClosesAt.Equal(a.ClosesAt) ||
		a.Amendments[1].Changes["extended_by_rule"] == nil {
		t.Errorf("second amendment = %+v, want it to record the extension from %s", a.Amendments, v.ClosesAt)
	}
	// The first bidder reconfirms by replacing its bid; the second does not.
	var replaced tender.Receipt
	w.call(t, "POST", twPath(v.ID, "/bids"), w.orgs[0].Admin, w.bidBody(39_000_000, "重新确认的方案"), http.StatusCreated, &replaced)
	if replaced.ReplacesID == nil || *replaced.ReplacesID != first.BidID {
		t.Errorf("replacement receipt = %+v, want it to replace %d", replaced, first.BidID)
	}
	if mine := w.get(t, w.orgs[0].Admin, v.ID).MyBid; mine == nil || mine.ID != replaced.BidID || mine.NeedsReconfirmation {
		t.Errorf("my_bid after the replacement = %+v, want bid %d not needing reconfirmation", mine, replaced.BidID)
	}
	w.bid(t, w.orgs[2].Admin, v.ID, 42_000_000)
	// The old close has passed, the new one not: bidding is still open.
	opened := w.open(t, v.ID)
	if opened.Status != tender.StatusOpened {
		t.Fatalf("status after the opening = %s (%s), want opened", opened.Status, opened.StatusReason)
	}
	rec := w.openingRecord(t, "demo-officer", v.ID)
	compliant := map[int64][]string{}
	for _, b := range rec.Bids {
		if !b.Compliant {
			compliant[b.OrganizationID] = b.ComplianceReasons
		}
	}
	if diff := cmp.Diff(map[int64][]string{w.orgs[1].ID: {"not reconfirmed after an amendment"}}, compliant); diff != "" {
		t.Errorf("non-compliant bids at the opening (-want +got):\n%s", diff)
	}
	if rec.CompliantCount != 2 {
		t.Errorf("compliant bids = %d, want 2", rec.CompliantCount)
	}
	// A tender past its close is amended no more.
	w.refused(t, "POST", twPath(v.ID, "/amend"), "demo-officer", map[string]any{"reason": "开标后变更", "description": "x"},
		http.StatusConflict, "tender.not_published")
}

// twMentions reports whether body names the organization: its name, its id
// as an organization field, or any organization or asker field at all.
func twMentions(body []byte, o twOrg) bool {
	return bytes.Contains(body, []byte(o.Name)) || bytes.Contains(body, []byte(fmt.Sprintf(`"organization_id":%d`, o.ID))) ||
		bytes.Contains(body, []byte(`"organization`)) || bytes.Contains(body, []byte(`"asked_by"`))
}

// TestTenderQuestions: capable organizations ask before the cut-off, the asker
// is anonymous in every answer of every route, answers are public to every
// reader, and the officer answers once.
func TestTenderQuestions(t *testing.T) {
	t.Parallel()
	w := newTenderWorld(t)
	e := w.e
	v := w.published(t, w.tenderBody(3))
	asker := w.orgs[0]
	path := twPath(v.ID, "/questions")

	r := w.call(t, "POST", path, asker.Admin, map[string]any{"body": "  服务对象是否包含外地户籍老人？ "}, http.StatusCreated, nil)
	var q tender.Question
	r.JSON(t, &q)
	if q.Body != "服务对象是否包含外地户籍老人？" || !q.Mine || q.Answer != nil || twMentions(r.Body, asker) {
		t.Errorf("asked question = %s, want the trimmed body, mine, unanswered and no organization", r.Body)
	}
	if got := twKinds(w.notifications(t, "demo-officer", v.ID)); !slices.Equal(got, []string{tender.KindQuestionAsked}) {
		t.Errorf("officer's notifications = %v, want [question_asked]", got)
	}

	// An organization not certified for the category may not ask.
	p := w.refused(t, "POST", path, w.uncertified.Admin, map[string]any{"body": "我们可以投标吗？"}, http.StatusForbidden, "tender.not_eligible")
	if !strings.Contains(p.Title, "may not bid") {
		t.Errorf("not-eligible problem title = %q, want it to say why", p.Title)
	}
	w.refused(t, "POST", path, asker.Admin, map[string]any{"body": " "}, http.StatusBadRequest, "validation", "body")
	w.refused(t, "POST", path, "demo-officer", map[string]any{"body": "官员提问"}, http.StatusForbidden, "forbidden")

	questionsAs := func(username string) ([]tender.Question, []byte) {
		t.Helper()
		var list struct {
			Items []tender.Question `json:"items"`
		}
		r := w.call(t, "GET", path, username, nil, http.StatusOK, &list)
		return list.Items, r.Body
	}
	// Unanswered, it is the asker's and the officer's only.
	if got, _ := questionsAs(w.orgs[1].Admin); len(got) != 0 {
		t.Errorf("another organization's questions before the answer = %+v, want none", got)
	}
	if got, body := questionsAs("demo-officer"); len(got) != 1 || got[0].Mine || twMentions(body, asker) {
		t.Errorf("officer's questions = %s, want the one question without its asker", body)
	}

	var answered tender.Question
	w.call(t, "POST", twPath(v.ID, fmt.Sprintf("/questions/%d/answer", q.ID)), "demo-officer",
		map[string]any{"answer": "包含，在本街道居住满半年即可。"}, http.StatusOK, &answered)
	if answered.Answer == nil || *answered.Answer != "包含，在本街道居住满半年即可。" || answered.AnsweredAt == nil {
		t.Errorf("answered question = %+v, want the answer and its time", answered)
	}
	w.refused(t, "POST", twPath(v.ID, fmt.Sprintf("/questions/%d/answer", q.ID)), "demo-officer", map[string]any{"answer": "再答一次"},
		http.StatusConflict, "question.answered")
	w.refused(t, "POST", twPath(v.ID, fmt.Sprintf("/questions/%d/answer", q.ID)), "demo-officer2", map[string]any{"answer": "越权"},
		http.StatusNotFound, "not_found")
	other := w.published(t, w.tenderBody(3))
	w.refused(t, "POST", twPath(other.ID, fmt.Sprintf("/questions/%d/answer", q.ID)), "demo-officer", map[string]any{"answer": "错配"},
		http.StatusNotFound, "not_found")

	// Answered, every reader sees it and none learns who asked.
	for _, who := range []string{asker.Admin, w.orgs[1].Admin, w.uncertified.Admin, "demo-officer", "demo-finance", "demo-district", "demo-admin"} {
		got, body := questionsAs(who)
		if len(got) != 1 || got[0].Answer == nil || got[0].Mine != (who == asker.Admin) || twMentions(body, asker) {
			t.Errorf("questions as %s = %s, want the answered question, mine only for the asker, no organization", who, body)
		}
	}
	pub := w.call(t, "GET", "/api/v1/public/tenders/"+fmt.Sprint(v.ID), "", nil, http.StatusOK, nil)
	if !bytes.Contains(pub.Body, []byte("包含，在本街道居住满半年即可。")) || bytes.Contains(pub.Body, []byte(asker.Name)) {
		t.Errorf("public tender = %s, want the answer without the asker's name", pub.Body)
	}
	for _, o := range w.orgs {
		if got := twKinds(w.notifications(t, o.Admin, v.ID)); !slices.Equal(got, []string{tender.KindTenderPublished, tender.KindAnswerPublished}) {
			t.Errorf("notifications of %s = %v, want [tender_published answer_published]", o.Admin, got)
		}
		for _, n := range w.notifications(t, o.Admin, v.ID) {
			if strings.Contains(n.SubjectZh+n.SubjectEn, asker.Name) {
				t.Errorf("notification %+v names the asker", n)
			}
		}
	}

	// After the cut-off nobody asks.
	e.Clock.Set(v.QuestionsCloseAt)
	w.refused(t, "POST", path, w.orgs[1].Admin, map[string]any{"body": "截止后的提问"}, http.StatusConflict, "tender.questions_closed")
	e.Clock.Set(v.QuestionsCloseAt.Add(-time.Second))
	w.call(t, "POST", path, w.orgs[1].Admin, map[string]any{"body": "截止前一秒的提问"}, http.StatusCreated, nil)
}

// twSealed returns the sealed body of bid id as stored.
func twSealed(t testing.TB, w *tenderWorld, id int64) []byte {
	t.Helper()
	var row struct{ Sealed []byte }
	if err := w.e.DB.Table("bids").Select("sealed").Where("id = ?", id).Take(&row).Error; err != nil {
		t.Fatalf("read bid %d: %v", id, err)
	}
	return row.Sealed
}

// twBids returns the bids of tender id as username.
func twBids(t testing.TB, w *tenderWorld, username string, id int64) []tender.BidView {
	t.Helper()
	var list struct {
		Items []tender.BidView `json:"items"`
	}
	w.call(t, "GET", twPath(id, "/bids"), username, nil, http.StatusOK, &list)
	return list.Items
}
