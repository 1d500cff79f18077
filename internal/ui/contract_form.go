package ui

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/civil"
	"github.com/jiedao-market/jiedao/internal/contract"
	"github.com/jiedao-market/jiedao/internal/money"
	"github.com/jiedao-market/jiedao/internal/request"
)

// contractRefusals are the refusals (403) a contract form shows in the page:
// they say why, and nothing is secret in them.
var contractRefusals = map[string]bool{"contract.own_amendment": true}

// contractProblem is serviceProblem for the contract forms.
func (h *Handler) contractProblem(c *fiber.Ctx, err error, name func(field string) (anchor, label string)) (int, formAlert, bool) {
	return h.serviceProblem(c, err, "contract", contractRefusals, name, func(generic string) string { return generic })
}

// contractAction runs a party's action on the contract named by the path: on
// success it redirects to the contract page with done; a refusal it can place
// in a form re-renders the page with the alert in section.
func (h *Handler) contractAction(c *fiber.Ctx, section, done string, in *contractInput, name func(string) (string, string),
	act func(ctx context.Context, a access.Actor, id int64) error) error {
	id, err := request.ParamID(c, "id")
	if err != nil {
		return err
	}
	if err := act(c.UserContext(), request.Actor(c), id); err != nil {
		status, alert, ok := h.contractProblem(c, err, name)
		if !ok {
			return err
		}
		in.alert = pageAlert{Context: h.pages.translate(language(c), "contract."+section+"_heading"), Href: "#" + section, formAlert: alert}
		return h.renderContract(c, status, id, *in)
	}
	return c.Redirect(fmt.Sprintf("/contracts/%d?done=%s#%s", id, done, section), fiber.StatusSeeOther)
}

// fixedName names every field of a form by one input.
func (h *Handler) fixedName(c *fiber.Ctx, anchor, labelKey string) func(string) (string, string) {
	label := h.pages.translate(language(c), labelKey)
	return func(string) (string, string) { return anchor, label }
}

// formText reads a posted field, trimmed and copied.
func formText(c *fiber.Ctx, key string) string {
	return strings.TrimSpace(strings.Clone(c.FormValue(key)))
}

