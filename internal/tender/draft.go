package tender

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/catalog"
	"github.com/jiedao-market/jiedao/internal/civil"
	"github.com/jiedao-market/jiedao/internal/fund"
	"github.com/jiedao-market/jiedao/internal/money"
)

// Input is a tender as an officer submits it; for an edit, nil fields keep
// their value.
type Input struct {
	TransferItemID *int64
	Title          *string
	Description    *string
	PurchaseMethod *string
	Justification  *string
	// ShortWindowJustification is the written reason for a bidding window
	// shorter than the purchase method's minimum.
	ShortWindowJustification *string
	FundAccountID            *int64
	CeilingFen               *money.Fen
	ServiceStart             *civil.Date
	ServiceEnd               *civil.Date
	CommunityIDs             *[]int64
	Weights                  *Weights
	Criteria                 *[]Criterion
	MetricTargets            *map[string]float64
	MinGrade                 *int
	MinSocialWorkers         *int
	MinBids                  *int
	MaxWinners               *int
	ChallengeDays            *int
	QuestionsCloseAt         *time.Time
	ClosesAt                 *time.Time
	OpensAt                  *time.Time
	CommitteeUserIDs         *[]int64
	InvitedOrgIDs            *[]int64
}

// draft is a tender with its parts while it is written.
type draft struct {
	t           Tender
	communities []int64
	criteria    []Criterion
	metrics     []Metric
	committee   []int64
	invited     []int64
}

func set[T any](dst *T, src *T) {
	if src != nil {
		*dst = *src
	}
}

// apply copies in onto d. The transfer item's values bound what the tender may
// set: its metric targets may only be tightened, its eligibility only raised.
func (d *draft) apply(tx *gorm.DB, in Input, item catalog.View, fresh bool) error {
	t := &d.t
	if fresh {
		t.TransferItemID, t.TransferItemVersion = item.ID, item.Version
		t.Title, t.Description, t.CategoryCode = item.Title, item.Description, item.CategoryCode
		t.PurchaseMethod, t.MinGrade, t.MinSocialWorkers = item.PurchaseMethod, item.MinGrade, item.MinSocialWorkers
		d.communities = slices.Clone(item.CommunityIDs)
		for _, m := range item.Metrics {
			d.metrics = append(d.metrics, Metric{Code: m.Code, NameZh: m.NameZh, NameEn: m.NameEn, Unit: m.Unit,
				Direction: m.Direction, Source: m.Source, Target: m.Target, Weight: m.Weight})
		}
	}
	methodBefore := t.PurchaseMethod
	set(&t.Title, in.Title)
	set(&t.Description, in.Description)
	set(&t.PurchaseMethod, in.PurchaseMethod)
	set(&t.Justification, in.Justification)
	set(&t.ShortWindowJustification, in.ShortWindowJustification)
	set(&t.FundAccountID, in.FundAccountID)
	set(&t.CeilingFen, in.CeilingFen)
	set(&t.ServiceStart, in.ServiceStart)
	set(&t.ServiceEnd, in.ServiceEnd)
	if in.Weights != nil {
		t.WeightPrice, t.WeightTechnical, t.WeightPerformance = in.Weights.Price, in.Weights.Technical, in.Weights.Performance
	}
	set(&t.MinGrade, in.MinGrade)
	set(&t.MinSocialWorkers, in.MinSocialWorkers)
	if fresh || (in.PurchaseMethod != nil && methodBefore != t.PurchaseMethod && in.MinBids == nil) {
		if m, ok := MethodSettings[t.PurchaseMethod]; ok {
			t.MinBids = m.DefaultMinBids
		}
	}
	set(&t.MinBids, in.MinBids)
	set(&t.MaxWinners, in.MaxWinners)
	set(&t.ChallengeDays, in.ChallengeDays)
	set(&t.QuestionsCloseAt, in.QuestionsCloseAt)
	set(&t.ClosesAt, in.ClosesAt)
	set(&t.OpensAt, in.OpensAt)
	if in.CommunityIDs != nil {
		d.communities = slices.Clone(*in.CommunityIDs)
	}
	if in.Criteria != nil {
		d.criteria = slices.Clone(*in.Criteria)
	}
	if in.CommitteeUserIDs != nil {
		d.committee = slices.Clone(*in.CommitteeUserIDs)
	}
	if in.InvitedOrgIDs != nil {
		d.invited = slices.Clone(*in.InvitedOrgIDs)
	}
	var f apperr.Fields
	if in.MetricTargets != nil {
		targets := *in.MetricTargets
		byCode := map[string]catalog.ItemMetric{}
		for _, m := range item.Metrics {
			byCode[m.Code] = m
		}
		// In the item's order of metrics, then any unknown code by name, so
		// that the errors come in a stable order.
		codes := slices.Collect(maps.Keys(targets))
		slices.SortFunc(codes, func(a, b string) int {
			ia, ib := slices.IndexFunc(item.Metrics, func(m catalog.ItemMetric) bool { return m.Code == a }), slices.IndexFunc(item.Metrics, func(m catalog.ItemMetric) bool { return m.Code == b })
			if ia < 0 {
				ia = len(item.Metrics)
			}
			if ib < 0 {
				ib = len(item.Metrics)
			}
			return cmp.Or(cmp.Compare(ia, ib), strings.Compare(a, b))
		})
		for _, code := range codes {
			target := targets[code]
			base, ok := byCode[code]
			if !ok {
				f.Add("metric_targets."+code, "is not a metric of the transfer item")
				continue
			}
			// Stored as numeric(14, 2): round to cents, then bound.
			target = cents(target)
			tightened := target >= base.Target
			if base.Direction == "lower" {
				tightened = target <= base.Target
			}
			if !(target >= 0 && target <= maxMetricValue) || !tightened {
				f.Add("metric_targets."+code, "may only tighten the transfer item's target ("+strconv.FormatFloat(base.Target, 'f', -1, 64)+", "+base.Direction+" is better)")
				continue
			}
			for i := range d.metrics {
				if d.metrics[i].Code == code {
					d.metrics[i].Target = target
				}
			}
		}
	}
	if err := f.Err(); err != nil {
		return err
	}
	return d.validate(tx, item)
}

