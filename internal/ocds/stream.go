package ocds

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"gorm.io/gorm"
)

// Filter narrows the releases StreamBulk writes. A zero field is no bound.
type Filter struct {
	From, To      time.Time // release date in [From, To): From included, To excluded
	SubdistrictID int64
}

// bulkBatch is how many releases StreamBulk reads per query: enough to amortize the round trip,
// few enough that one batch of bodies stays small next to the process.
const bulkBatch = 500

// bulkRow is one row of ocds_releases as StreamBulk reads it.
type bulkRow struct {
	ID        int64
	ReleaseID string
	Date      time.Time
	Body      []byte
}

// StreamBulk writes one release package per line (JSON Lines) for each release of ocds_releases
// matching f, in (date, id) order. Each package holds its one release, has the URI
// uriOf(release id) and is dated by the release (a package made on demand is dated by the last
// change to its content). Rows are read in keyset batches of bulkBatch, each query starting
// after the last (date, id) written, so memory does not grow with the number of releases and
// no connection is held while the writer is slow. Releases published while the stream runs
// are included when they sort after the position reached. It returns the first error of the
// database, of ctx or of w, having written the lines before it.
func StreamBulk(ctx context.Context, db *gorm.DB, m Meta, uriOf func(releaseID string) string, f Filter, w io.Writer) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	var (
		after   *bulkRow
		batch   = make([]bulkRow, 0, bulkBatch)
		written int
	)
	for {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("stream releases after %d: %w", written, err)
		}
		var err error
		batch, err = readBatch(ctx, db, f, after, batch[:0])
		if err != nil {
			return fmt.Errorf("stream releases after %d: %w", written, err)
		}
		for i := range batch {
			r := &batch[i]
			line, err := m.ReleasePackage(uriOf(r.ReleaseID), r.Date, []json.RawMessage{r.Body})
			if err != nil {
				return fmt.Errorf("stream release %s: %w", r.ReleaseID, err)
			}
			if _, err := bw.Write(line); err != nil {
				return fmt.Errorf("stream release %s: %w", r.ReleaseID, err)
			}
			if err := bw.WriteByte('\n'); err != nil {
				return fmt.Errorf("stream release %s: %w", r.ReleaseID, err)
			}
			written++
		}
		// Hand each batch on, so a client sees the download progress.
		if err := bw.Flush(); err != nil {
			return fmt.Errorf("stream releases after %d: %w", written, err)
		}
		if len(batch) < bulkBatch {
			return nil
		}
		last := batch[len(batch)-1]
		after = &bulkRow{ID: last.ID, Date: last.Date}
	}
}

// readBatch reads the next batch of rows matching f after the position after (nil: from the
// start) into buf.
func readBatch(ctx context.Context, db *gorm.DB, f Filter, after *bulkRow, buf []bulkRow) ([]bulkRow, error) {
	var (
		where []string
		args  []any
	)
	if after != nil {
		where = append(where, "(date, id) > (?, ?)")
		args = append(args, after.Date, after.ID)
	}
	if !f.From.IsZero() {
		where = append(where, "date >= ?")
		args = append(args, f.From)
	}
	if !f.To.IsZero() {
		where = append(where, "date < ?")
		args = append(args, f.To)
	}
	if f.SubdistrictID != 0 {
		where = append(where, "subdistrict_id = ?")
		args = append(args, f.SubdistrictID)
	}
	q := "SELECT id, release_id, date, body FROM ocds_releases"
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += fmt.Sprintf(" ORDER BY date, id LIMIT %d", bulkBatch)
	rows, err := db.WithContext(ctx).Raw(q, args...).Rows()
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var r bulkRow
		if err := rows.Scan(&r.ID, &r.ReleaseID, &r.Date, &r.Body); err != nil {
			return nil, err
		}
		buf = append(buf, r)
	}
	return buf, rows.Err()
}
