package ui

import (
	"fmt"
	"io"
	"mime"

	"github.com/gofiber/fiber/v2"

	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/evaluation"
	"github.com/jiedao-market/jiedao/internal/request"
)

// The evaluator's evidence (photos, inspection sheets) on the evaluation
// page: the assigned evaluator uploads files for a figure or the whole
// evaluation while evaluating; every reader of the evaluation downloads
// them.

// evidenceRow is an evidence file as the evaluation page lists it.
type evidenceRow struct {
	evaluation.Document
	Href, Figure, Size, Uploaded string
}

// evidenceRows lays out the evaluation's evidence, naming each file's figure.
func evidenceRows(ev evaluation.View, docs []evaluation.Document, figures []figureView) []evidenceRow {
	out := make([]evidenceRow, len(docs))
	for i, d := range docs {
		r := evidenceRow{Document: d, Href: fmt.Sprintf("%s/documents/%d", evaluationPath(ev.ID), d.ID), Size: fileSize(d.SizeBytes),
			Uploaded: showTime(&d.CreatedAt)}
		if d.MetricCode != nil {
			r.Figure = *d.MetricCode
			for _, f := range figures {
				if f.Code == *d.MetricCode {
					r.Figure = f.Name
				}
			}
		}
		out[i] = r
	}
	return out
}

// handleEvidenceUploadSubmit stores an evidence file of the evaluation for
// its evaluator. A missing, empty, oversized or untyped file, or a figure
// that is not the evaluation's, shows the page again with the field marked.
func (h *Handler) handleEvidenceUploadSubmit(c *fiber.Ctx) error {
	id, err := request.ParamID(c, "id")
	if err != nil {
		return err
	}
	lang := language(c)
	code := posted(c, "metric_code")
	in := evaluationInput{typed: map[string]string{"evidence.metric_code": code}}
	refuse := func(status int, key string) error {
		alert := h.fieldAlert(c, "evidence-file", h.pages.translate(lang, "evidence.file"), key)
		if key == "docerr.too_large" {
			alert.Fields[0].Message = fmt.Sprintf(alert.Fields[0].Message, fileSize(int64(h.cfg.Uploads.MaxBytes)))
		}
		in.alert = pageAlert{Context: h.pages.translate(lang, "evidence.heading"), Href: "#evidence", formAlert: alert}
		return h.renderEvaluation(c, status, id, in)
	}
	if mt, _, err := mime.ParseMediaType(c.Get(fiber.HeaderContentType)); err != nil || mt != fiber.MIMEMultipartForm {
		return refuse(fiber.StatusBadRequest, "docerr.missing")
	}
	fh, err := c.FormFile("file")
	if err != nil || (fh.Filename == "" && fh.Size == 0) {
		// A browser sends an empty, nameless part when no file was chosen.
		return refuse(fiber.StatusBadRequest, "docerr.missing")
	}
	f, err := fh.Open()
	if err != nil {
		return fmt.Errorf("open upload: %w", err)
	}
	defer f.Close()
	if _, err := h.Evaluations.SaveDocument(c.UserContext(), request.Actor(c), id, code, fh.Filename, f); err != nil {
		if e, ok := apperr.As(err); ok {
			if key, known := uploadProblem[e.Code]; known {
				return refuse(e.Kind.Status(), key)
			}
		}
		return h.evaluationRefused(c, id, err, "evidence", in, nil)
	}
	return evaluationDoneAt(c, id, "uploaded", "evidence")
}

// handleEvidenceDocument sends an evidence file to a reader of its evaluation.
func (h *Handler) handleEvidenceDocument(c *fiber.Ctx) error {
	ids, err := request.ParamIDs(c, "id", "doc")
	if err != nil {
		return err
	}
	d, rc, err := h.Evaluations.OpenDocument(c.UserContext(), request.Actor(c), ids[0], ids[1])
	if err != nil {
		return err
	}
	defer rc.Close()
	body, err := io.ReadAll(rc)
	if err != nil {
		return fmt.Errorf("read document %d of evaluation %d: %w", d.ID, ids[0], err)
	}
	return request.SendAttachment(c, d.ContentType, d.OriginalName, body)
}
