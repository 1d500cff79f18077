package api

import (
	"bufio"
	"context"
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/jiedao-market/jiedao/internal/ocds"
	"github.com/jiedao-market/jiedao/internal/request"
)

// ocdsURL is the absolute address of path and its query: under the public
// URL when one is configured, else the request's own.
func (h *Handler) ocdsURL(c *fiber.Ctx, path string, query url.Values) string {
	base := strings.TrimRight(h.cfg.HTTP.PublicURL, "/")
	if base == "" {
		base = c.BaseURL()
	}
	if len(query) > 0 {
		return base + path + "?" + query.Encode()
	}
	return base + path
}

// auditHeadsURL is the absolute address of the published audit chain heads,
// which the OCDS packages' publisher points to.
func (h *Handler) auditHeadsURL(c *fiber.Ctx) string {
	return h.ocdsURL(c, "/api/v1/public/audit/heads", nil)
}

// ocdsQuery reads the release filters and paging of the query string; a bad
// one is a 400 naming it.
func ocdsQuery(c *fiber.Ctx) (ocds.Query, url.Values, error) {
	q, err := ocds.ParseQuery(c.Query("from"), c.Query("to"), c.Query("subdistrict"), c.Query("page"), c.Query("per_page"))
	kept := url.Values{}
	for _, k := range []string{"from", "to", "subdistrict"} {
		if v := c.Query(k); v != "" {
			kept.Set(k, v)
		}
	}
	return q, kept, err
}

// handleOCDSReleases answers a page of the OCDS releases as a release
// package, with a Link header to the next page when there is one.
func (h *Handler) handleOCDSReleases(c *fiber.Ctx) error {
	q, kept, err := ocdsQuery(c)
	if err != nil {
		return err
	}
	const path = "/api/v1/public/ocds/releases"
	self := url.Values{}
	for k, v := range kept {
		self[k] = v
	}
	self.Set("page", strconv.Itoa(q.Page))
	self.Set("per_page", strconv.Itoa(q.PerPage))
	page, err := h.OCDS.Releases(c.UserContext(), h.ocdsURL(c, path, self), h.auditHeadsURL(c), q)
	if err != nil {
		return err
	}
	if page.Next {
		self.Set("page", strconv.Itoa(q.Page+1))
		c.Set(fiber.HeaderLink, "<"+h.ocdsURL(c, path, self)+`>; rel="next"`)
	}
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	return c.Send(page.Package)
}

// handleOCDSBulk streams every release the filters select (no paging) as
// JSON Lines, one release package per line. A bad filter answers 400 before
// anything is sent; a failure midway is logged with the request id.
func (h *Handler) handleOCDSBulk(c *fiber.Ctx) error {
	q, _, err := ocdsQuery(c)
	if err != nil {
		return err
	}
	records := h.ocdsURL(c, "/api/v1/public/ocds/records/", nil)
	uriOf := func(releaseID string) string {
		return records + url.PathEscape(ocds.OCIDOf(releaseID)) + "#" + url.PathEscape(releaseID)
	}
	heads := h.auditHeadsURL(c)
	c.Set(fiber.HeaderContentType, "application/x-ndjson")
	c.Set(fiber.HeaderContentDisposition, request.ContentDisposition("ocds-releases.jsonl"))
	parent, requestID := c.UserContext(), request.ID(c)
	c.Context().SetBodyStreamWriter(func(bw *bufio.Writer) {
		// The handler has returned: the request's context may be done, but
		// its deadline still bounds the stream.
		ctx, cancel := context.WithoutCancel(parent), context.CancelFunc(func() {})
		if d, ok := parent.Deadline(); ok {
			ctx, cancel = context.WithDeadline(ctx, d)
		}
		defer cancel()
		if err := h.OCDS.Bulk(ctx, uriOf, heads, q, bw); err != nil && h.Log != nil {
			h.Log.ErrorContext(ctx, "OCDS bulk download ended early", "request_id", requestID, "error", err.Error())
		}
	})
	return nil
}

// handleOCDSRecord answers the record package of one ocid.
func (h *Handler) handleOCDSRecord(c *fiber.Ctx) error {
	ocid := strings.Clone(c.Params("ocid"))
	pkg, err := h.OCDS.Record(c.UserContext(), h.ocdsURL(c, "/api/v1/public/ocds/records/"+url.PathEscape(ocid), nil), h.auditHeadsURL(c), ocid)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	return c.Send(pkg)
}
