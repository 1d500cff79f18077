// Package search holds the signed-in users' search: one query per kind of
// record (tenders, contracts, organizations, transfer items), each scoped by
// the rule of that kind's lists for the actor's role, matching a substring
// (Chinese or Latin) through the trigram indexes and ranked by similarity.
package search

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/catalog"
	"github.com/jiedao-market/jiedao/internal/contract"
	"github.com/jiedao-market/jiedao/internal/org"
	"github.com/jiedao-market/jiedao/internal/platform/clock"
	"github.com/jiedao-market/jiedao/internal/tender"
)

// The kinds of record searched, in the order a result lists them.
const (
	KindTenders       = "tenders"
	KindContracts     = "contracts"
	KindOrganizations = "organizations"
	KindItems         = "transfer_items"
)

// Kinds lists the kinds in the order of a result's groups.
var Kinds = []string{KindTenders, KindContracts, KindOrganizations, KindItems}

// PerKind is how many hits a group holds at most; More says there are others.
const PerKind = 10

// The bounds of a query, in characters (runes), after trimming.
const (
	MinQuery = 2
	MaxQuery = 100
)

// Hit is one record found: enough to show and link it, never more than the
// kind's list shows the actor.
type Hit struct {
	ID     int64  `json:"id"`
	Title  string `json:"title"`
	Status string `json:"status"`
	// Public says the hit was found in the public list of its kind (the
	// published tenders, the public catalog), not in the actor's own scope.
	Public bool `json:"public"`
}

// Group is the hits of one kind, best first.
type Group struct {
	Kind string `json:"kind"`
	Hits []Hit  `json:"hits"`
	// More says the kind has more hits in the actor's scope than PerKind.
	More bool `json:"more"`
}

// Result is a search's answer: the trimmed query and one group per kind, in
// the order of Kinds (a kind the role does not read has no hits).
type Result struct {
	Query  string  `json:"query"`
	Groups []Group `json:"groups"`
}

// Service runs searches.
type Service struct {
	db    *gorm.DB
	clock clock.Clock
}

// NewService returns a search service on db.
func NewService(db *gorm.DB, c clock.Clock) *Service {
	return &Service{db: db, clock: c}
}

// Normalize trims q and checks it: apperr Invalid naming "q" when it is
// shorter than MinQuery or longer than MaxQuery characters, or not text.
func Normalize(q string) (string, error) {
	q = strings.TrimSpace(q)
	switch n := utf8.RuneCountInString(q); {
	case !utf8.ValidString(q) || strings.ContainsRune(q, 0):
		return q, apperr.InvalidField("q", "is not valid text")
	case n < MinQuery:
		return q, apperr.InvalidField("q", fmt.Sprintf("needs at least %d characters", MinQuery))
	case n > MaxQuery:
		return q, apperr.InvalidField("q", fmt.Sprintf("may have at most %d characters", MaxQuery))
	}
	return q, nil
}

// Search finds q as a substring of the titles (and descriptions) of the
// records by may read, one query per kind, at most PerKind hits each. It
// returns apperr.ErrUnauthorized for an anonymous actor and an Invalid error
// naming "q" for a query Normalize refuses; it writes nothing.
func (s *Service) Search(ctx context.Context, by access.Actor, q string) (Result, error) {
	if !by.Authenticated() {
		return Result{}, apperr.ErrUnauthorized
	}
	q, err := Normalize(q)
	if err != nil {
		return Result{}, err
	}
	db, pattern, now := s.db.WithContext(ctx), likePattern(q), s.clock.Now()
	res := Result{Query: q}
	for _, kind := range Kinds {
		g := Group{Kind: kind, Hits: []Hit{}}
		var hits []Hit
		switch kind {
		case KindTenders:
			hits, err = tenders(db, by, q, pattern, now)
		case KindContracts:
			hits, err = contracts(db, by, q, pattern)
		case KindOrganizations:
			hits, err = organizations(db, by, q, pattern)
		case KindItems:
			hits, err = items(db, by, q, pattern)
		}
		if err != nil {
			return Result{}, fmt.Errorf("search %s: %w", kind, err)
		}
		if len(hits) > PerKind {
			hits, g.More = hits[:PerKind], true
		}
		g.Hits = append(g.Hits, hits...)
		res.Groups = append(res.Groups, g)
	}
	return res, nil
}

// likePattern escapes q's LIKE wildcards (and the escape, \, PostgreSQL's
// default) and wraps it for a substring match.
func likePattern(q string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(q) + "%"
}

// tenderQuery is the query (on tenders) of by's tenders matching pattern, best
// first: the signed-in lists' scope (tender.Visible) for the roles that read
// tenders there, the public notices (ever published) for a resident.
func tenderQuery(db *gorm.DB, by access.Actor, q, pattern string) *gorm.DB {
	base := db.Model(&tender.Tender{})
	if by.Is(access.TenderReaders...) {
		base = tender.Visible(base, by)
	} else {
		base = base.Where("tenders.published_at IS NOT NULL")
	}
	// The expression is the one tenders_search indexes.
	return base.Where("(tenders.title || ' ' || tenders.description) ILIKE ?", pattern).
		Order(byRank("similarity(tenders.title, ?) DESC, length(tenders.title), tenders.id DESC", q)).Limit(PerKind + 1)
}

