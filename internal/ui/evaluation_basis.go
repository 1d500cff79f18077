package ui

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/jiedao-market/jiedao/internal/delivery"
	"github.com/jiedao-market/jiedao/internal/evaluation"
)

// basisDoc is the basis of a figure as the evaluation service writes it
// (compute.go): the period and pro-rating of every figure, and what each
// source counted. Fields a source does not write stay nil.
type basisDoc struct {
	Period *struct {
		From string `json:"from"`
		To   string `json:"to"`
	} `json:"period"`
	ProRating *struct {
		Cumulative  bool   `json:"cumulative"`
		PeriodDays  int64  `json:"period_days"`
		ServiceDays int64  `json:"service_days"`
		Share       string `json:"share"`
	} `json:"pro_rating"`
	Measurable         *bool  `json:"measurable"`
	EnteredByEvaluator bool   `json:"entered_by_evaluator"`
	Records            *int64 `json:"records"`
	DurationMinutes    int64  `json:"duration_minutes"`
	Beneficiaries      *int64 `json:"beneficiaries"`
	EligiblePopulation int64  `json:"eligible_population"`
	Communities        []struct {
		Name               string `json:"name"`
		EligiblePopulation *int64 `json:"eligible_population"`
		Beneficiaries      int64  `json:"beneficiaries"`
	} `json:"communities"`
	Ratings   *int64                      `json:"ratings"`
	Satisfied int64                       `json:"satisfied"`
	ByKind    map[string]map[string]int64 `json:"by_kind"`
	Upheld    *int64                      `json:"upheld"`
	NotUpheld int64                       `json:"not_upheld"`
	Undecided int64                       `json:"undecided"`
	Accepted  *int64                      `json:"accepted"`
	AccHours  string                      `json:"accepted_hours"`
	Waiting   int64                       `json:"unanswered"`
	WaitHours string                      `json:"unanswered_hours"`
	Declined  int64                       `json:"declined"`
	AsOf      *time.Time                  `json:"as_of"`
}

// parseBasis reads a figure's basis; one that does not parse shows as
// nothing more than its figure's numbers.
func parseBasis(raw json.RawMessage) basisDoc {
	var b basisDoc
	_ = json.Unmarshal(raw, &b)
	return b
}

// basisLines says in words how a figure was computed: the period and the
// target it is compared with, then what the system counted, or that the
// evaluator entered it.
func (h *Handler) basisLines(lang string, ev evaluation.View, f figureView, b basisDoc) []string {
	tf := func(key string, args ...any) string { return fmt.Sprintf(h.pages.translate(lang, key), args...) }
	var out []string
	if b.Period != nil && b.ProRating != nil {
		out = append(out, tf("basis.period", b.Period.From, b.Period.To, b.ProRating.PeriodDays, b.ProRating.ServiceDays))
	}
	switch {
	case ev.Kind == evaluation.KindFinal:
		out = append(out, tf("basis.final", f.Target))
	case b.ProRating != nil && b.ProRating.Cumulative:
		out = append(out, tf("basis.pro_rated", f.Target, b.ProRating.PeriodDays, b.ProRating.ServiceDays, decimal(b.ProRating.Share), f.TargetUsed))
	default:
		out = append(out, tf("basis.not_pro_rated", f.Target))
	}
	if !f.Computed {
		return append(out, tf("basis.entered"))
	}
	switch {
	case b.Records != nil && delivery.CountsDuration(f.Figure.Unit) && f.Figure.Unit == "分钟":
		out = append(out, tf("basis.records_minutes", *b.Records, f.Name, b.DurationMinutes))
	case b.Records != nil && delivery.CountsDuration(f.Figure.Unit):
		out = append(out, tf("basis.records_hours", *b.Records, f.Name, b.DurationMinutes))
	case b.Records != nil:
		out = append(out, tf("basis.records_count", *b.Records, f.Name))
	case b.Beneficiaries != nil:
		out = append(out, tf("basis.coverage", *b.Beneficiaries, b.EligiblePopulation))
		for _, cm := range b.Communities {
			if cm.EligiblePopulation == nil {
				out = append(out, tf("basis.coverage_unknown", cm.Name, cm.Beneficiaries))
				continue
			}
			out = append(out, tf("basis.coverage_community", cm.Name, cm.Beneficiaries, *cm.EligiblePopulation))
		}
	case b.Ratings != nil:
		code, follow := b.ByKind["code"], b.ByKind["follow_up"]
		out = append(out, tf("basis.satisfaction", b.Satisfied, *b.Ratings, code["satisfied"], code["ratings"],
			follow["satisfied"], follow["ratings"]))
	case b.Upheld != nil:
		out = append(out, tf("basis.complaints", *b.Upheld, b.NotUpheld, b.Undecided))
	case b.Accepted != nil:
		asOf := ""
		if b.AsOf != nil {
			asOf = showTime(b.AsOf)
		}
		out = append(out, tf("basis.response", *b.Accepted+b.Waiting, *b.Accepted, decimal(b.AccHours), b.Waiting, decimal(b.WaitHours),
			asOf, b.Declined))
	}
	if b.Measurable != nil && !*b.Measurable {
		if b.EnteredByEvaluator {
			out = append(out, tf("basis.entered_instead"))
		} else {
			out = append(out, tf("basis.nothing"))
		}
	}
	if f.ComputedAt != nil {
		out = append(out, tf("basis.computed_at", showTime(f.ComputedAt)))
	}
	return out
}
