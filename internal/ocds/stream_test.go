package ocds_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/jiedao-market/jiedao/internal/ocds"
	"github.com/jiedao-market/jiedao/internal/ocds/ocdsschema"
	"github.com/jiedao-market/jiedao/internal/servertest"
)

// bulkStart is the date of the first generated release; release g is dated
// bulkStart + g/4 seconds, so four releases share each date and the keyset order must fall
// back on the id.
var bulkStart = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// bulkEnd is the To bound that keeps the first n generated releases (n a multiple of 4).
func bulkEnd(n int) time.Time { return bulkStart.Add(time.Duration(n/4) * time.Second) }

func bulkURI(id string) string { return "https://jiedao.example/api/v1/public/ocds/releases/" + id }

// fillReleases writes n valid releases of one tender with one INSERT … SELECT generate_series,
// every tenth in subdistrict B, and returns the ids of A and B.
func fillReleases(t testing.TB, n int) (subA, subB int64, e *servertest.Env) {
	t.Helper()
	e = servertest.NewEnv(t)
	c := e.ActiveContract(t)
	var tenderID int64
	if err := e.DB.Raw(`SELECT tender_id FROM contracts WHERE id = ?`, c.ID).Scan(&tenderID).Error; err != nil {
		t.Fatal(err)
	}
	d := e.Demo(t)
	err := e.DB.Exec(`INSERT INTO ocds_releases (ocid, release_id, tender_id, subdistrict_id, date, tags, body)
		SELECT ocid, ocid || '-' || g, ?, CASE WHEN g % 10 = 0 THEN ?::bigint ELSE ?::bigint END, date, ARRAY['tender'],
			jsonb_build_object('ocid', ocid, 'id', ocid || '-' || g,
				'date', to_char(date AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
				'tag', jsonb_build_array('tender'), 'initiationType', 'tender', 'language', 'zh',
				'tender', jsonb_build_object('id', ?::text, 'title', '居家养老上门服务 第' || g || '次公告', 'status', 'active',
					'value', jsonb_build_object('amount', 100000 + g, 'currency', 'CNY')))
		FROM (SELECT g, 'ocds-jiedao-' || ? AS ocid, ?::timestamptz + (g / 4) * interval '1 second' AS date
			FROM generate_series(0, ? - 1) AS g) AS s`,
		tenderID, d.SubB, d.SubA, fmt.Sprint(tenderID), fmt.Sprint(tenderID), bulkStart, n).Error
	if err != nil {
		t.Fatalf("fill ocds_releases: %v", err)
	}
	if err := e.DB.Exec(`ANALYZE ocds_releases`).Error; err != nil {
		t.Fatal(err)
	}
	return d.SubA, d.SubB, e
}

// lineChecker is the io.Writer StreamBulk writes to: it splits lines, checks that each is a
// release package of one release in (date, id) order, validates every sampleEvery-th against
// the schema, and samples the live heap every memEvery lines.
type lineChecker struct {
	t           testing.TB
	v           *ocdsschema.Validator
	sampleEvery int
	memEvery    int

	partial   []byte
	lines     int
	lastDate  time.Time
	lastID    int
	peakHeap  uint64
	subdistOf func(n int) bool // optional: each release's number must pass
	// uriOf, when set, is each line's uri in place of bulkURI's.
	uriOf func(id string) string
}

func (c *lineChecker) Write(p []byte) (int, error) {
	n := len(p)
	for {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			c.partial = append(c.partial, p...)
			return n, nil
		}
		var line []byte
		if len(c.partial) > 0 {
			line = append(c.partial, p[:i]...)
			c.partial = c.partial[:0]
		} else {
			line = p[:i]
		}
		c.line(line)
		p = p[i+1:]
	}
}

