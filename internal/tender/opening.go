package tender

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/audit"
	"github.com/jiedao-market/jiedao/internal/fund"
	"github.com/jiedao-market/jiedao/internal/money"
)

// due returns the time of t's next time-driven step, if any: the close, the
// opening, or the end of the challenge period (which waits for open
// challenges to be answered).
func due(t Tender) (time.Time, bool) {
	switch t.Status {
	case StatusPublished:
		return t.ClosesAt, true
	case StatusClosed:
		return t.OpensAt, true
	case StatusAwardProposed:
		if t.ChallengeEndsAt != nil {
			return *t.ChallengeEndsAt, true
		}
	}
	return time.Time{}, false
}

// heldError is an opening refused because the bids differ from the
// commitment made at the close (checkCommitment).
type heldError struct {
	found BidCommitment
	err   error
}

func (e *heldError) Error() string { return e.err.Error() }
func (e *heldError) Unwrap() error { return e.err }

// Advance takes every time-driven step of the tender that is due by the clock
// read once the tender's row lock is held (lockedNow, as bids are judged), in
// one transaction with its audit entries: the close, the opening (which
// unseals the bids once and opens or fails the tender) and the end of the
// challenge period (which makes the award final and creates the draft
// contracts, unless a challenge is open). The close commits to the standing
// bids (count and Merkle root, BidCommitment); an opening whose bids differ from
// the commitment is refused: the tender stays closed, the refusal is audited
// and the officers alerted (holdOpening), and Advance returns ErrTampered and
// ErrCommitmentMismatch. Several replicas may call it at
// once: the tender's row lock and the state checks make each step happen
// once. It returns the time of the next step still ahead, if any.
func (s *Service) Advance(ctx context.Context, id int64) (next *time.Time, err error) {
	sys := access.SystemActor("tender-clock", "tender:"+strconv.FormatInt(id, 10))
	var held error
	defer func() {
		if err == nil && held != nil {
			next, err = nil, held
		}
	}()
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var t Tender
		if err := tx.Clauses(clause.Locking{Strength: "NO KEY UPDATE"}).Take(&t, id).Error; err != nil {
			return notFound(err)
		}
		// The close is judged by the clock bids are judged by (lockedNow):
		// a replica whose own clock runs ahead does not close early.
		now, err := s.lockedNow(tx)
		if err != nil {
			return err
		}
		if at, ok := due(t); !ok || now.Before(at) {
			if ok {
				next = &at
			}
			return nil
		}
		// Every step may move money or write audit entries: the fund's rows
		// are locked before the first entry.
		if _, err := lockFund(tx, t.FundAccountID); err != nil {
			return err
		}
		for {
			at, ok := due(t)
			if !ok {
				return nil
			}
			if now.Before(at) {
				next = &at
				return nil
			}
			before := t.Status
			var err error
			switch t.Status {
			case StatusPublished:
				err = s.close(tx, sys, &t, now)
			case StatusClosed:
				err = s.open(tx, sys, &t, now)
				if h, ok := errors.AsType[*heldError](err); ok {
					// Nothing was opened; the refusal and the officers'
					// alert commit, and the error is returned after.
					held = h.err
					return holdOpening(tx, sys, t, h.found, now)
				}
			case StatusAwardProposed:
				var open int64
				if err := tx.Model(&Challenge{}).Where("tender_id = ? AND status = 'open'", t.ID).Count(&open).Error; err != nil {
					return err
				}
				if open > 0 {
					return nil // the answer to the last challenge finalizes
				}
				err = s.finalize(tx, sys, &t, now)
			}
			if err != nil {
				return err
			}
			if t.Status == before {
				return fmt.Errorf("advance tender %d: stuck in %s", t.ID, before)
			}
		}
	})
	return next, err
}

