package tender

import (
	"context"
	"fmt"
	"math/big"
	"reflect"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/audit"
	"github.com/jiedao-market/jiedao/internal/money"
	"github.com/jiedao-market/jiedao/internal/track"
)

// Errors of the committee.
var (
	ErrDeclared         = apperr.New(apperr.Conflict, "committee.declared", "you have declared already")
	ErrNotEvaluating    = apperr.New(apperr.Conflict, "tender.not_evaluating", "the tender is not under evaluation")
	ErrScoresIncomplete = apperr.New(apperr.Conflict, "scores.incomplete", "the score table is shown once every committee member has submitted")
)

// committeeMember locks the tender and by's committee row: by must be an
// evaluator on the tender's committee (else apperr.ErrNotFound).
func committeeMember(tx *gorm.DB, by access.Actor, tenderID int64) (Tender, member, error) {
	var t Tender
	var m member
	if by.Role != access.Evaluator {
		return t, m, apperr.ErrForbidden
	}
	if err := tx.Clauses(clause.Locking{Strength: "NO KEY UPDATE"}).
		Where("id = ? AND published_at IS NOT NULL AND id IN (SELECT tender_id FROM tender_committee WHERE user_id = ?)", tenderID, by.UserID).
		Take(&t).Error; err != nil {
		return t, m, notFound(err)
	}
	err := tx.Clauses(clause.Locking{Strength: "NO KEY UPDATE"}).Where("tender_id = ? AND user_id = ?", tenderID, by.UserID).Take(&m).Error
	return t, m, notFound(err)
}

// Declare records a committee member's declaration, made after the opening
// with the bidders' names before the member sees any bid. A member who
// declares a conflict is recused (the officer names a replacement); a
// statement is then required.
func (s *Service) Declare(ctx context.Context, by access.Actor, tenderID int64, conflict bool, statement string) (CommitteeMember, error) {
	statement = strings.TrimSpace(statement)
	if len(statement) > 5000 || !plain(statement) || (conflict && statement == "") {
		return CommitteeMember{}, apperr.InvalidField("statement", "is required with a conflict (at most 5000 bytes)")
	}
	now := s.clock.Now()
	var out CommitteeMember
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		t, m, err := committeeMember(tx, by, tenderID)
		if err != nil {
			return err
		}
		if t.Status != StatusOpened {
			return ErrNotEvaluating
		}
		if m.Recused || m.DeclaredAt != nil {
			return ErrDeclared
		}
		res := tx.Model(&member{}).Where("tender_id = ? AND user_id = ? AND declared_at IS NULL", t.ID, by.UserID).
			Updates(map[string]any{"declared_at": now, "conflict": conflict, "statement": statement, "recused": conflict})
		if err := oneRow(res, "declare on tender %d", t.ID); err != nil {
			return err
		}
		var name string
		if err := tx.Table("users").Select("coalesce(nullif(display_name, ''), username)").Where("id = ?", by.UserID).Take(&name).Error; err != nil {
			return err
		}
		out = CommitteeMember{UserID: by.UserID, Name: name, Recused: conflict, Declared: true, Conflict: &conflict}
		if err := audit.Record(tx, by, "committee.declare", "tender", t.ID, map[string]any{"conflict": conflict}); err != nil {
			return err
		}
		if conflict {
			return notifyOfficers(tx, t, KindMemberRecused, now)
		}
		return nil
	})
	return out, err
}

// CriterionScore is a member's points for one criterion of one bid, with a comment.
type CriterionScore struct {
	Code    string `json:"code"`
	Points  Score  `json:"points"`
	Comment string `json:"comment"`
}

// BidSheet is a member's scores for one bid.
type BidSheet struct {
	BidID    int64            `json:"bid_id"`
	Criteria []CriterionScore `json:"criteria"`
}

type scoreRow struct {
	TenderID      int64
	Round         int
	UserID        int64
	BidID         int64
	CriterionCode string
	Points        Score
	Comment       string
}

func (scoreRow) TableName() string { return "bid_scores" }

type scoreSheet struct {
	TenderID    int64
	Round       int
	UserID      int64
	SubmittedAt time.Time
}