func (c *lineChecker) line(line []byte) {
	c.t.Helper()
	var pkg struct {
		URI      string `json:"uri"`
		Releases []struct {
			ID   string    `json:"id"`
			Date time.Time `json:"date"`
		} `json:"releases"`
	}
	if err := json.Unmarshal(line, &pkg); err != nil || len(pkg.Releases) != 1 {
		c.t.Fatalf("line %d is not a package of one release (%v): %.200s", c.lines, err, line)
	}
	r := pkg.Releases[0]
	num := releaseNumber(c.t, r.ID)
	if c.lines > 0 && (r.Date.Before(c.lastDate) || r.Date.Equal(c.lastDate) && num <= c.lastID) {
		c.t.Fatalf("line %d: release %s (%s) after %d (%s): not in (date, id) order", c.lines, r.ID, r.Date, c.lastID, c.lastDate)
	}
	want := bulkURI(r.ID)
	if c.uriOf != nil {
		want = c.uriOf(r.ID)
	}
	if pkg.URI != want {
		c.t.Fatalf("line %d: uri %s, want %s", c.lines, pkg.URI, want)
	}
	if c.subdistOf != nil && !c.subdistOf(num) {
		c.t.Fatalf("line %d: release %s is outside the filter", c.lines, r.ID)
	}
	if c.sampleEvery > 0 && c.lines%c.sampleEvery == 0 {
		if err := c.v.ReleasePackage(line); err != nil {
			c.t.Fatalf("line %d does not validate: %v", c.lines, err)
		}
	}
	c.lastDate, c.lastID = r.Date, num
	c.lines++
	if c.memEvery > 0 && c.lines%c.memEvery == 0 {
		c.sampleHeap()
	}
}

// sampleHeap records the live heap: after a collection, what StreamBulk (and this checker)
// still hold, without the garbage whose amount depends on when the collector last ran.
func (c *lineChecker) sampleHeap() {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	c.peakHeap = max(c.peakHeap, ms.HeapAlloc)
}

// releaseNumber returns g of a generated release id "ocds-jiedao-<tender>-<g>".
func releaseNumber(t testing.TB, id string) int {
	t.Helper()
	i := bytes.LastIndexByte([]byte(id), '-')
	var g int
	if _, err := fmt.Sscanf(id[i+1:], "%d", &g); err != nil {
		t.Fatalf("release id %q: %v", id, err)
	}
	return g
}

var bulkMeta = ocds.Meta{Publisher: ocds.Publisher{Name: "JieDao"}}

