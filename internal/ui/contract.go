package ui

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/contract"
	"github.com/jiedao-market/jiedao/internal/money"
	"github.com/jiedao-market/jiedao/internal/request"
)

// contractsPerPage is the number of contracts on one page of the list.
const contractsPerPage = 20

// The modes of the contract pages: the procurement officer's (who edits,
// signs, amends and terminates), the finance officer's (who reads) and the
// organization's (whose admin signs, amends and asks to terminate).
const (
	contractOfficer = "officer"
	contractFinance = "finance"
	contractOrg     = "org"
)

func contractMode(r access.Role) string {
	switch r {
	case access.ProcurementOfficer:
		return contractOfficer
	case access.FinanceOfficer:
		return contractFinance
	}
	return contractOrg
}

// contractListRow is a contract in a list.
type contractListRow struct {
	contract.Summary
	Href, Amount, Held, Period, SignBy string
}

func contractListRows(list []contract.Summary) []contractListRow {
	out := make([]contractListRow, len(list))
	for i, s := range list {
		out[i] = contractListRow{Summary: s, Href: fmt.Sprintf("/contracts/%d", s.ID), Amount: s.AmountFen.Grouped(), Held: s.HeldFen.Grouped(),
			Period: s.ServiceStart.String() + " – " + s.ServiceEnd.String(), SignBy: showTime(&s.SignBy)}
	}
	return out
}

type contractsView struct {
	Mode     string
	Rows     []contractListRow
	Status   string
	Statuses []string
	pager
}

func (h *Handler) handleContractsPage(c *fiber.Ctx) error {
	ctx, a := c.UserContext(), request.Actor(c)
	v := contractsView{Mode: contractMode(a.Role), Statuses: contract.States}
	v.Status, v.Page = listQuery(c, contract.States)
	list, total, err := h.Contracts.List(ctx, a, contract.Filter{Status: v.Status, Offset: (v.Page - 1) * contractsPerPage, Limit: contractsPerPage})
	if err != nil {
		return err
	}
	v.Rows = contractListRows(list)
	v.paginate(total, contractsPerPage, len(v.Rows), statusPageLink("/contracts", v.Status))
	return h.render(c, fiber.StatusOK, "contracts", v)
}

// populationRow is a community of the contract with its eligible population
// (as typed when the form was refused).
type populationRow struct {
	ID     int64
	Name   string
	Value  string
	Anchor string
	Bad    bool
}

// milestoneRow is a payment milestone, shown or in the officer's form.
type milestoneRow struct {
	Index, Number          int
	Name, After, Amount    string
	Percent                int
	Status                 string
	BadName, BadAfter      bool
	BadAmount              bool
	NameID, AfterID, AmtID string
}

// contractMetricRow is a metric of the contract with its target.
type contractMetricRow struct {
	Code, Name, Unit, Direction, Target, Commitment string
	Weight                                          int
	// The amendment form's input for a new target.
	Anchor, Typed string
	Bad           bool
}

// eventRow is a step of the contract's timeline.
type eventRow struct {
	Kind, When, Note string
}

// contractAmendmentRow is an amendment with what it changes in words and the
// other party's decision form.
type contractAmendmentRow struct {
	contract.Amendment
	Proposed, Decided string
	Changes           []string
	CanDecide         bool
	Note              string
	Bad               bool
}

// terminationRow is a termination request.
type terminationRow struct {
	contract.TerminationRequest
	Proposed, Decided string
}

// amendmentForm is a proposed amendment as typed.
type amendmentForm struct {
	Amount, ServiceEnd, Reason string
	Targets                    map[string]string
}

// contractInput is what a re-rendered contract page shows as typed.
type contractInput struct {
	alert       pageAlert
	populations map[int64]string
	milestones  []milestoneRow
	amend       *amendmentForm
	notes       map[int64]string // amendment → the decision's note
	reasons     map[string]string
	next        string
}

type contractPageView struct {
	C    contract.View
	Mode string
	// Flags are the contract's red flags.
	Flags []flagRow
	// The contract's amounts, times and terms as shown.
	Amount, Held, SignBy                               string
	OfficerSigned, OrgSigned, Signed, Activated, Ended string
	SigningOver                                        bool
	Communities                                        []populationRow
	Metrics                                            []contractMetricRow
	Milestones                                         []milestoneRow
	MilestoneForm                                      []milestoneRow
	Triggers                                           []string
	Timeline                                           []eventRow
	Amendments                                         []contractAmendmentRow
	Terminations                                       []terminationRow
	Pending                                            *terminationRow // the request awaiting the officer
	TenderHref, PublicHref                             string
	RatingsHref                                        string // once signed: the contract's ratings page
	EvaluationsHref                                    string // once signed: the contract's evaluations page

	// What the reader may do now.
	CanEditTerms, CanSign, CanAmend, CanRequestEnd, CanTerminate, CanDrop bool
	Amend                                                                 amendmentForm
	Reasons                                                               map[string]string
	Next                                                                  string

	Alert pageAlert
	Done  string
}

