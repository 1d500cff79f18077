package dataset

import (
	"context"
	"fmt"
	"math"
	"time"

	"gorm.io/gorm"
)

// Targets are what the load scenarios of `jiedao bench run` act on, found in
// a database Generate filled. Every account's password is Password.
type Targets struct {
	// Scale is the dataset's scale, read from its organization count.
	Scale float64 `json:"scale"`
	// SurgeTenders are published open tenders closing at least two hours
	// from now (50 at scale 1), on each of which every organization of
	// SurgeOrgs may bid: volunteer service, minimum grade 1, no minimum of
	// social workers, every organization certified for it.
	SurgeTenders []int64 `json:"surge_tenders"`
	// SurgeOrgs are the usernames of the organizations' admins (2,000 at
	// scale 1), each of whom may bid (submit or replace) on every surge tender.
	SurgeOrgs []string `json:"surge_orgs"`
	// OpeningTender is a closed tender awaiting its opening, with
	// OpeningBids sealed active bids (500 at scale 1, at least 5), which the
	// opening job opens once its opens_at (OpensAt, weeks ahead) has come:
	// move opens_at to now and run the tender clock (tender.Service.Advance).
	OpeningTender int64     `json:"opening_tender"`
	OpeningBids   int       `json:"opening_bids"`
	OpensAt       time.Time `json:"opens_at"`
	// Imports are active contracts, with their provider's admin username,
	// the contract's community ids and the metric codes a service record
	// may have as its service type, for the service-record CSV import.
	Imports []ImportTarget `json:"imports"`
	// Ratings are service records whose rating code is neither used nor
	// expiring within a day, with the resident served (thousands at scale
	// 1): RatingTarget.Code gives the code to rate with.
	Ratings []RatingTarget `json:"ratings"`
	// Approvals are milestones whose payment the procurement officer
	// accepted, with its invoice, awaiting the finance officer's approval
	// (milestone.Service.Approve), with that officer's username.
	Approvals []ApprovalTarget `json:"approvals"`
	// PublicTenders are ids of published tenders of every state after draft
	// (up to 1,000), for the public tender detail.
	PublicTenders []int64 `json:"public_tenders"`
	// Providers are ids of organizations with residents' ratings, most
	// rated first (up to 500), for the public provider profile.
	Providers []int64 `json:"providers"`
	// Subdistricts and Categories are the catalog page's filters
	// (/catalog?subdistrict=&category=&page=); CatalogPages is the number
	// of pages of the unfiltered catalog at its page size of 20.
	Subdistricts []int64  `json:"subdistricts"`
	Categories   []string `json:"categories"`
	CatalogPages int      `json:"catalog_pages"`
	// SearchTerms are Chinese substrings that published transfer items
	// hold in their title or description, for the public search.
	SearchTerms []string `json:"search_terms"`
}

// ImportTarget is an active contract to import service records into: a
// record's date lies in the service period (ServiceStart to ServiceEnd,
// YYYY-MM-DD) and not after today, its community is one of Communities (by
// id), its service type one of ServiceTypes (metric codes).
type ImportTarget struct {
	ContractID   int64    `json:"contract_id"`
	OrgUsername  string   `json:"org_username"`
	ServiceStart string   `json:"service_start"`
	ServiceEnd   string   `json:"service_end"`
	Communities  []int64  `json:"communities" gorm:"serializer:json"`
	ServiceTypes []string `json:"service_types" gorm:"serializer:json"`
}

// RatingTarget is a service record a resident may rate.
type RatingTarget struct {
	Resident string `json:"resident"`
	RecordID int64  `json:"record_id"`
	Nonce    int    `json:"nonce"`
}

// Code is the record's rating code under the server's rating-code key.
func (r RatingTarget) Code(key []byte) string { return RatingCode(key, r.RecordID, r.Nonce) }

// ApprovalTarget is a milestone awaiting the finance officer's approval.
type ApprovalTarget struct {
	MilestoneID int64  `json:"milestone_id"`
	Finance     string `json:"finance"`
}

// ErrNoDataset is returned by LoadTargets for a database without the dataset.
var ErrNoDataset = fmt.Errorf("dataset: no bench dataset in the database (jiedao bench seed writes one)")

