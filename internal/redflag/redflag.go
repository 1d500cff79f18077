// Package redflag holds the red flags of the public record (issue 14, item 5):
// signs, per tender, contract or subdistrict, that a purchase deserves a
// second look — a single bid, a short bidding window, a repeat winner, an
// award to an abnormally low bid, an amendment after bids arrived, a contract
// amended above the cap, overdue complaints, withheld payments. A nightly job
// computes them all from the current data and replaces the stored set; the
// pages and the API read the stored set.
//
// No flag reveals what is sealed: those that depend on bids (single_bid,
// amended_after_bids, abnormally_low) exist only once the tender's bids are
// opened.
package redflag

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/audit"
	"github.com/jiedao-market/jiedao/internal/complaint"
	"github.com/jiedao-market/jiedao/internal/config"
	"github.com/jiedao-market/jiedao/internal/platform/clock"
)

// The kinds of red flag.
const (
	// SingleBid: an opened tender with exactly one valid (compliant) bid.
	SingleBid = "single_bid"
	// ShortWindow: a tender published with a bidding window shorter than its
	// purchase method's minimum (with its written justification).
	ShortWindow = "short_window"
	// RepeatWinner: per subdistrict, one provider's share of the awarded value
	// over the last 12 months above the configured share, with at least the
	// configured number of awards.
	RepeatWinner = "repeat_winner"
	// AbnormallyLow: a final award to a bid the opening found abnormally low
	// (the tender rules' test: below 60 % of the mean of the other valid
	// bids, or below 70 % of the next higher price).
	AbnormallyLow = "abnormally_low"
	// AmendedAfterBids: a tender amended after its first bid was received.
	AmendedAfterBids = "amended_after_bids"
	// ContractAmendedOver: a contract whose amendments raise its amount above
	// the signed amount by more than the configured percentage (10 %).
	ContractAmendedOver = "contract_amended_over_10"
	// OverdueComplaints: per subdistrict, complaints past a time limit
	// (first response or decision) without it being met.
	OverdueComplaints = "overdue_complaints"
	// WithheldPayments: a contract with milestone payments withheld (a
	// failing evaluation) or reduced (a payment factor below 1) by the score.
	WithheldPayments = "withheld_payments"
)

// Kinds lists every kind, in the order the pages show them.
var Kinds = []string{SingleBid, ShortWindow, RepeatWinner, AbnormallyLow, AmendedAfterBids, ContractAmendedOver,
	OverdueComplaints, WithheldPayments}

// What started a run.
const (
	TriggerNightly = "nightly"
	TriggerCatchUp = "catch_up"
	TriggerManual  = "manual"
)

// Service computes and reads red flags.
type Service struct {
	db      *gorm.DB
	clock   clock.Clock
	cfg     config.RedFlags
	minDays map[string]int
}

// New returns the service on db with the thresholds of cfg and the minimum
// bidding windows of the tender rules (tender.min_bidding_days).
func New(db *gorm.DB, c clock.Clock, cfg config.RedFlags, minBiddingDays map[string]int) *Service {
	return &Service{db: db, clock: c, cfg: cfg, minDays: minBiddingDays}
}

// Run is one computation of the whole set.
type Run struct {
	ID         int64          `json:"id"`
	Trigger    string         `json:"trigger"`
	Flags      int            `json:"flags"`
	ComputedAt time.Time      `json:"computed_at"`
	ByKind     map[string]int `json:"by_kind,omitempty" gorm:"-"`
}

// TableName names Run's table.
func (Run) TableName() string { return "red_flag_runs" }

// computeLock serializes runs (two replicas, or a catch-up and the nightly
// run together), so that each replaces the whole set.
const computeLock = 0x7265645f666c6167

// Compute computes every flag from the current data and replaces the stored
// set with them, with the run's row and its audit entry, in one transaction.
// trigger is TriggerNightly, TriggerCatchUp or TriggerManual.
func (s *Service) Compute(ctx context.Context, trigger string) (Run, error) {
	now := s.clock.Now().UTC().Truncate(time.Microsecond)
	run := Run{Trigger: trigger, ComputedAt: now, ByKind: map[string]int{}}
	minDays, err := json.Marshal(s.minDays)
	if err != nil {
		return Run{}, err
	}
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec(`SELECT pg_advisory_xact_lock(?)`, int64(computeLock)).Error; err != nil {
			return fmt.Errorf("red flags: lock: %w", err)
		}
		if err := tx.Select("trigger", "flags", "computed_at").Create(&run).Error; err != nil {
			return fmt.Errorf("red flags: record run: %w", err)
		}
		if err := tx.Exec(`DELETE FROM red_flags`).Error; err != nil {
			return fmt.Errorf("red flags: clear: %w", err)
		}
		args := map[string]any{"run": run.ID, "now": now, "since": now.AddDate(-1, 0, 0), "min_days": string(minDays),
			"share": s.cfg.RepeatWinnerPercent, "min_awards": s.cfg.RepeatWinnerMinAwards, "amend": s.cfg.ContractAmendmentPercent}
		q := queries()
		for _, kind := range Kinds {
			res := tx.Exec(insertPrefix+q[kind], args)
			if res.Error != nil {
				return fmt.Errorf("red flags: compute %s: %w", kind, res.Error)
			}
			run.ByKind[kind] = int(res.RowsAffected)
			run.Flags += int(res.RowsAffected)
		}
		if err := tx.Model(&Run{}).Where("id = ?", run.ID).Update("flags", run.Flags).Error; err != nil {
			return fmt.Errorf("red flags: count run: %w", err)
		}
		return audit.Record(tx, access.SystemActor("red-flags", ""), "red_flag.compute", "red_flag_run", run.ID,
			map[string]any{"trigger": trigger, "flags": run.Flags, "by_kind": run.ByKind})
	})
	if err != nil {
		return Run{}, err
	}
	return run, nil
}

