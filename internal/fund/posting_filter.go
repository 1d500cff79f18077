package fund

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/civil"
)

// MaxPostings is the most postings one read returns: an export holds up to it.
const MaxPostings = 5000

// ParsePostingFilter reads a postings filter as typed: a kind of posting, and
// from and until as dates (YYYY-MM-DD) in China time, both days included.
// Surrounding spaces are ignored and empty values select everything. Each bad
// value is added to bad (kind, from, until — until before from is bad); the
// filter holds only the good ones.
func ParsePostingFilter(bad *apperr.Fields, kind, from, until string) PostingFilter {
	var f PostingFilter
	if kind = strings.TrimSpace(kind); kind != "" {
		if slices.Contains(PostingKinds, kind) {
			f.Kind = kind
		} else {
			bad.Add("kind", "is not a kind of posting")
		}
	}
	date := func(field, text string) (time.Time, bool) {
		if text = strings.TrimSpace(text); text == "" {
			return time.Time{}, false
		}
		t, err := time.ParseInLocation(time.DateOnly, text, civil.China)
		bad.Check(err == nil, field, "must be a date (YYYY-MM-DD)")
		return t, err == nil
	}
	if t, ok := date("from", from); ok {
		f.From = t
	}
	if t, ok := date("until", until); ok {
		if !f.From.IsZero() && t.Before(f.From) {
			bad.Add("until", "must not be before from")
		} else {
			f.Until = t.AddDate(0, 0, 1) // until names the last day included
		}
	}
	return f
}

// PostingTable lays out postings for an export: a header, then one row per
// line of each posting, its time in China time.
func PostingTable(list []Posting) (header []string, rows [][]string) {
	header = []string{"posting_id", "created_at", "kind", "reference", "document_ref", "memo", "account", "amount_yuan"}
	for _, p := range list {
		for _, l := range p.Lines {
			rows = append(rows, []string{strconv.FormatInt(p.ID, 10), p.CreatedAt.In(civil.China).Format(time.RFC3339), p.Kind,
				p.ReferenceType + ":" + p.ReferenceID, p.DocumentRef, p.Memo, l.Account, l.Amount.Yuan()})
		}
	}
	return header, rows
}
