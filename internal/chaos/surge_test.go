//go:build chaos

package chaos_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/fund"
	"github.com/jiedao-market/jiedao/internal/money"
	"github.com/jiedao-market/jiedao/internal/platform/db"
)

// The surge's timeline, from its start. The tender closes after the
// database is back, while the surge goes on; it opens shortly after.
const (
	killAt      = 3 * time.Second  // kill -9 one replica
	terminateAt = 5 * time.Second  // terminate every application connection
	stopAt      = 7 * time.Second  // stop PostgreSQL…
	downFor     = 2 * time.Second  // …and start it again this much later
	closesAfter = 18 * time.Second // the tender closes
	opensAfter  = 3 * time.Second  // after the close, the tender opens
	afterClose  = 2 * time.Second  // the surge goes on past the close
	bidEvery    = 200 * time.Millisecond
	extraOrgs   = 22 // organizations besides the demo's two certified ones
	ceiling     = money.Fen(10_000_000)
)

// attempt is one bid request of the surge and what it was answered.
type attempt struct {
	org        string
	server     string
	price      money.Fen
	sent, done time.Time
	status     int    // 0: no answer (the connection failed)
	code       string // the problem's code
	retryAfter string
	receipt    receipt
	err        string
}

type receipt struct {
	BidID      int64     `json:"bid_id"`
	ReceivedAt time.Time `json:"received_at"`
}

