package rating

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/big"
	"strconv"
	"time"

	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/notify"
	"github.com/jiedao-market/jiedao/internal/platform/replica"
)

// The scopes ratings are aggregated over. The platform's aggregate gives C,
// the platform-wide mean overall of the Bayesian average.
const (
	ScopePlatform     = "platform"
	ScopeOrganization = "organization"
	ScopeContract     = "contract"
	ScopeCommunity    = "community"
)

// Aggregate is a row of rating_aggregates: the sums of one scope's ratings
// of one kind.
type Aggregate struct {
	Scope              string
	ScopeID            int64
	Kind               string
	N                  int64
	SumTimeliness      int64
	SumProfessionalism int64
	SumAttitude        int64
	SumEffectiveness   int64
	SumOverall         int64
	Satisfied          int64 // ratings whose overall is 4 or more
}

// TableName is the table of Aggregate.
func (Aggregate) TableName() string { return "rating_aggregates" }

func (a Aggregate) plus(b Aggregate) Aggregate {
	a.N += b.N
	a.SumTimeliness += b.SumTimeliness
	a.SumProfessionalism += b.SumProfessionalism
	a.SumAttitude += b.SumAttitude
	a.SumEffectiveness += b.SumEffectiveness
	a.SumOverall += b.SumOverall
	a.Satisfied += b.Satisfied
	return a
}

// addToAggregates adds r to its community's, contract's, organization's and
// the platform's aggregates of its kind, in that fixed order (so that
// concurrent ratings lock the rows in one order), and reports whether r made
// its contract's gap between the kinds flagged.
func (s *Service) addToAggregates(tx *gorm.DB, r Rating) (bool, error) {
	satisfied := 0
	if r.Overall >= 4 {
		satisfied = 1
	}
	for _, sc := range []struct {
		scope string
		id    int64
	}{{ScopeCommunity, r.CommunityID}, {ScopeContract, r.ContractID}, {ScopeOrganization, r.OrganizationID}, {ScopePlatform, 0}} {
		err := tx.Exec(`INSERT INTO rating_aggregates (scope, scope_id, kind, n, sum_timeliness, sum_professionalism, sum_attitude,
			sum_effectiveness, sum_overall, satisfied) VALUES (?, ?, ?, 1, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (scope, scope_id, kind) DO UPDATE SET n = rating_aggregates.n + 1,
				sum_timeliness = rating_aggregates.sum_timeliness + EXCLUDED.sum_timeliness,
				sum_professionalism = rating_aggregates.sum_professionalism + EXCLUDED.sum_professionalism,
				sum_attitude = rating_aggregates.sum_attitude + EXCLUDED.sum_attitude,
				sum_effectiveness = rating_aggregates.sum_effectiveness + EXCLUDED.sum_effectiveness,
				sum_overall = rating_aggregates.sum_overall + EXCLUDED.sum_overall,
				satisfied = rating_aggregates.satisfied + EXCLUDED.satisfied`,
			sc.scope, sc.id, r.Kind, r.Timeliness, r.Professionalism, r.Attitude, r.Effectiveness, r.Overall, satisfied).Error
		if err != nil {
			return false, fmt.Errorf("add rating to the %s %d aggregate: %w", sc.scope, sc.id, err)
		}
	}
	after, err := readAggregates(tx, ScopeContract, r.ContractID)
	if err != nil {
		return false, err
	}
	before := maps.Clone(after)
	mine := before[r.Kind]
	mine.N--
	mine.SumOverall -= int64(r.Overall)
	before[r.Kind] = mine
	return s.gap(after).Flagged && !s.gap(before).Flagged, nil
}

// readAggregates returns a scope's aggregates by kind (zero for a kind
// without ratings).
func readAggregates(db *gorm.DB, scope string, id int64) (map[string]Aggregate, error) {
	var rows []Aggregate
	if err := db.Where("scope = ? AND scope_id = ?", scope, id).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("read the %s %d aggregates: %w", scope, id, err)
	}
	out := map[string]Aggregate{KindCode: {Kind: KindCode}, KindFollowUp: {Kind: KindFollowUp}}
	for _, a := range rows {
		out[a.Kind] = a
	}
	return out, nil
}

// Means are a summary's mean stars per dimension, two decimals.
type Means struct {
	Timeliness      string `json:"timeliness"`
	Professionalism string `json:"professionalism"`
	Attitude        string `json:"attitude"`
	Effectiveness   string `json:"effectiveness"`
	Overall         string `json:"overall"`
}

