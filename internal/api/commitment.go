package api

import (
	"github.com/gofiber/fiber/v2"

	"github.com/jiedao-market/jiedao/internal/request"
	"github.com/jiedao-market/jiedao/internal/tender"
)

// handlePublicCommitment is a tender's commitment to its bids, made at the
// close: the count and the Merkle root of their receipt digests.
func (h *Handler) handlePublicCommitment(c *fiber.Ctx) error {
	cm, err := request.ReadPublic(c, h.Tenders.BidCommitment)
	if err != nil {
		return err
	}
	return c.JSON(cm)
}

// handlePublicCommitmentProof is the inclusion proof of the bid whose receipt
// digest the query names.
func (h *Handler) handlePublicCommitmentProof(c *fiber.Ctx) error {
	id, err := request.ParamID(c, "id")
	if err != nil {
		return err
	}
	digest, err := tender.ParseDigest("digest", c.Query("digest"))
	if err != nil {
		return err
	}
	p, err := h.Tenders.CommitmentProof(c.UserContext(), id, digest)
	if err != nil {
		return err
	}
	return c.JSON(p)
}
