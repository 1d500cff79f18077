package delivery

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/apperr"
)

// Revision is one correction of a record: the values it replaced, why, by
// whom and when.
type Revision struct {
	Revision  int       `json:"revision"` // the record's revision the correction replaced
	Previous  Previous  `json:"previous"`
	Reason    string    `json:"reason"`
	RevisedBy *int64    `json:"revised_by"`
	RevisedAt time.Time `json:"revised_at"`
}

// Previous is what a revision kept of the record it replaced.
type Previous struct {
	ServiceDate     string  `json:"service_date"`
	CommunityID     int64   `json:"community_id"`
	ServiceType     string  `json:"service_type"`
	DurationMinutes int     `json:"duration_minutes"`
	StaffUserID     *int64  `json:"staff_user_id"`
	StaffName       *string `json:"staff_name"`
	BeneficiaryRef  string  `json:"beneficiary_ref"`
	Notes           string  `json:"notes"`
}

// Detail is a record with its corrections, oldest first.
type Detail struct {
	View
	Revisions []Revision `json:"revisions"`
}

// Get returns a record and its corrections, for its organization's staff
// (with the rating code) and its contract's subdistrict officers (without).
// Other roles get apperr.ErrForbidden; a record of a contract outside the
// caller's scope is apperr.ErrNotFound. The previous beneficiary references
// are kept only for those who see the current one.
func (s *Service) Get(ctx context.Context, by access.Actor, recordID int64) (Detail, error) {
	if !by.Is(Readers...) {
		return Detail{}, apperr.ErrForbidden
	}
	db := s.db.WithContext(ctx)
	var r Record
	err := db.Where("id = ?", recordID).Take(&r).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return Detail{}, apperr.ErrNotFound
	}
	if err != nil {
		return Detail{}, fmt.Errorf("read service record %d: %w", recordID, err)
	}
	if _, err := readContract(db, by, r.ContractID, false); err != nil {
		return Detail{}, err
	}
	d := Detail{View: s.view(by, r), Revisions: []Revision{}}
	var rows []struct {
		Revision  int
		Previous  []byte
		Reason    string
		RevisedBy *int64
		RevisedAt time.Time
	}
	if err := db.Table("service_record_revisions").Select("revision, previous, reason, revised_by, revised_at").
		Where("record_id = ?", r.ID).Order("revision").Scan(&rows).Error; err != nil {
		return Detail{}, fmt.Errorf("read service record %d revisions: %w", r.ID, err)
	}
	for _, row := range rows {
		rev := Revision{Revision: row.Revision, Reason: row.Reason, RevisedBy: row.RevisedBy, RevisedAt: row.RevisedAt}
		if err := json.Unmarshal(row.Previous, &rev.Previous); err != nil {
			return Detail{}, fmt.Errorf("service record %d revision %d: %w", r.ID, row.Revision, err)
		}
		if d.BeneficiaryRef == nil {
			rev.Previous.BeneficiaryRef = ""
		}
		d.Revisions = append(d.Revisions, rev)
	}
	return d, nil
}