// Summary is what an aggregate shows: the count and, from the minimum, the
// means, the Bayesian average and the satisfaction share; below the minimum
// Needed says how many more ratings are needed instead.
type Summary struct {
	Count        int64  `json:"count"`
	Needed       int64  `json:"needed"`
	Means        *Means `json:"means"`
	Bayesian     string `json:"bayesian_average,omitempty"`
	Satisfaction string `json:"satisfaction,omitempty"` // share of overall ≥ 4, 0.00 to 1.00
}

// summarize shows a with at least minimum ratings; c is the platform mean
// overall (nil when the platform has no ratings, which only a with none
// shares).
func (s *Service) summarize(a Aggregate, c *big.Rat, minimum int64) (Summary, error) {
	out := Summary{Count: a.N}
	if a.N < minimum || a.N == 0 {
		out.Needed = max(minimum-a.N, 1)
		return out, nil
	}
	mean := func(sum int64) string { return Display(big.NewRat(sum, a.N)) }
	out.Means = &Means{Timeliness: mean(a.SumTimeliness), Professionalism: mean(a.SumProfessionalism), Attitude: mean(a.SumAttitude),
		Effectiveness: mean(a.SumEffectiveness), Overall: mean(a.SumOverall)}
	b, err := BayesianFromSum(s.cfg.PriorWeight, c, a.N, a.SumOverall)
	if err != nil {
		return Summary{}, err
	}
	out.Bayesian = Display(b)
	out.Satisfaction = Display(big.NewRat(a.Satisfied, a.N))
	return out, nil
}

// platformMean returns C, the mean overall of every rating of either kind
// (nil when there are none).
func platformMean(db *gorm.DB) (*big.Rat, error) {
	all, err := readAggregates(db, ScopePlatform, 0)
	if err != nil {
		return nil, err
	}
	sum := all[KindCode].plus(all[KindFollowUp])
	if sum.N == 0 {
		return nil, nil
	}
	return big.NewRat(sum.SumOverall, sum.N), nil
}

// Summaries are a scope's summaries: every rating, and each kind apart.
type Summaries struct {
	All      Summary `json:"all"`
	Code     Summary `json:"code"`
	FollowUp Summary `json:"follow_up"`
}

func (s *Service) summaries(db *gorm.DB, scope string, id int64, minimum int64) (Summaries, error) {
	// One statement reads the scope's aggregates and the platform's.
	var rows []Aggregate
	if err := db.Where("(scope = ? AND scope_id = ?) OR (scope = ? AND scope_id = 0)", scope, id, ScopePlatform).
		Find(&rows).Error; err != nil {
		return Summaries{}, fmt.Errorf("read the %s %d aggregates: %w", scope, id, err)
	}
	aggs := map[string]Aggregate{KindCode: {Kind: KindCode}, KindFollowUp: {Kind: KindFollowUp}}
	var all Aggregate
	for _, a := range rows {
		if a.Scope == scope && a.ScopeID == id {
			aggs[a.Kind] = a
		}
		if a.Scope == ScopePlatform && (a.Kind == KindCode || a.Kind == KindFollowUp) {
			all = all.plus(a)
		}
	}
	var c *big.Rat // C, the platform mean overall (nil without ratings), as platformMean reads it
	if all.N > 0 {
		c = big.NewRat(all.SumOverall, all.N)
	}
	var out Summaries
	var err error
	for _, p := range []struct {
		dst *Summary
		a   Aggregate
	}{{&out.All, aggs[KindCode].plus(aggs[KindFollowUp])}, {&out.Code, aggs[KindCode]}, {&out.FollowUp, aggs[KindFollowUp]}} {
		if *p.dst, err = s.summarize(p.a, c, minimum); err != nil {
			return Summaries{}, err
		}
	}
	return out, nil
}

// Gap compares a contract's self-service (code) and follow-up mean overall.
type Gap struct {
	// Difference is the code mean minus the follow-up mean, two decimals,
	// once each kind has cfg.PublicMinimum ratings ("" before).
	Difference string `json:"difference,omitempty"`
	// Flagged is a difference of cfg.GapStars or more: residents reached by
	// phone rate the provider far lower than the codes it handed out do.
	Flagged bool `json:"flagged"`
}