func (scoreSheet) TableName() string { return "score_sheets" }

// SheetReceipt confirms a submitted score sheet.
type SheetReceipt struct {
	TenderID    int64     `json:"tender_id"`
	Round       int       `json:"round"`
	SubmittedAt time.Time `json:"submitted_at"`
	// Complete is true when this sheet was the last one: the tender is evaluated.
	Complete bool `json:"complete"`
}

// SubmitScores stores a member's score sheet: every criterion of every
// compliant bid, with a comment, between 0 and the criterion's maximum. A
// member may submit again until the last member has submitted; the last
// sheet completes the evaluation.
func (s *Service) SubmitScores(ctx context.Context, by access.Actor, tenderID int64, sheets []BidSheet) (SheetReceipt, error) {
	now := s.clock.Now()
	var r SheetReceipt
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		t, m, err := committeeMember(tx, by, tenderID)
		if err != nil {
			return err
		}
		if t.Status != StatusOpened {
			return ErrNotEvaluating
		}
		if m.Recused {
			return ErrRecused
		}
		if m.DeclaredAt == nil {
			return ErrNotDeclared
		}
		var criteria []Criterion
		if err := tx.Where("tender_id = ?", t.ID).Order("position").Find(&criteria).Error; err != nil {
			return err
		}
		var compliant []int64
		if err := tx.Model(&Bid{}).Where("tender_id = ? AND compliant", t.ID).Order("id").Pluck("id", &compliant).Error; err != nil {
			return err
		}
		rows, err := checkSheets(sheets, criteria, compliant)
		if err != nil {
			return err
		}
		if err := tx.Where("tender_id = ? AND round = ? AND user_id = ?", t.ID, t.EvaluationRound, by.UserID).Delete(&scoreRow{}).Error; err != nil {
			return err
		}
		for i := range rows {
			rows[i].TenderID, rows[i].Round, rows[i].UserID = t.ID, t.EvaluationRound, by.UserID
		}
		if len(rows) > 0 {
			if err := tx.Create(&rows).Error; err != nil {
				return fmt.Errorf("insert scores: %w", err)
			}
		}
		sheet := scoreSheet{TenderID: t.ID, Round: t.EvaluationRound, UserID: by.UserID, SubmittedAt: now}
		if err := tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "tender_id"}, {Name: "round"}, {Name: "user_id"}},
			DoUpdates: clause.AssignmentColumns([]string{"submitted_at"})}).Create(&sheet).Error; err != nil {
			return err
		}
		r = SheetReceipt{TenderID: t.ID, Round: t.EvaluationRound, SubmittedAt: now}
		if err := audit.Record(tx, by, "committee.score", "tender", t.ID, map[string]any{"round": t.EvaluationRound, "bids": len(compliant)}); err != nil {
			return err
		}
		var members, submitted int64
		if err := tx.Model(&member{}).Where("tender_id = ? AND NOT recused", t.ID).Count(&members).Error; err != nil {
			return err
		}
		if err := tx.Model(&scoreSheet{}).Where("tender_id = ? AND round = ? AND user_id IN (SELECT user_id FROM tender_committee WHERE tender_id = ? AND NOT recused)",
			t.ID, t.EvaluationRound, t.ID).Count(&submitted).Error; err != nil {
			return err
		}
		if members < 3 || members%2 == 0 || submitted < members {
			return nil
		}
		if err := setStatus(tx, &t, StatusEvaluated, map[string]any{"evaluated_at": now}, now); err != nil {
			return err
		}
		r.Complete = true
		if err := audit.Record(tx, by, "tender.evaluated", "tender", t.ID, map[string]any{"round": t.EvaluationRound, "members": members}); err != nil {
			return err
		}
		return notifyOfficers(tx, t, KindEvaluated, now)
	})
	return r, err
}

