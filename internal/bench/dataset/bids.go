package dataset

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/jiedao-market/jiedao/internal/merkle"
	"github.com/jiedao-market/jiedao/internal/money"
	"github.com/jiedao-market/jiedao/internal/tender"
	"github.com/jiedao-market/jiedao/internal/track"
)

// sealBlock is what internal/tender pads a sealed body to a multiple of.
const sealBlock = 4096

// padBody pads a JSON body with spaces as internal/tender's SubmitBid does.
func padBody(plain []byte) []byte {
	n := (len(plain)/sealBlock + 1) * sealBlock
	return append(plain, bytes.Repeat([]byte{' '}, n-len(plain))...)
}

var bidCols = []string{"id", "tender_id", "organization_id", "status", "sealed", "digest", "seal_key_id", "seal_version", "received_at",
	"submitted_by", "replaces_id", "needs_reconfirmation", "ended_at", "opened_at", "price_fen", "opened_body", "compliant",
	"compliance_reasons", "abnormally_low", "abnormal_reasons"}

// wasOpened reports whether the tender's bids were opened.
func wasOpened(status string) bool {
	switch status {
	case tender.StatusOpened, tender.StatusEvaluated, tender.StatusAwardProposed, tender.StatusAwardBlocked, tender.StatusAwarded, tender.StatusFailed:
		return true
	}
	return false
}

// wasClosed reports whether the tender's bidding closed (with a commitment).
func wasClosed(status string) bool { return status == tender.StatusClosed || wasOpened(status) }