func (s *Service) gap(aggs map[string]Aggregate) Gap {
	code, fu := aggs[KindCode], aggs[KindFollowUp]
	minimum := int64(s.cfg.PublicMinimum)
	if code.N < minimum || fu.N < minimum {
		return Gap{}
	}
	d := new(big.Rat).Sub(big.NewRat(code.SumOverall, code.N), big.NewRat(fu.SumOverall, fu.N))
	limit, _ := new(big.Rat).SetString(strconv.FormatFloat(s.cfg.GapStars, 'f', -1, 64))
	return Gap{Difference: Display(d), Flagged: d.Cmp(limit) >= 0}
}

// notifyGap tells the procurement officers of the contract's subdistrict
// that its ratings' gap is flagged.
func notifyGap(tx *gorm.DB, contractID int64, now time.Time) error {
	var c struct {
		Title         string
		SubdistrictID int64
	}
	if err := tx.Table("contracts").Select("title, subdistrict_id").Where("id = ?", contractID).Take(&c).Error; err != nil {
		return fmt.Errorf("contract %d: %w", contractID, err)
	}
	return notify.Officers(tx, notify.Notice{Kind: "rating_gap", ContractID: notify.Ref(contractID), SubjectZh: "评价差异过大：" + c.Title,
		SubjectEn: "Self-service and follow-up ratings differ widely: " + c.Title, At: now}, c.SubdistrictID)
}

// ProviderRatings is an organization's public ratings page: its summaries
// (from the public minimum) and its latest ratings.
type ProviderRatings struct {
	OrganizationID int64     `json:"organization_id"`
	Minimum        int       `json:"minimum"`
	Summaries      Summaries `json:"summaries"`
	Ratings        []View    `json:"ratings"`
}

// ProviderPageSize is how many of the latest ratings a provider's page shows.
const ProviderPageSize = 100

// Provider returns the organization's public ratings page, the same for
// everyone (its own staff included): no rating names its record, beneficiary
// or service date, and hidden comments are left out. An unknown organization
// is apperr.ErrNotFound.
func (s *Service) Provider(ctx context.Context, orgID int64) (ProviderRatings, error) {
	db := replica.Public(s.db.WithContext(ctx))
	var n int64
	if err := db.Table("organizations").Where("id = ?", orgID).Count(&n).Error; err != nil {
		return ProviderRatings{}, fmt.Errorf("find organization %d: %w", orgID, err)
	}
	if n == 0 {
		return ProviderRatings{}, apperr.ErrNotFound
	}
	out := ProviderRatings{OrganizationID: orgID, Minimum: s.cfg.PublicMinimum, Ratings: []View{}}
	var err error
	if out.Summaries, err = s.summaries(db, ScopeOrganization, orgID, int64(s.cfg.PublicMinimum)); err != nil {
		return ProviderRatings{}, err
	}
	var rows []Rating
	if err := db.Where("organization_id = ?", orgID).Order("id DESC").Limit(ProviderPageSize).Find(&rows).Error; err != nil {
		return ProviderRatings{}, fmt.Errorf("list the ratings of organization %d: %w", orgID, err)
	}
	for _, r := range rows {
		out.Ratings = append(out.Ratings, r.View())
	}
	return out, nil
}

// CommunityRatings is a community's public summaries.
type CommunityRatings struct {
	CommunityID int64     `json:"community_id"`
	Minimum     int       `json:"minimum"`
	Summaries   Summaries `json:"summaries"`
}

// Community returns the community's public summaries, from the public
// minimum. An unknown community is apperr.ErrNotFound.
func (s *Service) Community(ctx context.Context, communityID int64) (CommunityRatings, error) {
	db := s.db.WithContext(ctx)
	var n int64
	if err := db.Table("communities").Where("id = ?", communityID).Count(&n).Error; err != nil {
		return CommunityRatings{}, fmt.Errorf("find community %d: %w", communityID, err)
	}
	if n == 0 {
		return CommunityRatings{}, apperr.ErrNotFound
	}
	sum, err := s.summaries(db, ScopeCommunity, communityID, int64(s.cfg.PublicMinimum))
	return CommunityRatings{CommunityID: communityID, Minimum: s.cfg.PublicMinimum, Summaries: sum}, err
}

