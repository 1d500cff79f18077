package tender

import (
	"time"

	"gorm.io/gorm"
)

// publicParts is a published tender as the public portal reads it: the
// tender and, in the same statement, its communities, metrics, criteria,
// amendments and answered questions, each as a JSON array in its order.
type publicParts struct {
	draft
	amendments []Amendment
	questions  []Question
	commitment *BidCommitment // nil before one is kept
}

// publicPartsRow is the row of readPublic: the tender's columns and its parts.
type publicPartsRow struct {
	Tender      `gorm:"embedded"`
	Communities []int64           `gorm:"serializer:json"`
	Metrics     []Metric          `gorm:"serializer:json"`
	Criteria    []criterionJSON   `gorm:"serializer:json"`
	Amendments  []amendmentJSON   `gorm:"serializer:json"`
	Questions   []publicQuestJSON `gorm:"serializer:json"`
	Commitment  *BidCommitment    `gorm:"serializer:json"`
}

// criterionJSON, amendmentJSON and publicQuestJSON are rows of
// tender_criteria, tender_amendments and tender_questions as
// json_agg writes them (by column name).
type criterionJSON struct {
	Code      string `json:"code"`
	Name      string `json:"name"`
	MaxPoints int    `json:"max_points"`
	Position  int    `json:"position"`
}

type amendmentJSON struct {
	ID          int64          `json:"id"`
	Number      int            `json:"number"`
	Reason      string         `json:"reason"`
	Changes     map[string]any `json:"changes"`
	OldClosesAt time.Time      `json:"old_closes_at"`
	NewClosesAt time.Time      `json:"new_closes_at"`
	CreatedBy   *int64         `json:"created_by"`
	CreatedAt   time.Time      `json:"created_at"`
}

type publicQuestJSON struct {
	ID             int64      `json:"id"`
	OrganizationID int64      `json:"organization_id"`
	AskedBy        *int64     `json:"asked_by"`
	Body           string     `json:"body"`
	AskedAt        time.Time  `json:"asked_at"`
	Answer         *string    `json:"answer"`
	AnsweredBy     *int64     `json:"answered_by"`
	AnsweredAt     *time.Time `json:"answered_at"`
}

// local is a time read from JSON in the location the driver gives a
// timestamptz column (time.Local), so that it shows as one read directly.
func local(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	l := t.Local()
	return &l
}

// readPublic reads the published tender id with its parts in one statement
// (gorm.ErrRecordNotFound when there is none).
func readPublic(db *gorm.DB, id int64) (publicParts, error) {
	var r publicPartsRow
	err := db.Raw(`SELECT t.*,
		coalesce((SELECT json_agg(c.community_id ORDER BY c.community_id) FROM tender_communities c WHERE c.tender_id = t.id), '[]') AS communities,
		coalesce((SELECT json_agg(m ORDER BY m.weight DESC, m.code) FROM tender_metrics m WHERE m.tender_id = t.id), '[]') AS metrics,
		coalesce((SELECT json_agg(k ORDER BY k.position) FROM tender_criteria k WHERE k.tender_id = t.id), '[]') AS criteria,
		coalesce((SELECT json_agg(a ORDER BY a.number) FROM tender_amendments a WHERE a.tender_id = t.id), '[]') AS amendments,
		coalesce((SELECT json_agg(q ORDER BY q.id) FROM tender_questions q WHERE q.tender_id = t.id AND q.answer IS NOT NULL), '[]') AS questions,
		(SELECT row_to_json(b) FROM bid_commitments b WHERE b.tender_id = t.id) AS commitment
		FROM tenders t WHERE t.published_at IS NOT NULL AND t.id = ?`, id).Take(&r).Error
	if err != nil {
		return publicParts{}, err
	}
	p := publicParts{draft: draft{t: r.Tender, communities: r.Communities, metrics: r.Metrics}, amendments: []Amendment{}, questions: []Question{}}
	if c := r.Commitment; c != nil {
		c.CommittedAt = c.CommittedAt.Local()
		p.commitment = c
	}
	for i := range p.metrics {
		p.metrics[i].TenderID = id
	}
	for _, c := range r.Criteria {
		p.criteria = append(p.criteria, Criterion{TenderID: id, Code: c.Code, Name: c.Name, MaxPoints: c.MaxPoints, Position: c.Position})
	}
	for _, a := range r.Amendments {
		p.amendments = append(p.amendments, Amendment{ID: a.ID, TenderID: id, Number: a.Number, Reason: a.Reason, Changes: a.Changes,
			OldClosesAt: a.OldClosesAt.Local(), NewClosesAt: a.NewClosesAt.Local(), CreatedBy: a.CreatedBy, CreatedAt: a.CreatedAt.Local()})
	}
	for _, q := range r.Questions {
		p.questions = append(p.questions, Question{ID: q.ID, TenderID: id, OrganizationID: q.OrganizationID, AskedBy: q.AskedBy, Body: q.Body,
			AskedAt: q.AskedAt.Local(), Answer: q.Answer, AnsweredBy: q.AnsweredBy, AnsweredAt: local(q.AnsweredAt)})
	}
	return p, nil
}

// Commitment returns the tender's commitment to its bids, as BidCommitment
// does, from what PublicGet read: ErrNotCommitted while bidding is open,
// ErrNoCommitment for a tender that closed before commitments were kept or
// was cancelled before its close.
func (p Public) Commitment() (BidCommitment, error) {
	switch {
	case p.commitment != nil:
		c := *p.commitment
		c.LeafOrder = LeafOrder
		return c, nil
	case p.stored == StatusPublished:
		return BidCommitment{}, ErrNotCommitted
	}
	return BidCommitment{}, ErrNoCommitment
}
