package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jiedao-market/jiedao/internal/audit"
	"github.com/jiedao-market/jiedao/internal/civil"
	"github.com/jiedao-market/jiedao/internal/contract"
	"github.com/jiedao-market/jiedao/internal/money"
	"github.com/jiedao-market/jiedao/internal/ocds"
	"github.com/jiedao-market/jiedao/internal/ocds/ocdsschema"
	"github.com/jiedao-market/jiedao/internal/servertest"
	"github.com/jiedao-market/jiedao/internal/tender"
)

// ocdsOutput is everything the three OCDS routes serve now: every page of
// the release list (followed by its Link headers, two releases a page), the
// bulk file and the record of each ocid given, each validated against the
// OCDS schemas (the bulk file line by line).
func ocdsOutput(t *testing.T, e *servertest.Env, v *ocdsschema.Validator, ocids ...string) string {
	t.Helper()
	var all bytes.Buffer
	path := "/api/v1/public/ocds/releases?per_page=2"
	for pages := 0; path != ""; pages++ {
		if pages > 1000 {
			t.Fatal("the release list's Link headers never end")
		}
		r := e.Do(t, servertest.Request{Method: "GET", Path: path})
		if r.Status != http.StatusOK || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
			t.Fatalf("GET %s = %d %s, want 200 application/json", path, r.Status, r.Header.Get("Content-Type"))
		}
		if err := v.ReleasePackage(r.Body); err != nil {
			t.Errorf("GET %s: %v", path, err)
		}
		all.Write(r.Body)
		path = ""
		if link := r.Header.Get("Link"); link != "" {
			next, _, _ := strings.Cut(strings.TrimPrefix(link, "<"), ">")
			path = next[strings.Index(next, "/api/"):]
		}
	}
	r := e.Do(t, servertest.Request{Method: "GET", Path: "/api/v1/public/ocds/bulk.jsonl"})
	if r.Status != http.StatusOK || r.Header.Get("Content-Type") != "application/x-ndjson" {
		t.Fatalf("GET bulk.jsonl = %d %s, want 200 application/x-ndjson", r.Status, r.Header.Get("Content-Type"))
	}
	for i, line := range bytes.Split(bytes.TrimSuffix(r.Body, []byte("\n")), []byte("\n")) {
		if err := v.ReleasePackage(line); err != nil {
			t.Errorf("bulk.jsonl line %d: %v", i+1, err)
		}
	}
	all.Write(r.Body)
	for _, ocid := range ocids {
		r := e.Do(t, servertest.Request{Method: "GET", Path: "/api/v1/public/ocds/records/" + ocid})
		if r.Status != http.StatusOK {
			t.Fatalf("GET record %s = %d %s", ocid, r.Status, r.Body)
		}
		if err := v.RecordPackage(r.Body); err != nil {
			t.Errorf("record %s: %v", ocid, err)
		}
		all.Write(r.Body)
	}
	return all.String()
}

// ocdsTags returns the tags of ocid's releases in publication order.
func ocdsTags(t *testing.T, e *servertest.Env, ocid string) []string {
	t.Helper()
	var tags []string
	if err := e.DB.Raw(`SELECT tags[1] FROM ocds_releases WHERE ocid = ? ORDER BY date, id`, ocid).Scan(&tags).Error; err != nil {
		t.Fatal(err)
	}
	return tags
}

