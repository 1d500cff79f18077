package contract

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/audit"
	"github.com/jiedao-market/jiedao/internal/civil"
	"github.com/jiedao-market/jiedao/internal/fund"
	"github.com/jiedao-market/jiedao/internal/money"
	"github.com/jiedao-market/jiedao/internal/org"
)

// ErrIneligible is returned when the contract's organization may no longer
// undertake it (suspended, or without an active certification for the
// category): the officer may drop the contract and award the next-ranked bid.
func ErrIneligible(reasons []string) error {
	return apperr.New(apperr.Conflict, "contract.organization_ineligible",
		"the organization may no longer undertake this contract: "+strings.Join(reasons, "; "))
}

// eligibility re-checks that c's organization may undertake c at now as its
// tender asked, as the award did: not suspended, with an active certification
// for the category that meets the tender's minimum grade and certified social
// workers.
func eligibility(tx *gorm.DB, c Contract, now time.Time) (org.Eligibility, error) {
	var t struct {
		DistrictID       int64
		MinGrade         int
		MinSocialWorkers int
	}
	if err := tx.Raw(`SELECT sd.district_id, t.min_grade, t.min_social_workers FROM tenders t JOIN subdistricts sd ON sd.id = t.subdistrict_id
		WHERE t.id = ?`, c.TenderID).Scan(&t).Error; err != nil {
		return org.Eligibility{}, fmt.Errorf("tender %d of contract %d: %w", c.TenderID, c.ID, err)
	}
	return org.EligibilityTx(tx, c.OrganizationID, t.DistrictID, c.CategoryCode, t.MinGrade, t.MinSocialWorkers, now)
}

// Sign signs a draft contract for by's side: its procurement officer or its
// organization's admin, in either order, within the signing period, while no
// challenge to the tender's award is open and the organization is still
// eligible. The officer signs only once every community's eligible
// population is entered. The second signature makes the contract signed, in
// one transaction with its audit entry: exactly its amount is encumbered out
// of the tender's reservation, version 1 is kept, the reservation's
// remainder returns once the tender's last winning contract is signed or
// dropped, and the OnSigned hooks run (the signing milestone becomes due). The service starts (active) by a job at the start date.
func (s *Service) Sign(ctx context.Context, by access.Actor, id int64) (View, error) {
	if !by.Is(access.ProcurementOfficer, access.OrgAdmin) {
		return View{}, apperr.ErrForbidden
	}
	now := s.clock.Now()
	var c Contract
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var err error
		if c, err = lockVisible(tx, by, id); err != nil {
			return err
		}
		if c.Status != StatusDraft {
			return ErrNotDraft
		}
		isOfficer := officer(by, c)
		if (isOfficer && c.OfficerSignedAt != nil) || (!isOfficer && c.OrgSignedAt != nil) {
			return ErrAlreadySigned
		}
		if !now.Before(c.SignBy) {
			return ErrSigningClosed
		}
		var open int64
		if err := tx.Table("challenges").Where("tender_id = ? AND status = 'open'", c.TenderID).Count(&open).Error; err != nil {
			return err
		}
		if open > 0 {
			return ErrChallengeOpen
		}
		e, err := eligibility(tx, c, now)
		if err != nil {
			return err
		}
		if !e.Eligible {
			return ErrIneligible(e.Reasons)
		}
		if isOfficer {
			terms, err := communities(tx, c.ID)
			if err != nil {
				return err
			}
			var missing []string
			for _, t := range terms {
				if t.EligiblePopulation == nil {
					missing = append(missing, t.Name)
				}
			}
			if len(missing) > 0 {
				return apperr.InvalidField("eligible_populations", "enter the eligible population of every community before signing: "+strings.Join(missing, ", "))
			}
		}
		fields := map[string]any{"updated_at": now}
		if isOfficer {
			fields["officer_signed_at"], fields["officer_signed_by"] = now, by.UserRef()
		} else {
			fields["org_signed_at"], fields["org_signed_by"] = now, by.UserRef()
		}
		second := (isOfficer && c.OrgSignedAt != nil) || (!isOfficer && c.OfficerSignedAt != nil)
		if !second {
			if err := tx.Model(&Contract{}).Where("id = ?", c.ID).Updates(fields).Error; err != nil {
				return fmt.Errorf("sign contract %d: %w", c.ID, err)
			}
			if err := audit.Record(tx, by, "contract.sign", "contract", c.ID, map[string]any{"side": side(isOfficer)}); err != nil {
				return err
			}
			if isOfficer {
				return notifyOrg(tx, c, KindSignRequested, now)
			}
			return notifyOfficers(tx, c, KindSignRequested, now)
		}
		if err := lockFund(tx, c.FundAccountID); err != nil {
			return err
		}
		fields["status"], fields["signed_at"], fields["signed_amount_fen"] = StatusSigned, now, c.AmountFen
		if err := oneRow(tx.Model(&Contract{}).Where("id = ? AND status = ?", c.ID, StatusDraft).Updates(fields), "sign contract", c.ID); err != nil {
			return err
		}
		c.Status, c.SignedAt = StatusSigned, &now
		if _, err := fund.Encumber(tx, by, c.FundAccountID, c.AmountFen, ref(c, "")); err != nil {
			return err
		}
		if err := snapshot(tx, c.ID, nil, now); err != nil {
			return err
		}
		if err := audit.Record(tx, by, "contract.signed", "contract", c.ID, map[string]any{"side": side(isOfficer), "amount_fen": c.AmountFen,
			"encumbered_fen": c.AmountFen}); err != nil {
			return err
		}
		if err := SettleReservation(tx, by, c.TenderID); err != nil {
			return err
		}
		for _, h := range s.onSigned {
			if err := h(tx, by, c, now); err != nil {
				return err
			}
		}
		return notifyBoth(tx, c, KindSigned, now)
	})
	if err != nil {
		return View{}, err
	}
	if c.Status == StatusSigned {
		s.schedule(ctx, c.ID, startOf(c.ServiceStart))
	}
	return s.Get(ctx, by, id)
}