// TestStreamBulkAtScale streams 100,000 releases and the first 10,000 of them and checks every
// line, and that the live heap does not grow with the number of releases. The bound: the peak
// live heap of the 100,000 run, above the heap before it, is at most 1.5 times that of the
// 10,000 run plus 4 MiB. Both runs hold one batch (500 releases, about 250 kB of bodies, its
// packages) plus a 64 kB buffer; anything that kept the releases written (about 100 MB of
// packages for 100,000) would exceed it many times over. The 4 MiB absorbs what the runtime
// itself allocates in between (pools, the connection's buffers).
//
// It does not run in parallel: the heap it samples is the whole process's.
func TestStreamBulkAtScale(t *testing.T) {
	const n = 100_000
	subA, subB, e := fillReleases(t, n)
	v, err := ocdsschema.New()
	if err != nil {
		t.Fatalf("ocdsschema.New() error = %v", err)
	}
	run := func(f ocds.Filter) *lineChecker {
		t.Helper()
		c := &lineChecker{t: t, v: v, sampleEvery: 997, memEvery: 2_000}
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		base := ms.HeapAlloc
		if err := ocds.StreamBulk(t.Context(), e.DB, bulkMeta, bulkURI, f, c); err != nil {
			t.Fatalf("StreamBulk(%+v) error = %v", f, err)
		}
		if len(c.partial) != 0 {
			t.Fatalf("StreamBulk(%+v) ended inside a line: %.200s", f, c.partial)
		}
		c.sampleHeap()
		c.peakHeap -= min(base, c.peakHeap)
		return c
	}

	small := run(ocds.Filter{To: bulkEnd(10_000)})
	if small.lines != 10_000 {
		t.Errorf("StreamBulk(first 10,000) wrote %d lines, want 10000", small.lines)
	}
	large := run(ocds.Filter{})
	if large.lines != n {
		t.Errorf("StreamBulk(all) wrote %d lines, want %d", large.lines, n)
	}
	const slack = 4 << 20
	t.Logf("peak live heap above the start: %d kB for 10,000 releases, %d kB for %d", small.peakHeap>>10, large.peakHeap>>10, n)
	if large.peakHeap > small.peakHeap*3/2+slack {
		t.Errorf("peak live heap %d B for %d releases > 1.5 × %d B (10,000) + %d B: memory grows with the export", large.peakHeap, n, small.peakHeap, slack)
	}

	t.Run("filters", func(t *testing.T) {
		// Releases 30,000 to 59,999 fall in [From, To); B holds every tenth.
		f := ocds.Filter{From: bulkEnd(30_000), To: bulkEnd(60_000), SubdistrictID: subB}
		c := &lineChecker{t: t, v: v, sampleEvery: 101, subdistOf: func(g int) bool { return g%10 == 0 && g >= 30_000 && g < 60_000 }}
		if err := ocds.StreamBulk(t.Context(), e.DB, bulkMeta, bulkURI, f, c); err != nil {
			t.Fatalf("StreamBulk(%+v) error = %v", f, err)
		}
		if c.lines != 3_000 {
			t.Errorf("StreamBulk(%+v) wrote %d lines, want 3000", f, c.lines)
		}
		f.SubdistrictID = subA
		c = &lineChecker{t: t, v: v, subdistOf: func(g int) bool { return g%10 != 0 && g >= 30_000 && g < 60_000 }}
		if err := ocds.StreamBulk(t.Context(), e.DB, bulkMeta, bulkURI, f, c); err != nil {
			t.Fatalf("StreamBulk(%+v) error = %v", f, err)
		}
		if c.lines != 27_000 {
			t.Errorf("StreamBulk(%+v) wrote %d lines, want 27000", f, c.lines)
		}
	})

	// What a user downloads: GET /api/v1/public/ocds/bulk.jsonl over a real
	// listener, read line by line as it arrives; the server and this client
	// share the process, so the sampled heap holds both, and the same bound
	// holds from 10,000 releases (subdistrict B's) to 100,000.
	t.Run("the bulk endpoint", func(t *testing.T) {
		base := "http://" + e.Listen(t)
		get := func(query string, want int, subdistOf func(int) bool) *lineChecker {
			t.Helper()
			c := &lineChecker{t: t, v: v, sampleEvery: 997, memEvery: 2_000, subdistOf: subdistOf, uriOf: func(id string) string {
				return strings.TrimRight(e.Cfg.HTTP.PublicURL, "/") + "/api/v1/public/ocds/records/" + ocds.OCIDOf(id) + "#" + id
			}}
			runtime.GC()
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			start := ms.HeapAlloc
			resp, err := http.Get(base + "/api/v1/public/ocds/bulk.jsonl" + query)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/x-ndjson" {
				t.Fatalf("GET bulk.jsonl%s = %d %s, want 200 application/x-ndjson", query, resp.StatusCode, resp.Header.Get("Content-Type"))
			}
			if _, err := io.Copy(c, resp.Body); err != nil {
				t.Fatalf("read bulk.jsonl%s: %v", query, err)
			}
			if len(c.partial) != 0 || c.lines != want {
				t.Fatalf("bulk.jsonl%s: %d whole lines (and %d bytes more), want %d", query, c.lines, len(c.partial), want)
			}
			c.sampleHeap()
			c.peakHeap -= min(start, c.peakHeap)
			return c
		}
		small := get(fmt.Sprintf("?subdistrict=%d", subB), n/10, func(g int) bool { return g%10 == 0 })
		large := get("", n, nil)
		t.Logf("peak live heap above the start, over HTTP: %d kB for 10,000 releases, %d kB for %d", small.peakHeap>>10, large.peakHeap>>10, n)
		if large.peakHeap > small.peakHeap*3/2+slack {
			t.Errorf("over HTTP, peak live heap %d B for %d releases > 1.5 × %d B (10,000) + %d B: memory grows with the export", large.peakHeap, n, small.peakHeap, slack)
		}
	})

	t.Run("a failing writer stops the stream", func(t *testing.T) {
		err := ocds.StreamBulk(t.Context(), e.DB, bulkMeta, bulkURI, ocds.Filter{}, failingWriter{})
		if err == nil {
			t.Error("StreamBulk(failing writer) error = nil, want the writer's error")
		}
	})

	t.Run("a cancelled context stops the stream", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		if err := ocds.StreamBulk(ctx, e.DB, bulkMeta, bulkURI, ocds.Filter{}, io.Discard); err == nil {
			t.Error("StreamBulk(cancelled) error = nil, want an error")
		}
	})
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, io.ErrClosedPipe }

// BenchmarkBulkExport streams 10,000 releases per operation into io.Discard and reports the
// rate in releases per second.
func BenchmarkBulkExport(b *testing.B) {
	const n = 10_000
	_, _, e := fillReleases(b, n)
	ops := 0
	start := time.Now()
	for b.Loop() {
		if err := ocds.StreamBulk(b.Context(), e.DB, bulkMeta, bulkURI, ocds.Filter{}, io.Discard); err != nil {
			b.Fatalf("StreamBulk() error = %v", err)
		}
		ops++
	}
	b.ReportMetric(float64(n*ops)/time.Since(start).Seconds(), "releases/s")
}