// TestOCDSEveryEvent runs every public event of a tender and a contract
// through the API and the services request.NewServices wires (the
// production wiring: a hook forgotten there fails here) and finds each
// event's release, valid against the OCDS schemas in every document the
// routes serve. Before the opening nothing of the bids (ids, digests,
// prices, bidders) is served; a beneficiary reference, a staff member's name
// and a rating comment, hidden or not, never are.
func TestOCDSEveryEvent(t *testing.T) {
	t.Parallel()
	w := newTenderWorld(t)
	e := w.e
	ctx := context.Background()
	v, err := ocdsschema.New()
	if err != nil {
		t.Fatal(err)
	}
	advance := func(id int64, at time.Time) {
		e.Clock.Set(at)
		if _, err := e.Services.Tenders.Advance(ctx, id); err != nil {
			t.Fatalf("Advance(%d) error = %v", id, err)
		}
	}
	ocid := func(id int64) string { return ocds.OCID(e.Cfg.OCDS.Prefix, id) }

	// A tender amended, then holding three sealed bids (an amendment after
	// them would ask their bidders to reconfirm).
	tn := w.published(t, w.tenderBody(3))
	w.call(t, "POST", twPath(tn.ID, "/amend"), "demo-officer", map[string]any{"reason": "补充服务对象范围",
		"description": "服务对象增加 70 周岁以上独居老人。"}, http.StatusOK, nil)
	prices := []money.Fen{40_123_456, 41_234_567, 42_345_678}
	var secrets []string
	for i, p := range prices {
		r := w.bid(t, w.orgs[i].Admin, tn.ID, p)
		secrets = append(secrets, fmt.Sprint(r.BidID), r.Digest, w.orgs[i].Name, fmt.Sprint(int64(p)), p.Yuan())
	}
	var codes []string
	if err := e.DB.Raw(`SELECT credit_code FROM organizations WHERE id IN ?`, []int64{w.orgs[0].ID, w.orgs[1].ID, w.orgs[2].ID}).
		Scan(&codes).Error; err != nil {
		t.Fatal(err)
	}
	secrets = append(secrets, codes...)
	out := ocdsOutput(t, e, v, ocid(tn.ID))
	for _, s := range secrets {
		if strings.Contains(out, s) {
			t.Errorf("before the opening the OCDS output holds %q of a sealed bid", s)
		}
	}
	if got, want := ocdsTags(t, e, ocid(tn.ID)), []string{ocds.TagTender, ocds.TagTenderAmendment}; !slices.Equal(got, want) {
		t.Errorf("releases of the tender before its opening = %v, want %v", got, want)
	}

	// Opened, evaluated, awarded; the bidders are tenderers from the opening.
	advance(tn.ID, w.get(t, "demo-officer", tn.ID).OpensAt)
	if st := w.get(t, "demo-officer", tn.ID); st.Status != tender.StatusOpened {
		t.Fatalf("tender at its opening: %s %s", st.Status, st.StatusReason)
	}
	w.evaluate(t, tn.ID, 3, func(int, tender.OpeningEntry) tender.Score { return 5000 })
	p := w.propose(t, tn.ID, map[string]any{})
	advance(tn.ID, p.ChallengeEndsAt.Add(time.Second))
	if got, want := ocdsTags(t, e, ocid(tn.ID)), []string{ocds.TagTender, ocds.TagTenderAmendment, ocds.TagTenderUpdate,
		ocds.TagAward, ocds.TagAwardUpdate}; !slices.Equal(got, want) {
		t.Errorf("releases of the awarded tender = %v, want %v", got, want)
	}
	var rec struct {
		Records []struct {
			CompiledRelease struct {
				Tender struct {
					NumberOfTenderers int
					Tenderers         []struct{ Name string }
				}
				Awards []struct{ Status string }
			} `json:"compiledRelease"`
		}
	}
	servertest.Call(t, e, "GET", "/api/v1/public/ocds/records/"+ocid(tn.ID), "", nil, http.StatusOK, &rec)
	if c := rec.Records[0].CompiledRelease; c.Tender.NumberOfTenderers != 3 || len(c.Tender.Tenderers) != 3 || len(c.Awards) != 1 ||
		c.Awards[0].Status != "active" {
		t.Errorf("compiled release after the award: %d tenderers %v, awards %v; want the 3 bidders and one active award",
			c.Tender.NumberOfTenderers, c.Tender.Tenderers, c.Awards)
	}

	// A tender cancelled; a draft publishes nothing.
	cancelled := w.published(t, w.tenderBody(3))
	w.call(t, "POST", twPath(cancelled.ID, "/cancel"), "demo-officer", map[string]any{"reason": "预算调整，项目取消"}, http.StatusOK, nil)
	if got, want := ocdsTags(t, e, ocid(cancelled.ID)), []string{ocds.TagTender, ocds.TagTenderCancellation}; !slices.Equal(got, want) {
		t.Errorf("releases of the cancelled tender = %v, want %v", got, want)
	}
	draft := w.create(t, w.tenderBody(3))
	w.call(t, "POST", twPath(draft.ID, "/cancel"), "demo-officer", map[string]any{"reason": "草稿作废"}, http.StatusOK, nil)
	if got := ocdsTags(t, e, ocid(draft.ID)); len(got) != 0 {
		t.Errorf("releases of a draft cancelled = %v, want none", got)
	}

	// A contract signed, amended and terminated; its service records and
	// ratings stay out.
	k := e.SignedContract(t, 10_000_000)
	var kTender int64
	if err := e.DB.Raw(`SELECT tender_id FROM contracts WHERE id = ?`, k.ID).Scan(&kTender).Error; err != nil {
		t.Fatal(err)
	}
	var a contract.Amendment
	kPath := fmt.Sprintf("/api/v1/contracts/%d", k.ID)
	servertest.Call(t, e, "POST", kPath+"/amendments", e.Token(t, "demo-org"), map[string]any{"reason": "增加服务频次",
		"amount_fen": 10_500_000}, http.StatusCreated, &a)
	servertest.Call(t, e, "POST", fmt.Sprintf("/api/v1/contract-amendments/%d/accept", a.ID), e.Token(t, "demo-officer"),
		map[string]any{"note": "同意"}, http.StatusOK, nil)
	today := civil.ChinaDate(e.Clock.Now())
	r := e.Do(t, servertest.Request{Method: "POST", Path: kPath + "/service-records/import", Token: e.Token(t, "demo-org"),
		Body:   fmt.Sprintf("date,community,service_type,duration_minutes,staff,beneficiary_ref\n%s,南街社区,service_visits,45,欧阳秘书,OCDS-BENEF-7731\n", today),
		Header: map[string]string{"Content-Type": "text/csv"}})
	if r.Status != http.StatusCreated {
		t.Fatalf("import a service record = %d %s", r.Status, r.Body)
	}
	if err := e.DB.Exec(`INSERT INTO ratings (kind, record_id, contract_id, organization_id, community_id, timeliness, professionalism,
			attitude, effectiveness, overall, comment, comment_hidden_at, hidden_reason, created_at)
		SELECT 'code', id, contract_id, organization_id, community_id, 1, 1, 1, 1, 1, 'OCDS-隐藏评论-辱骂内容', now(), '辱骂', now()
		FROM service_records WHERE beneficiary_ref = 'OCDS-BENEF-7731'`).Error; err != nil {
		t.Fatal(err)
	}
	servertest.Call(t, e, "POST", kPath+"/terminate", e.Token(t, "demo-officer"), map[string]any{"reason": "服务质量严重不达标"},
		http.StatusOK, nil)
	if got, want := ocdsTags(t, e, ocid(kTender)), []string{ocds.TagContract, ocds.TagContractAmendment, ocds.TagContractTermination}; !slices.Equal(got, want) {
		t.Errorf("releases of the contract's tender = %v, want %v", got, want)
	}
	out = ocdsOutput(t, e, v, ocid(tn.ID), ocid(cancelled.ID), ocid(kTender))
	for _, s := range []string{"OCDS-BENEF-7731", "欧阳秘书", "OCDS-隐藏评论", "评审专家"} {
		if strings.Contains(out, s) {
			t.Errorf("the OCDS output holds %q", s)
		}
	}
	var n int64
	if err := e.DB.Raw(`SELECT count(*) FROM ocds_releases`).Scan(&n).Error; err != nil {
		t.Fatal(err)
	}
	if lines := strings.Count(string(e.Do(t, servertest.Request{Method: "GET", Path: "/api/v1/public/ocds/bulk.jsonl"}).Body), "\n"); int64(lines) != n {
		t.Errorf("bulk.jsonl has %d lines, want one per release (%d)", lines, n)
	}
	// 飞英 published nothing, and no page lies past the last: a release
	// package holds at least one release.
	e.Refused(t, servertest.Request{Method: "GET", Path: "/api/v1/public/ocds/releases?subdistrict=" + fmt.Sprint(w.subB)},
		http.StatusNotFound, "ocds.no_releases")
	e.Refused(t, servertest.Request{Method: "GET", Path: "/api/v1/public/ocds/releases?page=100000"}, http.StatusNotFound, "ocds.no_releases")

	// Once a head of the audit chain is published, every package's publisher
	// names it, and the packages stay valid.
	head, _, err := audit.PublishHead(context.Background(), e.DB, e.Clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/api/v1/public/ocds/releases?per_page=1", "/api/v1/public/ocds/records/" + ocid(kTender)} {
		var pkg struct {
			Publisher struct{ AuditChainHead *ocds.ChainHead }
		}
		servertest.Call(t, e, "GET", path, "", nil, http.StatusOK, &pkg)
		got := pkg.Publisher.AuditChainHead
		if got == nil || got.Seq != head.Seq || got.Hash != head.Hash || got.Day != head.Day.String() ||
			!strings.HasSuffix(got.URI, "/api/v1/public/audit/heads") {
			t.Errorf("GET %s: publisher's auditChainHead = %+v, want %+v at /api/v1/public/audit/heads", path, got, head)
		}
	}
	bulk := e.Do(t, servertest.Request{Method: "GET", Path: "/api/v1/public/ocds/bulk.jsonl"}).Body
	if first, _, _ := bytes.Cut(bulk, []byte("\n")); !bytes.Contains(first, []byte(`"hash":"`+head.Hash+`"`)) {
		t.Errorf("bulk.jsonl's first line does not name the published head %s: %.300s", head.Hash, first)
	}
	ocdsOutput(t, e, v, ocid(kTender))
	e.Refused(t, servertest.Request{Method: "GET", Path: "/api/v1/public/ocds/releases?from=2026-02-01&to=2026-01-01"},
		http.StatusBadRequest, "validation", "to")
	e.Refused(t, servertest.Request{Method: "GET", Path: "/api/v1/public/ocds/releases?per_page=101"}, http.StatusBadRequest, "validation", "per_page")
	e.Refused(t, servertest.Request{Method: "GET", Path: "/api/v1/public/ocds/records/ocds-jiedao-0"}, http.StatusNotFound, "not_found")
}

