package api_test

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"math/big"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jiedao-market/jiedao/internal/config"
	"github.com/jiedao-market/jiedao/internal/money"
	"github.com/jiedao-market/jiedao/internal/ocds"
	"github.com/jiedao-market/jiedao/internal/platform/db/dbtest"
	"github.com/jiedao-market/jiedao/internal/servertest"
	"github.com/jiedao-market/jiedao/internal/tender"
)

// leakCeiling is the leak test's tender ceiling: 100,000,000.00 yuan, above
// every canary price.
const leakCeiling money.Fen = 10_000_000_000

// leakNeedle is one form a canary may take where it must not appear.
type leakNeedle struct {
	what string
	text string
}

// leakCanaries are a bid's secrets: a price, a string inside its technical
// proposal and a string inside its attachment, random for each run.
type leakCanaries struct {
	price      money.Fen
	proposal   string
	attachment string
	data       []byte // the attachment's content
}

func newLeakCanaries(t testing.TB) leakCanaries {
	t.Helper()
	// A price of ten digits in fen (eight in whole yuan), every digit 1-9, so
	// that no round amount and no random hex elsewhere is likely to hold it;
	// below leakCeiling.
	price := money.Fen(0)
	for i := 0; i < 10; i++ {
		d, err := rand.Int(rand.Reader, big.NewInt(9))
		if err != nil {
			t.Fatal(err)
		}
		price = price*10 + money.Fen(d.Int64()+1)
	}
	c := leakCanaries{price: price, proposal: "JDCANARYPROPOSAL" + leakRandomHex(t), attachment: "JDCANARYATTACHMENT" + leakRandomHex(t)}
	c.data = []byte("服务方案附件：" + c.attachment + "。本文件仅供评标。\n")
	return c
}

func leakRandomHex(t testing.TB) string {
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return strings.ToUpper(hex.EncodeToString(b))
}

// needles returns every form of the canaries to search for: the price in fen,
// in yuan with and without separators and decimals; each string as it is, in
// hex and in base64 at each alignment; and the attachment as sent (base64).
func (c leakCanaries) needles() []leakNeedle {
	fen := int64(c.price)
	yuan, cents := fen/100, fen%100
	out := []leakNeedle{
		{"price in fen", fmt.Sprint(fen)},
		{"price in yuan", fmt.Sprintf("%d.%02d", yuan, cents)},
		{"price in yuan with separators", leakGroup(yuan) + fmt.Sprintf(".%02d", cents)},
		{"price in whole yuan", fmt.Sprint(yuan)},
		{"price in whole yuan with separators", leakGroup(yuan)},
		{"attachment as sent (base64)", base64.StdEncoding.EncodeToString(c.data)},
	}
	for _, s := range []struct{ what, text string }{{"proposal canary", c.proposal}, {"attachment canary", c.attachment}} {
		out = append(out, leakNeedle{s.what, s.text}, leakNeedle{s.what + " in hex", hex.EncodeToString([]byte(s.text))},
			leakNeedle{s.what + " in HEX", strings.ToUpper(hex.EncodeToString([]byte(s.text)))})
		for k := 0; k < 3; k++ {
			for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding} {
				b64 := enc.EncodeToString(append(make([]byte, k), s.text...))
				// Drop the characters the prefix and the padding share with
				// other bytes: what remains encodes the canary alone.
				from := 0
				if k > 0 {
					from = 4
				}
				out = append(out, leakNeedle{fmt.Sprintf("%s in base64 at offset %d", s.what, k), b64[from : len(b64)-4]})
			}
		}
	}
	return out
}

