package api_test

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/jiedao-market/jiedao/internal/money"
	"github.com/jiedao-market/jiedao/internal/server/servertest"
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
			{"community the item does not serve", map[string]any{"community_ids": []int64{e.IDOf(t, "communities", "code = ?", "330502004001")}}, "community_ids"},
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

// TestTenderBids covers sealed bidding: who may bid, the receipt, the close to
// the second, replacing and withdrawing, and bids that stay unreadable to
// everyone but their author until the opening.
func TestTenderBids(t *testing.T) {
	t.Parallel()
	w := newTenderWorld(t)
	e := w.e
	body := w.tenderBody(3)
	body["min_bids"] = 1
	v := w.published(t, body)
	path := twPath(v.ID, "/bids")
	bidder := w.orgs[0]

	t.Run("refused bids leave no row", func(t *testing.T) {
		p := w.refused(t, "POST", path, w.uncertified.Admin, w.bidBody(40_000_000, "未认证机构的方案"), http.StatusForbidden, "tender.not_eligible")
		if !strings.Contains(p.Title, "may not bid") || strings.Contains(string(p.Title), "未认证机构的方案") {
			t.Errorf("not-eligible problem title = %q, want why, without the bid", p.Title)
		}
		w.refused(t, "POST", path, "demo-org2", w.bidBody(40_000_000, "方案"), http.StatusForbidden, "tender.not_eligible")
		w.refused(t, "POST", path, "demo-officer", w.bidBody(40_000_000, "方案"), http.StatusForbidden, "forbidden")
		p = w.refused(t, "POST", path, bidder.Admin, w.bidBody(twCeiling+1, "高于最高限价的方案"), http.StatusBadRequest, "validation", "price_fen")
		for _, fe := range p.Errors {
			if strings.Contains(fe.Message, fmt.Sprint(twCeiling+1)) {
				t.Errorf("validation message %q echoes the price", fe.Message)
			}
		}
		noParts := w.bidBody(40_000_000, " ")
		noParts["staffing_plan"] = ""
		w.refused(t, "POST", path, bidder.Admin, noParts, http.StatusBadRequest, "validation", "technical_proposal", "staffing_plan")
		exe := w.bidBody(40_000_000, "方案")
		exe["attachments"] = []map[string]any{{"name": "run.exe", "data": base64.StdEncoding.EncodeToString([]byte("MZ\x90\x00\x03\x00\x00\x00"))}}
		w.refused(t, "POST", path, bidder.Admin, exe, http.StatusBadRequest, "validation", "attachments[0].data")
		r := e.Do(t, servertest.Request{Method: "POST", Path: path, Token: w.token(t, bidder.Admin), Body: `{"price_fen": 1}`,
			Header: map[string]string{"Content-Type": "text/plain"}})
		if r.Status != http.StatusUnsupportedMediaType || r.Problem(t).Code != "unsupported_media_type" {
			t.Errorf("bid as text/plain = %d %s, want 415", r.Status, r.Body)
		}
	})

	var receipt tender.Receipt
	t.Run("a bid is sealed and receipted", func(t *testing.T) {
		b := w.bidBody(45_000_000, "以社区嵌入式服务站为依托，提供助餐、助洁、助浴上门服务。")
		// An attachment larger than the JSON limit: bids take files.
		doc := bytes.Repeat([]byte("服务方案附件。"), e.Cfg.HTTP.JSONBodyLimit/20)
		b["attachments"] = []map[string]any{{"name": "服务方案.txt", "data": base64.StdEncoding.EncodeToString(doc)}}
		e.Clock.Set(e.Clock.Now().Add(90 * time.Minute))
		w.call(t, "POST", path, bidder.Admin, b, http.StatusCreated, &receipt)
		sum := sha256.Sum256(twSealed(t, w, receipt.BidID))
		if receipt.Digest != hex.EncodeToString(sum[:]) || receipt.TenderID != v.ID || !receipt.ReceivedAt.Equal(e.Clock.Now()) || receipt.ReplacesID != nil {
			t.Errorf("receipt = %+v, want the SHA-256 of the sealed body %x received now (%s)", receipt, sum, e.Clock.Now())
		}
		// The sealed body holds nothing readable.
		if sealed := twSealed(t, w, receipt.BidID); bytes.Contains(sealed, []byte("社区嵌入式")) || bytes.Contains(sealed, []byte("45000000")) {
			t.Errorf("the sealed body holds the bid in clear")
		}
		own := twBids(t, w, bidder.Admin, v.ID)
		if len(own) != 1 || own[0].Content == nil || own[0].Content.PriceFen != 45_000_000 || len(own[0].Content.Attachments) != 1 ||
			!bytes.Equal(own[0].Content.Attachments[0].Data, doc) || own[0].Content.Attachments[0].ContentType != "text/plain; charset=utf-8" ||
			own[0].Digest != receipt.Digest || own[0].PriceFen != nil || own[0].OpenedAt != nil {
			t.Errorf("own bids = %+v, want the one bid with its content and no opening", own)
		}
		if mine := w.get(t, bidder.Admin, v.ID).MyBid; mine == nil || mine.ID != receipt.BidID || mine.Digest != receipt.Digest || mine.Status != "active" {
			t.Errorf("my_bid = %+v, want the receipt of bid %d", mine, receipt.BidID)
		}
		if got := twBids(t, w, w.orgs[1].Admin, v.ID); len(got) != 0 {
			t.Errorf("another organization's bids = %+v, want none", got)
		}
		w.refused(t, "GET", path, "demo-officer", nil, http.StatusConflict, "tender.sealed")
		w.refused(t, "GET", path, w.evaluators[0].Username, nil, http.StatusConflict, "committee.not_declared")
		w.refused(t, "GET", path, "demo-officer2", nil, http.StatusNotFound, "not_found")
		w.refused(t, "GET", twPath(v.ID, "/opening-record"), "demo-officer", nil, http.StatusConflict, "tender.not_opened")
		w.refused(t, "GET", twPath(v.ID, "/opening-record"), bidder.Admin, nil, http.StatusConflict, "tender.not_opened")
		w.refused(t, "GET", twPath(v.ID, "/score-table"), "demo-officer", nil, http.StatusConflict, "tender.not_opened")
		w.refused(t, "POST", twPath(v.ID, "/declarations"), w.evaluators[0].Username, map[string]any{"conflict": false},
			http.StatusConflict, "tender.not_evaluating")
	})

	t.Run("replace and withdraw until the close", func(t *testing.T) {
		var second tender.Receipt
		w.call(t, "POST", path, bidder.Admin, w.bidBody(44_000_000, "调整后的方案"), http.StatusCreated, &second)
		if second.ReplacesID == nil || *second.ReplacesID != receipt.BidID || second.Digest == receipt.Digest {
			t.Errorf("second receipt = %+v, want it to replace %d with another digest", second, receipt.BidID)
		}
		own := twBids(t, w, bidder.Admin, v.ID)
		if len(own) != 2 || own[0].ID != second.BidID || own[0].Status != "active" || own[1].Status != "replaced" {
			t.Errorf("own bids after the replacement = %+v, want the new active one then the replaced one", own)
		}
		w.refused(t, "POST", fmt.Sprintf("/api/v1/bids/%d/withdraw", receipt.BidID), bidder.Admin, nil, http.StatusConflict, "bid.not_active")
		w.refused(t, "POST", fmt.Sprintf("/api/v1/bids/%d/withdraw", second.BidID), w.orgs[1].Admin, nil, http.StatusNotFound, "not_found")
		w.refused(t, "POST", fmt.Sprintf("/api/v1/bids/%d/withdraw", second.BidID), "demo-officer", nil, http.StatusForbidden, "forbidden")
		var withdrawn tender.Receipt
		w.call(t, "POST", fmt.Sprintf("/api/v1/bids/%d/withdraw", second.BidID), bidder.Admin, nil, http.StatusOK, &withdrawn)
		if withdrawn.BidID != second.BidID || withdrawn.Digest != second.Digest {
			t.Errorf("withdrawal receipt = %+v, want bid %d's", withdrawn, second.BidID)
		}
		if mine := w.get(t, bidder.Admin, v.ID).MyBid; mine == nil || mine.Status != "withdrawn" {
			t.Errorf("my_bid after the withdrawal = %+v, want withdrawn", mine)
		}
		w.refused(t, "POST", fmt.Sprintf("/api/v1/bids/%d/withdraw", second.BidID), bidder.Admin, nil, http.StatusConflict, "bid.not_active")
	})

	t.Run("the close, to the second", func(t *testing.T) {
		e.Clock.Set(v.ClosesAt.Add(-time.Second))
		var last tender.Receipt
		w.call(t, "POST", path, w.orgs[1].Admin, w.bidBody(43_000_000, "截止前一秒的投标"), http.StatusCreated, &last)
		if !last.ReceivedAt.Equal(v.ClosesAt.Add(-time.Second)) {
			t.Errorf("last receipt at %s, want one second before the close %s", last.ReceivedAt, v.ClosesAt)
		}
		e.Clock.Set(v.ClosesAt)
		w.refused(t, "POST", path, w.orgs[2].Admin, w.bidBody(43_000_000, "截止时的投标"), http.StatusConflict, "tender.closed")
		e.Clock.Set(v.ClosesAt.Add(time.Second))
		w.refused(t, "POST", path, w.orgs[2].Admin, w.bidBody(43_000_000, "截止后一秒的投标"), http.StatusConflict, "tender.closed")
		w.refused(t, "POST", fmt.Sprintf("/api/v1/bids/%d/withdraw", last.BidID), w.orgs[1].Admin, nil, http.StatusConflict, "tender.closed")
		if got := w.get(t, "demo-officer", v.ID); got.Status != tender.StatusClosed {
			t.Errorf("status a second after the close (no job run) = %s, want closed", got.Status)
		}
		// Still sealed after the close, until the opening.
		w.refused(t, "GET", path, "demo-officer", nil, http.StatusConflict, "tender.sealed")
		var pub tender.Public
		w.call(t, "GET", "/api/v1/public/tenders/"+fmt.Sprint(v.ID), "", nil, http.StatusOK, &pub)
		if pub.Opening != nil || pub.Status != tender.StatusClosed {
			t.Errorf("public tender after the close: status %s opening record %+v, want closed and none", pub.Status, pub.Opening)
		}
		opened := w.open(t, v.ID)
		if opened.Status != tender.StatusOpened || opened.OpenedAt == nil {
			t.Fatalf("after the opening = %s (%s), want opened", opened.Status, opened.StatusReason)
		}
		rec := w.openingRecord(t, w.orgs[1].Admin, v.ID)
		if len(rec.Bids) != 1 || rec.Bids[0].BidID != last.BidID || rec.Bids[0].PriceFen == nil || *rec.Bids[0].PriceFen != 43_000_000 ||
			rec.Bids[0].Digest != last.Digest || rec.Bids[0].OrganizationName != w.orgs[1].Name || !rec.Bids[0].Compliant {
			t.Errorf("opening record = %+v, want only the active bid %d at 430,000.00 with its receipt", rec, last.BidID)
		}
		w.call(t, "GET", "/api/v1/public/tenders/"+fmt.Sprint(v.ID), "", nil, http.StatusOK, &pub)
		if pub.Opening == nil || len(pub.Opening.Bids) != 1 || pub.Opening.Bids[0].PriceFen == nil || *pub.Opening.Bids[0].PriceFen != 43_000_000 {
			t.Errorf("public opening record after the opening = %+v, want the price", pub.Opening)
		}
		all := twBids(t, w, "demo-officer", v.ID)
		if len(all) != 1 || all[0].Content == nil || all[0].Content.TechnicalProposal != "截止前一秒的投标" || all[0].OrganizationName != w.orgs[1].Name {
			t.Errorf("officer's bids after the opening = %+v, want the opened bid with its content", all)
		}
	})
}