// checkSheets checks that sheets score every criterion of every compliant bid
// once, within the maxima, with comments, and returns the rows to store.
func checkSheets(sheets []BidSheet, criteria []Criterion, compliant []int64) ([]scoreRow, error) {
	var f apperr.Fields
	maxOf := map[string]Score{}
	for _, c := range criteria {
		maxOf[c.Code] = Score(c.MaxPoints) * 100
	}
	want := map[int64]bool{}
	for _, id := range compliant {
		want[id] = true
	}
	seen := map[int64]bool{}
	var rows []scoreRow
	for i, sh := range sheets {
		field := fmt.Sprintf("scores[%d]", i)
		if !want[sh.BidID] || seen[sh.BidID] {
			f.Add(field+".bid_id", "must be a compliant bid of the tender, once")
			continue
		}
		seen[sh.BidID] = true
		got := map[string]bool{}
		for j, c := range sh.Criteria {
			cf := fmt.Sprintf("%s.criteria[%d]", field, j)
			max, ok := maxOf[c.Code]
			if !ok || got[c.Code] {
				f.Add(cf+".code", "must be a criterion of the tender, once")
				continue
			}
			got[c.Code] = true
			f.Check(c.Points >= 0 && c.Points <= max, cf+".points", "must be between 0 and the criterion's max_points")
			comment := strings.TrimSpace(c.Comment)
			f.Check(comment != "" && len(comment) <= 5000 && plain(comment), cf+".comment", "is required (at most 5000 bytes of text)")
			rows = append(rows, scoreRow{BidID: sh.BidID, CriterionCode: c.Code, Points: c.Points, Comment: comment})
		}
		f.Check(len(got) == len(criteria), field+".criteria", "must score every criterion of the tender")
	}
	f.Check(len(seen) == len(want), "scores", "must score every compliant bid")
	return rows, f.Err()
}

// ScoreTable is the full score table of a tender: each bid's components,
// total and rank, and every member's points.
type ScoreTable struct {
	TenderID int64         `json:"tender_id"`
	Round    int           `json:"round"`
	Weights  Weights       `json:"weights"`
	Criteria []Criterion   `json:"criteria"`
	Members  []TableMember `json:"members"`
	Rows     []ScoreRow    `json:"rows"`
}

// TableMember is a committee member in the score table.
type TableMember struct {
	UserID int64  `json:"user_id"`
	Name   string `json:"name"`
}

// ScoreRow is one bid in the score table.
type ScoreRow struct {
	Rank             int       `json:"rank"`
	BidID            int64     `json:"bid_id"`
	OrganizationID   int64     `json:"organization_id"`
	OrganizationName string    `json:"organization_name"`
	PriceFen         money.Fen `json:"price_fen"`
	ReceivedAt       time.Time `json:"received_at"`
	PriceScore       Score     `json:"price_score"`
	Technical        Score     `json:"technical_score"`
	Performance      Score     `json:"performance_score"`
	Total            Score     `json:"total"`
	// PerformanceRecord is the bidder's record P in percent, two decimals,
	// taken at the opening (PerformanceBasis shows how; tables frozen before
	// migration 00017 have no basis); Newcomer marks the neutral 60 % of a
	// bidder without a completed contract in the three years before.
	PerformanceRecord Score              `json:"performance_record_percent"`
	PerformanceBasis  *track.Basis       `json:"performance_basis,omitempty"`
	Newcomer          bool               `json:"newcomer"`
	AbnormallyLow     bool               `json:"abnormally_low"`
	AbnormalReasons   []string           `json:"abnormal_reasons"`
	MemberTotals      []Score            `json:"member_totals"`
	MemberScores      [][]CriterionScore `json:"member_scores"`
}

