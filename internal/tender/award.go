package tender

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/audit"
	"github.com/jiedao-market/jiedao/internal/contract"
	"github.com/jiedao-market/jiedao/internal/money"
)

// AwardProposal is a proposed award with the score table frozen with it.
type AwardProposal struct {
	ID              int64      `json:"id"`
	TenderID        int64      `json:"tender_id"`
	Round           int        `json:"round"`
	Status          string     `json:"status"` // proposed, final, withdrawn
	BidIDs          []int64    `json:"bid_ids" gorm:"serializer:json"`
	DeviationReason string     `json:"deviation_reason"`
	ScoreTable      ScoreTable `json:"score_table" gorm:"serializer:json"`
	ProposedBy      *int64     `json:"-"`
	ProposedAt      time.Time  `json:"proposed_at"`
	ChallengeEndsAt time.Time  `json:"challenge_ends_at"`
	EndedAt         *time.Time `json:"ended_at"`
}

// TableName is the table of AwardProposal.
func (AwardProposal) TableName() string { return "award_proposals" }

// AwardProposalView is the award as readers see it: the proposal, its
// winners and the frozen score table.
type AwardProposalView struct {
	AwardProposal
	Winners []ScoreRow `json:"winners"`
}

// Challenge is a bidder's challenge (质疑) to a proposed award.
type Challenge struct {
	ID                  int64      `json:"id"`
	TenderID            int64      `json:"tender_id"`
	AwardProposalID     int64      `json:"award_proposal_id"`
	OrganizationID      int64      `json:"organization_id"`
	OrganizationName    string     `json:"organization_name" gorm:"->;-:migration"`
	FiledBy             *int64     `json:"-"`
	Reasons             string     `json:"reasons"`
	EvidenceDocumentIDs []int64    `json:"evidence_document_ids" gorm:"serializer:json"`
	Evidence            []Evidence `json:"evidence" gorm:"-"`
	Status              string     `json:"status"` // open, upheld, dismissed, moot
	OutcomeAction       *string    `json:"outcome_action"`
	Answer              *string    `json:"answer"`
	AnsweredBy          *int64     `json:"-"`
	AnsweredAt          *time.Time `json:"answered_at"`
	FiledAt             time.Time  `json:"filed_at"`
}

// TableName is the table of Challenge.
func (Challenge) TableName() string { return "challenges" }

// Evidence names one evidence document of a challenge.
type Evidence struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// withEvidence fills in the names of the challenges' evidence documents.
func withEvidence(db *gorm.DB, list []Challenge) error {
	var ids []int64
	for _, c := range list {
		ids = append(ids, c.EvidenceDocumentIDs...)
	}
	names := map[int64]string{}
	if len(ids) > 0 {
		var rows []Evidence
		if err := db.Table("organization_documents").Select("id, original_name AS name").Where("id IN ?", ids).Scan(&rows).Error; err != nil {
			return err
		}
		for _, r := range rows {
			names[r.ID] = r.Name
		}
	}
	for i := range list {
		list[i].Evidence = []Evidence{}
		for _, id := range list[i].EvidenceDocumentIDs {
			list[i].Evidence = append(list[i].Evidence, Evidence{ID: id, Name: names[id]})
		}
	}
	return nil
}

// EvidenceDocument authorizes by, a procurement officer of the tender, to read
// a document cited as evidence by a challenge to the tender's award, and
// returns the organization that holds it. It returns apperr.ErrForbidden to
// anyone else and apperr.ErrNotFound for a challenge of another tender or a
// document the challenge does not cite.
func (s *Service) EvidenceDocument(ctx context.Context, by access.Actor, tenderID, challengeID, docID int64) (orgID int64, err error) {
	if by.Role != access.ProcurementOfficer {
		return 0, apperr.ErrForbidden
	}
	var c Challenge
	err = s.db.WithContext(ctx).Omit("organization_name").
		Where("id = ? AND tender_id = ? AND tender_id IN (SELECT id FROM tenders WHERE subdistrict_id = ?)", challengeID, tenderID, by.Scope.SubdistrictID).
		Take(&c).Error
	if err != nil {
		return 0, notFound(err)
	}
	if !slices.Contains(c.EvidenceDocumentIDs, docID) {
		return 0, apperr.ErrNotFound
	}
	return c.OrganizationID, nil
}

