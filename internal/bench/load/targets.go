package load

import (
	"context"

	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/bench/dataset"
)

// LoadTargets reads the scenarios' targets from a database `jiedao bench
// seed` generated (dataset.LoadTargets); ratingKey (the server's
// JIEDAO_RATING_KEY) gives the rating codes.
func LoadTargets(ctx context.Context, db *gorm.DB, ratingKey []byte) (Targets, error) {
	d, err := dataset.LoadTargets(ctx, db)
	if err != nil {
		return Targets{}, err
	}
	return fromDataset(d, ratingKey), nil
}

// fromDataset is what the scenarios need of the dataset's targets.
func fromDataset(d dataset.Targets, ratingKey []byte) Targets {
	t := Targets{Password: dataset.Password, SurgeTenders: d.SurgeTenders, SurgeBidders: d.SurgeOrgs,
		OpeningTender: d.OpeningTender, OpeningBids: d.OpeningBids, PublicTenders: d.PublicTenders,
		Providers: d.Providers, SearchTerms: d.SearchTerms, CatalogPages: d.CatalogPages}
	for _, im := range d.Imports {
		t.Imports = append(t.Imports, Import{ContractID: im.ContractID, Username: im.OrgUsername})
	}
	for _, r := range d.Ratings {
		t.RatingCodes = append(t.RatingCodes, r.Code(ratingKey))
	}
	for _, a := range d.Approvals {
		t.Approvals = append(t.Approvals, Approval{MilestoneID: a.MilestoneID, Username: a.Finance})
	}
	return t
}