// LastRun returns the latest run, or nil before the first.
func (s *Service) LastRun(ctx context.Context) (*Run, error) {
	var runs []Run
	if err := s.db.WithContext(ctx).Order("computed_at DESC, id DESC").Limit(1).Find(&runs).Error; err != nil {
		return nil, fmt.Errorf("read last red-flag run: %w", err)
	}
	if len(runs) == 0 {
		return nil, nil
	}
	return &runs[0], nil
}

// CatchUp computes the flags now when the last run is a day old or more, or
// there was none (a night missed while no replica worked jobs); it reports
// whether it ran.
func (s *Service) CatchUp(ctx context.Context) (bool, error) {
	last, err := s.LastRun(ctx)
	if err != nil {
		return false, err
	}
	if last != nil && s.clock.Now().Sub(last.ComputedAt) < 24*time.Hour {
		return false, nil
	}
	_, err = s.Compute(ctx, TriggerCatchUp)
	return err == nil, err
}

const insertPrefix = `INSERT INTO red_flags (run_id, kind, subdistrict_id, tender_id, contract_id, organization_id, detail, computed_at) `

// overdueComplaint is the condition of a complaint past one of its time
// limits unmet, by the complaint package's rule.
func overdueComplaint() (first, decision string) {
	c1, d1 := complaint.Unmet(complaint.DeadlineFirstResponse)
	c2, d2 := complaint.Unmet(complaint.DeadlineDecision)
	return "(" + c1 + " AND " + d1 + " <= @now)", "(" + c2 + " AND " + d2 + " <= @now)"
}