// computeTable scores t's compliant bids from the submitted sheets of its
// current round.
func computeTable(db *gorm.DB, t Tender) (ScoreTable, error) {
	table := ScoreTable{TenderID: t.ID, Round: t.EvaluationRound, Weights: t.weights(), Members: []TableMember{}, Rows: []ScoreRow{}}
	if err := db.Where("tender_id = ?", t.ID).Order("position").Find(&table.Criteria).Error; err != nil {
		return table, err
	}
	if err := db.Raw(`SELECT m.user_id, coalesce(nullif(u.display_name, ''), u.username) AS name FROM tender_committee m
		JOIN users u ON u.id = m.user_id JOIN score_sheets s ON s.tender_id = m.tender_id AND s.user_id = m.user_id AND s.round = ?
		WHERE m.tender_id = ? AND NOT m.recused ORDER BY m.user_id`, t.EvaluationRound, t.ID).Scan(&table.Members).Error; err != nil {
		return table, err
	}
	bids, err := openedBids(db, t, false)
	if err != nil {
		return table, err
	}
	var scores []scoreRow
	if err := db.Where("tender_id = ? AND round = ?", t.ID, t.EvaluationRound).Order("user_id, bid_id").Find(&scores).Error; err != nil {
		return table, err
	}
	pos := map[string]int{}
	for i, c := range table.Criteria {
		pos[c.Code] = i
	}
	memberIdx := map[int64]int{}
	for i, m := range table.Members {
		memberIdx[m.UserID] = i
	}
	type acc struct {
		totals []Score
		detail [][]CriterionScore
	}
	perBid := map[int64]*acc{}
	var inputs []BidInput
	byID := map[int64]BidView{}
	for _, b := range bids {
		if b.Compliant == nil || !*b.Compliant {
			continue
		}
		a := &acc{totals: make([]Score, len(table.Members)), detail: make([][]CriterionScore, len(table.Members))}
		for i := range a.detail {
			a.detail[i] = make([]CriterionScore, len(table.Criteria))
		}
		perBid[b.ID] = a
		byID[b.ID] = b
	}
	for _, sc := range scores {
		a, ok := perBid[sc.BidID]
		i, isMember := memberIdx[sc.UserID]
		if !ok || !isMember {
			continue
		}
		a.totals[i] += sc.Points
		a.detail[i][pos[sc.CriterionCode]] = CriterionScore{Code: sc.CriterionCode, Points: sc.Points, Comment: sc.Comment}
	}
	stored, err := performanceOf(db, t.ID)
	if err != nil {
		return table, err
	}
	for id, b := range byID {
		// A compliant bid always has its record from the opening; were one
		// missing, the bidder would count as a newcomer (a nil record).
		inputs = append(inputs, BidInput{ID: id, Price: *b.PriceFen, MemberTotals: perBid[id].totals, PerformanceRecord: stored[id].share,
			ReceivedAt: b.ReceivedAt})
	}
	if len(inputs) == 0 || len(table.Members) == 0 {
		return table, nil
	}
	// Pass bids in receipt order so that equal bids keep it.
	sortByReceipt(inputs)
	ranked, err := ScoreBids(t.weights(), inputs)
	if err != nil {
		return table, fmt.Errorf("score tender %d: %w", t.ID, err)
	}
	for _, r := range ranked {
		b, a := byID[r.ID], perBid[r.ID]
		row := ScoreRow{Rank: r.Rank, BidID: r.ID, OrganizationID: b.OrganizationID, OrganizationName: b.OrganizationName, PriceFen: r.Price,
			ReceivedAt: b.ReceivedAt, PriceScore: r.PriceScore, Technical: r.Technical, Performance: r.Performance, Total: r.Total,
			AbnormallyLow: r.AbnormallyLow, AbnormalReasons: nonNil(r.AbnormalReasons), MemberTotals: a.totals, MemberScores: a.detail}
		if rec, ok := stored[r.ID]; !ok {
			row.Newcomer, row.PerformanceRecord = true, NewcomerPercent*100
		} else {
			row.Newcomer, row.PerformanceBasis = rec.newcomer, rec.basis
			row.PerformanceRecord = roundDiv(new(big.Int).Mul(rec.share.Num(), big.NewInt(10000)), rec.share.Denom())
		}
		table.Rows = append(table.Rows, row)
	}
	return table, nil
}

func sortByReceipt(in []BidInput) {
	for i := 1; i < len(in); i++ {
		for j := i; j > 0 && (in[j].ReceivedAt.Before(in[j-1].ReceivedAt) || (in[j].ReceivedAt.Equal(in[j-1].ReceivedAt) && in[j].ID < in[j-1].ID)); j-- {
			in[j], in[j-1] = in[j-1], in[j]
		}
	}
}

