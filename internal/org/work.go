package org

import (
	"context"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/civil"
	"github.com/jiedao-market/jiedao/internal/work"
)

// ExpiringDays is how long before its end an approved certification shows on
// the district admin's worklist.
const ExpiringDays = 60

// WorkDistrict returns the district admin's certification queue (pending
// applications of its district) and its approved certifications that end
// within ExpiringDays days, due when they end; one query each.
func (s *Service) WorkDistrict(ctx context.Context, by access.Actor) ([]work.Item, error) {
	db := s.db.WithContext(ctx)
	queue, err := work.Query(db, `SELECT 'certification.review' AS kind, o.legal_name AS subject, NULL::timestamptz AS due,
		'/district/certifications#certification-' || c.id AS link, 'certification' AS record_type, c.id AS record_id
		FROM certifications c JOIN organizations o ON o.id = c.organization_id
		WHERE c.district_id = ? AND c.status = 'pending'`, by.Scope.DistrictID)
	if err != nil {
		return nil, err
	}
	today := civil.ChinaDate(s.clock.Now())
	expiring, err := work.Query(db, `SELECT 'certification.expire' AS kind, o.legal_name AS subject,
		(c.valid_until::timestamp AT TIME ZONE 'Asia/Shanghai') AS due,
		'/district/certifications#certification-' || c.id AS link, 'certification' AS record_type, c.id AS record_id
		FROM certifications c JOIN organizations o ON o.id = c.organization_id
		WHERE c.district_id = ? AND c.status = 'approved' AND c.valid_until > ?::date AND c.valid_until <= ?::date + ?::int`,
		by.Scope.DistrictID, today.String(), today.String(), ExpiringDays)
	return append(queue, expiring...), err
}