// TestTenderBidOverServerLimit sends a bid larger than the server's whole
// body limit (the limit bids have, attachments included): it is refused with
// 413 before any handler runs, and no bid is written. app.Test reports that
// refusal as an error, so the request goes through a real listener.
func TestTenderBidOverServerLimit(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t)
	token := e.Token(t, "demo-org")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- e.Server.App().Listener(ln) }()
	t.Cleanup(func() {
		if err := e.Server.App().Shutdown(); err != nil {
			t.Errorf("Shutdown() error = %v", err)
		}
		<-served
	})
	before := twCounts(t, e)
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	size := e.Cfg.HTTP.BodyLimit + 1
	head := fmt.Sprintf("POST /api/v1/tenders/1/bids HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n"+
		"Authorization: Bearer %s\r\nContent-Length: %d\r\n\r\n", ln.Addr(), token, size)
	if _, err := io.WriteString(conn, head); err != nil {
		t.Fatal(err)
	}
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("POST a bid declaring %d bytes: %v", size, err)
	}
	defer res.Body.Close()
	out, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	r := servertest.Response{Status: res.StatusCode, Header: res.Header, Body: out}
	if r.Status != http.StatusRequestEntityTooLarge || r.Problem(t).Code != "body_too_large" {
		t.Fatalf("POST a bid declaring %d bytes = %d %.300s, want 413 body_too_large", size, r.Status, r.Body)
	}
	servertest.ValidateResponse(t, servertest.Request{Method: "POST", Path: "/api/v1/tenders/1/bids"}, nil, r)
	if diff := twCountsDiff(before, twCounts(t, e)); diff != "" {
		t.Errorf("refused bid wrote rows: %s", diff)
	}
}

