package evaluation

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/civil"
)

// This file lists what the pages need beyond one contract's evaluations:
// the evaluations a reader has across contracts (an evaluator's assigned
// ones, an organization's), and the accounts an officer may assign.

// Item is an evaluation in a list across contracts: its summary, its
// contract's title and provider, and its rectification order (nil when
// there is none).
type Item struct {
	Summary
	ContractTitle    string         `json:"contract_title"`
	OrganizationID   int64          `json:"organization_id"`
	OrganizationName string         `json:"organization_name"`
	Rectification    *Rectification `json:"rectification"`
}

// WorkFilter narrows Worklist: one state of States ("" for all) and a page
// of at most MaxWorklist items from Offset.
type WorkFilter struct {
	Status string
	Offset int
	Limit  int
}

// MaxWorklist is the most items one Worklist call returns.
const MaxWorklist = 200

// openFirst orders the open evaluations first, the earliest due first.
const openFirst = "CASE WHEN evaluations.status IN ('" + StatusScheduled + "', '" + StatusInProgress + "', '" + StatusRecused +
	"') THEN evaluations.due_on END NULLS LAST"

// Worklist returns the evaluations by reads across contracts, scoped as
// List scopes them (an evaluator's assigned ones, an organization's staff
// those of its contracts, officers their subdistrict's, admins their
// district's or all), with the number that match f: the open ones first
// (scheduled, in progress or recused, the earliest due first), then the
// others, the latest first. A role outside Readers gets
// apperr.ErrForbidden; an unknown state or a page out of range is an
// apperr Invalid error naming the field.
func (s *Service) Worklist(ctx context.Context, by access.Actor, f WorkFilter) ([]Item, int64, error) {
	if !by.Is(Readers...) {
		return nil, 0, apperr.ErrForbidden
	}
	var bad apperr.Fields
	bad.Check(f.Status == "" || slices.Contains(States, f.Status), "status", "must be one of "+strings.Join(States, ", "))
	bad.Check(f.Offset >= 0, "offset", "must be zero or more")
	bad.Check(f.Limit >= 1 && f.Limit <= MaxWorklist, "limit", fmt.Sprintf("must be 1 to %d", MaxWorklist))
	if err := bad.Err(); err != nil {
		return nil, 0, err
	}
	db := s.db.WithContext(ctx)
	q := evaluationScope(db.Table("evaluations").Joins("JOIN contracts ON contracts.id = evaluations.contract_id"), by)
	if f.Status != "" {
		q = q.Where("evaluations.status = ?", f.Status)
	}
	q = q.Session(&gorm.Session{})
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("count evaluations: %w", err)
	}
	var list []Evaluation
	if err := q.Select(columns).Order(openFirst).Order("evaluations.id DESC").Offset(f.Offset).Limit(f.Limit).Scan(&list).Error; err != nil {
		return nil, 0, fmt.Errorf("list evaluations: %w", err)
	}
	sums, err := s.summaries(db, by, list)
	if err != nil {
		return nil, 0, err
	}
	out := make([]Item, len(sums))
	if len(sums) == 0 {
		return out, total, nil
	}
	ids, contracts := make([]int64, len(list)), make([]int64, len(list))
	for i, e := range list {
		ids[i], contracts[i] = e.ID, e.ContractID
	}
	var parties []struct {
		ID               int64
		Title            string
		OrganizationID   int64
		OrganizationName string
	}
	if err := db.Raw(`SELECT c.id, c.title, c.organization_id, o.legal_name AS organization_name
		FROM contracts c JOIN organizations o ON o.id = c.organization_id WHERE c.id IN ?`, contracts).Scan(&parties).Error; err != nil {
		return nil, 0, fmt.Errorf("read the contracts of evaluations: %w", err)
	}
	var orders []rectificationRow
	if err := db.Where("evaluation_id IN ?", ids).Find(&orders).Error; err != nil {
		return nil, 0, fmt.Errorf("read rectification orders: %w", err)
	}
	today := civil.ChinaDate(s.clock.Now())
	for i, sm := range sums {
		it := Item{Summary: sm}
		for _, p := range parties {
			if p.ID == sm.ContractID {
				it.ContractTitle, it.OrganizationID, it.OrganizationName = p.Title, p.OrganizationID, p.OrganizationName
			}
		}
		for _, r := range orders {
			if r.EvaluationID == sm.ID {
				it.Rectification = r.view(today)
			}
		}
		out[i] = it
	}
	return out, total, nil
}

// Candidate is an account the officer may assign to evaluate a contract:
// a district evaluator (no agency) or an evaluator of a third-party
// evaluation agency.
type Candidate struct {
	ID         int64   `json:"id"`
	Username   string  `json:"username"`
	Name       string  `json:"name"`
	AgencyID   *int64  `json:"agency_id"`
	AgencyName *string `json:"agency_name"`
}

// Eligible lists the accounts that may evaluate contract contractID now,
// each passing the check Schedule and Update make of an assigned evaluator:
// the active evaluators of the contract's district, then those of the
// third-party evaluation agencies certified there that are neither the
// provider nor connected to it, by agency and name. Only the procurement
// officer of the contract's subdistrict lists them (other roles get
// apperr.ErrForbidden, another subdistrict's contract apperr.ErrNotFound).
func (s *Service) Eligible(ctx context.Context, by access.Actor, contractID int64) ([]Candidate, error) {
	if by.Role != access.ProcurementOfficer {
		return nil, apperr.ErrForbidden
	}
	db := s.db.WithContext(ctx)
	c, err := readContract(db, by, contractID, false)
	if err != nil {
		return nil, err
	}
	var accounts []Candidate
	if err := db.Raw(`SELECT u.id, u.username, coalesce(nullif(u.display_name, ''), u.username) AS name,
		u.organization_id AS agency_id, o.legal_name AS agency_name
		FROM users u LEFT JOIN organizations o ON o.id = u.organization_id
		WHERE u.role = ? AND u.status = 'active' AND (u.district_id = ? OR u.organization_id IS NOT NULL)
		ORDER BY u.organization_id IS NOT NULL, o.legal_name, name, u.id`, access.Evaluator, c.DistrictID).Scan(&accounts).Error; err != nil {
		return nil, fmt.Errorf("list evaluators for contract %d: %w", c.ID, err)
	}
	now := s.clock.Now()
	out := []Candidate{}
	for _, a := range accounts {
		if _, err := checkEvaluator(db, c, a.ID, now); err != nil {
			var why ineligible
			if errors.As(err, &why) {
				continue
			}
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}