// tenderChallenge checks that the challenge is one of the tender's and that by
// may see the tender; anything else is apperr.ErrNotFound.
func tenderChallenge(db *gorm.DB, by access.Actor, tenderID, challengeID int64) error {
	var t Tender
	if err := visible(db, by).Take(&t, tenderID).Error; err != nil {
		return notFound(err)
	}
	var n int64
	if err := db.Model(&Challenge{}).Where("id = ? AND tender_id = ?", challengeID, t.ID).Count(&n).Error; err != nil {
		return fmt.Errorf("challenge %d of tender %d: %w", challengeID, t.ID, err)
	}
	if n == 0 {
		return apperr.ErrNotFound
	}
	return nil
}

// Errors of the award.
var (
	ErrNotEvaluated  = apperr.New(apperr.Conflict, "tender.not_evaluated", "the evaluation is not complete")
	ErrNoEligibleBid = apperr.New(apperr.Conflict, "tender.no_eligible_bid",
		"no scored bid's organization is still eligible: the tender can only be cancelled")
	ErrNoAward             = apperr.New(apperr.Conflict, "tender.no_award_proposed", "no award is proposed")
	ErrChallengePeriodOver = apperr.New(apperr.Conflict, "challenge.period_over", "the challenge period has ended")
	ErrNotBidder           = apperr.New(apperr.Forbidden, "challenge.not_bidder", "only the tender's bidders may challenge its award")
	ErrChallengeAnswered   = apperr.New(apperr.Conflict, "challenge.answered", "the challenge has been answered already")
	// ErrReplacementReevaluate refuses to send a tender whose contracts stand
	// back to evaluation: an upheld challenge to a replacement award cancels
	// the replacement.
	ErrReplacementReevaluate = apperr.New(apperr.Conflict, "challenge.replacement_cancel_only",
		"the challenged award replaces a dropped contract: upholding the challenge can only withdraw the replacement (action cancel)")
	ErrNoNextBid = apperr.New(apperr.Conflict, "tender.no_next_bid",
		"no further compliant, scored bid of an eligible organization fits the budget: drop the contract with next = cancel")
)

// AwardInput names the winning bids; empty means the top-ranked bid (or, for
// venture philanthropy, the best bids that fit the budget). Any other choice
// is a deviation and needs a documented reason.
type AwardInput struct {
	BidIDs          []int64
	DeviationReason string
}

// defaultWinners is the top-ranked bid, or for several winners the bids in rank
// order that fit within the ceiling, at most max.
func defaultWinners(t Tender, rows []ScoreRow) []int64 {
	if len(rows) == 0 {
		return nil
	}
	if !t.method().SeveralWinners {
		return []int64{rows[0].BidID}
	}
	var out []int64
	var sum money.Fen
	for _, r := range rows {
		if len(out) < t.MaxWinners && sum+r.PriceFen <= t.CeilingFen {
			out = append(out, r.BidID)
			sum += r.PriceFen
		}
	}
	return out
}

// DefaultWinners returns the bids an award proposal of v names when the
// officer names none (ProposeAward): the top-ranked bid of the score table's
// rows, or for several winners the bids in rank order that fit within the
// ceiling, at most MaxWinners.
func (v View) DefaultWinners(rows []ScoreRow) []int64 {
	return defaultWinners(Tender{PurchaseMethod: v.PurchaseMethod, MaxWinners: v.MaxWinners, CeilingFen: v.CeilingFen}, rows)
}