// setStatus moves the locked tender from its status to another with an
// UPDATE … WHERE status = ?, whose row count is checked.
func setStatus(tx *gorm.DB, t *Tender, to string, extra map[string]any, now time.Time) error {
	fields := map[string]any{"status": to, "updated_at": now}
	for k, v := range extra {
		fields[k] = v
	}
	res := tx.Model(&Tender{}).Where("id = ? AND status = ?", t.ID, t.Status).Updates(fields)
	if res.Error != nil {
		return fmt.Errorf("tender %d %s → %s: %w", t.ID, t.Status, to, res.Error)
	}
	if res.RowsAffected != 1 {
		return fmt.Errorf("tender %d %s → %s: %d rows changed, want 1", t.ID, t.Status, to, res.RowsAffected)
	}
	t.Status = to
	return tx.Take(t, t.ID).Error
}

func (s *Service) close(tx *gorm.DB, sys access.Actor, t *Tender, now time.Time) error {
	if err := setStatus(tx, t, StatusClosed, nil, now); err != nil {
		return err
	}
	c, err := commit(tx, *t, now)
	if err != nil {
		return err
	}
	return audit.Record(tx, sys, "tender.close", "tender", t.ID, map[string]any{"closes_at": t.ClosesAt, "bids": c.BidCount, "commitment_root": c.Root})
}

// open unseals the active bids once, checks their compliance, flags
// abnormally low prices and records the opening; with fewer compliant bids
// than the minimum the tender fails (流标) and its reservation is released.
func (s *Service) open(tx *gorm.DB, sys access.Actor, t *Tender, now time.Time) error {
	var bids []Bid
	if err := tx.Clauses(clause.Locking{Strength: "NO KEY UPDATE"}).Where("tender_id = ? AND status = 'active' AND opened_at IS NULL", t.ID).
		Order("received_at, id").Find(&bids).Error; err != nil {
		return err
	}
	var metrics []Metric
	if err := tx.Where("tender_id = ?", t.ID).Find(&metrics).Error; err != nil {
		return err
	}
	var districtID int64
	if err := tx.Table("subdistricts").Select("district_id").Where("id = ?", t.SubdistrictID).Take(&districtID).Error; err != nil {
		return err
	}
	var invited []int64
	if err := tx.Model(&invitation{}).Where("tender_id = ?", t.ID).Pluck("organization_id", &invited).Error; err != nil {
		return err
	}
	type opened struct {
		body    *BidBody
		reasons []string
	}
	if err := s.checkBids(tx, *t); err != nil {
		return err
	}
	if found, err := checkCommitment(tx, *t, bids); err != nil {
		return &heldError{found: found, err: err}
	}
	results := make([]opened, len(bids))
	var compliantIdx []int
	var prices []money.Fen
	for i, b := range bids {
		r := &results[i]
		plain, err := s.sealer.Open(b.envelope(), b.Sealed)
		if err != nil {
			return fmt.Errorf("open tender %d: %w: bid %d does not open in the envelope its row names: %w", t.ID, ErrTampered, b.ID, err)
		}
		r.body = new(BidBody)
		err = json.Unmarshal(plain, r.body)
		clear(plain)
		if err != nil {
			return fmt.Errorf("open tender %d: decode bid %d: %w", t.ID, b.ID, err)
		}
		r.reasons = complianceOf(tx, *t, b, *r.body, metrics, districtID, invited, now)
		if len(r.reasons) == 0 {
			compliantIdx = append(compliantIdx, i)
			prices = append(prices, r.body.PriceFen)
		}
	}
	flags := AbnormalFlags(prices)
	abnormal := map[int][]string{}
	for k, i := range compliantIdx {
		abnormal[i] = flags[k]
	}
	for i, b := range bids {
		r := results[i]
		compliant := len(r.reasons) == 0
		fields := map[string]any{"opened_at": now, "compliant": compliant, "compliance_reasons": jsonList(r.reasons),
			"abnormally_low": len(abnormal[i]) > 0, "abnormal_reasons": jsonList(abnormal[i])}
		if r.body != nil {
			body, err := json.Marshal(r.body)
			if err != nil {
				return err
			}
			fields["price_fen"], fields["opened_body"] = r.body.PriceFen, string(body)
		}
		if err := tx.Model(&Bid{}).Where("id = ? AND opened_at IS NULL", b.ID).Updates(fields).Error; err != nil {
			return fmt.Errorf("record opening of bid %d: %w", b.ID, err)
		}
	}
	entry := map[string]any{"bids": len(bids), "compliant": len(compliantIdx), "min_bids": t.MinBids}
	if len(compliantIdx) < t.MinBids {
		reason := fmt.Sprintf("流标：合格投标 %d 家，少于最低 %d 家 / failed: %d compliant bids, fewer than the minimum of %d",
			len(compliantIdx), t.MinBids, len(compliantIdx), t.MinBids)
		if err := setStatus(tx, t, StatusFailed, map[string]any{"opened_at": now, "status_reason": reason, "ended_at": now}, now); err != nil {
			return err
		}
		entry["outcome"] = StatusFailed
		if err := audit.Record(tx, sys, "tender.open", "tender", t.ID, entry); err != nil {
			return err
		}
		if _, err := fund.Release(tx, sys, t.FundAccountID, t.CeilingFen, fundRef(*t)); err != nil {
			return err
		}
		if err := s.released(tx, t.ID, "tenderUpdate", now); err != nil {
			return err
		}
		return notifyBidders(tx, *t, KindOpeningDone, now)
	}
	compliant := make([]Bid, len(compliantIdx))
	for k, i := range compliantIdx {
		compliant[k] = bids[i]
	}
	taken, err := s.takePerformance(tx, *t, compliant, now)
	if err != nil {
		return err
	}
	if err := setStatus(tx, t, StatusOpened, map[string]any{"opened_at": now}, now); err != nil {
		return err
	}
	entry["outcome"], entry["performance"] = StatusOpened, taken
	if err := audit.Record(tx, sys, "tender.open", "tender", t.ID, entry); err != nil {
		return err
	}
	if err := s.released(tx, t.ID, "tenderUpdate", now); err != nil {
		return err
	}
	if err := notifyBidders(tx, *t, KindOpeningDone, now); err != nil {
		return err
	}
	return notifyCommittee(tx, *t, KindCommitteeToScore, now)
}