// ocdsPaymentReleases checks the releases of contract id's tender after
// TestEvaluationToPayout (the production wiring of signing, submission and
// payout hooks): signed, three milestones paid, two evaluations submitted,
// in that order, each valid; the compiled release holds the three
// transactions and both scores.
func ocdsPaymentReleases(t *testing.T, e *servertest.Env, contractID int64) {
	t.Helper()
	var tenderID int64
	if err := e.DB.Raw(`SELECT tender_id FROM contracts WHERE id = ?`, contractID).Scan(&tenderID).Error; err != nil {
		t.Fatal(err)
	}
	id := ocds.OCID(e.Cfg.OCDS.Prefix, tenderID)
	want := []string{ocds.TagContract, ocds.TagImplementation, ocds.TagImplementationUpdate, ocds.TagImplementation,
		ocds.TagImplementationUpdate, ocds.TagImplementation}
	if got := ocdsTags(t, e, id); !slices.Equal(got, want) {
		t.Errorf("releases of the paid contract's tender = %v, want %v", got, want)
	}
	v, err := ocdsschema.New()
	if err != nil {
		t.Fatal(err)
	}
	r := e.Do(t, servertest.Request{Method: "GET", Path: "/api/v1/public/ocds/records/" + id})
	if err := v.RecordPackage(r.Body); err != nil {
		t.Errorf("record %s: %v", id, err)
	}
	var rec struct {
		Records []struct {
			CompiledRelease struct {
				Contracts []struct {
					Status         string
					Implementation struct {
						Transactions []struct{ Value struct{ Amount json.Number } }
						Metrics      []struct {
							ID           string
							Observations []struct{ Measure json.Number }
						}
					}
				}
			} `json:"compiledRelease"`
		}
	}
	if err := json.Unmarshal(r.Body, &rec); err != nil {
		t.Fatal(err)
	}
	if len(rec.Records) != 1 || len(rec.Records[0].CompiledRelease.Contracts) != 1 {
		t.Fatalf("record %s = %d %s, want one record of one contract", id, r.Status, r.Body)
	}
	c := rec.Records[0].CompiledRelease.Contracts[0]
	var amounts, scores []string
	for _, x := range c.Implementation.Transactions {
		amounts = append(amounts, x.Value.Amount.String())
	}
	for _, m := range c.Implementation.Metrics {
		if m.ID == "evaluation-score" {
			for _, o := range m.Observations {
				scores = append(scores, o.Measure.String())
			}
		}
	}
	if c.Status != "terminated" || !slices.Equal(amounts, []string{"135000.00", "162000.00", "135000.00"}) ||
		!slices.Equal(scores, []string{"70.0", "85.0"}) {
		t.Errorf("compiled contract: status %s, transactions %v, scores %v; want terminated (completed), "+
			"[135000.00 162000.00 135000.00] and [70.0 85.0]", c.Status, amounts, scores)
	}
}