// ProposeAward proposes the award of an evaluated tender, or of one whose
// award was blocked, and freezes the score table with it; the proposal is
// public for the challenge period. The winners' organizations must still be
// eligible now (org.EligibilityTx): the default passes over a bid whose
// organization is not, naming one is refused, and ErrNoEligibleBid answers
// when no scored bid's organization is eligible.
func (s *Service) ProposeAward(ctx context.Context, by access.Actor, id int64, in AwardInput) (AwardProposalView, error) {
	now := s.clock.Now()
	var p AwardProposal
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		t, err := officerTender(tx, by, id)
		if err != nil {
			return err
		}
		if t.Status != StatusEvaluated && t.Status != StatusAwardBlocked {
			return ErrNotEvaluated
		}
		table, err := computeTable(tx, t)
		if err != nil {
			return err
		}
		ineligible, err := ineligibleBids(tx, t, table.Rows, now)
		if err != nil {
			return err
		}
		chosen := slices.Clone(in.BidIDs)
		def := defaultWinners(t, slices.DeleteFunc(slices.Clone(table.Rows), func(r ScoreRow) bool { return ineligible[r.BidID] != nil }))
		if len(chosen) == 0 {
			if len(def) == 0 && len(table.Rows) > 0 {
				return ErrNoEligibleBid
			}
			chosen = def
		}
		var f apperr.Fields
		var sum money.Fen
		seen := map[int64]bool{}
		for i, bid := range chosen {
			k := slices.IndexFunc(table.Rows, func(r ScoreRow) bool { return r.BidID == bid })
			if k < 0 || seen[bid] {
				f.Add(fmt.Sprintf("bid_ids[%d]", i), "must be a compliant, scored bid of the tender, once")
				continue
			}
			if reasons := ineligible[bid]; reasons != nil {
				f.Add(fmt.Sprintf("bid_ids[%d]", i), "is of an organization no longer eligible: "+strings.Join(reasons, "; "))
				continue
			}
			seen[bid] = true
			sum += table.Rows[k].PriceFen
		}
		f.Check(len(chosen) >= 1, "bid_ids", "name at least one bid")
		if t.method().SeveralWinners {
			f.Check(len(chosen) <= t.MaxWinners && sum <= t.CeilingFen, "bid_ids", "the winners must fit within max_winners and the ceiling")
		} else {
			f.Check(len(chosen) <= 1, "bid_ids", "this tender has one winner")
		}
		reason := strings.TrimSpace(in.DeviationReason)
		deviates := !sameSet(chosen, def)
		f.Check(!deviates || reason != "", "deviation_reason", "is required when the award departs from the ranking")
		f.Check(len(reason) <= 5000 && plain(reason), "deviation_reason", "must be at most 5000 bytes of text")
		if err := f.Err(); err != nil {
			return err
		}
		ends := now.AddDate(0, 0, t.ChallengeDays)
		p = AwardProposal{TenderID: t.ID, Round: t.EvaluationRound, Status: "proposed", BidIDs: chosen, DeviationReason: reason,
			ScoreTable: table, ProposedBy: by.UserRef(), ProposedAt: now, ChallengeEndsAt: ends}
		if err := tx.Create(&p).Error; err != nil {
			return fmt.Errorf("insert award proposal: %w", err)
		}
		if err := setStatus(tx, &t, StatusAwardProposed, map[string]any{"challenge_ends_at": ends, "status_reason": ""}, now); err != nil {
			return err
		}
		entry := map[string]any{"bid_ids": chosen, "deviation": deviates, "challenge_ends_at": ends}
		if len(ineligible) > 0 {
			entry["ineligible"] = ineligible
		}
		if err := audit.Record(tx, by, "tender.award_propose", "tender", t.ID, entry); err != nil {
			return err
		}
		if err := s.released(tx, t.ID, "award", now); err != nil {
			return err
		}
		return notifyBidders(tx, t, KindAwardProposed, now)
	})
	if err != nil {
		return AwardProposalView{}, err
	}
	s.schedule(ctx, id, p.ChallengeEndsAt)
	return withWinners(p), nil
}

func sameSet(a, b []int64) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

func withWinners(p AwardProposal) AwardProposalView {
	v := AwardProposalView{AwardProposal: p, Winners: []ScoreRow{}}
	for _, r := range p.ScoreTable.Rows {
		if slices.Contains(p.BidIDs, r.BidID) {
			v.Winners = append(v.Winners, r)
		}
	}
	return v
}

// currentAward returns the tender's proposed or final award, if any.
func currentAward(db *gorm.DB, t Tender) (*AwardProposalView, error) {
	var p AwardProposal
	if err := db.Where("tender_id = ? AND status IN ('proposed', 'final')", t.ID).Limit(1).Find(&p).Error; err != nil {
		return nil, err
	}
	if p.ID == 0 {
		return nil, nil
	}
	v := withWinners(p)
	return &v, nil
}

// ineligibleBids returns, of the rows, the bids whose organizations may not
// undertake t at now (org.EligibilityTx: suspended, or without an active
// certification that meets the tender's minimums), with the reasons.
func ineligibleBids(tx *gorm.DB, t Tender, rows []ScoreRow, now time.Time) (map[int64][]string, error) {
	out := map[int64][]string{}
	if len(rows) == 0 {
		return out, nil
	}
	var districtID int64
	if err := tx.Table("subdistricts").Select("district_id").Where("id = ?", t.SubdistrictID).Take(&districtID).Error; err != nil {
		return nil, fmt.Errorf("district of subdistrict %d: %w", t.SubdistrictID, err)
	}
	for _, r := range rows {
		e, err := eligibility(tx, r.OrganizationID, districtID, t, now)
		if err != nil {
			return nil, err
		}
		if !e.Eligible {
			out[r.BidID] = e.Reasons
		}
	}
	return out, nil
}