// ErrTampered is returned by the opening when a tender's bid rows are not as
// SubmitBid and WithdrawBid leave them (checkBids): a sealed body that does
// not open in the envelope its row names, or a broken chain of
// replacements. Nothing is opened: which bid of an organization counts, and
// what it says, is in doubt, and neither opening what the rows hold nor
// declaring the bidder non-compliant may be left to whoever altered them. An
// operator restores the rows, or the officer cancels the tender.
var ErrTampered = errors.New("tender: the bid rows were altered")

// checkBids checks every bid of t, whatever its status, against what
// SubmitBid and WithdrawBid leave, before any is opened:
//   - each was sealed under this process's master key (else
//     ErrSealKeyMismatch: not the bidders' doing, nor tampering);
//   - an organization has at most one active bid;
//   - a bid that replaces another replaces one of the same tender and
//     organization, marked replaced and sealed under the same version or an
//     earlier one, and no other bid replaces that one (receipt times are not
//     compared: a database clock may step back);
//   - every bid marked replaced is replaced by one, and the links from the
//     bids that none replaces reach every bid (no cycle);
//   - the sealed body of every bid that is not active opens in its row's
//     envelope (the active ones are opened next, and checked so).
//
// Under SealV2 the envelope names the bid's id, the bid it replaces and its
// receipt time, so a row whose body was swapped, or whose link was rewired,
// fails even where the links still look whole. It returns ErrTampered
// otherwise, naming the bid.
func (s *Service) checkBids(tx *gorm.DB, t Tender) error {
	var all []Bid
	if err := tx.Select("id", "organization_id", "status", "seal_key_id", "seal_version", "received_at", "replaces_id").
		Where("tender_id = ?", t.ID).Order("received_at, id").Find(&all).Error; err != nil {
		return err
	}
	for _, b := range all {
		if b.SealKeyID != s.sealer.KeyID() {
			return fmt.Errorf("open tender %d: %w: bid %d was sealed under key %s, this process has key %s",
				t.ID, ErrSealKeyMismatch, b.ID, b.SealKeyID, s.sealer.KeyID())
		}
	}
	broken := func(id int64, format string, args ...any) error {
		return fmt.Errorf("open tender %d: %w: bid %d %s", t.ID, ErrTampered, id, fmt.Sprintf(format, args...))
	}
	byID := make(map[int64]*Bid, len(all))
	for i := range all {
		all[i].TenderID = t.ID
		byID[all[i].ID] = &all[i]
	}
	active := map[int64]int64{}     // organization → its active bid
	replacedBy := map[int64]int64{} // bid → the bid that replaces it
	for _, b := range all {
		if b.Status == "active" {
			if other, ok := active[b.OrganizationID]; ok {
				return broken(b.ID, "is active beside bid %d of the same organization", other)
			}
			active[b.OrganizationID] = b.ID
		}
		if b.ReplacesID == nil {
			continue
		}
		p, ok := byID[*b.ReplacesID]
		switch {
		case !ok:
			return broken(b.ID, "replaces bid %d of another tender", *b.ReplacesID)
		case p.OrganizationID != b.OrganizationID:
			return broken(b.ID, "replaces bid %d of another organization", p.ID)
		case p.Status != "replaced":
			return broken(b.ID, "replaces bid %d, which is %s", p.ID, p.Status)
		case p.SealVersion > b.SealVersion:
			return broken(b.ID, "sealed under version %d replaces bid %d sealed under version %d", b.SealVersion, p.ID, p.SealVersion)
		}
		if other, ok := replacedBy[p.ID]; ok {
			return broken(b.ID, "replaces bid %d, which bid %d replaces", p.ID, other)
		}
		replacedBy[p.ID] = b.ID
	}
	// Each bid is replaced at most once, so the links from the bids that
	// none replaces are disjoint paths; a bid they miss is on a cycle.
	reached := make(map[int64]bool, len(all))
	for _, b := range all {
		if _, ok := replacedBy[b.ID]; ok {
			continue
		}
		if b.Status == "replaced" {
			return broken(b.ID, "is marked replaced, but no bid replaces it")
		}
		for p := byID[b.ID]; p != nil; p = byID[deref(p.ReplacesID)] {
			reached[p.ID] = true
		}
	}
	for _, b := range all {
		if !reached[b.ID] {
			return broken(b.ID, "is on a cycle of replacements")
		}
	}
	for _, b := range all {
		if b.Status == "active" {
			continue
		}
		var row Bid
		if err := tx.Select("sealed").Where("id = ?", b.ID).Take(&row).Error; err != nil {
			return err
		}
		b.Sealed = row.Sealed
		plain, err := s.sealer.Open(b.envelope(), b.Sealed)
		if err != nil {
			return broken(b.ID, "(%s) does not open in the envelope its row names: %v", b.Status, err)
		}
		clear(plain)
	}
	return nil
}