// leakGroup writes n with thousands separators: 7654321 → "7,654,321".
func leakGroup(n int64) string {
	s := fmt.Sprint(n)
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// leakHits returns the needles found in body.
func leakHits(body []byte, needles []leakNeedle) []string {
	var hits []string
	for _, n := range needles {
		if bytes.Contains(body, []byte(n.text)) {
			hits = append(hits, n.what)
		}
	}
	return hits
}

// leakRecorder sends requests through the app, keeps every response and
// reports the ones that carry a canary.
type leakRecorder struct {
	t       *testing.T
	w       *tenderWorld
	needles []leakNeedle
	checked int
}

// check fails the test when body holds a canary.
func (l *leakRecorder) check(where string, body []byte) {
	l.t.Helper()
	l.checked++
	l.search(where, body)
}

// checkHeaders searches the response headers.
func (l *leakRecorder) checkHeaders(where string, h http.Header) {
	l.t.Helper()
	for k, vs := range h {
		l.search("header "+k+" of "+where, []byte(strings.Join(vs, "\n")))
	}
}

func (l *leakRecorder) search(where string, body []byte) {
	l.t.Helper()
	if hits := leakHits(body, l.needles); len(hits) > 0 {
		l.t.Errorf("before the opening, %s carries the bid's %v: %.400s", where, hits, body)
	}
}

// Do sends an API request as username and checks its response.
func (l *leakRecorder) do(method, path, username string, body any) servertest.Response {
	l.t.Helper()
	return l.send(method, path, username, l.w.token(l.t, username), body)
}

// send sends an API request with who's token and checks its response.
func (l *leakRecorder) send(method, path, who, token string, body any) servertest.Response {
	l.t.Helper()
	r := l.w.e.Do(l.t, servertest.Request{Method: method, Path: path, Token: token, Body: body})
	where := fmt.Sprintf("%s %s as %q (%d)", method, path, who, r.Status)
	l.check(where, r.Body)
	l.checkHeaders(where, r.Header)
	return r
}

// leakIDs are the records the crawl puts into route parameters.
type leakIDs struct {
	tender, item, fund, org, user, cert, doc, district, subdistrict, community, question int64
	contract                                                                             int64 // 0: none yet
	bids                                                                                 []int64
}

// leakUnfillable lists the GET routes whose parameters the crawl cannot fill,
// with the reason. A GET route neither filled nor listed here fails the test,
// so that a new route is never skipped silently.
var leakUnfillable = map[string]string{
	"/api/v1/contracts/:id/service-records": "the crawled world holds no signed contract to record services on; " +
		"TestServiceRecordAPI and authz_delivery_test.go check who sees references and rating codes",
	"/service-records/:id": "the crawled world holds no service record (no signed contract); " +
		"internal/ui's record page tests and authz_record_test.go check who sees a record, its reference and its code",
	"/api/v1/public/complaints/:reference": "the crawled world holds no complaint (no signed contract); " +
		"TestComplaintLifecycleAPI crawls every complaint response as every identity for the contact",
	"/static/*": "the embedded CSS and script files, the same for everyone and holding no record; " +
		"internal/server's TestStaticFingerprint reads them",
}

// leakFill returns the concrete paths for a GET route pattern, or why it
// cannot be filled.
func leakFill(pattern string, ids leakIDs) ([]string, string) {
	segs := strings.Split(pattern, "/")
	paths := []string{""}
	for i, seg := range segs {
		if i == 0 {
			continue
		}
		var values []string
		switch {
		case !strings.HasPrefix(seg, ":") && !strings.HasPrefix(seg, "*"):
			values = []string{seg}
		default:
			prev := ""
			if i > 1 {
				prev = segs[i-1]
			}
			v, ok := leakParam(strings.TrimPrefix(seg, ":"), prev, ids)
			if !ok {
				return nil, fmt.Sprintf("no record known for %s after /%s", seg, prev)
			}
			values = v
		}
		var next []string
		for _, p := range paths {
			for _, v := range values {
				next = append(next, p+"/"+v)
			}
		}
		paths = next
	}
	if pattern == "/" {
		paths = []string{"/"}
	}
	return paths, ""
}

func leakInts(ids ...int64) []string {
	out := []string{}
	for _, id := range ids {
		out = append(out, fmt.Sprint(id))
	}
	return out
}

// leakParam fills one route parameter by its name and the segment before it.
func leakParam(name, prev string, ids leakIDs) ([]string, bool) {
	switch name {
	case "bid":
		return leakInts(ids.bids...), true
	case "n":
		return []string{"0"}, true
	case "version":
		return []string{"1"}, true
	case "qid":
		return leakInts(ids.question), true
	case "cid":
		// No challenge exists before the opening: the not-found answer is
		// read, and must not leak either.
		return []string{"1"}, true
	case "doc":
		return leakInts(ids.doc), true
	case "mid":
		// A contract's milestone (the pages' /contracts/:id/milestones/:mid):
		// the demo's first, of another contract or without an invoice, so the
		// crawl reads the not-found answer, which must not leak either.
		return []string{"1"}, true
	case "org":
		return leakInts(ids.org), true
	case "ocid":
		// The OCDS record of the crawled tender (the default prefix).
		return []string{ocds.OCID(config.Default().OCDS.Prefix, ids.tender)}, true
	case "code":
		if prev == "lang" {
			return []string{"en"}, true
		}
		return []string{twCategory}, true
	case "id":
		switch prev {
		case "tenders", "opportunities", "reviews", "procurement":
			return leakInts(ids.tender), true
		case "bids":
			return leakInts(ids.bids...), true
		case "items", "transfer-items":
			return leakInts(ids.item), true
		case "funds", "fund-accounts":
			return leakInts(ids.fund), true
		case "organizations":
			return leakInts(ids.org), true
		case "documents":
			return leakInts(ids.doc), true
		case "certifications":
			return leakInts(ids.cert), true
		case "users":
			return leakInts(ids.user), true
		case "districts":
			return leakInts(ids.district), true
		case "subdistricts":
			return leakInts(ids.subdistrict), true
		case "communities":
			return leakInts(ids.community), true
		case "contracts":
			// Without a contract the crawl reads the not-found answer,
			// which must not leak either.
			if ids.contract != 0 {
				return leakInts(ids.contract), true
			}
			return []string{"1"}, true
		case "milestones":
			// The demo's first milestone: no invoice is attached to it, so
			// the crawl reads the not-found answer, which must not leak either.
			return []string{"1"}, true
		case "evaluations":
			// The crawled world holds no evaluation (no signed contract):
			// the not-found answer is read, and must not leak either;
			// TestEvaluationAPI reads every evaluation answer as each party.
			return []string{"1"}, true
		case "receipt", "donations":
			// No donation exists without Stripe: the crawl reads the
			// not-found answer, which must not leak either.
			return []string{"1"}, true
		}
	}
	return nil, false
}

// leakPaths returns every GET path of the app to crawl: each route filled
// with the ids, and a few list queries.
func leakPaths(t *testing.T, w *tenderWorld, ids leakIDs) (api, pages []string) {
	t.Helper()
	seen := map[string]bool{}
	for _, r := range w.e.Server.App().GetRoutes(true) {
		if r.Method != http.MethodGet || seen[r.Path] {
			continue
		}
		seen[r.Path] = true
		paths, why := leakFill(r.Path, ids)
		if why != "" {
			if _, listed := leakUnfillable[r.Path]; !listed {
				t.Errorf("GET %s: %s; fill it in leakParam or list it in leakUnfillable with the reason", r.Path, why)
			}
			continue
		}
		for _, p := range paths {
			if strings.HasPrefix(p, "/api/") || p == "/healthz" || p == "/readyz" {
				api = append(api, p)
			} else {
				pages = append(pages, p)
			}
		}
	}
	api = append(api, "/api/v1/tenders?status=published", "/api/v1/tenders?status=closed", "/api/v1/tenders?eligible=true",
		"/api/v1/public/tenders?status=published", "/api/v1/public/tenders?status=closed", fundPath(ids.fund, "/postings?format=csv"))
	if !seen["/api/v1/tenders/:id/bids"] || !seen["/api/v1/tenders/:id/opening-record"] {
		t.Fatalf("the route table lacks the tender routes the crawl must read")
	}
	slices.Sort(api)
	slices.Sort(pages)
	return slices.Compact(api), slices.Compact(pages)
}

// crawl reads every GET path as every reader, through the API with a bearer
// Token and through the pages with a signed-in session.
func (l *leakRecorder) crawl(readers []string, ids leakIDs) {
	l.t.Helper()
	for _, who := range readers {
		client := servertest.NewPageClient(l.w.e)
		if who != "" {
			client = servertest.SignIn(l.t, l.w.e, who)
		}
		l.crawlAs(who, l.w.token(l.t, who), client, ids)
	}
}

// crawlAs reads every GET path as who: through the API with token ("" for
// none) and through the pages with client.
func (l *leakRecorder) crawlAs(who, token string, client *servertest.PageClient, ids leakIDs) {
	l.t.Helper()
	api, pages := leakPaths(l.t, l.w, ids)
	l.t.Logf("crawling %d API paths and %d pages as %q", len(api), len(pages), who)
	for _, p := range api {
		l.send("GET", p, who, token, nil)
	}
	for _, p := range pages {
		r := client.Get(l.t, p)
		where := fmt.Sprintf("page %s as %q (%d)", p, who, r.Status)
		l.check(where, r.Body)
		l.checkHeaders(where, r.Header)
	}
}

// leakDump returns a pg_dump of the test's database, made with the test
// server's credentials.
func leakDump(t *testing.T, e *servertest.Env) []byte {
	t.Helper()
	var name string
	if err := e.DB.Raw("SELECT current_database()").Scan(&name).Error; err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(os.Getenv(dbtest.EnvURL))
	if err != nil {
		t.Fatalf("%s: %v", dbtest.EnvURL, err)
	}
	u.Path = "/" + name
	bin, err := exec.LookPath("pg_dump")
	if err != nil {
		bin = "/usr/lib/postgresql/15/bin/pg_dump"
	}
	var stderr bytes.Buffer
	cmd := exec.Command(bin, "--no-owner", "--no-privileges", "--dbname", u.String())
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("pg_dump of %s: %v: %s", name, err, stderr.String())
	}
	if !bytes.Contains(out, []byte("COPY public.bids")) {
		t.Fatalf("pg_dump of %s holds no bids table (%d bytes)", name, len(out))
	}
	return out
}