func (d *draft) validate(tx *gorm.DB, item catalog.View) error {
	t := &d.t
	t.Title, t.Description, t.Justification = strings.TrimSpace(t.Title), strings.TrimSpace(t.Description), strings.TrimSpace(t.Justification)
	t.ShortWindowJustification = strings.TrimSpace(t.ShortWindowJustification)
	// The checks run in the order of the tender's fields (the API's and the
	// wizard's), which is the order the errors list them in.
	var f apperr.Fields
	f.Check(t.Title != "" && len(t.Title) <= 300 && plain(t.Title), "title", "is required (at most 300 bytes of text)")
	f.Check(len(t.Description) <= 20000 && plain(t.Description), "description", "must be at most 20000 bytes of text")
	m, methodOK := MethodSettings[t.PurchaseMethod]
	f.Check(methodOK, "purchase_method", "must be open_tender, invited_tender, single_source or venture_philanthropy")
	f.Check(len(t.Justification) <= 20000 && plain(t.Justification), "justification", "must be at most 20000 bytes of text")
	f.Check(!m.SingleSource || t.Justification != "", "justification", "a single-source tender needs a written justification")
	f.Check(len(t.ShortWindowJustification) <= 20000 && plain(t.ShortWindowJustification), "short_window_justification", "must be at most 20000 bytes of text")
	slices.Sort(d.invited)
	d.invited = slices.Compact(d.invited)
	switch {
	case m.SingleSource:
		f.Check(len(d.invited) == 1, "invited_organization_ids", "a single-source tender names exactly one organization")
	case m.Invited:
		f.Check(len(d.invited) >= 1 && len(d.invited) <= 100, "invited_organization_ids", "an invited tender names 1 to 100 organizations")
	default:
		f.Check(len(d.invited) == 0, "invited_organization_ids", "only an invited or single-source tender names organizations")
	}
	f.Check(t.CeilingFen > 0 && t.CeilingFen <= 100_000_000_000, "ceiling_fen", "must be between 1 and 100000000000 fen")
	f.Check(!t.ServiceStart.IsZero(), "service_start", "is required")
	f.Check(!t.ServiceEnd.IsZero() && t.ServiceEnd.After(t.ServiceStart), "service_end", "is required and must be after service_start")
	// Communities: the transfer item's, or a subset of them.
	slices.Sort(d.communities)
	d.communities = slices.Compact(d.communities)
	f.Check(len(d.communities) > 0, "community_ids", "at least one community is required")
	for _, c := range d.communities {
		if !slices.Contains(item.CommunityIDs, c) {
			f.Add("community_ids", "must be communities the transfer item serves")
			break
		}
	}
	w := t.weights()
	f.Check(w.Price >= 0 && w.Technical >= 0 && w.Performance >= 0 && w.Price+w.Technical+w.Performance == 100,
		"weights", "price, technical and performance must be zero or more and sum to 100")
	// Criteria: codes unique, maxima summing to the technical weight.
	sum, seen := 0, map[string]bool{}
	for i := range d.criteria {
		c := &d.criteria[i]
		c.Code, c.Name, c.Position = strings.TrimSpace(c.Code), strings.TrimSpace(c.Name), i+1
		field := fmt.Sprintf("criteria[%d]", i)
		f.Check(c.Code != "" && len(c.Code) <= 40 && plain(c.Code) && !seen[c.Code], field+".code", "is required, at most 40 bytes and unique")
		f.Check(c.Name != "" && len(c.Name) <= 300 && plain(c.Name), field+".name", "is required (at most 300 bytes of text)")
		f.Check(c.MaxPoints >= 1 && c.MaxPoints <= 100, field+".max_points", "must be between 1 and 100")
		seen[c.Code] = true
		sum += c.MaxPoints
	}
	f.Check((w.Technical == 0 && len(d.criteria) == 0) || (len(d.criteria) > 0 && sum == w.Technical),
		"criteria", "the criteria's max_points must sum to the technical weight")
	f.Check(t.MinGrade >= item.MinGrade && t.MinGrade <= 5, "min_grade", fmt.Sprintf("must be between the transfer item's %d and 5", item.MinGrade))
	f.Check(t.MinSocialWorkers >= item.MinSocialWorkers && t.MinSocialWorkers <= 10000, "min_social_workers",
		fmt.Sprintf("must be at least the transfer item's %d (at most 10000)", item.MinSocialWorkers))
	f.Check(t.MinBids >= 1 && t.MinBids <= 50, "min_bids", "must be between 1 and 50")
	f.Check(!m.SingleSource || t.MinBids == 1, "min_bids", "must be 1 for a single-source tender")
	f.Check(t.MaxWinners >= 1 && t.MaxWinners <= 50, "max_winners", "must be between 1 and 50")
	f.Check(m.SeveralWinners || t.MaxWinners == 1, "max_winners", "only a venture philanthropy call has several winners")
	f.Check(t.ChallengeDays >= 1 && t.ChallengeDays <= 60, "challenge_days", "must be between 1 and 60")
	f.Check(!t.QuestionsCloseAt.IsZero() && !t.QuestionsCloseAt.After(t.ClosesAt), "questions_close_at", "is required and must not be after closes_at")
	f.Check(!t.ClosesAt.IsZero(), "closes_at", "is required")
	f.Check(!t.OpensAt.IsZero() && !t.OpensAt.Before(t.ClosesAt), "opens_at", "is required and must not be before closes_at")
	// The committee: an odd number, three or more, of the district's evaluators.
	slices.Sort(d.committee)
	d.committee = slices.Compact(d.committee)
	f.Check(len(d.committee) >= 3 && len(d.committee)%2 == 1 && len(d.committee) <= 25, "committee_user_ids", "must name an odd number of evaluators, at least 3 (at most 25)")
	if err := f.Err(); err != nil {
		return err
	}
	// Checks against other rows, in the same order.
	var n int64
	if len(d.invited) > 0 {
		if err := tx.Table("organizations").Where("id IN ?", d.invited).Count(&n).Error; err != nil {
			return fmt.Errorf("count invited organizations: %w", err)
		}
		f.Check(int(n) == len(d.invited), "invited_organization_ids", "must be registered organizations")
	}
	var acct fund.Account
	err := tx.Where("id = ? AND subdistrict_id = ?", t.FundAccountID, t.SubdistrictID).Take(&acct).Error
	switch {
	case errors.Is(err, gorm.ErrRecordNotFound):
		f.Add("fund_account_id", "must be a fund account of your subdistrict")
	case err != nil:
		return fmt.Errorf("read fund account %d: %w", t.FundAccountID, err)
	default:
		if err := tx.Table("fund_account_categories").Where("fund_account_id = ? AND category_code = ?", acct.ID, t.CategoryCode).Count(&n).Error; err != nil {
			return fmt.Errorf("read the categories of fund account %d: %w", acct.ID, err)
		}
		f.Check(n == 1, "fund_account_id", "the fund account is not earmarked for the tender's category")
	}
	var districtID int64
	if err := tx.Table("subdistricts").Select("district_id").Where("id = ?", t.SubdistrictID).Take(&districtID).Error; err != nil {
		return fmt.Errorf("district of subdistrict %d: %w", t.SubdistrictID, err)
	}
	if err := tx.Table("users").Where("id IN ? AND role = 'evaluator' AND district_id = ? AND status = 'active'", d.committee, districtID).Count(&n).Error; err != nil {
		return fmt.Errorf("count committee evaluators: %w", err)
	}
	f.Check(int(n) == len(d.committee), "committee_user_ids", "must be active evaluators of your district")
	return f.Err()
}