// twScoreTable reads the score table of tender id as username, returning it
// decoded and as sent.
func twScoreTable(t testing.TB, w *tenderWorld, username string, id int64) (tender.ScoreTable, []byte) {
	t.Helper()
	var table tender.ScoreTable
	r := w.call(t, "GET", twPath(id, "/score-table"), username, nil, http.StatusOK, &table)
	return table, r.Body
}

// TestTenderEvaluation walks the opening and the committee through the API
// with the worked example of three bids (one abnormally low) and five
// scoring members: declarations before any bid is read, a recused member
// replaced, scores hidden until the last sheet, and a score table that is the
// same for every viewer once the award is proposed.
func TestTenderEvaluation(t *testing.T) {
	t.Parallel()
	w := newTenderWorld(t)
	e := w.e
	sixth := twEvaluator(t, w, "tw-evaluator-6")
	v := w.published(t, w.tenderBody(5))
	prices := []money.Fen{48_000_000, 45_000_000, 30_000_000}
	bidOf := map[int64]int{} // bid id → org index
	for i, p := range prices {
		bidOf[w.bid(t, w.orgs[i].Admin, v.ID, p).BidID] = i
	}
	opened := w.open(t, v.ID)
	if opened.Status != tender.StatusOpened || opened.OpenedAt == nil {
		t.Fatalf("after the opening = %s (%s), want opened", opened.Status, opened.StatusReason)
	}

	rec := w.openingRecord(t, "demo-officer", v.ID)
	if rec.Outcome != "opened" || rec.CompliantCount != 3 || len(rec.Bids) != 3 || rec.CeilingFen != twCeiling {
		t.Fatalf("opening record = %+v, want 3 compliant bids", rec)
	}
	for _, b := range rec.Bids {
		i := bidOf[b.BidID]
		if b.PriceFen == nil || *b.PriceFen != prices[i] || b.OrganizationID != w.orgs[i].ID || !b.Compliant {
			t.Errorf("opening entry %+v, want %s at %d", b, w.orgs[i].Name, prices[i])
		}
		if low := i == 2; b.AbnormallyLow != low || (low && !slices.Equal(b.AbnormalReasons, []string{tender.ReasonBelowNext})) {
			t.Errorf("opening entry of %s: abnormally low %v %v, want %v (below the next higher price)", w.orgs[i].Name, b.AbnormallyLow, b.AbnormalReasons, low)
		}
	}
	for _, who := range []string{w.orgs[0].Admin, w.uncertified.Admin, "demo-finance", "demo-district", "demo-admin", w.evaluators[0].Username} {
		if got := w.openingRecord(t, who, v.ID); !cmp.Equal(got, rec, timeEqual) {
			t.Errorf("opening record as %s differs from the officer's", who)
		}
	}
	w.refused(t, "GET", twPath(v.ID, "/opening-record"), "demo-officer2", nil, http.StatusNotFound, "not_found")
	for i := range prices {
		if got := twKinds(w.notifications(t, w.orgs[i].Admin, v.ID)); !slices.Equal(got, []string{tender.KindTenderPublished, tender.KindOpeningDone}) {
			t.Errorf("notifications of bidder %d = %v, want [tender_published opening_done]", i, got)
		}
	}
	if got := twKinds(w.notifications(t, w.evaluators[0].Username, v.ID)); !slices.Equal(got, []string{tender.KindCommitteeToScore}) {
		t.Errorf("committee member's notifications = %v, want [committee_to_score]", got)
	}

	// The fifth member declares a conflict and is replaced by the sixth.
	conflicted := w.evaluators[4].Username
	w.refused(t, "POST", twPath(v.ID, "/declarations"), "demo-evaluator", map[string]any{"conflict": false}, http.StatusNotFound, "not_found")
	w.refused(t, "POST", twPath(v.ID, "/declarations"), conflicted, map[string]any{"conflict": true}, http.StatusBadRequest, "validation", "statement")
	w.refused(t, "POST", twPath(v.ID, "/declarations"), conflicted, map[string]any{"statement": "无"}, http.StatusBadRequest, "validation", "conflict")
	var m tender.CommitteeMember
	w.call(t, "POST", twPath(v.ID, "/declarations"), conflicted, map[string]any{"conflict": true,
		"statement": "本人近三年曾在" + w.orgs[1].Name + "任职。"}, http.StatusCreated, &m)
	if !m.Recused || !m.Declared || m.Conflict == nil || !*m.Conflict {
		t.Errorf("conflicted declaration = %+v, want recused", m)
	}
	w.refused(t, "POST", twPath(v.ID, "/declarations"), conflicted, map[string]any{"conflict": false}, http.StatusConflict, "committee.declared")
	w.refused(t, "GET", twPath(v.ID, "/bids"), conflicted, nil, http.StatusForbidden, "committee.recused")
	members := []int64{w.evaluators[0].ID, w.evaluators[1].ID, w.evaluators[2].ID, w.evaluators[3].ID, sixth.ID}
	w.refused(t, "PATCH", twPath(v.ID, ""), "demo-officer", map[string]any{"committee_user_ids": members[:4]},
		http.StatusConflict, "committee.change_refused")
	w.refused(t, "PATCH", twPath(v.ID, ""), "demo-officer", map[string]any{"committee_user_ids": members, "title": "改标题"},
		http.StatusConflict, "tender.not_draft")
	var replaced tender.View
	w.call(t, "PATCH", twPath(v.ID, ""), "demo-officer", map[string]any{"committee_user_ids": members}, http.StatusOK, &replaced)
	if len(replaced.Committee) != 6 {
		t.Errorf("committee after the replacement = %+v, want the five and the recused member", replaced.Committee)
	}
	scorers := []string{w.evaluators[0].Username, w.evaluators[1].Username, w.evaluators[2].Username, w.evaluators[3].Username, sixth.Username}

	// Members declare before reading bids; the committee's totals are the
	// worked example's: each member's total for A (48万), B (45万), C (30万).
	totals := [][]int{{52, 55, 50, 58, 54}, {56, 57, 55, 59, 50}, {40, 42, 45, 38, 44}}
	sheetOf := func(m int) map[int64]tender.Score {
		out := map[int64]tender.Score{}
		for bid, i := range bidOf {
			out[bid] = tender.Score(totals[i][m] * 100)
		}
		return out
	}
	w.refused(t, "GET", twPath(v.ID, "/bids"), sixth.Username, nil, http.StatusConflict, "committee.not_declared")
	w.refused(t, "POST", twPath(v.ID, "/scores"), sixth.Username, twSheet(sheetOf(4)), http.StatusConflict, "committee.not_declared")
	for _, s := range scorers {
		w.declare(t, s, v.ID)
	}
	if bids := twBids(t, w, scorers[0], v.ID); len(bids) != 3 || bids[0].Content == nil || bids[0].Content.TechnicalProposal == "" {
		t.Errorf("a declared member's bids = %+v, want the three opened bids with their content", bids)
	}
	over := sheetOf(0)
	over[slices.Min(slices.Collect(maps.Keys(over)))] = 9000 // 90 points: more than the criteria allow
	// Of its 90 points, the last criterion's 40 exceed its 10.
	w.refused(t, "POST", twPath(v.ID, "/scores"), scorers[0], twSheet(over), http.StatusBadRequest, "validation",
		"scores[0].criteria[2].points")
	partial := sheetOf(0)
	for bid := range partial {
		delete(partial, bid)
		break
	}
	w.refused(t, "POST", twPath(v.ID, "/scores"), scorers[0], twSheet(partial), http.StatusBadRequest, "validation", "scores")
	w.refused(t, "POST", twPath(v.ID, "/scores"), conflicted, twSheet(sheetOf(0)), http.StatusForbidden, "committee.recused")
	for m, s := range scorers {
		if m == len(scorers)-1 {
			// Nobody sees a score until every member has submitted.
			for _, who := range []string{"demo-officer", scorers[0], w.orgs[0].Admin} {
				w.refused(t, "GET", twPath(v.ID, "/score-table"), who, nil, http.StatusConflict, "scores.incomplete")
			}
		}
		if r := w.score(t, s, v.ID, sheetOf(m)); r.Complete != (m == len(scorers)-1) || r.Round != 1 {
			t.Errorf("sheet of member %d: %+v, want complete only for the last", m, r)
		}
	}
	evaluated := w.get(t, "demo-officer", v.ID)
	if evaluated.Status != tender.StatusEvaluated || evaluated.EvaluatedAt == nil {
		t.Errorf("after the last sheet the tender is %s, want evaluated", evaluated.Status)
	}
	for _, cm := range evaluated.Committee {
		if cm.Recused != (cm.UserID == w.evaluators[4].ID) || cm.Submitted == cm.Recused || !cm.Declared {
			t.Errorf("committee member %+v: want declared, and submitted unless recused", cm)
		}
	}
	w.refused(t, "POST", twPath(v.ID, "/scores"), scorers[0], twSheet(sheetOf(0)), http.StatusConflict, "tender.not_evaluating")

	table, _ := twScoreTable(t, w, "demo-officer", v.ID)
	type row struct {
		Org                                  int
		Rank                                 int
		Price, Technical, Performance, Total string
		Newcomer, Low                        bool
	}
	var got []row
	for _, r := range table.Rows {
		got = append(got, row{bidOf[r.BidID], r.Rank, r.PriceScore.String(), r.Technical.String(), r.Performance.String(), r.Total.String(),
			r.Newcomer, r.AbnormallyLow})
	}
	want := []row{
		{1, 1, "20.00", "56.00", "6.00", "82.00", true, false},
		{0, 2, "18.75", "53.67", "6.00", "78.42", true, false},
		{2, 3, "30.00", "42.00", "6.00", "78.00", true, true},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("score table rows (-want +got):\n%s", diff)
	}
	if len(table.Members) != 5 || len(table.Criteria) != 3 || table.Weights != (tender.Weights{Price: 30, Technical: 60, Performance: 10}) {
		t.Errorf("score table members %+v criteria %+v weights %+v, want the five scorers and three criteria", table.Members, table.Criteria, table.Weights)
	}
	// Before the proposal the table is the committee's and the officers', not the bidders'.
	w.refused(t, "GET", twPath(v.ID, "/score-table"), w.orgs[0].Admin, nil, http.StatusConflict, "scores.incomplete")
	twScoreTable(t, w, scorers[2], v.ID)

	// The award: the top-ranked bid, or a deviation with its reason.
	var bidB int64
	for bid, i := range bidOf {
		if i == 0 {
			bidB = bid // A, ranked second
		}
	}
	w.refused(t, "POST", twPath(v.ID, "/award-proposal"), "demo-officer", map[string]any{"bid_ids": []int64{bidB}},
		http.StatusBadRequest, "validation", "deviation_reason")
	w.refused(t, "POST", twPath(v.ID, "/award-proposal"), "demo-officer2", map[string]any{}, http.StatusNotFound, "not_found")
	p := w.propose(t, v.ID, map[string]any{})
	if p.Status != "proposed" || len(p.Winners) != 1 || bidOf[p.Winners[0].BidID] != 1 || p.DeviationReason != "" ||
		!p.ChallengeEndsAt.Equal(e.Clock.Now().AddDate(0, 0, 5)) {
		t.Errorf("proposal = %+v, want B, no deviation, challenges for 5 days", p)
	}
	w.refused(t, "POST", twPath(v.ID, "/award-proposal"), "demo-officer", map[string]any{}, http.StatusConflict, "tender.not_evaluated")
	_, officerTable := twScoreTable(t, w, "demo-officer", v.ID)
	for _, who := range append([]string{"demo-admin", "demo-district", "demo-finance", conflicted, w.orgs[0].Admin, w.orgs[1].Admin,
		w.uncertified.Admin, "demo-org", "demo-org2", "demo-member"}, scorers...) {
		if _, body := twScoreTable(t, w, who, v.ID); !bytes.Equal(body, officerTable) {
			t.Errorf("score table as %s = %s\nwant the officer's %s", who, body, officerTable)
		}
	}
	var pub struct {
		Award struct {
			ScoreTable json.RawMessage `json:"score_table"`
		} `json:"award"`
	}
	w.call(t, "GET", "/api/v1/public/tenders/"+fmt.Sprint(v.ID), "", nil, http.StatusOK, &pub)
	if !bytes.Equal(pub.Award.ScoreTable, officerTable) {
		t.Errorf("public score table = %s\nwant the officer's %s", pub.Award.ScoreTable, officerTable)
	}
	for i := range prices {
		want := []string{tender.KindTenderPublished, tender.KindOpeningDone, tender.KindAwardProposed}
		if got := twKinds(w.notifications(t, w.orgs[i].Admin, v.ID)); !slices.Equal(got, want) {
			t.Errorf("notifications of bidder %d = %v, want %v", i, got, want)
		}
	}
}

