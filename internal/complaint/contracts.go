package complaint

import (
	"context"
	"fmt"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/civil"
)

// linkable joins the contracts a complaint may be linked to: signed (or
// later, ended ones included: a complaint may come after the service), of
// the organization complained about, in the complaint's subdistrict, serving
// the complaint's community. It reads the tables complaints and contracts.
const linkable = `contracts.subdistrict_id = complaints.subdistrict_id AND contracts.organization_id = complaints.organization_id
	AND contracts.status IN ('signed', 'active', 'completed', 'terminated')
	AND EXISTS (SELECT 1 FROM contract_communities cc WHERE cc.contract_id = contracts.id AND cc.community_id = complaints.community_id)`

// ContractOption is a contract a complaint may be assigned to.
type ContractOption struct {
	ID           int64      `json:"id"`
	Title        string     `json:"title"`
	Status       string     `json:"status"`
	ServiceStart civil.Date `json:"service_start"`
	ServiceEnd   civil.Date `json:"service_end"`
}

// Contracts returns, for each of the complaints ids that by reads (visible),
// the contracts Assign accepts for it, active ones first, then the newest:
// what a triage form offers, and the title of the contract a complaint is
// linked to. Complaints by does not read are left out. Only the
// procurement officers and district admins among Readers may (others
// apperr.ErrForbidden).
func (s *Service) Contracts(ctx context.Context, by access.Actor, ids []int64) (map[int64][]ContractOption, error) {
	if !by.Is(access.ProcurementOfficer, access.DistrictAdmin) {
		return nil, apperr.ErrForbidden
	}
	out := map[int64][]ContractOption{}
	if len(ids) == 0 {
		return out, nil
	}
	var rows []struct {
		ComplaintID int64
		ContractOption
	}
	err := visible(s.db.WithContext(ctx).Table("complaints"), by).Joins("JOIN contracts ON "+linkable).
		Select(`complaints.id AS complaint_id, contracts.id, contracts.title, contracts.status, contracts.service_start, contracts.service_end`).
		Where("complaints.id IN ?", ids).
		Order("complaints.id, contracts.status = 'active' DESC, contracts.id DESC").Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("list the contracts of complaints: %w", err)
	}
	for _, r := range rows {
		out[r.ComplaintID] = append(out[r.ComplaintID], r.ContractOption)
	}
	return out, nil
}