// IneligibleBids returns, for the officer of a tender awaiting its award
// proposal (evaluated or award_blocked), the bids among rows (its score
// table's, as ScoreTable gave them) whose organizations are no longer
// eligible, with the reasons: the bids ProposeAward passes over and refuses.
// Another subdistrict's tender is apperr.ErrNotFound.
func (s *Service) IneligibleBids(ctx context.Context, by access.Actor, id int64, rows []ScoreRow) (map[int64][]string, error) {
	if by.Role != access.ProcurementOfficer {
		return nil, apperr.ErrForbidden
	}
	db := s.db.WithContext(ctx)
	var t Tender
	if err := db.Where("id = ? AND subdistrict_id = ?", id, by.Scope.SubdistrictID).Take(&t).Error; err != nil {
		return nil, notFound(err)
	}
	if t.Status != StatusEvaluated && t.Status != StatusAwardBlocked {
		return map[int64][]string{}, nil
	}
	return ineligibleBids(db, t, rows, s.clock.Now())
}

// finalize makes the proposed award of the locked tender final and creates a
// draft contract for each winning bid, with the tender's communities and
// metrics and the bid's commitments. It re-checks first that every winner's
// organization is still eligible; if one is not, the award is blocked instead
// (blockAward) and finalize returns nil, so that the time-driven job that
// calls it is done rather than retried for ever.
func (s *Service) finalize(tx *gorm.DB, by access.Actor, t *Tender, now time.Time) error {
	var p AwardProposal
	if err := tx.Clauses(clause.Locking{Strength: "NO KEY UPDATE"}).Where("tender_id = ? AND status = 'proposed'", t.ID).Take(&p).Error; err != nil {
		return fmt.Errorf("award of tender %d: %w", t.ID, err)
	}
	// A replacement award names the winners whose contracts stand and the
	// new one: only bids without a contract are checked and contracted.
	var contracted []int64
	if err := tx.Table("contracts").Where("tender_id = ?", t.ID).Pluck("bid_id", &contracted).Error; err != nil {
		return err
	}
	winners := slices.DeleteFunc(withWinners(p).Winners, func(r ScoreRow) bool { return slices.Contains(contracted, r.BidID) })
	ineligible, err := ineligibleBids(tx, *t, winners, now)
	if err != nil {
		return err
	}
	if len(ineligible) > 0 && len(contracted) > 0 {
		return s.endReplacement(tx, by, t, p, "替补中标人已不符合投标资格 / the replacement winner is no longer eligible", now)
	}
	if len(ineligible) > 0 {
		return blockAward(tx, by, t, p, winners, ineligible, now)
	}
	if err := tx.Model(&p).Updates(map[string]any{"status": "final", "ended_at": now}).Error; err != nil {
		return err
	}
	if err := setStatus(tx, t, StatusAwarded, map[string]any{"awarded_at": now, "ended_at": now}, now); err != nil {
		return err
	}
	if err := audit.Record(tx, by, "tender.award_final", "tender", t.ID, map[string]any{"bid_ids": p.BidIDs, "award_proposal_id": p.ID}); err != nil {
		return err
	}
	d, err := loadDraft(tx, *t)
	if err != nil {
		return err
	}
	for _, w := range winners {
		bidID := w.BidID
		var b Bid
		if err := tx.Take(&b, bidID).Error; err != nil {
			return fmt.Errorf("winning bid %d: %w", bidID, err)
		}
		commit := map[string]float64{}
		if b.OpenedBody != nil {
			for _, c := range b.OpenedBody.MetricCommitments {
				commit[c.Code] = c.Value
			}
		}
		metrics := make([]contract.Metric, 0, len(d.metrics))
		for _, m := range d.metrics {
			cm := contract.Metric{Code: m.Code, NameZh: m.NameZh, NameEn: m.NameEn, Unit: m.Unit, Direction: m.Direction, Source: m.Source,
				Target: m.Target, Weight: m.Weight}
			if v, ok := commit[m.Code]; ok {
				cm.Commitment = &v
			}
			metrics = append(metrics, cm)
		}
		if _, err := contract.CreateDraft(tx, by, contract.Draft{SubdistrictID: t.SubdistrictID, TenderID: t.ID, BidID: b.ID,
			OrganizationID: b.OrganizationID, FundAccountID: t.FundAccountID, Title: t.Title, CategoryCode: t.CategoryCode,
			Amount: *b.PriceFen, ServiceStart: t.ServiceStart, ServiceEnd: t.ServiceEnd, CommunityIDs: d.communities, Metrics: metrics,
			SignBy: now.AddDate(0, 0, s.opts.SignDays)}, now); err != nil {
			return err
		}
	}
	if err := s.released(tx, t.ID, "awardUpdate", now); err != nil {
		return err
	}
	return notifyBidders(tx, *t, KindAwardFinal, now)
}