func side(isOfficer bool) string {
	if isOfficer {
		return "subdistrict"
	}
	return "organization"
}

// startOf is the first moment of a service start date in China.
func startOf(d civil.Date) time.Time { return d.StartInChina() }

// SettleReservation returns what is left of an awarded tender's reservation
// once none of its winning contracts awaits signing: the ceiling less the
// signed contracts' amounts at signing. It does nothing while a contract is a
// draft or a replacement award is pending (the tender not awarded), and
// returns the remainder once only, under one idempotency key. Call it inside
// the transaction that signed or dropped a contract, with the fund locked.
func SettleReservation(tx *gorm.DB, by access.Actor, tenderID int64) error {
	var t struct {
		Status        string
		CeilingFen    money.Fen
		FundAccountID int64
	}
	if err := tx.Table("tenders").Select("status, ceiling_fen, fund_account_id").Where("id = ?", tenderID).Take(&t).Error; err != nil {
		return fmt.Errorf("tender %d: %w", tenderID, err)
	}
	if t.Status != "awarded" {
		return nil
	}
	var sums struct {
		Drafts int64
		Signed money.Fen
	}
	if err := tx.Raw(`SELECT count(*) FILTER (WHERE status = 'draft') AS drafts, COALESCE(SUM(signed_amount_fen), 0) AS signed
		FROM contracts WHERE tender_id = ?`, tenderID).Scan(&sums).Error; err != nil {
		return err
	}
	if sums.Drafts > 0 {
		return nil
	}
	rest := t.CeilingFen - sums.Signed
	if rest <= 0 {
		return nil
	}
	r := fund.Ref{Type: "tender", ID: strconv.FormatInt(tenderID, 10) + "/remainder"}
	if _, err := fund.Release(tx, by, t.FundAccountID, rest, r); err != nil {
		return err
	}
	return audit.Record(tx, by, "tender.reservation_settled", "tender", tenderID, map[string]any{"released_fen": rest, "signed_fen": sums.Signed})
}

// snapshot keeps the contract as it stands now as its current version.
func snapshot(tx *gorm.DB, id int64, amendmentID *int64, now time.Time) error {
	var c Contract
	if err := tx.Take(&c, id).Error; err != nil {
		return err
	}
	v, err := view(tx, c)
	if err != nil {
		return err
	}
	snap := map[string]any{"contract": c, "communities": v.Communities, "metrics": v.Metrics, "milestones": v.Milestones}
	row := map[string]any{"contract_id": id, "version": c.Version, "amendment_id": amendmentID, "snapshot": jsonValue(snap), "created_at": now}
	if err := tx.Table("contract_versions").Create(row).Error; err != nil {
		return fmt.Errorf("keep version %d of contract %d: %w", c.Version, id, err)
	}
	return nil
}

// Version returns one version of a contract, as it stood: the snapshot kept
// at signing (1) or at an accepted amendment.
func (s *Service) Version(ctx context.Context, by access.Actor, id int64, version int) (map[string]any, error) {
	if _, err := s.Get(ctx, by, id); err != nil {
		return nil, err
	}
	var raw []byte
	err := s.db.WithContext(ctx).Table("contract_versions").Select("snapshot").Where("contract_id = ? AND version = ?", id, version).
		Row().Scan(&raw)
	if err != nil {
		return nil, notFound(err)
	}
	out := map[string]any{}
	return out, decodeJSON(raw, &out)
}

// Activate starts the service of a signed contract whose start date has
// come (the job's step). It reports when the start is due if it is not yet.
func (s *Service) Activate(ctx context.Context, id int64) (*time.Time, error) {
	now := s.clock.Now()
	var due *time.Time
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var c Contract
		if err := tx.Clauses(lockUpdate).Take(&c, id).Error; err != nil {
			return notFound(err)
		}
		if c.Status != StatusSigned {
			return nil
		}
		start := startOf(c.ServiceStart)
		if now.Before(start) {
			due = &start
			return nil
		}
		if err := oneRow(tx.Model(&Contract{}).Where("id = ? AND status = ?", c.ID, StatusSigned).
			Updates(map[string]any{"status": StatusActive, "activated_at": now, "updated_at": now}), "activate contract", c.ID); err != nil {
			return err
		}
		if err := audit.Record(tx, access.SystemActor("contract-start", ""), "contract.activate", "contract", c.ID,
			map[string]any{"service_start": c.ServiceStart}); err != nil {
			return err
		}
		return notifyBoth(tx, c, KindActive, now)
	})
	return due, err
}

// Due returns the signed contracts whose service has started, with the start.
func (s *Service) Due(ctx context.Context) (map[int64]time.Time, error) {
	var rows []struct {
		ID           int64
		ServiceStart civil.Date
	}
	today := civil.ChinaDate(s.clock.Now())
	if err := s.db.WithContext(ctx).Table("contracts").Select("id, service_start").Where("status = ? AND service_start <= ?", StatusSigned, today).
		Scan(&rows).Error; err != nil {
		return nil, err
	}
	out := make(map[int64]time.Time, len(rows))
	for _, r := range rows {
		out[r.ID] = startOf(r.ServiceStart)
	}
	return out, nil
}