// deref returns *p, or 0 for nil.
func deref(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

func jsonList(s []string) string {
	b, _ := json.Marshal(nonNil(s))
	return string(b)
}

// complianceOf returns why an opened bid is not compliant, or nothing.
func complianceOf(tx *gorm.DB, t Tender, b Bid, body BidBody, metrics []Metric, districtID int64, invited []int64, now time.Time) []string {
	reasons := []string{}
	if b.NeedsReconfirmation {
		reasons = append(reasons, reasonNotReconfirm)
	}
	if t.method().Invited && !slices.Contains(invited, b.OrganizationID) {
		reasons = append(reasons, reasonNotInvited)
	}
	if e, err := eligibility(tx, b.OrganizationID, districtID, t, now); err != nil || !e.Eligible {
		reasons = append(reasons, reasonNotEligible)
	}
	if body.PriceFen <= 0 || body.PriceFen > t.CeilingFen {
		reasons = append(reasons, reasonOverCeiling)
	}
	if body.TechnicalProposal == "" || body.StaffingPlan == "" {
		reasons = append(reasons, reasonMissingParts)
	}
	for _, m := range metrics {
		if !slices.ContainsFunc(body.MetricCommitments, func(c Commitment) bool { return c.Code == m.Code }) {
			reasons = append(reasons, reasonMissingMetric)
			break
		}
	}
	return reasons
}

// OpeningEntry is one bid in the opening record.
type OpeningEntry struct {
	BidID             int64      `json:"bid_id"`
	OrganizationID    int64      `json:"organization_id"`
	OrganizationName  string     `json:"organization_name"`
	PriceFen          *money.Fen `json:"price_fen"`
	ReceivedAt        time.Time  `json:"received_at"`
	Digest            string     `json:"digest"`
	Compliant         bool       `json:"compliant"`
	ComplianceReasons []string   `json:"compliance_reasons"`
	AbnormallyLow     bool       `json:"abnormally_low"`
	AbnormalReasons   []string   `json:"abnormal_reasons"`
}

// OpeningRecord is the record of a tender's opening: bidders, prices,
// receipts and compliance.
type OpeningRecord struct {
	TenderID       int64          `json:"tender_id"`
	OpenedAt       time.Time      `json:"opened_at"`
	Outcome        string         `json:"outcome"` // opened or failed
	Reason         string         `json:"reason"`
	MinBids        int            `json:"min_bids"`
	CompliantCount int            `json:"compliant_count"`
	CeilingFen     money.Fen      `json:"ceiling_fen"`
	Bids           []OpeningEntry `json:"bids"`
}

func openingRecord(db *gorm.DB, t Tender) (OpeningRecord, error) {
	bids, err := openedBids(db, t, false)
	if err != nil {
		return OpeningRecord{}, err
	}
	rec := OpeningRecord{TenderID: t.ID, OpenedAt: *t.OpenedAt, Outcome: StatusOpened, MinBids: t.MinBids, CeilingFen: t.CeilingFen, Bids: []OpeningEntry{}}
	if t.Status == StatusFailed {
		rec.Outcome, rec.Reason = StatusFailed, t.StatusReason
	}
	for _, b := range bids {
		compliant := b.Compliant != nil && *b.Compliant
		if compliant {
			rec.CompliantCount++
		}
		rec.Bids = append(rec.Bids, OpeningEntry{BidID: b.ID, OrganizationID: b.OrganizationID, OrganizationName: b.OrganizationName,
			PriceFen: b.PriceFen, ReceivedAt: b.ReceivedAt, Digest: b.Digest, Compliant: compliant, ComplianceReasons: b.ComplianceReasons,
			AbnormallyLow: b.AbnormallyLow, AbnormalReasons: b.AbnormalReasons})
	}
	return rec, nil
}

// OpeningRecord returns the tender's opening record for by, once the bids are
// opened (ErrNotOpened before).
func (s *Service) OpeningRecord(ctx context.Context, by access.Actor, id int64) (OpeningRecord, error) {
	db := s.db.WithContext(ctx)
	var t Tender
	if err := visible(db, by).Take(&t, id).Error; err != nil {
		return OpeningRecord{}, notFound(err)
	}
	if t.OpenedAt == nil {
		return OpeningRecord{}, ErrNotOpened
	}
	return openingRecord(db, t)
}

// Due returns the tenders with a time-driven step due by the clock, and when
// each fell due, for the sweep.
func (s *Service) Due(ctx context.Context) (map[int64]time.Time, error) {
	now := s.clock.Now()
	var rows []Tender
	err := s.db.WithContext(ctx).Select("id", "status", "closes_at", "opens_at", "challenge_ends_at").
		Where(`(status = 'published' AND closes_at <= @now) OR (status = 'closed' AND opens_at <= @now)
			OR (status = 'award_proposed' AND challenge_ends_at <= @now
			    AND NOT EXISTS (SELECT 1 FROM challenges c WHERE c.tender_id = tenders.id AND c.status = 'open'))`,
			map[string]any{"now": now}).Order("id").Limit(1000).Find(&rows).Error
	if err != nil {
		return nil, err
	}
	out := make(map[int64]time.Time, len(rows))
	for _, t := range rows {
		at, _ := due(t)
		out[t.ID] = at
	}
	return out, nil
}
