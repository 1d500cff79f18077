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
	var states []struct {
		Status string
		N      int
	}
	if err := db.Raw(`SELECT status, count(*) AS n FROM contracts WHERE organization_id = ? AND signed_at IS NOT NULL GROUP BY status`,
		orgID).Scan(&states).Error; err != nil {
		return out, fmt.Errorf("contracts of organization %d: %w", orgID, err)
	}
	for _, st := range states {
		switch st.Status {
		case "signed":
			out.Contracts.Signed = st.N
		case "active":
			out.Contracts.Active = st.N
		case "completed":
			out.Contracts.Completed = st.N
		case "terminated":
			out.Contracts.Terminated = st.N
		}
	}
	out.Terminations = out.Contracts.Terminated
	var grades []struct {
		Grade string
		N     int
	}
	if err := db.Raw(`SELECT e.grade, count(*) AS n FROM evaluations e JOIN contracts c ON c.id = e.contract_id
		WHERE c.organization_id = ? AND e.status = 'submitted' GROUP BY e.grade`, orgID).Scan(&grades).Error; err != nil {
		return out, fmt.Errorf("evaluation grades of organization %d: %w", orgID, err)
	}
	for _, g := range grades {
		switch g.Grade {
		case evaluation.GradeExcellent:
			out.Grades.Excellent = g.N
		case evaluation.GradeGood:
			out.Grades.Good = g.N
		case evaluation.GradePass:
			out.Grades.Pass = g.N
		case evaluation.GradeFail:
			out.Grades.Fail = g.N
		}
	}
	var err error
	if out.Completed, err = completed(db, orgID); err != nil {
		return out, err
	}
	err = db.Raw(`SELECT
		(SELECT count(*) FROM complaints WHERE organization_id = @org AND outcome = 'upheld'),
		(SELECT count(*) FROM contracts c WHERE c.organization_id = @org AND `+forCause+`),
		(SELECT count(*) FROM challenges ch JOIN award_proposals ap ON ap.id = ch.award_proposal_id
		 WHERE ch.status = 'upheld' AND EXISTS (SELECT 1 FROM bids b WHERE b.organization_id = @org AND ap.bid_ids @> to_jsonb(b.id)))`,
		map[string]any{"org": orgID}).Row().Scan(&out.ComplaintsUpheld, &out.TerminationsForCause, &out.ChallengesUpheld)
	if err != nil {
		return out, fmt.Errorf("complaints, terminations and challenges of organization %d: %w", orgID, err)
	}
	recs, err := Take(db, s.params, []int64{orgID}, s.clock.Now())
	if err != nil {
		return out, err
	}
	out.Performance = recs[orgID].Basis
	return out, nil
}

// completed returns the organization's latest completed contracts with their
// final evaluation and its latest re-evaluation.
func completed(db *gorm.DB, orgID int64) ([]CompletedContract, error) {
	var rows []struct {
		ID              int64
		Title           string
		CategoryCode    string
		SubdistrictName string
		AmountFen       money.Fen
		ServiceStart    civil.Date
		ServiceEnd      civil.Date
		EndedAt         time.Time
		FinalScore      *string
		FinalGrade      *string
		ReScore         *string
		ReGrade         *string
	}
	err := db.Raw(`SELECT c.id, c.title, c.category_code, s.name_zh AS subdistrict_name, c.amount_fen, c.service_start, c.service_end,
			c.ended_at, c.final_score::text AS final_score, f.grade AS final_grade, r.score::text AS re_score, r.grade AS re_grade
		FROM contracts c
		JOIN subdistricts s ON s.id = c.subdistrict_id
		LEFT JOIN LATERAL (SELECT id, grade FROM evaluations WHERE contract_id = c.id AND kind = @final AND reevaluation_of IS NULL
			AND status = 'submitted' ORDER BY submitted_at, id LIMIT 1) f ON true
		LEFT JOIN LATERAL (SELECT score, grade FROM evaluations WHERE contract_id = c.id AND kind = @final AND reevaluation_of IS NOT NULL
			AND status = 'submitted' ORDER BY submitted_at DESC, id DESC LIMIT 1) r ON f.id IS NOT NULL
		WHERE c.organization_id = @org AND c.status = 'completed'
		ORDER BY c.ended_at DESC, c.id DESC LIMIT @limit`,
		map[string]any{"org": orgID, "final": evaluation.KindFinal, "limit": MaxCompleted}).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("completed contracts of organization %d: %w", orgID, err)
	}
	out := make([]CompletedContract, 0, len(rows))
	for _, r := range rows {
		c := CompletedContract{ID: r.ID, Title: r.Title, CategoryCode: r.CategoryCode, SubdistrictName: r.SubdistrictName,
			AmountFen: r.AmountFen, ServiceStart: r.ServiceStart, ServiceEnd: r.ServiceEnd, EndedAt: r.EndedAt}
		if r.FinalScore != nil {
			c.FinalScore = &Score{Score: *r.FinalScore, Grade: GradeOf(*r.FinalScore)}
			if r.FinalGrade != nil {
				c.FinalScore.Grade = *r.FinalGrade
			}
		}
		if r.ReScore != nil && r.ReGrade != nil {
			c.Reevaluation = &Score{Score: *r.ReScore, Grade: *r.ReGrade}
		}
		out = append(out, c)
	}
	return out, nil
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