// bids seals and streams every bid: for each bidder its active bid, some
// after a replaced one, and the withdrawn bids; the bids of opened tenders
// are opened as the opening leaves them. Then the commitments made at the
// close and the performance records taken at the opening.
func (g *gen) bids(ctx context.Context) error {
	w := &g.w
	keyID := g.sealer.KeyID()
	used := map[int64]bool{}
	newID := func() int64 {
		for {
			id := int64(1<<52 | g.r.Uint64()&(1<<52-1))
			if !used[id] {
				used[id] = true
				return id
			}
		}
	}
	var perf, commits [][]any
	err := g.copyPipe(ctx, "bids", bidCols, func(emit func([]any) bool) error {
		for ti := range w.tenders {
			t := &w.tenders[ti]
			rows, err := g.tenderBids(t, newID, keyID)
			if err != nil {
				return err
			}
			for _, row := range rows {
				if !emit(row) {
					return nil
				}
			}
			if wasClosed(t.status) {
				_, root := commitRoot(t.digests)
				commits = append(commits, []any{t.id, len(t.digests), root, t.closes})
			}
			if wasOpened(t.status) && t.status != tender.StatusFailed {
				for _, b := range t.bids {
					perf = append(perf, g.performance(t, b))
				}
			}
			t.digests = nil
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := g.copyRows(ctx, "bid_commitments", []string{"tender_id", "bid_count", "root", "committed_at"}, commits); err != nil {
		return err
	}
	return g.copyRows(ctx, "bid_performance", []string{"bid_id", "tender_id", "organization_id", "newcomer", "percent_num", "percent_den",
		"basis", "taken_at"}, perf)
}

// commitRoot is the Merkle root of the digests as the close commits them.
func commitRoot(digests []string) ([]string, string) {
	sorted := slices.Clone(digests)
	slices.Sort(sorted)
	leaves := make([][]byte, len(sorted))
	for i, d := range sorted {
		leaves[i], _ = hex.DecodeString(d)
	}
	root := merkle.Root(leaves)
	return sorted, hex.EncodeToString(root[:])
}

// performance is the record taken at the opening for bid b: every bidder a
// newcomer (the dataset's organizations have no track record before it).
func (g *gen) performance(t *tenderRow, b bidRow) []any {
	since := t.opened.AddDate(-3, 0, 0)
	basis := track.Basis{Rule: track.RuleTrackRecord, Since: &since, Until: &t.opened, Percent: "60.00", Newcomer: true, Minimum: 10}
	raw, _ := json.Marshal(basis)
	return []any{b.id, t.id, g.w.orgs[b.org].id, true, 60, 1, string(raw), t.opened}
}

// received draws a receipt time in the tender's bidding window, before the
// base day's hour.
func (g *gen) received(t *tenderRow, after time.Time) time.Time {
	from := latest(t.published, after)
	until := t.closes
	if t.status == tender.StatusCancelled && t.ended.Before(until) {
		until = t.ended
	}
	if limit := g.base.Add(-time.Hour); limit.Before(until) {
		until = limit
	}
	span := int64(until.Sub(from) / time.Second)
	if span <= 1 {
		return from.Add(time.Second)
	}
	return from.Add(time.Duration(1+g.r.Int64N(span-1)) * time.Second)
}

// body is a bid body for t.
func (g *gen) body(t *tenderRow) tender.BidBody {
	// 72 % to 99 % of the ceiling, in whole yuan, in integer fen throughout.
	price := t.ceiling * (7200 + g.r.Int64N(2700)) / 10000 / 100 * 100
	b := tender.BidBody{PriceFen: money.Fen(price), TechnicalProposal: "服务方案：组建专职服务团队，建立需求评估、服务实施、质量督导和满意度回访的闭环管理。",
		StaffingPlan:      fmt.Sprintf("项目负责人1名，持证社工%d名，服务人员%d名。", between(g.r, 1, 5), between(g.r, 3, 12)),
		MetricCommitments: []tender.Commitment{}}
	for _, m := range g.w.items[t.item].metrics {
		v := m.target * (1 + 0.3*g.r.Float64())
		if m.direction == "lower" {
			v = m.target * (0.6 + 0.4*g.r.Float64())
		}
		b.MetricCommitments = append(b.MetricCommitments, tender.Commitment{Code: m.code, Value: math.Round(v*100) / 100})
	}
	return b
}

// seal seals body in the envelope of bid id as SubmitBid does.
func (g *gen) seal(t *tenderRow, org int, id, replaces int64, at time.Time, body tender.BidBody) ([]byte, string, error) {
	plain, err := json.Marshal(body)
	if err != nil {
		return nil, "", err
	}
	sealed, err := g.sealer.Seal(tender.Envelope{Version: tender.SealV2, TenderID: t.id, OrgID: g.w.orgs[org].id, BidID: id,
		ReplacesID: replaces, ReceivedAt: at}, padBody(plain))
	if err != nil {
		return nil, "", err
	}
	return sealed, tender.Digest(sealed), nil
}

// tenderBids makes the rows of t's bids.
func (g *gen) tenderBids(t *tenderRow, newID func() int64, keyID string) ([][]any, error) {
	var rows [][]any
	opened := wasOpened(t.status)
	var prices []money.Fen
	for _, oi := range t.bidders {
		admin := g.w.orgs[oi].admin.id
		at := g.received(t, time.Time{})
		var replaces *int64
		if !t.opening && g.r.IntN(100) < 7 {
			// An earlier bid the organization replaced.
			id, before := newID(), g.received(t, time.Time{})
			if before.After(at) {
				before, at = at, before
			}
			if before.Equal(at) {
				at = at.Add(time.Second)
			}
			sealed, digest, err := g.seal(t, oi, id, 0, before, g.body(t))
			if err != nil {
				return nil, err
			}
			rows = append(rows, []any{id, t.id, g.w.orgs[oi].id, "replaced", sealed, digest, keyID, tender.SealV2, before, admin, nil, false,
				at, nil, nil, nil, nil, "[]", false, "[]"})
			replaces = &id
		}
		b := bidRow{id: newID(), org: oi, received: at, body: g.body(t)}
		b.price = int64(b.body.PriceFen)
		sealed, digest, err := g.seal(t, oi, b.id, deref(replaces), at, b.body)
		if err != nil {
			return nil, err
		}
		t.digests = append(t.digests, digest)
		row := []any{b.id, t.id, g.w.orgs[oi].id, "active", sealed, digest, keyID, tender.SealV2, at, admin, replaces, false,
			nil, nil, nil, nil, nil, "[]", false, "[]"}
		if opened {
			raw, err := json.Marshal(b.body)
			if err != nil {
				return nil, err
			}
			row[13], row[14], row[15], row[16] = t.opened, b.price, string(raw), true
			prices = append(prices, b.body.PriceFen)
		}
		rows = append(rows, row)
		t.bids = append(t.bids, b)
	}
	if opened && len(prices) > 0 {
		flags := tender.AbnormalFlags(prices)
		k := 0
		for _, row := range rows {
			if row[3] != "active" {
				continue
			}
			if len(flags[k]) > 0 {
				raw, _ := json.Marshal(flags[k])
				row[18], row[19] = true, string(raw)
			}
			k++
		}
	}
	for _, oi := range t.withdrawn {
		id, at := newID(), g.received(t, time.Time{})
		sealed, digest, err := g.seal(t, oi, id, 0, at, g.body(t))
		if err != nil {
			return nil, err
		}
		ended := at.Add(time.Duration(1+g.r.IntN(3600)) * time.Second)
		rows = append(rows, []any{id, t.id, g.w.orgs[oi].id, "withdrawn", sealed, digest, keyID, tender.SealV2, at, g.w.orgs[oi].admin.id,
			nil, false, ended, nil, nil, nil, nil, "[]", false, "[]"})
	}
	return rows, nil
}

func deref(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}
