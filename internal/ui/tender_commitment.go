package ui

import (
	"errors"
	"net/http"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/jiedao-market/jiedao/internal/tender"
)

// commitmentView is the public notice's commitment to the bids, made at the
// close, and the "check my bid" form with its answer.
type commitmentView struct {
	None   bool // the tender closed before commitments were published
	Count  int
	Root   string
	At     string
	Digest string // as typed
	// Unknown: the digest is no standing bid's.
	Unknown bool
	Proof   *tender.InclusionProof
}

// commitmentOf fills v's commitment once bidding has closed and answers the
// "check my bid" form (?digest=): a malformed digest is 400 with the form's
// alert, one that is no standing bid's is said so. pub is the tender as
// PublicGet read it, its commitment with it. It returns the page's status.
func (h *Handler) commitmentOf(c *fiber.Ctx, v *tenderView, pub tender.Public) (int, error) {
	ctx, lang := c.UserContext(), language(c)
	cm, err := pub.Commitment()
	switch {
	case errors.Is(err, tender.ErrNotCommitted):
		return http.StatusOK, nil
	case errors.Is(err, tender.ErrNoCommitment):
		// A tender cancelled before its close never committed: nothing to say.
		if v.T.Status != tender.StatusCancelled {
			v.Commitment = &commitmentView{None: true}
		}
		return http.StatusOK, nil
	case err != nil:
		return 0, err
	}
	cv := &commitmentView{Count: cm.BidCount, Root: cm.Root, At: showTime(&cm.CommittedAt)}
	v.Commitment = cv
	if !c.Context().QueryArgs().Has("digest") {
		return http.StatusOK, nil
	}
	cv.Digest = strings.TrimSpace(c.Query("digest"))
	digest, err := tender.ParseDigest("digest", cv.Digest)
	if err != nil {
		v.Alert = pageAlert{Context: h.pages.translate(lang, "commitment.check_heading"), Href: "#commitment",
			formAlert: h.fieldAlert(c, "check-digest", h.pages.translate(lang, "commitment.digest"), "commitment.bad_digest")}
		return http.StatusBadRequest, nil
	}
	p, err := h.Tenders.CommitmentProof(ctx, v.T.ID, digest)
	switch {
	case errors.Is(err, tender.ErrDigestNotCommitted):
		cv.Unknown = true
	case err != nil:
		return 0, err
	default:
		cv.Proof = &p
	}
	return http.StatusOK, nil
}