// LoadTargets finds the Targets in a database Generate filled, by query. It
// returns ErrNoDataset when it holds none.
func LoadTargets(ctx context.Context, db *gorm.DB) (Targets, error) {
	db = db.WithContext(ctx)
	var t Targets
	var district int64
	if err := db.Raw(`SELECT id FROM districts WHERE code = ?`, districtCode).Scan(&district).Error; err != nil {
		return t, err
	}
	if district == 0 {
		return t, ErrNoDataset
	}
	var orgs int64
	if err := db.Raw(`SELECT count(*) FROM users WHERE username LIKE 'bench-org-%'`).Scan(&orgs).Error; err != nil {
		return t, err
	}
	t.Scale = float64(orgs) / 2000
	surge := max(2, int(math.Round(surgeAtOne*t.Scale)))
	steps := []struct {
		what string
		q    string
		args []any
		dest any
	}{
		{"surge tenders", `SELECT t.id FROM tenders t JOIN subdistricts s ON s.id = t.subdistrict_id
			WHERE s.district_id = ? AND t.status = 'published' AND t.closes_at >= now() + interval '2 hours' AND t.category_code = ?
			  AND t.purchase_method = 'open_tender' AND t.min_grade = 1 AND t.min_social_workers = 0 ORDER BY t.id LIMIT ?`,
			[]any{district, commonCategory, surge}, &t.SurgeTenders},
		{"surge organizations", `SELECT u.username FROM users u JOIN organizations o ON o.id = u.organization_id
			WHERE u.username LIKE 'bench-org-%' AND u.role = 'org_admin' AND u.status = 'active' AND o.status = 'active'
			  AND EXISTS (SELECT 1 FROM certifications c JOIN certification_categories cc ON cc.certification_id = c.id
			              WHERE c.organization_id = o.id AND c.district_id = ? AND cc.category_code = ? AND c.status = 'approved'
			                AND c.valid_from <= current_date AND c.valid_until > current_date)
			ORDER BY u.username`, []any{district, commonCategory}, &t.SurgeOrgs},
		{"imports", `SELECT c.id AS contract_id, u.username AS org_username, c.service_start::text AS service_start,
			       c.service_end::text AS service_end,
			       (SELECT json_agg(cc.community_id ORDER BY cc.community_id) FROM contract_communities cc WHERE cc.contract_id = c.id) AS communities,
			       (SELECT json_agg(m.code ORDER BY m.code) FROM contract_metrics m WHERE m.contract_id = c.id AND m.source = 'service_records') AS service_types
			FROM contracts c JOIN users u ON u.organization_id = c.organization_id AND u.role = 'org_admin' AND u.username LIKE 'bench-org-%'
			WHERE c.district_id = ? AND c.status = 'active' ORDER BY c.id`, []any{district}, &t.Imports},
		{"ratings", `SELECT r.beneficiary_ref AS resident, r.id AS record_id, r.rating_code_nonce AS nonce FROM service_records r
			WHERE r.district_id = ? AND r.rating_used_at IS NULL AND r.rating_expires_at > now() + interval '1 day'
			  AND r.beneficiary_ref LIKE 'bench-resident-%' ORDER BY r.id LIMIT 50000`, []any{district}, &t.Ratings},
		{"approvals", `SELECT m.id AS milestone_id, u.username AS finance FROM milestone_payments p
			JOIN contract_milestones m ON m.id = p.milestone_id JOIN contracts c ON c.id = p.contract_id
			JOIN LATERAL (SELECT username FROM users WHERE subdistrict_id = c.subdistrict_id AND role = 'finance_officer'
			              AND username LIKE 'bench-%' AND id IS DISTINCT FROM p.accepted_by ORDER BY id LIMIT 1) u ON true
			WHERE c.district_id = ? AND p.state = 'accepted' AND c.status IN ('signed', 'active') ORDER BY m.id`, []any{district}, &t.Approvals},
		{"public tenders", `SELECT id FROM tenders WHERE district_id = ? AND published_at IS NOT NULL ORDER BY id LIMIT 1000`,
			[]any{district}, &t.PublicTenders},
		{"providers", `SELECT a.scope_id FROM rating_aggregates a JOIN organizations o ON o.id = a.scope_id
			WHERE a.scope = 'organization' AND a.kind = 'code' AND a.n > 0 AND o.district_id = ? ORDER BY a.n DESC, a.scope_id LIMIT 500`,
			[]any{district}, &t.Providers},
		{"subdistricts", `SELECT id FROM subdistricts WHERE district_id = ? ORDER BY id`, []any{district}, &t.Subdistricts},
		{"categories", `SELECT code FROM service_categories WHERE kind = 'service' ORDER BY sort`, nil, &t.Categories},
		{"catalog pages", `SELECT (count(*) + 19) / 20 FROM transfer_item_versions WHERE status = 'published'`, nil, &t.CatalogPages},
	}
	for _, s := range steps {
		if err := db.Raw(s.q, s.args...).Scan(s.dest).Error; err != nil {
			return t, fmt.Errorf("dataset targets: %s: %w", s.what, err)
		}
	}
	if err := db.Raw(`SELECT t.id, count(b.id) FROM tenders t JOIN bids b ON b.tender_id = t.id AND b.status = 'active'
		WHERE t.district_id = ? AND t.status = 'closed' AND t.opens_at > now() GROUP BY t.id ORDER BY count(b.id) DESC, t.id LIMIT 1`,
		district).Row().Scan(&t.OpeningTender, &t.OpeningBids); err != nil {
		return t, fmt.Errorf("dataset targets: opening tender: %w", err)
	}
	if err := db.Raw(`SELECT opens_at FROM tenders WHERE id = ?`, t.OpeningTender).Row().Scan(&t.OpensAt); err != nil {
		return t, fmt.Errorf("dataset targets: opening tender: %w", err)
	}
	for _, term := range SearchTerms {
		var ok bool
		if err := db.Raw(`SELECT EXISTS (SELECT 1 FROM transfer_item_versions WHERE status = 'published'
			AND (title || ' ' || description || ' ' || target_population) LIKE ?)`, "%"+term+"%").Row().Scan(&ok); err != nil {
			return t, fmt.Errorf("dataset targets: search terms: %w", err)
		}
		if ok {
			t.SearchTerms = append(t.SearchTerms, term)
		}
	}
	return t, nil
}
