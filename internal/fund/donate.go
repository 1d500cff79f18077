package fund

import (
	"context"
	"errors"

	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/apperr"
)

// DonationFunds returns the fund accounts that accept donations, for the
// public donation page: the newest fiscal year first, then by subdistrict and
// name.
func (s *Service) DonationFunds(ctx context.Context) ([]Account, error) {
	list := []Account{}
	err := s.db.WithContext(ctx).Where("accepts_donations").Order("fiscal_year DESC, subdistrict_id, name, id").Find(&list).Error
	return list, err
}

// DonatedFund returns the fund account a donation went to, for its public
// receipt, whether or not the account still accepts donations; an unknown id
// is apperr.ErrNotFound. Callers pass the fund of a donation, never an id a
// visitor typed: fund accounts are otherwise seen only by their staff.
func (s *Service) DonatedFund(ctx context.Context, id int64) (Account, error) {
	var a Account
	if err := s.db.WithContext(ctx).Take(&a, id).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return a, apperr.ErrNotFound
		}
		return a, err
	}
	return a, nil
}