// ScoreTable returns the tender's score table: once an award is proposed, the
// table frozen with it, the same for every reader who may see the tender;
// before that, after the evaluation, to the officers, administrators and
// committee. While scores are missing, ErrScoresIncomplete.
func (s *Service) ScoreTable(ctx context.Context, by access.Actor, id int64) (ScoreTable, error) {
	db := s.db.WithContext(ctx)
	var t Tender
	if err := visible(db, by).Take(&t, id).Error; err != nil {
		return ScoreTable{}, notFound(err)
	}
	if p, err := currentAward(db, t); err != nil {
		return ScoreTable{}, err
	} else if p != nil {
		return p.ScoreTable, nil
	}
	if t.OpenedAt == nil {
		return ScoreTable{}, ErrNotOpened
	}
	if t.Status != StatusEvaluated && t.Status != StatusAwardBlocked {
		return ScoreTable{}, ErrScoresIncomplete
	}
	switch {
	case manages(by, t):
	case by.Role == access.Evaluator:
		if err := declaredMember(db, by, t); err != nil {
			return ScoreTable{}, err
		}
	default:
		return ScoreTable{}, ErrScoresIncomplete
	}
	return computeTable(db, t)
}

// Evaluator is an evaluator of the district a committee may name.
type Evaluator struct {
	UserID   int64  `json:"user_id"`
	Name     string `json:"name"`
	Username string `json:"username"`
}

// Evaluators returns the active evaluators of a procurement officer's
// district, from whom a committee is named.
func (s *Service) Evaluators(ctx context.Context, by access.Actor) ([]Evaluator, error) {
	if by.Role != access.ProcurementOfficer {
		return nil, apperr.ErrForbidden
	}
	out := []Evaluator{}
	err := s.db.WithContext(ctx).Table("users").Select("id AS user_id, coalesce(nullif(display_name, ''), username) AS name, username").
		Where("role = ? AND district_id = ? AND status = 'active'", access.Evaluator, by.Scope.DistrictID).Order("id").Scan(&out).Error
	return out, err
}

// MySheet is a committee member's own standing on a tender: recused or
// declared, and the sheet submitted in the current round, if any.
type MySheet struct {
	Recused     bool
	Declared    bool
	SubmittedAt *time.Time
	Scores      []BidSheet
}

// MySheet returns by's own standing on the tender's committee and its own
// submitted scores of the current round; not a member: apperr.ErrNotFound.
func (s *Service) MySheet(ctx context.Context, by access.Actor, tenderID int64) (MySheet, error) {
	db := s.db.WithContext(ctx)
	var t Tender
	if err := visible(db, by).Take(&t, tenderID).Error; err != nil {
		return MySheet{}, notFound(err)
	}
	var m member
	if err := db.Where("tender_id = ? AND user_id = ?", t.ID, by.UserID).Take(&m).Error; err != nil {
		return MySheet{}, notFound(err)
	}
	out := MySheet{Recused: m.Recused, Declared: m.DeclaredAt != nil}
	var sheet scoreSheet
	if err := db.Where("tender_id = ? AND round = ? AND user_id = ?", t.ID, t.EvaluationRound, by.UserID).Limit(1).Find(&sheet).Error; err != nil {
		return out, err
	}
	if sheet.UserID == 0 {
		return out, nil
	}
	out.SubmittedAt = &sheet.SubmittedAt
	var rows []scoreRow
	if err := db.Where("tender_id = ? AND round = ? AND user_id = ?", t.ID, t.EvaluationRound, by.UserID).Order("bid_id, criterion_code").
		Find(&rows).Error; err != nil {
		return out, err
	}
	for _, r := range rows {
		if n := len(out.Scores); n == 0 || out.Scores[n-1].BidID != r.BidID {
			out.Scores = append(out.Scores, BidSheet{BidID: r.BidID})
		}
		last := &out.Scores[len(out.Scores)-1]
		last.Criteria = append(last.Criteria, CriterionScore{Code: r.CriterionCode, Points: r.Points, Comment: r.Comment})
	}
	return out, nil
}

// onlyCommittee reports whether in changes nothing but the committee.
func onlyCommittee(in Input) bool {
	if in.CommitteeUserIDs == nil {
		return false
	}
	in.CommitteeUserIDs = nil
	return reflect.DeepEqual(in, Input{})
}

