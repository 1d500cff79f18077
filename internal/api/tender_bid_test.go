package api_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jiedao-market/jiedao/internal/servertest"
	"github.com/jiedao-market/jiedao/internal/tender"
)

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
	before := twCounts(t, e)
	size := e.Cfg.HTTP.BodyLimit + 1
	r := e.DeclareBody(t, "/api/v1/tenders/1/bids", token, size)
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
