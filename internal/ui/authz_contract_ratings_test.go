package ui_test

import (
	"fmt"
	"net/url"
	"slices"
	"testing"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/rating"
	"github.com/jiedao-market/jiedao/internal/servertest"
)

// pgContractRatingSet is what the rows of a contract's ratings page address:
// an active contract of org 1 in 爱山 (A) with five records (beneficiaries
// NJ-FU…), a rating with a comment to hide, one already hidden, two
// follow-ups drawn (one recorded), and a rating and a follow-up of another
// contract of A.
type pgContractRatingSet struct {
	contract      servertest.Contract
	visible       int64 // its comment is pgVisibleComment
	hidden        int64 // its comment, pgHiddenComment, hidden in the setup
	followUp      int64 // not yet called
	called        int64 // recorded in the setup
	otherRating   int64
	otherFollowUp int64
}

const (
	pgVisibleComment = "矩阵可见评论"
	pgHiddenComment  = "JDMATRIXHIDDEN矩阵隐藏评论"
)

func pgContractRatingRecords(t *testing.T, f *pgFixture) {
	ctx := t.Context()
	officer := f.e.ActorOf(t, "demo-officer")
	s := &pgContractRatingSet{contract: f.e.ActiveContract(t)}
	rate := func(c servertest.Contract, ref, comment string) int64 {
		code := ratingCode(t, f.e, c, ref)
		v, err := f.e.Services.Ratings.Submit(ctx, access.Anonymous("matrix", "10.40.0.1"), code, rating.Stars{Timeliness: 4,
			Professionalism: 4, Attitude: 4, Effectiveness: 4, Overall: 4, Comment: comment})
		if err != nil {
			t.Fatalf("Submit() error = %v", err)
		}
		return v.ID
	}
	s.visible = rate(s.contract, "NJ-FU1", pgVisibleComment)
	s.hidden = rate(s.contract, "NJ-FU2", pgHiddenComment)
	for i := 3; i <= 5; i++ {
		ratingCode(t, f.e, s.contract, fmt.Sprintf("NJ-FU%d", i))
	}
	if _, err := f.e.Services.Ratings.Hide(ctx, officer, s.hidden, "辱骂"); err != nil {
		t.Fatalf("Hide() error = %v", err)
	}
	fus, err := f.e.Services.Ratings.DrawFollowUps(ctx, officer, s.contract.ID, 2)
	if err != nil {
		t.Fatalf("DrawFollowUps() error = %v", err)
	}
	s.followUp, s.called = fus[0].ID, fus[1].ID
	if _, err := f.e.Services.Ratings.RecordFollowUp(ctx, officer, s.called, rating.Stars{Timeliness: 3, Professionalism: 3,
		Attitude: 3, Effectiveness: 3, Overall: 3}); err != nil {
		t.Fatalf("RecordFollowUp() error = %v", err)
	}
	other := f.e.ActiveContract(t)
	s.otherRating = rate(other, "NJ-OTHER1", "别的合同的评论")
	ofs, err := f.e.Services.Ratings.DrawFollowUps(ctx, officer, other.ID, 1)
	if err != nil {
		t.Fatalf("DrawFollowUps() error = %v", err)
	}
	s.otherFollowUp = ofs[0].ID
	f.cratings = s
}

// pgCRatingIDs fills a route's parameters with the contract and what pick
// names of the set.
func pgCRatingIDs(pick func(s *pgContractRatingSet) []int64) func(t *testing.T, f *pgFixture) []any {
	return pgIDs(func(f *pgFixture) []int64 { return pick(f.cratings) })
}

func pgCRatingContract(s *pgContractRatingSet) []int64 { return []int64{s.contract.ID} }

// pgStars is a follow-up call's answers, with overall as given.
func pgStars(overall string) func(t *testing.T, f *pgFixture, i int) url.Values {
	return func(t *testing.T, f *pgFixture, i int) url.Values {
		return url.Values{"timeliness": {"4"}, "professionalism": {"4"}, "attitude": {"3"}, "effectiveness": {"4"}, "overall": {overall},
			"comment": {fmt.Sprintf("回访意见 %d", i)}}
	}
}

// Wants of the ratings page: the contract's readers (its subdistrict's
// officers, its district's and the platform's admins, its organization's
// staff); 飞英's officers and org 2 find no such contract. Only 爱山's
// procurement officer moderates and calls; 飞英's finds no such record.
var (
	pgCRatingRead  = pgWant{login, ok200, ok200, ok200, ok200, no403, ok200, nf404, nf404, ok200, no403, nf404}
	pgCRatingWrite = func(officer int) pgWant {
		return pgWant{login, no403, no403, officer, no403, no403, no403, nf404, no403, no403, no403, no403}
	}
	pgCRatingReaders = []string{"demo-admin", "demo-district", "demo-officer", "demo-finance", "demo-org", "demo-member"}
	pgNotOfficer     = slices.DeleteFunc(slices.Clone(pgIdentities), func(who string) bool { return who == "demo-officer" })
)

