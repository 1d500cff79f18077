package track

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/civil"
	"github.com/jiedao-market/jiedao/internal/evaluation"
	"github.com/jiedao-market/jiedao/internal/money"
	"github.com/jiedao-market/jiedao/internal/org"
	"github.com/jiedao-market/jiedao/internal/platform/clock"
	"github.com/jiedao-market/jiedao/internal/platform/replica"
	"github.com/jiedao-market/jiedao/internal/rating"
)

// Service reads organizations' track records and public provider profiles.
type Service struct {
	db      *gorm.DB
	clock   clock.Clock
	orgs    *org.Service
	ratings *rating.Service
	params  Params
}

// NewService returns the track-record service on db: orgs gives the
// organizations' public faces, ratings their rating summaries, and p the
// rating settings P is taken with.
func NewService(db *gorm.DB, c clock.Clock, orgs *org.Service, ratings *rating.Service, p Params) *Service {
	return &Service{db: db, clock: c, orgs: orgs, ratings: ratings, params: p}
}

// ContractCounts are an organization's public contracts (signed by both
// parties) by state.
type ContractCounts struct {
	Signed     int `json:"signed"`
	Active     int `json:"active"`
	Completed  int `json:"completed"`
	Terminated int `json:"terminated"`
}

// GradeCounts count submitted evaluations by grade (re-evaluations included).
type GradeCounts struct {
	Excellent int `json:"excellent"`
	Good      int `json:"good"`
	Pass      int `json:"pass"`
	Fail      int `json:"fail"`
}

// Score is an evaluation's score (one decimal) and grade.
type Score struct {
	Score string `json:"score"`
	Grade string `json:"grade"`
}

// CompletedContract is a completed contract in a track record: its final
// score, the score of its first final evaluation, and the latest
// re-evaluation of that one beside it, if any.
type CompletedContract struct {
	ID              int64      `json:"id"`
	Title           string     `json:"title"`
	CategoryCode    string     `json:"category_code"`
	SubdistrictName string     `json:"subdistrict_name"`
	AmountFen       money.Fen  `json:"amount_fen"`
	ServiceStart    civil.Date `json:"service_start"`
	ServiceEnd      civil.Date `json:"service_end"`
	EndedAt         time.Time  `json:"ended_at"`
	// FinalScore is nil for a contract completed without one (before
	// evaluations existed).
	FinalScore   *Score `json:"final_score"`
	Reevaluation *Score `json:"reevaluation"`
}

// MaxCompleted is how many completed contracts, latest first, a track record
// lists (ContractCounts.Completed counts them all).
const MaxCompleted = 100

// TrackRecord is an organization's track record.
type TrackRecord struct {
	Contracts ContractCounts      `json:"contracts"`
	Grades    GradeCounts         `json:"evaluation_grades"`
	Completed []CompletedContract `json:"completed_contracts"`
	// ComplaintsUpheld counts the residents' complaints about its services
	// decided upheld.
	ComplaintsUpheld int `json:"complaints_upheld"`
	// Terminations counts its terminated contracts, TerminationsForCause
	// those the subdistrict ended on its own motion.
	Terminations         int `json:"terminations"`
	TerminationsForCause int `json:"terminations_for_cause"`
	// ChallengesUpheld counts challenges (质疑) upheld against awards
	// proposed to it.
	ChallengesUpheld int `json:"challenges_upheld"`
	// Performance is P as a tender opening now would take it.
	Performance Basis `json:"performance"`
}

// Record returns the track record of the organization, from public data
// only, and P as a tender opening now would take it. It does not check that
// the organization exists.
func (s *Service) Record(ctx context.Context, orgID int64) (TrackRecord, error) {
	db := replica.Public(s.db.WithContext(ctx))
	out := TrackRecord{Completed: []CompletedContract{}}
	// One statement: the counts by state and by grade, the latest completed
	// contracts with their final evaluation and its latest re-evaluation
	// (as JSON), and the complaints, terminations and challenges upheld.
	var row struct {
		States           map[string]int `gorm:"serializer:json"`
		Grades           map[string]int `gorm:"serializer:json"`
		Completed        []completedRow `gorm:"serializer:json"`
		ComplaintsUpheld int
		ForCause         int
		ChallengesUpheld int
	}
	err := db.Raw(`SELECT
		coalesce((SELECT json_object_agg(status, n) FROM (SELECT status, count(*) AS n FROM contracts
			WHERE organization_id = @org AND signed_at IS NOT NULL GROUP BY status) s), '{}') AS states,
		coalesce((SELECT json_object_agg(grade, n) FROM (SELECT e.grade, count(*) AS n FROM evaluations e JOIN contracts c ON c.id = e.contract_id
			WHERE c.organization_id = @org AND e.status = 'submitted' GROUP BY e.grade) g), '{}') AS grades,
		coalesce((SELECT json_agg(k ORDER BY k.ended_at DESC, k.id DESC) FROM (`+completedQuery+`) k), '[]') AS completed,
		(SELECT count(*) FROM complaints WHERE organization_id = @org AND outcome = 'upheld') AS complaints_upheld,
		(SELECT count(*) FROM contracts c WHERE c.organization_id = @org AND `+forCause+`) AS for_cause,
		(SELECT count(*) FROM challenges ch JOIN award_proposals ap ON ap.id = ch.award_proposal_id
		 WHERE ch.status = 'upheld' AND EXISTS (SELECT 1 FROM bids b WHERE b.organization_id = @org AND ap.bid_ids @> to_jsonb(b.id))) AS challenges_upheld`,
		map[string]any{"org": orgID, "final": evaluation.KindFinal, "limit": MaxCompleted}).Scan(&row).Error
	if err != nil {
		return out, fmt.Errorf("track record of organization %d: %w", orgID, err)
	}
	out.Contracts = ContractCounts{Signed: row.States["signed"], Active: row.States["active"], Completed: row.States["completed"],
		Terminated: row.States["terminated"]}
	out.Terminations = out.Contracts.Terminated
	out.Grades = GradeCounts{Excellent: row.Grades[evaluation.GradeExcellent], Good: row.Grades[evaluation.GradeGood],
		Pass: row.Grades[evaluation.GradePass], Fail: row.Grades[evaluation.GradeFail]}
	for _, r := range row.Completed {
		out.Completed = append(out.Completed, r.contract())
	}
	out.ComplaintsUpheld, out.TerminationsForCause, out.ChallengesUpheld = row.ComplaintsUpheld, row.ForCause, row.ChallengesUpheld
	recs, err := Take(db, s.params, []int64{orgID}, s.clock.Now())
	if err != nil {
		return out, err
	}
	out.Performance = recs[orgID].Basis
	return out, nil
}