// queries returns, per kind, the query selecting its rows of red_flags: run,
// kind, subdistrict, tender, contract, organization, detail, computed_at.
// Percentages compared with a threshold are rounded up to a hundredth, so
// that one above the threshold never shows equal to it.
func queries() map[string]string {
	first, decision := overdueComplaint()
	return map[string]string{
		// Valid bids are the opened, compliant ones: none before the opening.
		SingleBid: `SELECT @run, 'single_bid', t.subdistrict_id, t.id, NULL::bigint, min(b.organization_id) FILTER (WHERE b.compliant),
			jsonb_build_object('opened_bids', count(*), 'valid_bids', count(*) FILTER (WHERE b.compliant)), @now
			FROM tenders t JOIN bids b ON b.tender_id = t.id AND b.status = 'active' AND b.opened_at IS NOT NULL
			WHERE t.opened_at IS NOT NULL
			GROUP BY t.id HAVING count(*) FILTER (WHERE b.compliant) = 1`,
		// The window as published: an amendment may have moved the close
		// since. Its days are cut, never rounded, to a tenth: 19.96 days
		// shows as 19.9, below a minimum of 20.
		ShortWindow: `SELECT @run, 'short_window', t.subdistrict_id, t.id, NULL::bigint, NULL::bigint,
			jsonb_build_object('window_days', trunc(CAST(extract(epoch FROM coalesce(
				(SELECT a.old_closes_at FROM tender_amendments a WHERE a.tender_id = t.id ORDER BY a.number LIMIT 1), t.closes_at) - t.published_at) AS numeric) / 86400, 1),
				'minimum_days', (CAST(@min_days AS jsonb) ->> t.purchase_method)::int, 'purchase_method', t.purchase_method,
				'justification', t.short_window_justification), @now
			FROM tenders t WHERE t.short_bidding_window AND t.published_at IS NOT NULL`,
		// The awarded value is the winning bid's price (the contract's amount
		// at award), of tenders awarded in the last 12 months; a lapsed draft
		// (never signed, the award passed on) is no award.
		RepeatWinner: `WITH awards AS (
				SELECT c.subdistrict_id, c.organization_id, coalesce(b.price_fen, c.amount_fen) AS value
				FROM contracts c JOIN tenders t ON t.id = c.tender_id JOIN bids b ON b.id = c.bid_id
				WHERE c.status <> 'lapsed' AND coalesce(t.awarded_at, c.created_at) > @since AND coalesce(t.awarded_at, c.created_at) <= @now),
			totals AS (SELECT subdistrict_id, sum(value) AS total, count(*) AS n FROM awards GROUP BY subdistrict_id),
			per AS (SELECT subdistrict_id, organization_id, sum(value) AS total, count(*) AS n FROM awards GROUP BY subdistrict_id, organization_id)
			SELECT @run, 'repeat_winner', p.subdistrict_id, NULL::bigint, NULL::bigint, p.organization_id,
				jsonb_build_object('awarded_fen', p.total, 'subdistrict_awarded_fen', a.total, 'share_percent', ceil(10000.0 * p.total / a.total) / 100,
					'threshold_percent', CAST(@share AS int), 'awards', p.n, 'subdistrict_awards', a.n, 'since', CAST(@since AS timestamptz)), @now
			FROM per p JOIN totals a ON a.subdistrict_id = p.subdistrict_id
			WHERE p.total * 100 > a.total * CAST(@share AS int) AND p.n >= CAST(@min_awards AS int)`,
		// The opening's own abnormal-price test, on a final award.
		AbnormallyLow: `SELECT @run, 'abnormally_low', t.subdistrict_id, t.id, c.id, b.organization_id,
				jsonb_build_object('price_fen', b.price_fen, 'reasons', b.abnormal_reasons,
					'mean_of_others_fen', (SELECT round(avg(o.price_fen)) FROM bids o WHERE o.tender_id = t.id AND o.id <> b.id
						AND o.status = 'active' AND o.compliant AND o.price_fen IS NOT NULL),
					'other_bids', (SELECT count(*) FROM bids o WHERE o.tender_id = t.id AND o.id <> b.id
						AND o.status = 'active' AND o.compliant AND o.price_fen IS NOT NULL)), @now
			FROM award_proposals ap JOIN tenders t ON t.id = ap.tender_id
			JOIN bids b ON b.tender_id = t.id AND b.id IN (SELECT jsonb_array_elements_text(ap.bid_ids)::bigint)
			LEFT JOIN contracts c ON c.bid_id = b.id
			WHERE ap.status = 'final' AND b.abnormally_low AND b.opened_at IS NOT NULL AND t.opened_at IS NOT NULL`,
		AmendedAfterBids: `SELECT @run, 'amended_after_bids', t.subdistrict_id, t.id, NULL::bigint, NULL::bigint,
				jsonb_build_object('first_bid_at', f.first, 'amendments', count(*), 'first_amendment_at', min(a.created_at)), @now
			FROM tenders t JOIN (SELECT tender_id, min(received_at) AS first FROM bids GROUP BY tender_id) f ON f.tender_id = t.id
			JOIN tender_amendments a ON a.tender_id = t.id AND a.created_at > f.first
			WHERE t.opened_at IS NOT NULL
			GROUP BY t.id, t.subdistrict_id, f.first`,
		ContractAmendedOver: `SELECT @run, 'contract_amended_over_10', c.subdistrict_id, c.tender_id, c.id, c.organization_id,
				jsonb_build_object('signed_fen', c.signed_amount_fen, 'amount_fen', c.amount_fen,
					'rise_percent', ceil(10000.0 * (c.amount_fen - c.signed_amount_fen) / c.signed_amount_fen) / 100,
					'threshold_percent', CAST(@amend AS int),
					'amendments', (SELECT count(*) FROM contract_amendments a WHERE a.contract_id = c.id AND a.status = 'accepted')), @now
			FROM contracts c
			WHERE c.signed_amount_fen IS NOT NULL AND c.amount_fen * 100 > c.signed_amount_fen * (100 + CAST(@amend AS int))`,
		OverdueComplaints: `SELECT @run, 'overdue_complaints', subdistrict_id, NULL::bigint, NULL::bigint, NULL::bigint,
				jsonb_build_object('complaints', count(*), 'first_response_overdue', count(*) FILTER (WHERE ` + first + `),
					'decision_overdue', count(*) FILTER (WHERE ` + decision + `)), @now
			FROM complaints WHERE ` + first + ` OR ` + decision + `
			GROUP BY subdistrict_id`,
		// A withheld round stays withheld after a re-evaluation pays the
		// rest: the flag is the record that it was.
		WithheldPayments: `SELECT @run, 'withheld_payments', c.subdistrict_id, c.tender_id, c.id, c.organization_id,
				jsonb_build_object('withheld_rounds', count(*) FILTER (WHERE p.state = 'withheld'),
					'reduced_rounds', count(*) FILTER (WHERE p.state <> 'withheld'),
					'milestone_fen', sum(p.milestone_fen - p.earlier_fen), 'payable_fen', sum(p.payable_fen),
					'lowest_score', min(p.score_tenths) / 10.0), @now
			FROM milestone_payments p JOIN contracts c ON c.id = p.contract_id
			WHERE p.state = 'withheld' OR (p.state <> 'superseded' AND p.factor < 1)
			GROUP BY c.id`,
	}
}