// pgContractRatingMatrix covers a contract's ratings page and its
// moderation and follow-up forms.
var pgContractRatingMatrix = map[string]pgGroup{
	"contract ratings": {setup: pgContractRatingRecords, rows: []pgRow{
		{method: "GET", route: "/contracts/:id/ratings", params: pgCRatingIDs(pgCRatingContract), want: pgCRatingRead,
			scope: &pgScope{text: pgText(pgVisibleComment), shown: pgCRatingReaders}},
		{method: "GET", route: "/contracts/:id/ratings", note: "a hidden comment", params: pgCRatingIDs(pgCRatingContract),
			want: pgCRatingRead, scope: &pgScope{text: pgText(pgHiddenComment), hidden: pgIdentities}},
		{method: "GET", route: "/contracts/:id/ratings", note: "the records to call", params: pgCRatingIDs(pgCRatingContract),
			want: pgCRatingRead, scope: &pgScope{text: pgText("NJ-FU"), shown: []string{"demo-officer"}, hidden: pgNotOfficer}},
		{method: "GET", route: "/contracts/:id/ratings", note: "the officer's forms", params: pgCRatingIDs(pgCRatingContract),
			want: pgCRatingRead, scope: &pgScope{text: func(f *pgFixture) string {
				return fmt.Sprintf(`action="/contracts/%d/ratings/%d/hide"`, f.cratings.contract.ID, f.cratings.visible)
			}, shown: []string{"demo-officer"}, hidden: pgNotOfficer}},
		{method: "GET", route: "/contracts/:id/ratings", note: "another contract's rating", params: pgCRatingIDs(pgCRatingContract),
			want: pgCRatingRead, scope: &pgScope{text: pgText("别的合同的评论"), hidden: pgIdentities}},
		{method: "GET", route: "/contracts/:id/ratings", note: "the organization's reply link", params: pgCRatingIDs(pgCRatingContract),
			want: pgCRatingRead, scope: &pgScope{text: pgText(`id="reply-hint"`), shown: []string{"demo-org", "demo-member"},
				hidden: []string{"demo-admin", "demo-district", "demo-officer", "demo-finance"}}},

		{method: "POST", route: "/contracts/:id/ratings/:rid/hide", note: "without a reason",
			params: pgCRatingIDs(func(s *pgContractRatingSet) []int64 { return []int64{s.contract.ID, s.visible} }),
			form:   func(t *testing.T, f *pgFixture, i int) url.Values { return url.Values{"reason": {" "}} },
			want:   pgCRatingWrite(bad400)},
		{method: "POST", route: "/contracts/:id/ratings/:rid/hide", note: "another contract's rating",
			params: pgCRatingIDs(func(s *pgContractRatingSet) []int64 { return []int64{s.contract.ID, s.otherRating} }),
			form:   func(t *testing.T, f *pgFixture, i int) url.Values { return url.Values{"reason": {"辱骂"}} },
			want:   pgCRatingWrite(nf404)},
		{method: "POST", route: "/contracts/:id/ratings/:rid/hide", note: "already hidden",
			params: pgCRatingIDs(func(s *pgContractRatingSet) []int64 { return []int64{s.contract.ID, s.hidden} }),
			form:   func(t *testing.T, f *pgFixture, i int) url.Values { return url.Values{"reason": {"辱骂"}} },
			want:   pgCRatingWrite(cf409)},
		{method: "POST", route: "/contracts/:id/ratings/:rid/hide",
			params: pgCRatingIDs(func(s *pgContractRatingSet) []int64 { return []int64{s.contract.ID, s.visible} }),
			form:   func(t *testing.T, f *pgFixture, i int) url.Values { return url.Values{"reason": {"辱骂"}} },
			want:   pgCRatingWrite(to303)},

		{method: "POST", route: "/contracts/:id/follow-ups", note: "a size out of range", params: pgCRatingIDs(pgCRatingContract),
			form: func(t *testing.T, f *pgFixture, i int) url.Values { return url.Values{"size": {"0"}} },
			want: pgCRatingWrite(bad400)},
		{method: "POST", route: "/contracts/:id/follow-ups", params: pgCRatingIDs(pgCRatingContract),
			form: func(t *testing.T, f *pgFixture, i int) url.Values { return url.Values{"size": {"1"}} },
			want: pgCRatingWrite(to303)},

		{method: "POST", route: "/contracts/:id/follow-ups/:fid/rating", note: "stars out of range",
			params: pgCRatingIDs(func(s *pgContractRatingSet) []int64 { return []int64{s.contract.ID, s.followUp} }),
			form:   pgStars("6"), want: pgCRatingWrite(bad400)},
		{method: "POST", route: "/contracts/:id/follow-ups/:fid/rating", note: "another contract's follow-up",
			params: pgCRatingIDs(func(s *pgContractRatingSet) []int64 { return []int64{s.contract.ID, s.otherFollowUp} }),
			form:   pgStars("3"), want: pgCRatingWrite(nf404)},
		{method: "POST", route: "/contracts/:id/follow-ups/:fid/rating", note: "already called",
			params: pgCRatingIDs(func(s *pgContractRatingSet) []int64 { return []int64{s.contract.ID, s.called} }),
			form:   pgStars("3"), want: pgCRatingWrite(cf409)},
		{method: "POST", route: "/contracts/:id/follow-ups/:fid/rating",
			params: pgCRatingIDs(func(s *pgContractRatingSet) []int64 { return []int64{s.contract.ID, s.followUp} }),
			form:   pgStars("3"), want: pgCRatingWrite(to303)},
	}},
}
