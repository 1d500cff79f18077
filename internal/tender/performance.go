package tender

import (
	"encoding/json"
	"fmt"
	"math/big"
	"strconv"
	"time"

	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/rating"
	"github.com/jiedao-market/jiedao/internal/track"
)

// takePerformance takes, at the opening of t, the performance record of the
// bidder of each compliant bid (track.Take, over the three years before the
// tender's opening time) and stores it with the bid (bid_performance), so
// that the score table uses the same record whenever it is read. It returns
// each bid's P, two decimals, for the opening's audit entry.
func (s *Service) takePerformance(tx *gorm.DB, t Tender, bids []Bid, now time.Time) (map[string]string, error) {
	out := make(map[string]string, len(bids))
	if len(bids) == 0 {
		return out, nil
	}
	orgIDs := make([]int64, len(bids))
	for i, b := range bids {
		orgIDs[i] = b.OrganizationID
	}
	recs, err := track.Take(tx, s.opts.Performance, orgIDs, t.OpensAt)
	if err != nil {
		return nil, fmt.Errorf("performance records of tender %d: %w", t.ID, err)
	}
	for _, b := range bids {
		r := recs[b.OrganizationID]
		basis, err := json.Marshal(r.Basis)
		if err != nil {
			return nil, err
		}
		if err := tx.Exec(`INSERT INTO bid_performance (bid_id, tender_id, organization_id, newcomer, percent_num, percent_den, basis, taken_at)
			VALUES (?, ?, ?, ?, ?::numeric, ?::numeric, ?::jsonb, ?)`, b.ID, t.ID, b.OrganizationID, r.Result.Newcomer,
			r.Result.P.Num().String(), r.Result.P.Denom().String(), string(basis), now).Error; err != nil {
			return nil, fmt.Errorf("store the performance record of bid %d: %w", b.ID, err)
		}
		out[strconv.FormatInt(b.ID, 10)] = r.Basis.Percent
	}
	return out, nil
}

// storedPerformance is a bid's performance record as its tender's opening
// took it.
type storedPerformance struct {
	share    *big.Rat // P ÷ 100, 0 to 1
	newcomer bool
	basis    *track.Basis
}

// performanceOf returns the performance records the opening of the tender
// stored, by bid.
func performanceOf(db *gorm.DB, tenderID int64) (map[int64]storedPerformance, error) {
	var rows []struct {
		BidID      int64
		Newcomer   bool
		PercentNum string
		PercentDen string
		Basis      []byte
	}
	if err := db.Raw(`SELECT bid_id, newcomer, percent_num::text AS percent_num, percent_den::text AS percent_den, basis
		FROM bid_performance WHERE tender_id = ?`, tenderID).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("performance records of tender %d: %w", tenderID, err)
	}
	out := make(map[int64]storedPerformance, len(rows))
	for _, r := range rows {
		share, ok := new(big.Rat).SetString(r.PercentNum + "/" + r.PercentDen)
		if !ok {
			return nil, fmt.Errorf("performance record of bid %d: bad percent %s/%s", r.BidID, r.PercentNum, r.PercentDen)
		}
		p := storedPerformance{share: share.Quo(share, big.NewRat(100, 1)), newcomer: r.Newcomer, basis: &track.Basis{}}
		if err := json.Unmarshal(r.Basis, p.basis); err != nil {
			return nil, fmt.Errorf("performance basis of bid %d: %w", r.BidID, err)
		}
		// A record taken before migration 00017 holds its rule and count
		// alone.
		p.basis.Percent, p.basis.Newcomer = rating.Display(new(big.Rat).Mul(p.share, big.NewRat(100, 1))), r.Newcomer
		out[r.BidID] = p
	}
	return out, nil
}