// blockAward withdraws the proposal p of the locked tender, whose winners
// include the ineligible bids, and hands the tender to its officers
// (award_blocked, the reason in status_reason): they propose the next-ranked
// bid, with a new challenge period, or cancel. The bidders and the officers
// are told.
func blockAward(tx *gorm.DB, by access.Actor, t *Tender, p AwardProposal, winners []ScoreRow, ineligible map[int64][]string, now time.Time) error {
	var parts []string
	for _, w := range winners {
		if reasons := ineligible[w.BidID]; reasons != nil {
			parts = append(parts, fmt.Sprintf("%s (%s)", w.OrganizationName, strings.Join(reasons, "; ")))
		}
	}
	reason := "中标候选人已不符合投标资格，请重新确定中标人或终止招标 / a proposed winner is no longer eligible; propose another bid or cancel: " +
		strings.Join(parts, "; ")
	if err := oneRow(tx.Model(&AwardProposal{}).Where("id = ? AND status = 'proposed'", p.ID).
		Updates(map[string]any{"status": "withdrawn", "ended_at": now}), "withdraw award proposal %d", p.ID); err != nil {
		return err
	}
	if err := setStatus(tx, t, StatusAwardBlocked, map[string]any{"challenge_ends_at": nil, "status_reason": reason}, now); err != nil {
		return err
	}
	if err := audit.Record(tx, by, "tender.award_blocked", "tender", t.ID, map[string]any{"award_proposal_id": p.ID,
		"bid_ids": p.BidIDs, "ineligible": ineligible}); err != nil {
		return err
	}
	if err := notifyBidders(tx, *t, KindAwardBlocked, now); err != nil {
		return err
	}
	return notifyOfficers(tx, *t, KindAwardBlocked, now)
}

// FileChallenge files a bidder's challenge to the proposed award during the
// challenge period, with reasons and the organization's evidence documents.
func (s *Service) FileChallenge(ctx context.Context, by access.Actor, tenderID int64, reasons string, evidence []int64) (Challenge, error) {
	reasons = strings.TrimSpace(reasons)
	var f apperr.Fields
	f.Check(reasons != "" && len(reasons) <= 20000 && plain(reasons), "reasons", "are required (at most 20000 bytes of text)")
	f.Check(len(evidence) <= 20, "evidence_document_ids", "at most 20 documents")
	if err := f.Err(); err != nil {
		return Challenge{}, err
	}
	now := s.clock.Now()
	var c Challenge
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		t, err := orgTender(tx, by, tenderID, true)
		if err != nil {
			return err
		}
		var bids int64
		if err := tx.Model(&Bid{}).Where("tender_id = ? AND organization_id = ? AND opened_at IS NOT NULL", t.ID, by.Scope.OrganizationID).Count(&bids).Error; err != nil {
			return err
		}
		if bids == 0 {
			return ErrNotBidder
		}
		if t.Status != StatusAwardProposed {
			return ErrNoAward
		}
		if t.ChallengeEndsAt == nil || !now.Before(*t.ChallengeEndsAt) {
			return ErrChallengePeriodOver
		}
		evidence = slices.Compact(slices.Sorted(slices.Values(evidence)))
		if len(evidence) > 0 {
			var n int64
			if err := tx.Table("organization_documents").Where("id IN ? AND organization_id = ?", evidence, by.Scope.OrganizationID).Count(&n).Error; err != nil {
				return err
			}
			if int(n) != len(evidence) {
				return apperr.InvalidField("evidence_document_ids", "must be documents of your organization")
			}
		}
		var p AwardProposal
		if err := tx.Where("tender_id = ? AND status = 'proposed'", t.ID).Take(&p).Error; err != nil {
			return fmt.Errorf("award of tender %d: %w", t.ID, err)
		}
		c = Challenge{TenderID: t.ID, AwardProposalID: p.ID, OrganizationID: by.Scope.OrganizationID, FiledBy: by.UserRef(), Reasons: reasons,
			EvidenceDocumentIDs: nonNil(evidence), Status: "open", FiledAt: now}
		if err := tx.Omit("organization_name").Create(&c).Error; err != nil {
			return fmt.Errorf("insert challenge: %w", err)
		}
		if err := audit.Record(tx, by, "challenge.file", "tender", t.ID, map[string]any{"challenge_id": c.ID}); err != nil {
			return err
		}
		return notifyOfficers(tx, t, KindChallengeFiled, now)
	})
	if err != nil {
		return Challenge{}, err
	}
	return s.challenge(ctx, c.ID)
}