// TestTenderLeak is the acceptance test of sealed bidding: before the
// opening, a bid's price, a string inside its technical proposal and one
// inside its attachment appear in no response of any GET route (API and
// pages, for every role and tenant, the platform admin and the tender's own
// officer and committee included), in no response of the tender's other
// routes, in no header, in the application's logs, nor in a pg_dump of the
// database: in no form (fen or yuan, hex, base64). Only the bidding
// organization reads its own bid. At the opening the opening record shows
// the price.
func TestTenderLeak(t *testing.T) {
	t.Parallel()
	w := newTenderWorld(t)
	e := w.e
	c := newLeakCanaries(t)
	l := &leakRecorder{t: t, w: w, needles: c.needles()}
	bidder, other := w.orgs[0], w.orgs[1]

	body := w.tenderBody(3)
	body["ceiling_fen"], body["min_bids"] = leakCeiling, 1
	var v tender.View
	r := l.do("POST", "/api/v1/tenders", "demo-officer", body)
	r.JSON(t, &v)
	l.do("POST", twPath(v.ID, "/publish"), "demo-officer", nil)
	var q tender.Question
	l.do("POST", twPath(v.ID, "/questions"), other.Admin, map[string]any{"body": "是否接受联合体投标？"}).JSON(t, &q)
	l.do("POST", twPath(v.ID, fmt.Sprintf("/questions/%d/answer", q.ID)), "demo-officer", map[string]any{"answer": "不接受联合体投标。"})
	l.do("POST", twPath(v.ID, "/amend"), "demo-officer", map[string]any{"reason": "补充说明", "description": "投标文件须加盖公章。"})
	l.do("POST", twPath(v.ID, "/bids"), other.Admin, w.bidBody(600_000_00, "常规投标方案"))

	// The bidder bids, replaces its bid, and has a bid refused: every answer
	// is a receipt or a problem, never the bid.
	canaryBid := func(price money.Fen) map[string]any {
		b := w.bidBody(price, "技术方案："+c.proposal+"，依托社区服务站开展上门服务。")
		b["attachments"] = []map[string]any{{"name": "技术方案附件.txt", "data": base64.StdEncoding.EncodeToString(c.data)}}
		return b
	}
	var first, second tender.Receipt
	l.do("POST", twPath(v.ID, "/bids"), bidder.Admin, canaryBid(c.price+1)).JSON(t, &first)
	e.Clock.Set(e.Clock.Now().Add(time.Hour))
	l.do("POST", twPath(v.ID, "/bids"), bidder.Admin, canaryBid(c.price)).JSON(t, &second)
	if r := l.do("POST", twPath(v.ID, "/bids"), bidder.Admin, canaryBid(leakCeiling+1)); r.Status != http.StatusBadRequest {
		t.Errorf("a bid above the ceiling = %d %s, want 400", r.Status, r.Body)
	}
	bad := canaryBid(c.price)
	bad["technical_proposal"] = strings.Repeat(c.proposal, 10_000) // over 100,000 bytes
	if r := l.do("POST", twPath(v.ID, "/bids"), bidder.Admin, bad); r.Status != http.StatusBadRequest {
		t.Errorf("a bid with an oversized proposal = %d, want 400", r.Status)
	}

	// The tender's other routes, as the roles that might try them early.
	committee := w.evaluators[0].Username
	for _, call := range []struct {
		method, path, who string
		body              any
	}{
		{"GET", twPath(v.ID, "/bids"), "demo-officer", nil},
		{"GET", twPath(v.ID, "/bids"), committee, nil},
		{"GET", twPath(v.ID, "/opening-record"), "demo-admin", nil},
		{"GET", twPath(v.ID, "/score-table"), "demo-officer", nil},
		{"POST", twPath(v.ID, "/declarations"), committee, map[string]any{"conflict": false}},
		{"POST", twPath(v.ID, "/scores"), committee, twSheet(map[int64]tender.Score{second.BidID: 5000})},
		{"POST", twPath(v.ID, "/award-proposal"), "demo-officer", map[string]any{"bid_ids": []int64{second.BidID}, "deviation_reason": "x"}},
		{"POST", twPath(v.ID, "/challenges"), other.Admin, map[string]any{"reasons": "提前质疑"}},
		{"POST", fmt.Sprintf("/api/v1/bids/%d/withdraw", second.BidID), other.Admin, nil},
		{"POST", fmt.Sprintf("/api/v1/bids/%d/withdraw", second.BidID), "demo-admin", nil},
		{"PATCH", twPath(v.ID, ""), "demo-officer", map[string]any{"ceiling_fen": c.price}},
		{"POST", twPath(v.ID, "/publish"), "demo-officer", nil},
	} {
		if r := l.do(call.method, call.path, call.who, call.body); r.Status < 400 {
			t.Errorf("%s %s as %s = %d before the opening, want a refusal", call.method, call.path, call.who, r.Status)
		}
	}

	// Another bidder reads its own bid only.
	var theirs struct {
		Items []tender.BidView `json:"items"`
	}
	l.do("GET", twPath(v.ID, "/bids"), other.Admin, nil).JSON(t, &theirs)
	for _, b := range theirs.Items {
		if b.OrganizationID != other.ID {
			t.Errorf("another bidder's bids include bid %d of organization %d", b.ID, b.OrganizationID)
		}
	}

	// The bidder reads its own bid, in every form the needles look for: the
	// search would find a leak.
	own := w.e.Do(t, servertest.Request{Method: "GET", Path: twPath(v.ID, "/bids"), Token: w.token(t, bidder.Admin)})
	for _, want := range []string{"proposal canary", "price in fen", "attachment as sent (base64)"} {
		if !slices.Contains(leakHits(own.Body, l.needles), want) {
			t.Errorf("the bidder's own bids lack the %s: the needles do not match what a leak would show", want)
		}
	}
	if page := servertest.SignIn(t, e, bidder.Admin).Get(t, fmt.Sprintf("/opportunities/%d/bids/%d/attachments/0", v.ID, second.BidID)); page.Status == http.StatusOK &&
		!slices.Contains(leakHits(page.Body, l.needles), "attachment canary") {
		t.Errorf("the bidder's own attachment download lacks the attachment canary")
	}

	ids := leakIDs{tender: v.ID, item: w.item.ID, fund: w.fundID, org: bidder.ID, user: e.IDOf(t, "users", "username = ?", bidder.Admin),
		cert: e.IDOf(t, "certifications", "organization_id = ?", bidder.ID), district: w.district, subdistrict: w.subA,
		community: w.item.CommunityIDs[0], question: q.ID, bids: []int64{first.BidID, second.BidID}}
	ids.doc = twDocument(t, w, bidder.Admin)
	readers := append(slices.Clone(azIdentities[:]), committee, w.evaluators[4].Username, other.Admin, w.uncertified.Admin)
	readers[0] = "" // anonymous

	// While bidding is open, and after the close until the opening.
	l.crawl(readers, ids)
	w.advance(t, v.ID, v.ClosesAt.Add(time.Second))
	if got := w.get(t, "demo-officer", v.ID); got.Status != tender.StatusClosed {
		t.Fatalf("after the close the tender is %s, want closed", got.Status)
	}
	l.crawl(readers, ids)
	l.check("the application log", []byte(e.Logs.String()))
	l.check("pg_dump of the database", leakDump(t, e))
	t.Logf("checked %d responses, the log and the dump for %d needles", l.checked, len(l.needles))

	// At the opening the price becomes part of the record.
	w.advance(t, v.ID, v.OpensAt)
	for _, who := range []string{"demo-officer", other.Admin, ""} {
		path := twPath(v.ID, "/opening-record")
		if who == "" {
			path = fmt.Sprintf("/api/v1/public/tenders/%d", v.ID)
		}
		r := w.call(t, "GET", path, who, nil, http.StatusOK, nil)
		if hits := leakHits(r.Body, l.needles); !slices.Contains(hits, "price in fen") || slices.Contains(hits, "proposal canary") {
			t.Errorf("GET %s as %q after the opening = %s: want the canary price (and no proposal)", path, who, r.Body)
		}
	}
	// The opened body is stored now: the same search of the dump finds it.
	if hits := leakHits(leakDump(t, e), l.needles); !slices.Contains(hits, "proposal canary") || !slices.Contains(hits, "price in fen") {
		t.Errorf("after the opening the dump holds %v, want the opened bid's price and proposal: the dump search would miss a leak", hits)
	}
	opened := twBids(t, w, "demo-officer", v.ID)
	i := slices.IndexFunc(opened, func(b tender.BidView) bool { return b.ID == second.BidID })
	if i < 0 || opened[i].Content == nil || !strings.Contains(opened[i].Content.TechnicalProposal, c.proposal) || *opened[i].PriceFen != c.price {
		t.Errorf("the officer's bids after the opening = %+v, want the canary bid opened", opened)
	}
}