// contractDone are the outcomes the contract page confirms after a redirect.
var contractDone = []string{"terms_saved", "signed", "amendment_proposed", "amendment_accepted", "amendment_rejected",
	"termination_requested", "termination_rejected", "terminated", "dropped"}

// inForce reports whether a contract is signed or active.
func inForce(status string) bool {
	return status == contract.StatusSigned || status == contract.StatusActive
}

func (h *Handler) renderContract(c *fiber.Ctx, status int, id int64, in contractInput) error {
	ctx, a, lang := c.UserContext(), request.Actor(c), language(c)
	cv, err := h.Contracts.Get(ctx, a, id)
	if err != nil {
		return err
	}
	officer, orgAdmin := a.Role == access.ProcurementOfficer, a.Role == access.OrgAdmin
	draft, now := cv.Status == contract.StatusDraft, h.clock.Now()
	v := contractPageView{C: cv, Mode: contractMode(a.Role), Amount: cv.AmountFen.Grouped(), Held: cv.HeldFen.Grouped(), SignBy: showTime(&cv.SignBy),
		OfficerSigned: showTime(cv.OfficerSignedAt), OrgSigned: showTime(cv.OrgSignedAt), Signed: showTime(cv.SignedAt),
		Activated: showTime(cv.ActivatedAt), Ended: showTime(cv.EndedAt), SigningOver: !now.Before(cv.SignBy), Triggers: contract.Triggers,
		Reasons: in.reasons, Next: in.next, Alert: in.alert}
	if v.Reasons == nil {
		v.Reasons = map[string]string{}
	}
	if officer {
		v.TenderHref = fmt.Sprintf("/tenders/%d", cv.TenderID)
	}
	if cv.SignedAt != nil {
		v.PublicHref = fmt.Sprintf("/procurement/contracts/%d", cv.ID)
		v.RatingsHref = contractRatingsPath(cv.ID)
		v.EvaluationsHref = contractEvaluationsPath(cv.ID)
	}
	for _, cm := range cv.Communities {
		r := populationRow{ID: cm.ID, Name: cm.Name, Anchor: fmt.Sprintf("pop-%d", cm.ID)}
		if cm.EligiblePopulation != nil {
			r.Value = strconv.Itoa(*cm.EligiblePopulation)
		}
		if typed, ok := in.populations[cm.ID]; ok {
			r.Value = typed
		}
		r.Bad = in.alert.Bad(r.Anchor)
		v.Communities = append(v.Communities, r)
	}
	amend := amendmentForm{Targets: map[string]string{}}
	if in.amend != nil {
		amend = *in.amend
	}
	v.Amend = amend
	for _, m := range cv.Metrics {
		r := contractMetricRow{Code: m.Code, Name: pick(lang, m.NameZh, m.NameEn), Unit: h.unitName(lang, m.Unit), Direction: m.Direction,
			Target: number(m.Target), Weight: m.Weight, Anchor: "amend-target-" + m.Code, Typed: amend.Targets[m.Code]}
		if m.Commitment != nil {
			r.Commitment = number(*m.Commitment)
		}
		r.Bad = in.alert.Bad(r.Anchor)
		v.Metrics = append(v.Metrics, r)
	}
	for i, m := range cv.Milestones {
		v.Milestones = append(v.Milestones, milestoneRow{Index: i, Name: m.Name, After: m.After, Amount: m.AmountFen.Grouped(), Percent: m.Percent, Status: m.Status})
	}
	for _, e := range cv.Timeline {
		v.Timeline = append(v.Timeline, eventRow{Kind: e.Kind, When: showTime(&e.At), Note: e.Note})
	}
	side := ""
	switch {
	case officer:
		side = "subdistrict"
	case orgAdmin:
		side = "organization"
	}
	open := false
	for _, am := range cv.Amendments {
		r := contractAmendmentRow{Amendment: am, Proposed: showTime(&am.ProposedAt), Decided: showTime(am.DecidedAt), Changes: h.changeText(lang, cv, am.Changes),
			Note: in.notes[am.ID], Bad: in.alert.Bad(fmt.Sprintf("decide-%d-note", am.ID))}
		if am.Status == "proposed" {
			open = true
			r.CanDecide = side != "" && am.ProposedSide != side && inForce(cv.Status)
		}
		v.Amendments = append(v.Amendments, r)
	}
	for _, tr := range cv.Terminations {
		r := terminationRow{TerminationRequest: tr, Proposed: showTime(&tr.ProposedAt), Decided: showTime(tr.DecidedAt)}
		v.Terminations = append(v.Terminations, r)
		if tr.Status == "proposed" {
			v.Pending = &r
		}
	}
	v.CanEditTerms = officer && draft
	v.CanSign = draft && ((officer && cv.OfficerSignedAt == nil) || (orgAdmin && cv.OrgSignedAt == nil))
	v.CanAmend = (officer || orgAdmin) && inForce(cv.Status) && !open
	v.CanRequestEnd = orgAdmin && inForce(cv.Status) && v.Pending == nil
	v.CanTerminate = officer && inForce(cv.Status)
	v.CanDrop = officer && draft
	if v.CanEditTerms {
		v.MilestoneForm = in.milestones
		if v.MilestoneForm == nil {
			for i, m := range cv.Milestones {
				v.MilestoneForm = append(v.MilestoneForm, milestoneRow{Index: i, Name: m.Name, After: m.After, Amount: m.AmountFen.Yuan()})
			}
		}
		// One empty row adds a milestone.
		v.MilestoneForm = append(v.MilestoneForm, milestoneRow{Index: len(v.MilestoneForm)})
		for i := range v.MilestoneForm {
			r := &v.MilestoneForm[i]
			r.Index, r.Number = i, i+1
			r.NameID, r.AfterID, r.AmtID = fmt.Sprintf("ms-%d-name", i), fmt.Sprintf("ms-%d-after", i), fmt.Sprintf("ms-%d-amount", i)
			r.BadName, r.BadAfter, r.BadAmount = in.alert.Bad(r.NameID), in.alert.Bad(r.AfterID), in.alert.Bad(r.AmtID)
		}
	}
	if done := c.Query("done"); status == fiber.StatusOK && slices.Contains(contractDone, done) {
		v.Done = done
	}
	if v.Flags, err = h.contractFlags(ctx, lang, cv.ID); err != nil {
		return err
	}
	return h.render(c, status, "contract", v)
}

