package ui

import (
	"context"
	"fmt"
	"net/url"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/place"
	"github.com/jiedao-market/jiedao/internal/redflag"
)

// flagRow is one red flag as the pages show it, in the page's language.
type flagRow struct {
	Kind         string
	Title        string
	Explanation  string
	Subdistrict  string
	TenderTitle  string
	Organization string
	Href         string // the tender's public notice, when the flag has a tender
	Computed     string
}

func flagRows(lang string, flags []redflag.Flag) []flagRow {
	out := make([]flagRow, len(flags))
	for i, f := range flags {
		zh, en := redflag.Title(f.Kind)
		out[i] = flagRow{Kind: f.Kind, Title: pick(lang, zh, en), Explanation: pick(lang, f.ExplanationZh, f.ExplanationEn),
			Subdistrict: pick(lang, f.SubdistrictNameZh, f.SubdistrictNameEn), TenderTitle: f.TenderTitle,
			Organization: f.OrganizationName, Computed: showTime(&f.ComputedAt)}
		if f.TenderID != nil {
			out[i].Href = fmt.Sprintf("/procurement/%d", *f.TenderID)
		}
	}
	return out
}

// tenderFlags returns the red flags of tender id for its pages.
func (h *Handler) tenderFlags(ctx context.Context, lang string, id int64) ([]flagRow, error) {
	flags, err := h.RedFlags.OfTender(ctx, id)
	return flagRows(lang, flags), err
}

// contractFlags returns the red flags of contract id for its page.
func (h *Handler) contractFlags(ctx context.Context, lang string, id int64) ([]flagRow, error) {
	flags, err := h.RedFlags.OfContract(ctx, id)
	return flagRows(lang, flags), err
}

type kindChoice struct {
	Kind, Title string
}

type redFlagsView struct {
	Rows         []flagRow
	Subdistricts []place.Subdistrict
	Kinds        []kindChoice
	Filter       redflag.Filter
	Alert        formAlert // a bad filter: the form again, without a list
	Total        int
	LastRun      string
	Prev, Next   string
}

// handleRedFlagsPage is the public list of red flags, filtered by
// subdistrict and kind; a bad filter is 400: the filter form again, with its
// alert and without a list.
func (h *Handler) handleRedFlagsPage(c *fiber.Ctx) error {
	ctx, lang := c.UserContext(), language(c)
	var v redFlagsView
	var err error
	if v.Subdistricts, err = h.Places.ListSubdistricts(ctx, 0); err != nil {
		return err
	}
	for _, k := range redflag.Kinds {
		zh, en := redflag.Title(k)
		v.Kinds = append(v.Kinds, kindChoice{Kind: k, Title: pick(lang, zh, en)})
	}
	f, err := redflag.ParseFilter(func(k string) string { return c.Query(k) })
	if e, ok := apperr.As(err); ok && e.Kind == apperr.Invalid {
		v.Alert = formAlert{Message: h.pages.translate(lang, "form.invalid"), bad: map[string]bool{}}
		for _, bad := range e.Fields {
			anchor := bad.Field
			if anchor != "subdistrict" && anchor != "kind" { // no input: the link leads to the form
				anchor = "redflags-filter"
			}
			v.Alert.Fields = append(v.Alert.Fields, fieldProblem{Anchor: anchor, Label: h.pages.translate(lang, "redflags."+bad.Field),
				Message: h.pages.translate(lang, "redflags.bad_"+bad.Field)})
			v.Alert.bad[anchor] = true
		}
		return h.render(c, fiber.StatusBadRequest, "redflags", v)
	}
	if err != nil {
		return err
	}
	page, err := h.RedFlags.List(ctx, f)
	if err != nil {
		return err
	}
	v.Rows, v.Filter, v.Total = flagRows(lang, page.Items), f, page.Total
	v.Filter.Page, v.Filter.PerPage = page.Page, page.PerPage
	if page.LastRun != nil {
		v.LastRun = showTime(&page.LastRun.ComputedAt)
	}
	link := func(p int) string {
		q := url.Values{"page": {strconv.Itoa(p)}}
		if f.SubdistrictID != 0 {
			q.Set("subdistrict", strconv.FormatInt(f.SubdistrictID, 10))
		}
		if f.Kind != "" {
			q.Set("kind", f.Kind)
		}
		return "/transparency/red-flags?" + q.Encode()
	}
	if page.Page > 1 {
		v.Prev = link(page.Page - 1)
	}
	if page.Page*page.PerPage < page.Total {
		v.Next = link(page.Page + 1)
	}
	return h.render(c, fiber.StatusOK, "redflags", v)
}