// ChallengeAnswer is the officer's answer: upheld (with the action: back to
// evaluation or cancel the tender) or dismissed, with reasons.
type ChallengeAnswer struct {
	Outcome string // upheld or dismissed
	Answer  string
	Action  string // reevaluate or cancel, when upheld
}

// AnswerTenderChallenge is AnswerChallenge for a challenge named with its
// tender, as the tender page names it: a challenge of another tender, or of a
// tender by may not see, is apperr.ErrNotFound before anything about the
// answer. Its other errors are AnswerChallenge's.
func (s *Service) AnswerTenderChallenge(ctx context.Context, by access.Actor, tenderID, challengeID int64, in ChallengeAnswer) (Challenge, error) {
	// A challenge never moves to another tender: checking first is enough.
	if err := tenderChallenge(s.db.WithContext(ctx), by, tenderID, challengeID); err != nil {
		return Challenge{}, err
	}
	return s.AnswerChallenge(ctx, by, challengeID, in)
}

// AnswerChallenge answers an open challenge. Dismissing the last open one after
// the period makes the award final at once; upholding one withdraws the award
// and sends the tender back to evaluation (a new round) or cancels it.
func (s *Service) AnswerChallenge(ctx context.Context, by access.Actor, challengeID int64, in ChallengeAnswer) (Challenge, error) {
	in.Answer = strings.TrimSpace(in.Answer)
	var f apperr.Fields
	f.Check(in.Outcome == "upheld" || in.Outcome == "dismissed", "outcome", "must be upheld or dismissed")
	f.Check(in.Answer != "" && len(in.Answer) <= 20000 && plain(in.Answer), "answer", "is required (at most 20000 bytes of text)")
	f.Check(in.Outcome != "upheld" || in.Action == "reevaluate" || in.Action == "cancel", "action", "must be reevaluate or cancel for an upheld challenge")
	f.Check(in.Outcome != "dismissed" || in.Action == "", "action", "is only for an upheld challenge")
	if err := f.Err(); err != nil {
		return Challenge{}, err
	}
	if by.Role != access.ProcurementOfficer {
		return Challenge{}, apperr.ErrForbidden
	}
	now := s.clock.Now()
	var c Challenge
	var t Tender
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var tenderID int64
		if err := tx.Model(&Challenge{}).Select("tender_id").Where("id = ?", challengeID).Take(&tenderID).Error; err != nil {
			return notFound(err)
		}
		var err error
		if t, err = officerTender(tx, by, tenderID); err != nil {
			return err
		}
		if _, err := lockFund(tx, t.FundAccountID); err != nil {
			return err
		}
		if err := tx.Clauses(clause.Locking{Strength: "NO KEY UPDATE"}).Omit("organization_name").Take(&c, challengeID).Error; err != nil {
			return err
		}
		if c.Status != "open" {
			return ErrChallengeAnswered
		}
		fields := map[string]any{"status": in.Outcome, "answer": in.Answer, "answered_by": by.UserRef(), "answered_at": now}
		if in.Action != "" {
			fields["outcome_action"] = in.Action
		}
		if err := tx.Model(&Challenge{}).Where("id = ? AND status = 'open'", c.ID).Updates(fields).Error; err != nil {
			return fmt.Errorf("answer challenge: %w", err)
		}
		if err := audit.Record(tx, by, "challenge.answer", "tender", t.ID, map[string]any{"challenge_id": c.ID, "outcome": in.Outcome, "action": in.Action}); err != nil {
			return err
		}
		if err := notifyOrgs(tx, KindChallengeAnswer, t, []int64{c.OrganizationID}, now); err != nil {
			return err
		}
		replacing, err := hasContracts(tx, t.ID)
		if err != nil {
			return err
		}
		switch {
		case in.Outcome == "upheld" && replacing && in.Action != "cancel":
			return ErrReplacementReevaluate
		case in.Outcome == "upheld" && replacing:
			var p AwardProposal
			if err := tx.Where("tender_id = ? AND status = 'proposed'", t.ID).Take(&p).Error; err != nil {
				return fmt.Errorf("award of tender %d: %w", t.ID, err)
			}
			if err := tx.Model(&Challenge{}).Where("tender_id = ? AND status = 'open'", t.ID).Updates(map[string]any{"status": "moot", "answered_at": now}).Error; err != nil {
				return err
			}
			return s.endReplacement(tx, by, &t, p, "质疑成立，替补中标撤销 / challenge upheld, the replacement award is withdrawn: "+truncate(in.Answer, 500), now)
		case in.Outcome == "upheld" && in.Action == "cancel":
			if err := cancelTx(tx, by, t, "质疑成立，招标终止 / challenge upheld, tender cancelled: "+truncate(in.Answer, 500), now); err != nil {
				return err
			}
			return s.released(tx, t.ID, "tenderCancellation", now)
		case in.Outcome == "upheld":
			if err := tx.Model(&AwardProposal{}).Where("tender_id = ? AND status = 'proposed'", t.ID).Updates(map[string]any{"status": "withdrawn", "ended_at": now}).Error; err != nil {
				return err
			}
			if err := tx.Model(&Challenge{}).Where("tender_id = ? AND status = 'open'", t.ID).Updates(map[string]any{"status": "moot", "answered_at": now}).Error; err != nil {
				return err
			}
			if err := setStatus(tx, &t, StatusOpened, map[string]any{"evaluation_round": t.EvaluationRound + 1, "evaluated_at": nil, "challenge_ends_at": nil}, now); err != nil {
				return err
			}
			if err := audit.Record(tx, by, "tender.reevaluate", "tender", t.ID, map[string]any{"round": t.EvaluationRound, "challenge_id": c.ID}); err != nil {
				return err
			}
			return notifyCommittee(tx, t, KindCommitteeToScore, now)
		default:
			var open int64
			if err := tx.Model(&Challenge{}).Where("tender_id = ? AND status = 'open'", t.ID).Count(&open).Error; err != nil {
				return err
			}
			if open == 0 && t.ChallengeEndsAt != nil && !now.Before(*t.ChallengeEndsAt) {
				return s.finalize(tx, by, &t, now)
			}
			return nil
		}
	})
	if err != nil {
		return Challenge{}, err
	}
	return s.challenge(ctx, c.ID)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }

