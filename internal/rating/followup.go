package rating

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/audit"
	"github.com/jiedao-market/jiedao/internal/civil"
)

// MaxSample is the largest follow-up sample one draw takes.
const MaxSample = 200

// FollowUp is a service record drawn for a follow-up call (回访), as the
// officer who calls sees it: whom to call about which service. Only the
// contract's subdistrict officers see follow-ups.
type FollowUp struct {
	ID             int64      `json:"id"`
	ContractID     int64      `json:"contract_id"`
	RecordID       int64      `json:"record_id"`
	CommunityID    int64      `json:"community_id"`
	ServiceDate    civil.Date `json:"service_date"`
	ServiceType    string     `json:"service_type"`
	BeneficiaryRef string     `json:"beneficiary_ref"`
	DrawnAt        time.Time  `json:"drawn_at"`
	RatingID       *int64     `json:"rating_id"`
}

// followUp is a row of follow_ups.
type followUp struct {
	ID         int64
	ContractID int64
	RecordID   int64
	DrawnBy    *int64
	DrawnAt    time.Time
	RatingID   *int64
}

func (followUp) TableName() string { return "follow_ups" }

// officerContract locks the contract for its subdistrict's procurement
// officer; another subdistrict's contract is apperr.ErrNotFound, another
// role apperr.ErrForbidden.
func officerContract(tx *gorm.DB, by access.Actor, id int64) (contractRow, error) {
	if !by.Is(access.ProcurementOfficer) {
		return contractRow{}, apperr.ErrForbidden
	}
	var c contractRow
	err := tx.Table("contracts").Select("id, subdistrict_id, organization_id, title").Clauses(clause.Locking{Strength: "NO KEY UPDATE"}).
		Where("id = ? AND subdistrict_id = ?", id, by.Scope.SubdistrictID).Take(&c).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return contractRow{}, apperr.ErrNotFound
	}
	if err != nil {
		return contractRow{}, fmt.Errorf("lock contract %d: %w", id, err)
	}
	return c, nil
}

// DrawFollowUps draws a random sample of size (1 to MaxSample) of the
// contract's service records not sampled before, stores it and returns it,
// for the contract's subdistrict procurement officer to call. It returns
// ErrNothingToDraw when every record is already sampled, apperr.ErrNotFound
// for another subdistrict's contract and apperr.ErrForbidden for other roles.
func (s *Service) DrawFollowUps(ctx context.Context, by access.Actor, contractID int64, size int) ([]FollowUp, error) {
	if !by.Is(access.ProcurementOfficer) {
		return nil, apperr.ErrForbidden
	}
	if size < 1 || size > MaxSample {
		return nil, apperr.InvalidField("size", "must be between 1 and 200")
	}
	var ids []int64
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		c, err := officerContract(tx, by, contractID) // serializes draws of one contract
		if err != nil {
			return err
		}
		var records []int64
		if err := tx.Raw(`SELECT id FROM service_records r WHERE contract_id = ?
			AND NOT EXISTS (SELECT 1 FROM follow_ups f WHERE f.record_id = r.id) ORDER BY random() LIMIT ?`, c.ID, size).
			Scan(&records).Error; err != nil {
			return fmt.Errorf("draw follow-ups of contract %d: %w", c.ID, err)
		}
		if len(records) == 0 {
			return ErrNothingToDraw
		}
		now := s.clock.Now()
		rows := make([]followUp, len(records))
		for i, id := range records {
			rows[i] = followUp{ContractID: c.ID, RecordID: id, DrawnBy: by.UserRef(), DrawnAt: now}
		}
		if err := tx.Create(&rows).Error; err != nil {
			return fmt.Errorf("store follow-ups of contract %d: %w", c.ID, err)
		}
		for _, r := range rows {
			ids = append(ids, r.ID)
		}
		return audit.Record(tx, by, "follow_up.draw", "contract", c.ID, map[string]any{"size": size, "drawn": len(rows)})
	})
	if err != nil {
		return nil, err
	}
	return s.followUps(s.db.WithContext(ctx), "f.id IN ?", ids)
}