// TestSurgeThroughFaults: three `jiedao serve` processes on one private
// PostgreSQL share a bid surge while the tender closes and opens; during the
// surge one replica is killed with SIGKILL, every application connection is
// terminated, and PostgreSQL is stopped and started again. Afterwards every
// bid answered 2xx exists (the organization's latest one wins), nothing was
// taken after the close, the opening ran once, the ledger and the audit chain
// hold, the survivors were ready within 10 s of the database's return, and
// while it was away requests were answered 503 with Retry-After, never 500.
func TestSurgeThroughFaults(t *testing.T) {
	began := time.Now()
	pg := newCluster(t)
	bin := buildJiedao(t)
	t.Logf("cluster %s on port %d and binary ready in %s", pg.name, pg.port, time.Since(began).Round(time.Millisecond))
	cfg := filepath.Join(t.TempDir(), "jiedao.yaml")
	// Sweeps every second, so that a step whose job was lost is taken at once;
	// cheap password hashes; no per-address write limit (every bidder is
	// 127.0.0.1); a small pool per replica.
	if err := os.WriteFile(cfg, []byte(`
http:
  anonymous_writes_per_minute: 100000
database:
  max_open_conns: 10
  max_idle_conns: 10
auth:
  argon2: { memory_kib: 8192, iterations: 1, parallelism: 1 }
tender:
  sweep_interval: 1s
`), 0o600); err != nil {
		t.Fatal(err)
	}
	env := appEnv(t, pg.url, cfg)
	jiedao(t, bin, env, "migrate", "up")
	gdb := open(t, pg.url)
	bidders := seedWorld(t, gdb, extraOrgs)
	t.Logf("seeded %d bidders in %s", len(bidders), time.Since(began).Round(time.Millisecond))

	replicas := []*replica{startReplica(t, bin, env, "a"), startReplica(t, bin, env, "b"), startReplica(t, bin, env, "c")}
	client := &http.Client{Timeout: 15 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	tokens := map[string]string{}
	for i, u := range append([]string{"demo-officer"}, bidders...) {
		tokens[u] = login(t, client, replicas[i%len(replicas)].url, u)
	}
	closes := time.Now().Add(closesAfter).Truncate(time.Second)
	opens := closes.Add(opensAfter)
	draft := draftTender(t, gdb, ceiling, closes, opens)
	_ = db.Close(gdb) // the checks open a new pool after the faults
	var metrics []map[string]any
	for _, m := range draft.Metrics {
		metrics = append(metrics, map[string]any{"code": m.Code, "value": m.Target})
	}
	if status, body := post(client, replicas[0].url+fmt.Sprintf("/api/v1/tenders/%d/publish", draft.ID), tokens["demo-officer"], nil); status != http.StatusOK {
		t.Fatalf("publish the tender: %d %s", status, body)
	}

	// The surge: every bidder submits, then replaces, its bid, round the
	// live replicas, until after the close.
	start := time.Now()
	t.Logf("surge from %s: tender %d closes at +%s, opens at +%s", start.Format(time.TimeOnly), draft.ID,
		closes.Sub(start).Round(time.Millisecond), opens.Sub(start).Round(time.Millisecond))
	var dead atomic.Int32 // 1 + the index of the killed replica
	var mu sync.Mutex
	var attempts []attempt
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for n, username := range bidders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tick := time.NewTicker(bidEvery)
			defer tick.Stop()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				case <-tick.C:
				}
				r := replicas[(n+i)%len(replicas)]
				if int(dead.Load()) == 1+(n+i)%len(replicas) {
					r = replicas[(n+i+1)%len(replicas)]
				}
				a := attempt{org: username, server: r.name, price: ceiling - money.Fen(n*10_000+i), sent: time.Now()}
				submit(client, r.url, draft.ID, tokens[username], metrics, &a)
				mu.Lock()
				attempts = append(attempts, a)
				mu.Unlock()
			}
		}()
	}

	at := func(d time.Duration) { <-time.After(time.Until(start.Add(d))) }
	at(killAt)
	replicas[2].kill(t)
	dead.Store(3)
	t.Logf("+%s: killed replica c (kill -9)", time.Since(start).Round(time.Millisecond))
	at(terminateAt)
	n := pg.psql(t, "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = 'jiedao' AND pid <> pg_backend_pid()")
	t.Logf("+%s: terminated %s application connections", time.Since(start).Round(time.Millisecond), n)
	at(stopAt)
	pg.ctl(t, "stop", "-m", "fast")
	away := time.Now()
	t.Logf("+%s: PostgreSQL stopped", away.Sub(start).Round(time.Millisecond))
	for _, r := range replicas[:2] {
		if got := r.readyz(); got != http.StatusServiceUnavailable {
			t.Errorf("replica %s: GET /readyz with the database away = %d, want 503", r.name, got)
		}
	}
	at(stopAt + downFor)
	pg.ctl(t, "start")
	back := time.Now()
	t.Logf("+%s: PostgreSQL started again (away %s)", back.Sub(start).Round(time.Millisecond), back.Sub(away).Round(time.Millisecond))
	survivors := replicas[:2]
	for _, r := range survivors {
		for !r.ready() {
			if time.Since(back) > 10*time.Second {
				t.Errorf("replica %s did not answer /readyz 200 within 10 s of the database's return", r.name)
				break
			}
			waitABit()
		}
	}
	t.Logf("survivors ready %s after the database's return", time.Since(back).Round(time.Millisecond))
	<-time.After(time.Until(closes.Add(afterClose)))
	close(stop)
	wg.Wait()
	end := time.Now()

	gdb = open(t, pg.url)
	status := waitForOpening(t, gdb, draft.ID, opens.Add(time.Minute))
	t.Logf("tender %s at +%s (jobs resumed after the restart)", status, time.Since(start).Round(time.Millisecond))
	if status != "opened" {
		t.Errorf("tender status = %s, want opened", status)
	}
	checkAnswers(t, attempts, closes, away, back)
	checkBids(t, gdb, draft.ID, attempts, closes)
	checkOnce(t, gdb, draft.ID)
	violations, err := fund.CheckInvariants(gdb)
	if err != nil {
		t.Errorf("fund.CheckInvariants() error = %v", err)
	}
	for _, v := range violations {
		t.Errorf("ledger invariant broken: %s (id %d)", v.What, v.ID)
	}
	out := jiedao(t, bin, env, "audit", "verify")
	t.Logf("jiedao audit verify: %s", strings.TrimSpace(out))
	t.Logf("surge lasted %s; whole test %s", end.Sub(start).Round(time.Millisecond), time.Since(began).Round(time.Millisecond))
}

// open opens a pool on the cluster for the test's own reads and writes.
func open(t *testing.T, url string) *gorm.DB {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	gdb, err := db.Open(ctx, url, db.Options{MaxOpenConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close(gdb) })
	return gdb
}

func post(client *http.Client, url, token string, body any) (int, []byte) {
	var r *bytes.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	} else {
		r = bytes.NewReader(nil)
	}
	req, _ := http.NewRequest("POST", url, r)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := client.Do(req)
	if err != nil {
		return 0, []byte(err.Error())
	}
	defer res.Body.Close()
	var buf bytes.Buffer
	_, _ = buf.ReadFrom(res.Body)
	return res.StatusCode, buf.Bytes()
}

func login(t *testing.T, client *http.Client, server, username string) string {
	t.Helper()
	status, body := post(client, server+"/api/v1/auth/login", "", map[string]string{"username": username, "password": password})
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if status != http.StatusOK || json.Unmarshal(body, &tok) != nil || tok.AccessToken == "" {
		t.Fatalf("login %s: %d %s", username, status, body)
	}
	return tok.AccessToken
}