func (s *Service) challenge(ctx context.Context, id int64) (Challenge, error) {
	var c Challenge
	db := s.db.WithContext(ctx)
	err := db.Table("challenges").Select("challenges.*, o.legal_name AS organization_name").
		Joins("JOIN organizations o ON o.id = challenges.organization_id").Where("challenges.id = ?", id).Take(&c).Error
	if err != nil {
		return c, err
	}
	list := []Challenge{c}
	err = withEvidence(db, list)
	return list[0], err
}

// Challenges returns a tender's challenges: all of them to its officers, the
// administrators and its committee; to an organization its own.
func (s *Service) Challenges(ctx context.Context, by access.Actor, tenderID int64) ([]Challenge, error) {
	db := s.db.WithContext(ctx)
	var t Tender
	if err := visible(db, by).Take(&t, tenderID).Error; err != nil {
		return nil, notFound(err)
	}
	q := db.Table("challenges").Select("challenges.*, o.legal_name AS organization_name").
		Joins("JOIN organizations o ON o.id = challenges.organization_id").Where("challenges.tender_id = ?", t.ID)
	if by.Is(access.OrgAdmin, access.OrgMember) {
		q = q.Where("challenges.organization_id = ?", by.Scope.OrganizationID)
	}
	out := []Challenge{}
	if err := q.Order("challenges.id").Find(&out).Error; err != nil {
		return nil, err
	}
	return out, withEvidence(db, out)
}