// ContractRatings is a contract's ratings for its parties: every summary
// from one rating on, the gap between the kinds, and its latest ratings.
type ContractRatings struct {
	ContractID int64     `json:"contract_id"`
	Summaries  Summaries `json:"summaries"`
	Gap        Gap       `json:"gap"`
	// Ratings are the latest ProviderPageSize ratings, newest first, as
	// anyone sees them: no record, beneficiary or service date, no hidden
	// comment.
	Ratings []View `json:"ratings"`
}

// Contract returns the contract's ratings to its readers
// (access.ContractReaders within their scope); another tenant's contract
// is apperr.ErrNotFound, another role apperr.ErrForbidden.
func (s *Service) Contract(ctx context.Context, by access.Actor, contractID int64) (ContractRatings, error) {
	db := s.db.WithContext(ctx)
	if _, err := visibleContract(db, by, contractID); err != nil {
		return ContractRatings{}, err
	}
	sum, err := s.summaries(db, ScopeContract, contractID, 1)
	if err != nil {
		return ContractRatings{}, err
	}
	aggs, err := readAggregates(db, ScopeContract, contractID)
	if err != nil {
		return ContractRatings{}, err
	}
	out := ContractRatings{ContractID: contractID, Summaries: sum, Gap: s.gap(aggs), Ratings: []View{}}
	var rows []Rating
	if err := db.Where("contract_id = ?", contractID).Order("id DESC").Limit(ProviderPageSize).Find(&rows).Error; err != nil {
		return ContractRatings{}, fmt.Errorf("list the ratings of contract %d: %w", contractID, err)
	}
	for _, r := range rows {
		out.Ratings = append(out.Ratings, r.View())
	}
	return out, nil
}

// contractRow is what ratings need of a contract.
type contractRow struct {
	ID             int64
	SubdistrictID  int64
	OrganizationID int64
	Title          string
}

// visibleContract reads the contract by may see: its parties' staff, its
// district's admin, the platform admin; else apperr.ErrNotFound
// (apperr.ErrForbidden for roles that read no contract).
func visibleContract(db *gorm.DB, by access.Actor, id int64) (contractRow, error) {
	if !by.Is(access.ContractReaders...) {
		return contractRow{}, apperr.ErrForbidden
	}
	q := db.Table("contracts").Select("id, subdistrict_id, organization_id, title").Where("id = ?", id)
	if by.Is(access.OrgStaff...) {
		q = q.Where("organization_id = ?", by.Scope.OrganizationID)
	} else {
		cond, args := by.Subdistricts().Where("subdistrict_id")
		q = q.Where(cond, args...)
	}
	var c contractRow
	err := q.Take(&c).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return contractRow{}, apperr.ErrNotFound
	}
	if err != nil {
		return contractRow{}, fmt.Errorf("read contract %d: %w", id, err)
	}
	return c, nil
}

// PlatformMean returns C, the mean overall of every rating of either kind on
// the platform, exactly; nil when there is none.
func PlatformMean(db *gorm.DB) (*big.Rat, error) { return platformMean(db) }

// ContractsOverall returns how many ratings of either kind the contracts
// have, and the sum of their overall stars, from the aggregates.
func ContractsOverall(db *gorm.DB, contractIDs []int64) (n, sumOverall int64, err error) {
	if len(contractIDs) == 0 {
		return 0, 0, nil
	}
	var row struct {
		N   int64
		Sum int64
	}
	if err := db.Model(&Aggregate{}).Select("coalesce(sum(n), 0) AS n, coalesce(sum(sum_overall), 0) AS sum").
		Where("scope = ? AND scope_id IN ?", ScopeContract, contractIDs).Scan(&row).Error; err != nil {
		return 0, 0, fmt.Errorf("ratings of contracts %v: %w", contractIDs, err)
	}
	return row.N, row.Sum, nil
}

// ProviderSummaries returns the organization's public summaries, from the
// public minimum, as Provider shows them, without the ratings themselves.
// It does not check that the organization exists.
func (s *Service) ProviderSummaries(ctx context.Context, orgID int64) (Summaries, error) {
	return s.summaries(replica.Public(s.db.WithContext(ctx)), ScopeOrganization, orgID, int64(s.cfg.PublicMinimum))
}

// PublicMinimum is the number of ratings a provider, contract or community
// needs before the public sees its averages.
func (s *Service) PublicMinimum() int { return s.cfg.PublicMinimum }