func (h *Handler) handleContractPage(c *fiber.Ctx) error {
	id, err := request.ParamID(c, "id")
	if err != nil {
		return err
	}
	return h.renderContract(c, fiber.StatusOK, id, contractInput{})
}

// changeText says in words what an amendment changes.
func (h *Handler) changeText(lang string, cv contract.View, ch contract.Changes) []string {
	tf := func(key string, args ...any) string { return fmt.Sprintf(h.pages.translate(lang, key), args...) }
	var out []string
	if ch.AmountFen != nil {
		out = append(out, tf("camend.change_amount", ch.AmountFen.Grouped()))
	}
	if ch.ServiceStart != nil {
		out = append(out, tf("camend.change_start", ch.ServiceStart.String()))
	}
	if ch.ServiceEnd != nil {
		out = append(out, tf("camend.change_end", ch.ServiceEnd.String()))
	}
	for _, t := range ch.Targets {
		name := t.Code
		if i := slices.IndexFunc(cv.Metrics, func(m contract.Metric) bool { return m.Code == t.Code }); i >= 0 {
			name = pick(lang, cv.Metrics[i].NameZh, cv.Metrics[i].NameEn)
		}
		out = append(out, tf("camend.change_target", name, number(t.Target)))
	}
	if ch.Milestones != nil {
		out = append(out, tf("camend.change_milestones", len(*ch.Milestones)))
	}
	return out
}

// publicContractView is the public summary of a contract as shown.
type publicContractView struct {
	contract.PublicSummary
	Amount, Signed, Ended string
	Metrics               []contractMetricRow
}

// handlePublicContractPage is a signed contract's public summary: parties,
// amount, period, communities, metrics and targets.
func (h *Handler) handlePublicContractPage(c *fiber.Ctx) error {
	id, err := request.ParamID(c, "id")
	if err != nil {
		return err
	}
	p, err := h.Contracts.Public(c.UserContext(), id)
	if err != nil {
		return err
	}
	lang := language(c)
	v := publicContractView{PublicSummary: p, Amount: p.AmountFen.Grouped(), Signed: showTime(p.SignedAt), Ended: showTime(p.EndedAt)}
	for _, m := range p.Metrics {
		v.Metrics = append(v.Metrics, contractMetricRow{Code: m.Code, Name: pick(lang, m.NameZh, m.NameEn), Unit: h.unitName(lang, m.Unit),
			Direction: m.Direction, Target: number(m.Target), Weight: m.Weight})
	}
	return h.render(c, fiber.StatusOK, "contract_public", v)
}

// fundContractRow is a contract paid from a fund, on the fund page.
type fundContractRow struct {
	contractListRow
	Linked bool // the reader may open the contract's page
}

// fundContracts lists the contracts a fund pays with what each holds encumbered.
func (h *Handler) fundContracts(c *fiber.Ctx, fundID int64) ([]fundContractRow, money.Fen, error) {
	a := request.Actor(c)
	list, _, err := h.Contracts.List(c.UserContext(), a, contract.Filter{FundAccountID: fundID, Limit: 200})
	if err != nil {
		return nil, 0, err
	}
	var held money.Fen
	out := []fundContractRow{}
	for _, r := range contractListRows(list) {
		held += r.HeldFen
		out = append(out, fundContractRow{contractListRow: r, Linked: a.Is(contractPageRoles...)})
	}
	return out, held, nil
}