func tenders(db *gorm.DB, by access.Actor, q, pattern string, now time.Time) ([]Hit, error) {
	var rows []tender.Tender
	if err := tenderQuery(db, by, q, pattern).Find(&rows).Error; err != nil {
		return nil, err
	}
	public := !by.Is(access.TenderReaders...)
	out := make([]Hit, 0, len(rows))
	for _, t := range rows {
		out = append(out, Hit{ID: t.ID, Title: t.Title, Status: t.StatusAt(now), Public: public})
	}
	return out, nil
}

// contractQuery is the query (on contracts) of by's contracts matching
// pattern, best first (contract.Visible); nil for a role that reads none.
func contractQuery(db *gorm.DB, by access.Actor, q, pattern string) *gorm.DB {
	if !by.Is(contract.Readers...) {
		return nil
	}
	return contract.Visible(db.Model(&contract.Contract{}), by).Where("contracts.title ILIKE ?", pattern).
		Order(byRank("similarity(contracts.title, ?) DESC, length(contracts.title), contracts.id DESC", q)).Limit(PerKind + 1)
}

func contracts(db *gorm.DB, by access.Actor, q, pattern string) ([]Hit, error) {
	query := contractQuery(db, by, q, pattern)
	if query == nil {
		return nil, nil
	}
	var rows []contract.Contract
	if err := query.Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]Hit, 0, len(rows))
	for _, c := range rows {
		out = append(out, Hit{ID: c.ID, Title: c.Title, Status: c.Status})
	}
	return out, nil
}

// orgQuery is the query (on organizations) of by's organizations whose legal
// name matches pattern, best first (org.Scope, the organizations list's
// rule); nil for a role that reads none.
func orgQuery(db *gorm.DB, by access.Actor, q, pattern string) *gorm.DB {
	if !by.Is(access.OrgReaders...) {
		return nil
	}
	return org.Scope(db.Model(&org.Organization{}), by).Where("organizations.legal_name ILIKE ?", pattern).
		Order(byRank("similarity(organizations.legal_name, ?) DESC, length(organizations.legal_name), organizations.id DESC", q)).Limit(PerKind + 1)
}

func organizations(db *gorm.DB, by access.Actor, q, pattern string) ([]Hit, error) {
	query := orgQuery(db, by, q, pattern)
	if query == nil {
		return nil, nil
	}
	var rows []org.Organization
	if err := query.Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]Hit, 0, len(rows))
	for _, o := range rows {
		out = append(out, Hit{ID: o.ID, Title: o.LegalName, Status: o.Status})
	}
	return out, nil
}

// The order of every kind: trigram similarity of the title to the query
// first (it ranks Latin words and whole Chinese titles; a Chinese substring
// inside a longer word shares few trigrams with it), then the shorter title,
// the closer match, then the newest record.

// byRank orders by sql, an expression of q. (gorm's Order takes an
// OrderBy clause for an expression with arguments; a gorm.Expr it ignores.)
func byRank(sql, q string) clause.OrderBy {
	return clause.OrderBy{Expression: clause.Expr{SQL: sql, Vars: []any{q}, WithoutParentheses: true}}
}

// itemRow is a transfer item found, with the version whose text matched.
type itemRow struct {
	ID     int64
	Title  string
	Status string
}

// itemQuery is the query of by's transfer items matching pattern, best
// first. Subdistrict staff search the latest version of their subdistricts'
// items (catalog.ScopeItems, the items list's rule, drafts included);
// everyone else the published versions of the public catalog.
func itemQuery(db *gorm.DB, by access.Actor, q, pattern string) *gorm.DB {
	const text = "(v.title || ' ' || v.description || ' ' || v.target_population)"
	base := db.Table("transfer_items").Select("transfer_items.id, v.title, transfer_items.status")
	if by.Is(access.SubdistrictStaff...) {
		base = catalog.ScopeItems(base.Joins(`JOIN transfer_item_versions v ON v.item_id = transfer_items.id
			AND v.version = (SELECT max(version) FROM transfer_item_versions l WHERE l.item_id = transfer_items.id)`), by)
	} else {
		// The expression and the condition are those of the public
		// catalog's partial index.
		base = base.Joins("JOIN transfer_item_versions v ON v.item_id = transfer_items.id AND v.status = 'published'").
			Where("transfer_items.status = 'published'")
	}
	return base.Where(text+" ILIKE ?", pattern).
		Order(byRank("similarity(v.title, ?) DESC, length(v.title), transfer_items.id DESC", q)).Limit(PerKind + 1)
}

func items(db *gorm.DB, by access.Actor, q, pattern string) ([]Hit, error) {
	var rows []itemRow
	if err := itemQuery(db, by, q, pattern).Scan(&rows).Error; err != nil {
		return nil, err
	}
	public := !by.Is(access.SubdistrictStaff...)
	out := make([]Hit, 0, len(rows))
	for _, it := range rows {
		out = append(out, Hit{ID: it.ID, Title: it.Title, Status: it.Status, Public: public})
	}
	return out, nil
}