// twChallenges lists the challenges of tender id as username.
func twChallenges(t testing.TB, w *tenderWorld, username string, id int64) []tender.Challenge {
	t.Helper()
	var list struct {
		Items []tender.Challenge `json:"items"`
	}
	w.call(t, "GET", twPath(id, "/challenges"), username, nil, http.StatusOK, &list)
	return list.Items
}

// TestTenderChallenges: a deviating award with its reason; challenges only by
// bidders and only during the period; an upheld challenge sends the tender
// back to evaluation; an open challenge blocks the final award; its dismissal
// after the period makes the award final with a draft contract.
func TestTenderChallenges(t *testing.T) {
	t.Parallel()
	w := newTenderWorld(t)
	v := w.published(t, w.tenderBody(3))
	before := w.balances(t)
	prices := []money.Fen{40_000_000, 42_000_000, 44_000_000}
	bids := make([]int64, 3)
	for i, p := range prices {
		bids[i] = w.bid(t, w.orgs[i].Admin, v.ID, p).BidID
	}
	w.open(t, v.ID)
	even := func(int, tender.OpeningEntry) tender.Score { return 5000 }
	w.evaluate(t, v.ID, 3, even)

	// The officer departs from the ranking, with a reason.
	p := w.propose(t, v.ID, map[string]any{"bid_ids": []int64{bids[1]}, "deviation_reason": "第一名服务站点距服务社区过远，经集体研究改选第二名。"})
	if len(p.Winners) != 1 || p.Winners[0].BidID != bids[1] || p.Winners[0].Rank != 2 || p.DeviationReason == "" || len(p.ScoreTable.Rows) != 3 {
		t.Errorf("deviating proposal = %+v, want the second-ranked bid with its reason and the full table", p)
	}
	path := twPath(v.ID, "/challenges")
	challenge := map[string]any{"reasons": "我方报价最低、技术得分相同，应为第一中标候选人。", "evidence_document_ids": []int64{}}

	// Only a bidder challenges.
	for _, who := range []string{"demo-org", w.uncertified.Admin} {
		w.refused(t, "POST", path, who, challenge, http.StatusForbidden, "challenge.not_bidder")
	}
	w.refused(t, "POST", path, "demo-officer", challenge, http.StatusForbidden, "forbidden")
	w.refused(t, "POST", path, w.orgs[0].Admin, map[string]any{"reasons": " "}, http.StatusBadRequest, "validation", "reasons")
	w.refused(t, "POST", path, w.orgs[0].Admin, map[string]any{"reasons": "x", "evidence_document_ids": []int64{twDocument(t, w, "demo-org")}},
		http.StatusBadRequest, "validation", "evidence_document_ids")
	var first tender.Challenge
	w.call(t, "POST", path, w.orgs[0].Admin, challenge, http.StatusCreated, &first)
	if first.Status != "open" || first.OrganizationID != w.orgs[0].ID || first.TenderID != v.ID {
		t.Errorf("filed challenge = %+v, want an open challenge of %s", first, w.orgs[0].Name)
	}
	if got := twChallenges(t, w, w.orgs[0].Admin, v.ID); len(got) != 1 || got[0].ID != first.ID || got[0].OrganizationName != w.orgs[0].Name {
		t.Errorf("challenger's challenges = %+v, want its own", got)
	}
	if got := twChallenges(t, w, w.orgs[2].Admin, v.ID); len(got) != 0 {
		t.Errorf("another bidder's challenges = %+v, want none", got)
	}
	for _, who := range []string{"demo-officer", "demo-district", w.evaluators[0].Username} {
		if got := twChallenges(t, w, who, v.ID); len(got) != 1 {
			t.Errorf("challenges as %s = %+v, want the one", who, got)
		}
	}
	if got := twKinds(w.notifications(t, "demo-officer", v.ID)); !slices.Contains(got, tender.KindChallengeFiled) {
		t.Errorf("officer's notifications = %v, want challenge_filed among them", got)
	}

	// Upheld: back to evaluation in a new round.
	answer := fmt.Sprintf("/api/v1/challenges/%d/answer", first.ID)
	w.refused(t, "POST", answer, "demo-officer", map[string]any{"outcome": "upheld", "answer": "成立"}, http.StatusBadRequest, "validation", "action")
	w.refused(t, "POST", answer, "demo-officer", map[string]any{"outcome": "dismissed", "answer": "不成立", "action": "cancel"},
		http.StatusBadRequest, "validation", "action")
	w.refused(t, "POST", answer, "demo-officer2", map[string]any{"outcome": "dismissed", "answer": "越权"}, http.StatusNotFound, "not_found")
	var upheld tender.Challenge
	w.call(t, "POST", answer, "demo-officer", map[string]any{"outcome": "upheld", "answer": "偏离理由不充分，重新评审。", "action": "reevaluate"},
		http.StatusOK, &upheld)
	if upheld.Status != "upheld" || upheld.OutcomeAction == nil || *upheld.OutcomeAction != "reevaluate" || upheld.AnsweredAt == nil {
		t.Errorf("upheld challenge = %+v, want upheld with reevaluate", upheld)
	}
	w.refused(t, "POST", answer, "demo-officer", map[string]any{"outcome": "dismissed", "answer": "再答"}, http.StatusConflict, "challenge.answered")
	back := w.get(t, "demo-officer", v.ID)
	if back.Status != tender.StatusOpened || back.EvaluationRound != 2 || back.ChallengeEndsAt != nil {
		t.Errorf("after the upheld challenge: %s round %d challenge end %v, want opened in round 2", back.Status, back.EvaluationRound, back.ChallengeEndsAt)
	}
	w.refused(t, "GET", twPath(v.ID, "/score-table"), "demo-officer", nil, http.StatusConflict, "scores.incomplete")
	w.refused(t, "POST", path, w.orgs[1].Admin, challenge, http.StatusConflict, "tender.no_award_proposed")

	// Round two: the ranking stands, the top bid is proposed; a challenge is
	// open when the period ends, and the award waits for its answer.
	w.evaluate(t, v.ID, 3, even)
	p = w.propose(t, v.ID, map[string]any{})
	if len(p.Winners) != 1 || p.Winners[0].BidID != bids[0] || p.Round != 2 {
		t.Errorf("second proposal = %+v, want the top bid in round 2", p)
	}
	var second tender.Challenge
	w.call(t, "POST", path, w.orgs[1].Admin, map[string]any{"reasons": "对评分有异议。"}, http.StatusCreated, &second)
	w.advance(t, v.ID, p.ChallengeEndsAt.Add(time.Second))
	if got := w.get(t, "demo-officer", v.ID); got.Status != tender.StatusAwardProposed || len(got.Contracts) != 0 {
		t.Errorf("after the period with an open challenge: %s with %d contracts, want award_proposed and none", got.Status, len(got.Contracts))
	}
	w.refused(t, "POST", path, w.orgs[2].Admin, map[string]any{"reasons": "期满后的质疑"}, http.StatusConflict, "challenge.period_over")

	// Dismissed after the period: the award is final at once, with its draft contract.
	var dismissed tender.Challenge
	w.call(t, "POST", fmt.Sprintf("/api/v1/challenges/%d/answer", second.ID), "demo-officer",
		map[string]any{"outcome": "dismissed", "answer": "评分符合评审办法。"}, http.StatusOK, &dismissed)
	if dismissed.Status != "dismissed" || dismissed.OutcomeAction != nil {
		t.Errorf("dismissed challenge = %+v", dismissed)
	}
	final := w.get(t, "demo-officer", v.ID)
	if final.Status != tender.StatusAwarded || final.AwardedAt == nil || len(final.Contracts) != 1 {
		t.Fatalf("after the dismissal: %s with contracts %+v, want awarded with one draft contract", final.Status, final.Contracts)
	}
	c := final.Contracts[0]
	if c.Status != "draft" || c.BidID != bids[0] || c.OrganizationID != w.orgs[0].ID || c.AmountFen != prices[0] ||
		c.FundAccountID != w.fundID || c.ServiceStart != final.ServiceStart || c.ServiceEnd != final.ServiceEnd {
		t.Errorf("contract = %+v, want a draft for %s at %d over the service period", c, w.orgs[0].Name, prices[0])
	}
	if got := w.get(t, w.orgs[0].Admin, v.ID); len(got.Contracts) != 1 {
		t.Errorf("the winner sees contracts %+v, want its draft contract", got.Contracts)
	}
	if diff := cmp.Diff(map[string]money.Fen{"available": before["available"], "reserved": before["reserved"], "encumbered": before["encumbered"],
		"payable": before["payable"], "paid": before["paid"]}, w.balances(t)); diff != "" {
		t.Errorf("the award moved money before any signature (-want +got):\n%s", diff)
	}
	w.refused(t, "POST", twPath(v.ID, "/cancel"), "demo-officer", map[string]any{"reason": "授予后终止"}, http.StatusConflict, "tender.not_cancellable")
	var pub tender.Public
	w.call(t, "GET", "/api/v1/public/tenders/"+fmt.Sprint(v.ID), "", nil, http.StatusOK, &pub)
	if pub.Award == nil || pub.Award.Status != "final" || pub.Opening == nil || pub.Status != tender.StatusAwarded {
		t.Errorf("public tender: status %s award %+v, want the final award and the opening record", pub.Status, pub.Award)
	}

	// Each event told the bidders what they needed to know.
	wantKinds := map[int][]string{
		0: {tender.KindTenderPublished, tender.KindOpeningDone, tender.KindAwardProposed, tender.KindChallengeAnswer, tender.KindAwardProposed, tender.KindAwardFinal},
		1: {tender.KindTenderPublished, tender.KindOpeningDone, tender.KindAwardProposed, tender.KindAwardProposed, tender.KindChallengeAnswer, tender.KindAwardFinal},
		2: {tender.KindTenderPublished, tender.KindOpeningDone, tender.KindAwardProposed, tender.KindAwardProposed, tender.KindAwardFinal},
	}
	for i, want := range wantKinds {
		if got := twKinds(w.notifications(t, w.orgs[i].Admin, v.ID)); !slices.Equal(got, want) {
			t.Errorf("notifications of bidder %d = %v, want %v", i, got, want)
		}
	}
}