// submit sends a's bid and records the answer in a.
func submit(client *http.Client, server string, tenderID int64, token string, metrics []map[string]any, a *attempt) {
	body := map[string]any{"price_fen": a.price, "technical_proposal": "分片包干，建档回访，助医合作。",
		"staffing_plan": "项目负责人 1 名、持证社工 4 名、护理员 10 名。", "metric_commitments": metrics}
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", fmt.Sprintf("%s/api/v1/tenders/%d/bids", server, tenderID), bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := client.Do(req)
	a.done = time.Now()
	if err != nil {
		a.err = err.Error()
		return
	}
	defer res.Body.Close()
	a.status, a.retryAfter = res.StatusCode, res.Header.Get("Retry-After")
	var buf bytes.Buffer
	_, _ = buf.ReadFrom(res.Body)
	if a.status/100 == 2 {
		if err := json.Unmarshal(buf.Bytes(), &a.receipt); err != nil {
			a.err = "receipt: " + err.Error()
		}
		return
	}
	var p struct {
		Code string `json:"code"`
	}
	_ = json.Unmarshal(buf.Bytes(), &p)
	a.code = p.Code
	if a.code == "" {
		a.err = strings.TrimSpace(buf.String())
	}
}

// waitForOpening waits until the tender has left published and closed, and
// returns its status.
func waitForOpening(t *testing.T, gdb *gorm.DB, id int64, deadline time.Time) string {
	t.Helper()
	for {
		var status string
		err := gdb.Table("tenders").Select("status").Where("id = ?", id).Take(&status).Error
		if err == nil && status != "published" && status != "closed" {
			return status
		}
		if time.Now().After(deadline) {
			t.Fatalf("tender %d still %q (%v) a minute after its opening time", id, status, err)
		}
		waitABit()
	}
}

// checkAnswers: no 500 at all, every 503 an unavailable with Retry-After,
// some while the database was away, nothing sent after the close taken.
func checkAnswers(t *testing.T, attempts []attempt, closes, away, back time.Time) {
	t.Helper()
	counts := map[string]int{}
	var during, afterClose int
	for _, a := range attempts {
		key := fmt.Sprint(a.status)
		if a.status == 0 {
			key = "no answer"
		}
		if a.code != "" {
			key += " " + a.code
		}
		counts[key]++
		switch {
		case a.status >= 500 && a.status != http.StatusServiceUnavailable, a.status == 0 && a.server != "c":
			t.Errorf("bid of %s to %s sent at %s: %d %s %s; want no 5xx but 503, and an answer from every live replica",
				a.org, a.server, a.sent.Format(time.StampMilli), a.status, a.code, a.err)
		case a.status == http.StatusServiceUnavailable && (a.code != "unavailable" || a.retryAfter == ""):
			t.Errorf("bid of %s: 503 code %q Retry-After %q, want unavailable with Retry-After", a.org, a.code, a.retryAfter)
		}
		if a.status == http.StatusServiceUnavailable && a.done.After(away) && a.sent.Before(back) {
			during++
		}
		if !a.sent.Before(closes) {
			if a.status/100 == 2 {
				t.Errorf("bid of %s sent at %s, after the close at %s, was taken: %d", a.org, a.sent.Format(time.StampMilli), closes.Format(time.StampMilli), a.status)
			}
			if a.code == "tender.closed" {
				afterClose++
			}
		}
	}
	var waits []time.Duration // how long the 503s took
	for _, a := range attempts {
		if a.status == http.StatusServiceUnavailable {
			waits = append(waits, a.done.Sub(a.sent))
		}
	}
	slices.Sort(waits)
	if len(waits) > 0 {
		t.Logf("503s answered in %s (median), %s (slowest)", waits[len(waits)/2].Round(time.Millisecond), waits[len(waits)-1].Round(time.Millisecond))
	}
	var keys []string
	for k := range counts {
		keys = append(keys, fmt.Sprintf("%s: %d", k, counts[k]))
	}
	sort.Strings(keys)
	t.Logf("%d requests: %s; 503 while the database was away: %d; refused after the close: %d",
		len(attempts), strings.Join(keys, ", "), during, afterClose)
	if during == 0 {
		t.Error("no request was answered 503 while the database was away")
	}
	if afterClose == 0 {
		t.Error("no request was refused after the close: the surge did not reach it")
	}
}

type bidRow struct {
	ID             int64
	OrganizationID int64
	Username       string
	Status         string
	ReceivedAt     time.Time
	PriceFen       *money.Fen
}

