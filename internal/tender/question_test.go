package tender_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/tender"
)

// TestQuestionsAnonymous: the asker is never shown; an answered question is
// visible to every reader, an unanswered one to its asker and the officers.
func TestQuestionsAnonymous(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	w.freshOrgs(3)
	v := w.published(w.input(3))
	open, err := w.svc.Ask(ctx, w.orgs[0], v.ID, "服务对象是否包含60岁以下残疾人？")
	if err != nil {
		t.Fatalf("Ask() error = %v", err)
	}
	answered, err := w.svc.Ask(ctx, w.orgs[1], v.ID, "是否允许联合体投标？")
	if err != nil {
		t.Fatalf("Ask() error = %v", err)
	}
	if _, err := w.svc.Answer(ctx, w.officer, v.ID, answered.ID, "不接受联合体投标。"); err != nil {
		t.Fatalf("Answer() error = %v", err)
	}
	if _, err := w.svc.Answer(ctx, w.officer, v.ID, answered.ID, "再答"); !errors.Is(err, tender.ErrAnswered) {
		t.Errorf("Answer() again error = %v, want %v", err, tender.ErrAnswered)
	}

	var orgNames []string
	if err := w.db.Raw(`SELECT legal_name FROM organizations WHERE id IN ?`, []int64{w.orgs[0].Scope.OrganizationID, w.orgs[1].Scope.OrganizationID}).
		Scan(&orgNames).Error; err != nil {
		t.Fatal(err)
	}
	type seen struct {
		id   int64
		mine bool
	}
	tests := []struct {
		name string
		get  func() ([]tender.Question, error)
		want []seen
	}{
		{"asker of the open question", func() ([]tender.Question, error) { return w.svc.Questions(ctx, w.orgs[0], v.ID) },
			[]seen{{open.ID, true}, {answered.ID, false}}},
		{"asker of the answered question", func() ([]tender.Question, error) { return w.svc.Questions(ctx, w.orgs[1], v.ID) },
			[]seen{{answered.ID, true}}},
		{"another organization", func() ([]tender.Question, error) { return w.svc.Questions(ctx, w.orgs[2], v.ID) },
			[]seen{{answered.ID, false}}},
		{"organization of another category", func() ([]tender.Question, error) { return w.svc.Questions(ctx, w.actor("demo-org2"), v.ID) },
			[]seen{{answered.ID, false}}},
		{"officer", func() ([]tender.Question, error) { return w.svc.Questions(ctx, w.officer, v.ID) },
			[]seen{{open.ID, false}, {answered.ID, false}}},
		{"committee member", func() ([]tender.Question, error) { return w.svc.Questions(ctx, w.evaluators[0], v.ID) },
			[]seen{{answered.ID, false}}},
		{"public", func() ([]tender.Question, error) {
			p, err := w.svc.PublicGet(ctx, v.ID)
			return p.Questions, err
		}, []seen{{answered.ID, false}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			qs, err := tt.get()
			if err != nil {
				t.Fatalf("Questions() error = %v", err)
			}
			var got []seen
			for _, q := range qs {
				got = append(got, seen{q.ID, q.Mine})
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("Questions() = %v, want %v", got, tt.want)
			}
			for _, q := range qs {
				raw := mustJSON(t, q)
				var fields map[string]any
				if err := json.Unmarshal(raw, &fields); err != nil {
					t.Fatal(err)
				}
				var keys []string
				for k := range fields {
					keys = append(keys, k)
				}
				slices.Sort(keys)
				if want := []string{"answer", "answered_at", "asked_at", "body", "id", "mine", "tender_id"}; !slices.Equal(keys, want) {
					t.Errorf("question JSON keys = %v, want %v", keys, want)
				}
				for _, name := range orgNames {
					if strings.Contains(string(raw), name) {
						t.Errorf("question JSON %s names the organization %s", raw, name)
					}
				}
			}
		})
	}
	if _, err := w.svc.Questions(ctx, w.officer2, v.ID); !errors.Is(err, apperr.ErrNotFound) {
		t.Errorf("Questions(other subdistrict's officer) error = %v, want %v", err, apperr.ErrNotFound)
	}
	notes, err := w.svc.Notifications(ctx, w.orgs[2])
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(notes, func(n tender.Notification) bool { return n.Kind == tender.KindAnswerPublished && *n.TenderID == v.ID }) {
		t.Errorf("notifications of a certified organization = %+v, want the answer published", notes)
	}
	for _, n := range notes {
		for _, name := range orgNames {
			if strings.Contains(n.SubjectZh+n.SubjectEn, name) {
				t.Errorf("notification %+v names the asker", n)
			}
		}
	}
}

// TestQuestionCutOff: questions are taken until the cut-off, not at it.
func TestQuestionCutOff(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	v := w.published(w.input(3))
	tests := []struct {
		name string
		at   time.Time
		want error
	}{
		{"a second before the cut-off", v.QuestionsCloseAt.Add(-time.Second), nil},
		{"at the cut-off", v.QuestionsCloseAt, tender.ErrQuestionsClosed},
		{"after the cut-off, before the close", v.QuestionsCloseAt.Add(time.Hour), tender.ErrQuestionsClosed},
		{"after the close", v.ClosesAt.Add(time.Hour), tender.ErrNotPublished},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w.clock.Set(tt.at)
			if _, err := w.svc.Ask(ctx, w.orgs[0], v.ID, "提问"); !errors.Is(err, tt.want) {
				t.Errorf("Ask() error = %v, want %v", err, tt.want)
			}
		})
	}
	for _, by := range []access.Actor{w.officer, w.evaluators[0], w.admin} {
		if _, err := w.svc.Ask(ctx, by, v.ID, "提问"); err == nil {
			t.Errorf("Ask(%s) error = nil, want refused", by.Role)
		}
	}
}