// handleContractTermsSubmit saves the officer's eligible populations and
// milestones of a draft; only what changed goes to the service, since any
// change withdraws the signatures made so far.
func (h *Handler) handleContractTermsSubmit(c *fiber.Ctx) error {
	lang := language(c)
	in := &contractInput{populations: map[int64]string{}}
	var popIDs []int64 // the community of each eligible_populations[i]
	names := map[int64]string{}
	return h.contractAction(c, "terms", "terms_saved", in, func(field string) (string, string) {
		idx := indexes(field)
		switch {
		case strings.HasPrefix(field, "eligible_populations") && len(idx) == 1 && idx[0] < len(popIDs):
			id := popIDs[idx[0]]
			return fmt.Sprintf("pop-%d", id), names[id]
		case strings.HasPrefix(field, "eligible_populations"):
			return "terms-populations", h.pages.translate(lang, "contract.populations")
		case strings.HasPrefix(field, "milestones") && len(idx) == 1:
			part := fieldIndex.ReplaceAllString(field, "")
			kind := map[string]string{"milestones.name": "name", "milestones.after": "after", "milestones.amount_fen": "amount"}[part]
			if kind != "" {
				return fmt.Sprintf("ms-%d-%s", idx[0], kind), fmt.Sprintf(h.pages.translate(lang, "contract.milestone_n"), idx[0]+1)
			}
		}
		return "terms-milestones", h.pages.translate(lang, "contract.milestones")
	}, func(ctx context.Context, a access.Actor, id int64) error {
		cv, err := h.Contracts.Get(ctx, a, id)
		if err != nil {
			return err
		}
		var patch contract.Patch
		var pops []contract.PopulationInput
		for _, cm := range cv.Communities {
			names[cm.ID] = cm.Name
			typed := formText(c, fmt.Sprintf("population_%d", cm.ID))
			in.populations[cm.ID] = typed
			if typed == "" {
				continue
			}
			n, err := strconv.Atoi(typed)
			if err != nil {
				n = 0 // named by the service
			}
			if cm.EligiblePopulation != nil && *cm.EligiblePopulation == n {
				continue
			}
			pops = append(pops, contract.PopulationInput{CommunityID: cm.ID, EligiblePopulation: n})
			popIDs = append(popIDs, cm.ID)
		}
		if pops != nil {
			patch.Populations = &pops
		}
		msNames, afters, amounts := formValues(c, "milestone_name"), formValues(c, "milestone_after"), formValues(c, "milestone_amount")
		var ms []contract.MilestoneInput
		for i := range msNames {
			after, amount := "", ""
			if i < len(afters) {
				after = strings.TrimSpace(afters[i])
			}
			if i < len(amounts) {
				amount = strings.TrimSpace(amounts[i])
			}
			name := strings.TrimSpace(msNames[i])
			if name == "" && amount == "" {
				continue // the empty row
			}
			fen, err := money.ParseYuan(amount)
			if err != nil {
				fen = 0 // named by the service
			}
			ms = append(ms, contract.MilestoneInput{Name: name, After: after, AmountFen: fen})
			in.milestones = append(in.milestones, milestoneRow{Name: name, After: after, Amount: amount})
		}
		same := len(ms) == len(cv.Milestones)
		for i := 0; same && i < len(ms); i++ {
			m := cv.Milestones[i]
			same = ms[i].Name == m.Name && ms[i].After == m.After && ms[i].AmountFen == m.AmountFen
		}
		if len(msNames) > 0 && !same {
			patch.Milestones = &ms
		}
		if patch.Populations == nil && patch.Milestones == nil {
			return nil
		}
		_, err = h.Contracts.Update(ctx, a, id, patch)
		return err
	})
}

func (h *Handler) handleContractSignSubmit(c *fiber.Ctx) error {
	return h.contractAction(c, "sign", "signed", &contractInput{}, h.fixedName(c, "terms-populations", "contract.populations"),
		func(ctx context.Context, a access.Actor, id int64) error {
			_, err := h.Contracts.Sign(ctx, a, id)
			return err
		})
}

// handleAmendmentSubmit proposes an amendment: what the form changes from
// the contract as it stands, and the reason.
func (h *Handler) handleAmendmentSubmit(c *fiber.Ctx) error {
	lang := language(c)
	f := amendmentForm{Amount: formText(c, "amount"), ServiceEnd: formText(c, "service_end"), Reason: formText(c, "reason"), Targets: map[string]string{}}
	var targetCodes []string // the metric of each targets[i]
	name := func(field string) (string, string) {
		label := func(key string) string { return h.pages.translate(lang, "camend."+key) }
		switch idx := indexes(field); {
		case strings.HasPrefix(field, "targets") && len(idx) == 1 && idx[0] < len(targetCodes):
			return "amend-target-" + targetCodes[idx[0]], label("targets")
		case field == "reason":
			return "amend-reason", label("reason")
		case field == "service_end" || field == "service_start":
			return "amend-service_end", label("service_end")
		}
		return "amend-amount", label("amount_fen")
	}
	return h.contractAction(c, "amend", "amendment_proposed", &contractInput{amend: &f}, name, func(ctx context.Context, a access.Actor, id int64) error {
		cv, err := h.Contracts.Get(ctx, a, id)
		if err != nil {
			return err
		}
		in := contract.AmendmentInput{Reason: f.Reason}
		var bad apperr.Fields
		if f.Amount != "" {
			fen, err := money.ParseYuan(f.Amount)
			bad.Check(err == nil, "amount_fen", "must be an amount in yuan")
			if err == nil && fen != cv.AmountFen {
				in.AmountFen = &fen
			}
		}
		if f.ServiceEnd != "" {
			d, err := civil.ParseDate(f.ServiceEnd)
			bad.Check(err == nil, "service_end", "must be a date")
			if err == nil && d != cv.ServiceEnd {
				in.ServiceEnd = &d
			}
		}
		for _, m := range cv.Metrics {
			typed := formText(c, "target_"+m.Code)
			f.Targets[m.Code] = typed
			if typed == "" {
				continue
			}
			v, ok := parseTarget(typed)
			targetCodes = append(targetCodes, m.Code)
			bad.Check(ok, fmt.Sprintf("targets[%d].target", len(targetCodes)-1), "must be a number")
			if ok && v != m.Target {
				in.Targets = append(in.Targets, contract.TargetInput{Code: m.Code, Target: v})
			} else {
				targetCodes = targetCodes[:len(targetCodes)-1]
			}
		}
		if err := bad.Err(); err != nil {
			return err
		}
		_, err = h.Contracts.ProposeAmendment(ctx, a, id, in)
		return err
	})
}