// twDocument uploads a document as the org admin username and returns its id.
func twDocument(t testing.TB, w *tenderWorld, username string) int64 {
	t.Helper()
	var me orgMe
	servertest.Call(t, w.e, "GET", "/api/v1/me", w.token(t, username), nil, http.StatusOK, &me)
	r := orgUpload(t, w.e, w.token(t, username), me.Scope.OrganizationID, "证明材料.pdf", []byte(orgPDF))
	if r.Status != http.StatusCreated {
		t.Fatalf("upload as %s = %d %s", username, r.Status, r.Body)
	}
	var d struct {
		ID int64 `json:"id"`
	}
	r.JSON(t, &d)
	return d.ID
}

// TestTenderFailedOpening: an open tender with fewer compliant bids than its
// minimum fails (流标) at the opening; its reservation is released and the
// opening record says why.
func TestTenderFailedOpening(t *testing.T) {
	t.Parallel()
	w := newTenderWorld(t)
	before := w.balances(t)
	v := w.published(t, w.tenderBody(3))
	w.bid(t, w.orgs[0].Admin, v.ID, 40_000_000)
	over := w.bidBody(45_000_000, "方案")
	over["metric_commitments"] = []any{} // no commitments: not compliant at the opening
	w.call(t, "POST", twPath(v.ID, "/bids"), w.orgs[1].Admin, over, http.StatusCreated, nil)
	failed := w.open(t, v.ID)
	if failed.Status != tender.StatusFailed || failed.StatusReason == "" || failed.EndedAt == nil {
		t.Fatalf("after the opening: %s (%q), want failed with a reason", failed.Status, failed.StatusReason)
	}
	if diff := cmp.Diff(before, w.balances(t)); diff != "" {
		t.Errorf("the failed tender's reservation was not released (-before +after):\n%s", diff)
	}
	rec := w.openingRecord(t, w.orgs[0].Admin, v.ID)
	if rec.Outcome != "failed" || rec.Reason != failed.StatusReason || rec.CompliantCount != 1 || rec.MinBids != 3 || len(rec.Bids) != 2 {
		t.Errorf("opening record = %+v, want failed with 1 compliant bid of the 3 needed", rec)
	}
	for _, b := range rec.Bids {
		if b.OrganizationID == w.orgs[1].ID && (b.Compliant || !slices.Equal(b.ComplianceReasons, []string{"no commitment for every metric"})) {
			t.Errorf("the bid without commitments = %+v, want not compliant for that reason", b)
		}
	}
	for _, o := range w.orgs[:2] {
		if got := twKinds(w.notifications(t, o.Admin, v.ID)); !slices.Equal(got, []string{tender.KindTenderPublished, tender.KindOpeningDone}) {
			t.Errorf("notifications of bidder %s = %v, want [tender_published opening_done]", o.Admin, got)
		}
	}
	w.refused(t, "POST", twPath(v.ID, "/declarations"), w.evaluators[0].Username, map[string]any{"conflict": false},
		http.StatusConflict, "tender.not_evaluating")
	w.refused(t, "POST", twPath(v.ID, "/cancel"), "demo-officer", map[string]any{"reason": "流标后终止"}, http.StatusConflict, "tender.not_cancellable")
	if ids := twListIDs(t, w, "", "/api/v1/public/tenders?status=failed&per_page=100"); !slices.Contains(ids, v.ID) {
		t.Errorf("public failed tenders = %v, want %d among them", ids, v.ID)
	}
}
