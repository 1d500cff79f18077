// Package work holds the worklists: the items that wait for a user (待办),
// each with its due time and the page that acts on it, and what the user did
// in the last 30 days (已办), read from the audit trail. Every domain package
// answers for its own kinds of item, one query per kind, scoped as it scopes
// everything else; a Service assembles them per role.
package work

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/civil"
	"github.com/jiedao-market/jiedao/internal/platform/clock"
)

// DoneDays is how far back the done list reaches.
const DoneDays = 30

// doneLimit caps the done list: the most recent entries.
const doneLimit = 100

// Item is one thing that waits for a user.
type Item struct {
	// Kind names what is to be done, e.g. "contract.sign"; Kinds labels it.
	Kind string `json:"kind"`
	// Group is the navigation group it counts in (Counts).
	Group string `json:"group"`
	// TitleZh and TitleEn are the kind's label and the record's name.
	TitleZh string `json:"title_zh"`
	TitleEn string `json:"title_en"`
	// Subject is the record's own name (a tender's or contract's title).
	Subject string `json:"subject"`
	// Due is when it has to be done, if a deadline applies.
	Due *time.Time `json:"due,omitempty"`
	// Link is the page that acts on it.
	Link       string `json:"link"`
	RecordType string `json:"record_type"`
	RecordID   int64  `json:"record_id"`
}

// Done is one thing the user did, from the audit trail.
type Done struct {
	Action string `json:"action"`
	// TitleZh and TitleEn say what was done.
	TitleZh    string    `json:"title_zh"`
	TitleEn    string    `json:"title_en"`
	EntityType string    `json:"entity_type"`
	EntityID   string    `json:"entity_id"`
	At         time.Time `json:"at"`
	Link       string    `json:"link,omitempty"`
}

// List is a user's worklist: what waits, soonest first (items without a due
// time after those with one), and what was done, newest first.
type List struct {
	Todo []Item `json:"todo"`
	Done []Done `json:"done"`
}

// Source answers the items of some kinds for an actor; each kind is one query.
type Source func(ctx context.Context, by access.Actor) ([]Item, error)

// Service assembles the worklists.
type Service struct {
	db      *gorm.DB
	clock   clock.Clock
	sources map[access.Role][]Source
}

// NewService returns the worklist service: sources lists, per role, the
// domain services' answers; the done list is read from db's audit trail.
func NewService(db *gorm.DB, c clock.Clock, sources map[access.Role][]Source) *Service {
	return &Service{db: db, clock: c, sources: sources}
}

// Pending returns the items that wait for by, soonest first.
func (s *Service) Pending(ctx context.Context, by access.Actor) ([]Item, error) {
	out := []Item{}
	if !by.Authenticated() {
		return out, nil
	}
	for _, src := range s.sources[by.Role] {
		items, err := src(ctx, by)
		if err != nil {
			return nil, fmt.Errorf("worklist of %s: %w", by.Role, err)
		}
		out = append(out, items...)
	}
	for i := range out {
		label(&out[i])
		if d := out[i].Due; d != nil {
			china := d.In(civil.China)
			out[i].Due = &china
		}
	}
	slices.SortStableFunc(out, func(a, b Item) int {
		switch {
		case a.Due != nil && b.Due != nil && !a.Due.Equal(*b.Due):
			return a.Due.Compare(*b.Due)
		case a.Due != nil && b.Due == nil:
			return -1
		case a.Due == nil && b.Due != nil:
			return 1
		}
		if a.Kind != b.Kind {
			if a.Kind < b.Kind {
				return -1
			}
			return 1
		}
		return int(a.RecordID - b.RecordID)
	})
	return out, nil
}

// Get returns by's worklist: the pending items and the done list.
func (s *Service) Get(ctx context.Context, by access.Actor) (List, error) {
	todo, err := s.Pending(ctx, by)
	if err != nil {
		return List{}, err
	}
	done, err := s.Done(ctx, by)
	if err != nil {
		return List{}, err
	}
	return List{Todo: todo, Done: done}, nil
}

// Counts returns the number of pending items per navigation group ("procurement",
// "contracts", "payments", "evaluations", "certification", "complaints",
// "requests"), for the navigation's badges; groups with nothing pending are absent.
func (s *Service) Counts(ctx context.Context, by access.Actor) (map[string]int, error) {
	items, err := s.Pending(ctx, by)
	if err != nil {
		return nil, err
	}
	out := map[string]int{}
	for _, it := range items {
		out[it.Group]++
	}
	return out, nil
}

// Done returns what by did in the last DoneDays days, newest first: the
// actor's own audit entries of the actions Actions names (not the entries
// their steps wrote on the side, such as ledger postings), in one query.
func (s *Service) Done(ctx context.Context, by access.Actor) ([]Done, error) {
	out := []Done{}
	if !by.Authenticated() {
		return out, nil
	}
	var rows []struct {
		Action     string
		EntityType string
		EntityID   string
		OccurredAt time.Time
	}
	// The trail records wall-clock time, so the window is the database's.
	err := s.db.WithContext(ctx).Table("audit_entries").
		Select("action, entity_type, entity_id, occurred_at").
		Where("actor_id = ? AND occurred_at >= now() - make_interval(days => ?) AND action IN ?", by.UserID, DoneDays, doneActions).
		Order("id DESC").Limit(doneLimit).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("done list: %w", err)
	}
	for _, r := range rows {
		l := Actions[r.Action]
		out = append(out, Done{Action: r.Action, TitleZh: l[0], TitleEn: l[1], EntityType: r.EntityType, EntityID: r.EntityID,
			At: r.OccurredAt.In(civil.China), Link: doneLink(by, r.EntityType, r.EntityID)})
	}
	return out, nil
}

// doneLink is the page of a record the user acted on, where one exists for the role.
func doneLink(by access.Actor, entity, id string) string {
	if _, err := strconv.ParseInt(id, 10, 64); err != nil {
		return ""
	}
	org := by.Is(access.OrgAdmin, access.OrgMember)
	switch entity {
	case "contract":
		if by.Is(access.ContractReaders...) {
			return "/contracts/" + id
		}
	case "tender":
		switch {
		case org:
			return "/opportunities/" + id
		case by.Is(access.ProcurementOfficer):
			return "/tenders/" + id
		case by.Is(access.Evaluator):
			return "/reviews/" + id
		}
	case "evaluation":
		return "/evaluations/" + id
	}
	return ""
}

// Query runs one worklist query (one kind, or a few sharing a table) on db and
// returns its items; its columns are kind, subject, due, link, record_type and
// record_id. Domain services call it.
func Query(db *gorm.DB, sql string, args ...any) ([]Item, error) {
	var items []Item
	if err := db.Raw(sql, args...).Scan(&items).Error; err != nil {
		return nil, fmt.Errorf("worklist query: %w", err)
	}
	return items, nil
}

// Scan reads a prepared gorm query whose columns are Query's.
func Scan(q *gorm.DB) ([]Item, error) {
	var items []Item
	if err := q.Scan(&items).Error; err != nil {
		return nil, fmt.Errorf("worklist query: %w", err)
	}
	return items, nil
}