// handleAmendmentDecisionSubmit accepts or rejects the other party's
// amendment of the contract in the path.
func (h *Handler) handleAmendmentDecisionSubmit(c *fiber.Ctx) error {
	aid, err := request.ParamID(c, "aid")
	if err != nil {
		return err
	}
	decision, note := formText(c, "decision"), formText(c, "note")
	anchor := fmt.Sprintf("decide-%d-note", aid)
	done := "amendment_accepted"
	if decision != "accept" {
		done = "amendment_rejected"
	}
	in := &contractInput{notes: map[int64]string{aid: note}}
	return h.contractAction(c, "amendments", done, in, h.fixedName(c, anchor, "camend.note"), func(ctx context.Context, a access.Actor, id int64) error {
		cv, err := h.Contracts.Get(ctx, a, id)
		if err != nil {
			return err
		}
		found := false
		for _, am := range cv.Amendments {
			found = found || am.ID == aid
		}
		if !found {
			return apperr.ErrNotFound // an amendment of another contract
		}
		if decision != "accept" && decision != "reject" {
			return apperr.InvalidField("decision", "must be accept or reject")
		}
		_, err = h.Contracts.DecideAmendment(ctx, a, aid, decision == "accept", note)
		return err
	})
}

// terminationForms are the forms that post to /contracts/:id/terminate: the
// organization's request, the officer's termination, the officer's rejection
// of a request and the officer's drop of a draft, with their sections.
var terminationForms = map[string]struct{ section, done, decision string }{
	"request":   {"end", "termination_requested", ""},
	"terminate": {"end", "terminated", contract.DecisionTerminate},
	"reject":    {"end", "termination_rejected", contract.DecisionReject},
	"drop":      {"drop", "dropped", ""},
}

func (h *Handler) handleTerminateSubmit(c *fiber.Ctx) error {
	form := formText(c, "form")
	tf, ok := terminationForms[form]
	if !ok {
		form = "request"
		if request.Actor(c).Role == access.ProcurementOfficer {
			form = "terminate"
		}
		tf = terminationForms[form]
	}
	in := contract.TerminateInput{Reason: formText(c, "reason"), Decision: tf.decision}
	if form == "drop" {
		in.Next = formText(c, "next")
	}
	lang := language(c)
	name := func(field string) (string, string) {
		if field == "next" {
			return form + "-next", h.pages.translate(lang, "contract.drop_next")
		}
		return form + "-reason", h.pages.translate(lang, "contract.reason")
	}
	typed := &contractInput{reasons: map[string]string{form: in.Reason}, next: in.Next}
	return h.contractAction(c, tf.section, tf.done, typed, name, func(ctx context.Context, a access.Actor, id int64) error {
		_, err := h.Contracts.Terminate(ctx, a, id, in)
		return err
	})
}