// FollowUps lists the contract's follow-up sample to its subdistrict's
// procurement officer; errors as DrawFollowUps.
func (s *Service) FollowUps(ctx context.Context, by access.Actor, contractID int64) ([]FollowUp, error) {
	db := s.db.WithContext(ctx)
	if _, err := officerContract(db, by, contractID); err != nil {
		return nil, err
	}
	return s.followUps(db, "f.contract_id = ?", contractID)
}

func (s *Service) followUps(db *gorm.DB, where string, arg any) ([]FollowUp, error) {
	out := []FollowUp{}
	err := db.Raw(`SELECT f.id, f.contract_id, f.record_id, r.community_id, r.service_date, r.service_type, r.beneficiary_ref,
		f.drawn_at, f.rating_id FROM follow_ups f JOIN service_records r ON r.id = f.record_id WHERE `+where+` ORDER BY f.id`, arg).
		Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("list follow-ups: %w", err)
	}
	return out, nil
}

// RecordFollowUp records the resident's answers on a follow-up call as a
// rating of kind follow_up, without a code, by the procurement officer of the
// contract's subdistrict. It returns ErrFollowUpDone when the call is
// already recorded, apperr.ErrNotFound for another subdistrict's follow-up,
// apperr.ErrForbidden for other roles, and an apperr Invalid error for bad
// stars or comment.
func (s *Service) RecordFollowUp(ctx context.Context, by access.Actor, followUpID int64, st Stars) (View, error) {
	return s.recordFollowUp(ctx, by, 0, followUpID, st)
}

// RecordFollowUpOnContract is RecordFollowUp of a follow-up of the given
// contract, as the contract's ratings page offers it: a follow-up of
// another contract is apperr.ErrNotFound too.
func (s *Service) RecordFollowUpOnContract(ctx context.Context, by access.Actor, contractID, followUpID int64, st Stars) (View, error) {
	if contractID == 0 {
		return View{}, apperr.ErrNotFound
	}
	return s.recordFollowUp(ctx, by, contractID, followUpID, st)
}

// recordFollowUp records the follow-up's rating; contractID, unless 0, is
// the contract the follow-up must belong to.
func (s *Service) recordFollowUp(ctx context.Context, by access.Actor, contractID, followUpID int64, st Stars) (View, error) {
	if !by.Is(access.ProcurementOfficer) {
		return View{}, apperr.ErrForbidden
	}
	if err := st.check(); err != nil {
		return View{}, err
	}
	var r Rating
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var f followUp
		q := tx.Clauses(clause.Locking{Strength: "NO KEY UPDATE", Table: clause.Table{Name: "follow_ups"}}).
			Joins("JOIN contracts c ON c.id = follow_ups.contract_id").
			Where("follow_ups.id = ? AND c.subdistrict_id = ?", followUpID, by.Scope.SubdistrictID)
		if contractID != 0 {
			q = q.Where("follow_ups.contract_id = ?", contractID)
		}
		err := q.Take(&f).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return apperr.ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("lock follow-up %d: %w", followUpID, err)
		}
		if f.RatingID != nil {
			return ErrFollowUpDone
		}
		var rec serviceRecord
		if err := tx.Where("id = ?", f.RecordID).Take(&rec).Error; err != nil {
			return fmt.Errorf("read service record %d: %w", f.RecordID, err)
		}
		r = newRating(KindFollowUp, rec, st, s.clock.Now())
		if err := tx.Create(&r).Error; err != nil {
			return fmt.Errorf("insert follow-up rating: %w", err)
		}
		if err := tx.Model(&f).Update("rating_id", r.ID).Error; err != nil {
			return fmt.Errorf("link follow-up %d: %w", f.ID, err)
		}
		return s.account(tx, by, r, "rating.follow_up")
	})
	if err != nil {
		return View{}, err
	}
	return r.View(), nil
}