// ReplaceRecused names evaluators of the district in place of the members of
// an opened tender's committee who declared a conflict: the committee becomes
// every member not recused and the evaluators named (one already on it counts
// once), in one transaction under the tender's lock, audited, the newcomers
// told. It returns ErrNotEvaluating unless the tender is opened,
// ErrCommitteeChange unless the newcomers replace recused members into an
// odd committee of three or more, apperr.Invalid naming committee_user_ids
// for a recused member or anyone not an active evaluator of the district, and
// apperr.ErrNotFound for a tender not of by's subdistrict.
func (s *Service) ReplaceRecused(ctx context.Context, by access.Actor, id int64, evaluators []int64) (View, error) {
	now := s.clock.Now()
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		t, err := officerTender(tx, by, id)
		if err != nil {
			return err
		}
		if t.Status != StatusOpened {
			return ErrNotEvaluating
		}
		var ids []int64
		if err := tx.Model(&member{}).Where("tender_id = ? AND NOT recused", t.ID).Order("user_id").Pluck("user_id", &ids).Error; err != nil {
			return fmt.Errorf("committee of tender %d: %w", t.ID, err)
		}
		for _, uid := range evaluators {
			if !slices.Contains(ids, uid) {
				ids = append(ids, uid)
			}
		}
		return replaceMembers(tx, by, t, ids, now)
	})
	if err != nil {
		return View{}, err
	}
	return s.Get(ctx, by, id)
}

// ErrCommitteeChange is returned for a committee change during the evaluation
// that does more than replace recused members.
var ErrCommitteeChange = apperr.New(apperr.Conflict, "committee.change_refused",
	"during the evaluation the committee changes only to replace members who declared a conflict: keep every other member and keep the size")

// replaceMembers makes ids the committee of the opened tender t, locked by the
// caller, when it replaces recused members with other evaluators of the
// district: every member not recused stays, and the committee keeps its size.
// Update (a committee-only edit) and ReplaceRecused share it.
func replaceMembers(tx *gorm.DB, by access.Actor, t Tender, ids []int64, now time.Time) error {
	var all []member
	if err := tx.Where("tender_id = ?", t.ID).Find(&all).Error; err != nil {
		return err
	}
	inList := map[int64]bool{}
	for _, id := range ids {
		inList[id] = true
	}
	var added []int64
	for _, id := range slices.Compact(slices.Sorted(slices.Values(ids))) {
		i := slices.IndexFunc(all, func(m member) bool { return m.UserID == id })
		if i >= 0 && all[i].Recused {
			return apperr.InvalidField("committee_user_ids", "a member who declared a conflict cannot return")
		}
		if i < 0 {
			added = append(added, id)
		}
	}
	staying, recused := 0, 0
	for _, m := range all {
		switch {
		case m.Recused:
			recused++
		case !inList[m.UserID]:
			return ErrCommitteeChange
		default:
			staying++
		}
	}
	if n := staying + len(added); len(added) == 0 || len(added) > recused || n < 3 || n%2 == 0 {
		return ErrCommitteeChange
	}
	var districtID int64
	if err := tx.Table("subdistricts").Select("district_id").Where("id = ?", t.SubdistrictID).Take(&districtID).Error; err != nil {
		return err
	}
	var n int64
	if err := tx.Table("users").Where("id IN ? AND role = 'evaluator' AND district_id = ? AND status = 'active'", added, districtID).Count(&n).Error; err != nil {
		return err
	}
	if int(n) != len(added) {
		return apperr.InvalidField("committee_user_ids", "must be active evaluators of your district")
	}
	for _, id := range added {
		if err := tx.Create(&member{TenderID: t.ID, UserID: id, AddedAt: now}).Error; err != nil {
			return fmt.Errorf("add committee member: %w", err)
		}
	}
	if err := audit.Record(tx, by, "committee.replace", "tender", t.ID, map[string]any{"added": added}); err != nil {
		return err
	}
	return notifyUsers(tx, KindCommitteeToScore, t, added, now)
}