// checkBids: every bid answered 2xx exists once, as its receipt says, before
// the close; every other row comes from a request that got no clear answer;
// each bidder's active bid is its latest.
func checkBids(t *testing.T, gdb *gorm.DB, tenderID int64, attempts []attempt, closes time.Time) {
	t.Helper()
	var rows []bidRow
	if err := gdb.Raw(`SELECT b.id, b.organization_id, u.username, b.status, b.received_at, b.price_fen FROM bids b
		JOIN users u ON u.organization_id = b.organization_id AND u.role = 'org_admin'
		WHERE b.tender_id = ?`, tenderID).Scan(&rows).Error; err != nil {
		t.Fatal(err)
	}
	byID := map[int64]bidRow{}
	for _, r := range rows {
		if _, dup := byID[r.ID]; dup {
			t.Errorf("bid %d appears twice", r.ID)
		}
		byID[r.ID] = r
		if !r.ReceivedAt.Before(closes) {
			t.Errorf("bid %d of %s received at %s, not before the close at %s", r.ID, r.Username, r.ReceivedAt, closes)
		}
	}
	perOrg := map[string][]attempt{}
	for _, a := range attempts {
		perOrg[a.org] = append(perOrg[a.org], a)
	}
	acked := map[int64]bool{}
	var taken int
	for org, list := range perOrg {
		sort.Slice(list, func(i, j int) bool { return list[i].sent.Before(list[j].sent) })
		var last *attempt // the last one answered 2xx
		var unclear int   // answered neither 2xx nor a refusal: it may have been taken
		for i := range list {
			a := &list[i]
			switch {
			case a.status/100 == 2:
				taken++
				acked[a.receipt.BidID] = true
				r, ok := byID[a.receipt.BidID]
				switch {
				case !ok:
					t.Errorf("bid %d of %s answered %d is missing", a.receipt.BidID, org, a.status)
				case r.Username != org || !r.ReceivedAt.Equal(a.receipt.ReceivedAt):
					t.Errorf("bid %d answered to %s at %s is in the database as %s's at %s", r.ID, org, a.receipt.ReceivedAt, r.Username, r.ReceivedAt)
				}
				last, unclear = a, 0
			case a.status == 0 || a.status == http.StatusServiceUnavailable:
				unclear++
			}
		}
		var active []bidRow
		var unacked int
		for _, r := range rows {
			if r.Username != org {
				continue
			}
			if r.Status == "active" {
				active = append(active, r)
			}
			if !acked[r.ID] {
				unacked++
			}
		}
		if last == nil {
			continue
		}
		if len(active) != 1 {
			t.Errorf("%s has %d active bids, want 1", org, len(active))
			continue
		}
		switch {
		case active[0].ID == last.receipt.BidID:
			if active[0].PriceFen == nil || *active[0].PriceFen != last.price {
				t.Errorf("%s's active bid %d opened at price %v, want %d (its latest)", org, active[0].ID, active[0].PriceFen, last.price)
			}
		case unclear == 0:
			t.Errorf("%s's active bid is %d, want %d: its latest answered 2xx, with nothing sent after it", org, active[0].ID, last.receipt.BidID)
		case active[0].ReceivedAt.Before(last.receipt.ReceivedAt):
			t.Errorf("%s's active bid %d is older than its latest answered 2xx (%d)", org, active[0].ID, last.receipt.BidID)
		}
		var ambiguous int
		for _, a := range list {
			if a.status == 0 || a.status == http.StatusServiceUnavailable {
				ambiguous++
			}
		}
		if unacked > ambiguous {
			t.Errorf("%s has %d bids no request was answered 2xx for, but only %d requests without a clear answer", org, unacked, ambiguous)
		}
	}
	t.Logf("bids: %d answered 2xx, %d rows (%d taken without a clear answer: the connection was cut after the commit)",
		taken, len(rows), len(rows)-len(acked))
}

// checkOnce: the tender closed once and opened once, each with one audit
// entry (the entries may be integrated into the chain shortly after commit).
func checkOnce(t *testing.T, gdb *gorm.DB, tenderID int64) {
	t.Helper()
	for _, action := range []string{"tender.close", "tender.open"} {
		deadline := time.Now().Add(30 * time.Second)
		for {
			var n int64
			if err := gdb.Table("audit_entries").Where("action = ? AND entity_type = 'tender' AND entity_id = ?", action, fmt.Sprint(tenderID)).Count(&n).Error; err != nil {
				t.Fatal(err)
			}
			if n == 1 {
				break
			}
			if n > 1 || time.Now().After(deadline) {
				t.Errorf("%d %s audit entries for tender %d, want 1", n, action, tenderID)
				break
			}
			waitABit()
		}
	}
}