// writeParts replaces the tender's communities, metrics, criteria, committee
// and invitations with d's.
func writeParts(tx *gorm.DB, d draft, now time.Time) error {
	id := d.t.ID
	for _, part := range []any{&tenderCommunity{}, &Metric{}, &Criterion{}, &member{}, &invitation{}} {
		if err := tx.Where("tender_id = ?", id).Delete(part).Error; err != nil {
			return fmt.Errorf("clear tender parts: %w", err)
		}
	}
	var rows []any
	for _, c := range d.communities {
		rows = append(rows, &tenderCommunity{TenderID: id, CommunityID: c})
	}
	for _, m := range d.metrics {
		m.TenderID = id
		rows = append(rows, &m)
	}
	for _, c := range d.criteria {
		c.TenderID = id
		rows = append(rows, &c)
	}
	for _, u := range d.committee {
		rows = append(rows, &member{TenderID: id, UserID: u, AddedAt: now})
	}
	for _, o := range d.invited {
		rows = append(rows, &invitation{TenderID: id, OrganizationID: o})
	}
	for _, r := range rows {
		if err := tx.Create(r).Error; err != nil {
			return fmt.Errorf("insert tender part: %w", err)
		}
	}
	return nil
}

func loadDraft(tx *gorm.DB, t Tender) (draft, error) {
	d := draft{t: t}
	if err := tx.Model(&tenderCommunity{}).Where("tender_id = ?", t.ID).Order("community_id").Pluck("community_id", &d.communities).Error; err != nil {
		return d, err
	}
	if err := tx.Where("tender_id = ?", t.ID).Order("weight DESC, code").Find(&d.metrics).Error; err != nil {
		return d, err
	}
	if err := tx.Where("tender_id = ?", t.ID).Order("position").Find(&d.criteria).Error; err != nil {
		return d, err
	}
	if err := tx.Model(&member{}).Where("tender_id = ? AND NOT recused", t.ID).Order("user_id").Pluck("user_id", &d.committee).Error; err != nil {
		return d, err
	}
	if err := tx.Model(&invitation{}).Where("tender_id = ?", t.ID).Order("organization_id").Pluck("organization_id", &d.invited).Error; err != nil {
		return d, err
	}
	return d, nil
}