// completedQuery selects the organization @org's latest @limit completed
// contracts with their final evaluation (kind @final) and its latest
// re-evaluation.
const completedQuery = `SELECT c.id, c.title, c.category_code, s.name_zh AS subdistrict_name, c.amount_fen, c.service_start, c.service_end,
			c.ended_at, c.final_score::text AS final_score, f.grade AS final_grade, r.score::text AS re_score, r.grade AS re_grade
		FROM contracts c
		JOIN subdistricts s ON s.id = c.subdistrict_id
		LEFT JOIN LATERAL (SELECT id, grade FROM evaluations WHERE contract_id = c.id AND kind = @final AND reevaluation_of IS NULL
			AND status = 'submitted' ORDER BY submitted_at, id LIMIT 1) f ON true
		LEFT JOIN LATERAL (SELECT score, grade FROM evaluations WHERE contract_id = c.id AND kind = @final AND reevaluation_of IS NOT NULL
			AND status = 'submitted' ORDER BY submitted_at DESC, id DESC LIMIT 1) r ON f.id IS NOT NULL
		WHERE c.organization_id = @org AND c.status = 'completed'
		ORDER BY c.ended_at DESC, c.id DESC LIMIT @limit`

// completedRow is a row of completedQuery, as JSON.
type completedRow struct {
	ID              int64      `json:"id"`
	Title           string     `json:"title"`
	CategoryCode    string     `json:"category_code"`
	SubdistrictName string     `json:"subdistrict_name"`
	AmountFen       money.Fen  `json:"amount_fen"`
	ServiceStart    civil.Date `json:"service_start"`
	ServiceEnd      civil.Date `json:"service_end"`
	EndedAt         time.Time  `json:"ended_at"`
	FinalScore      *string    `json:"final_score"`
	FinalGrade      *string    `json:"final_grade"`
	ReScore         *string    `json:"re_score"`
	ReGrade         *string    `json:"re_grade"`
}

// contract is the row as a track record lists it.
func (r completedRow) contract() CompletedContract {
	c := CompletedContract{ID: r.ID, Title: r.Title, CategoryCode: r.CategoryCode, SubdistrictName: r.SubdistrictName,
		AmountFen: r.AmountFen, ServiceStart: r.ServiceStart, ServiceEnd: r.ServiceEnd, EndedAt: r.EndedAt.Local()}
	if r.FinalScore != nil {
		c.FinalScore = &Score{Score: *r.FinalScore, Grade: GradeOf(*r.FinalScore)}
		if r.FinalGrade != nil {
			c.FinalScore.Grade = *r.FinalGrade
		}
	}
	if r.ReScore != nil && r.ReGrade != nil {
		c.Reevaluation = &Score{Score: *r.ReScore, Grade: *r.ReGrade}
	}
	return c
}

// GradeOf returns the grade of a score written with one decimal ("92.3"):
// excellent from 90, good from 80, pass from 60, fail below; "" for text
// that is not such a score.
func GradeOf(score string) string {
	var whole, tenth int
	if n, err := fmt.Sscanf(score, "%d.%1d", &whole, &tenth); err != nil || n != 2 {
		return ""
	}
	switch {
	case whole >= 90:
		return evaluation.GradeExcellent
	case whole >= 80:
		return evaluation.GradeGood
	case whole >= 60:
		return evaluation.GradePass
	}
	return evaluation.GradeFail
}

// Ratings are an organization's public rating summaries, from the minimum.
type Ratings struct {
	Minimum   int              `json:"minimum"`
	Summaries rating.Summaries `json:"summaries"`
}

// Profile is the public provider profile: the organization's public face
// and certifications active today, its rating summaries and its track
// record.
type Profile struct {
	org.PublicOrganization
	Ratings Ratings     `json:"ratings"`
	Record  TrackRecord `json:"track_record"`
}

// Profile returns the public provider profile of the organization, the same
// for everyone. An unknown organization is apperr.ErrNotFound.
func (s *Service) Profile(ctx context.Context, orgID int64) (Profile, error) {
	o, err := s.orgs.PublicOrganization(ctx, orgID)
	if err != nil {
		return Profile{}, err
	}
	out := Profile{PublicOrganization: o, Ratings: Ratings{Minimum: s.ratings.PublicMinimum()}}
	if out.Ratings.Summaries, err = s.ratings.ProviderSummaries(ctx, orgID); err != nil {
		return Profile{}, err
	}
	if out.Record, err = s.Record(ctx, orgID); err != nil {
		return Profile{}, err
	}
	return out, nil
}
