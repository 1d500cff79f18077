package evaluation_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"testing"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/evaluation"
	"github.com/jiedao-market/jiedao/internal/org"
)

var evidencePDF = []byte("%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")

// uploads counts the files in the test's upload directory.
func (w *world) uploads(t *testing.T) int {
	t.Helper()
	entries, err := os.ReadDir(w.e.Cfg.Uploads.Dir)
	if errors.Is(err, os.ErrNotExist) {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	return len(entries)
}

// The evaluator attaches evidence while evaluating, stored as the
// organizations' documents are; the evaluation's readers download it, no
// one else; a refused upload writes neither a row nor a file.
func TestEvidenceDocuments(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	v := w.schedule(t, evaluation.ScheduleInput{Kind: evaluation.KindAdhoc})
	save := func(by access.Actor, id int64, code string, content []byte) (evaluation.Document, error) {
		return w.svc.SaveDocument(ctx, by, id, code, "../现场检查表.pdf", bytes.NewReader(content))
	}
	refused := func(name string, by access.Actor, id int64, code string, content []byte, want error, fields ...string) {
		t.Helper()
		w.e.WritesNothing(t, name, func() {
			_, err := save(by, id, code, content)
			if (want != nil && !is(err, want)) || (want == nil && !isInvalid(err, fields...)) {
				t.Errorf("%s: SaveDocument() error = %v, want %v %v", name, err, want, fields)
			}
		})
		if n := w.uploads(t); n != 0 {
			t.Errorf("%s: %d files in the upload directory, want none", name, n)
		}
	}
	refused("before the declaration", w.evaluator, v.ID, "", evidencePDF, evaluation.ErrNotDeclared)
	w.open(t, w.evaluator, v.ID)
	refused("another evaluator", w.evaluator2, v.ID, "", evidencePDF, apperr.ErrNotFound)
	refused("the officer", w.officer, v.ID, "", evidencePDF, apperr.ErrForbidden)
	refused("no such figure", w.evaluator, v.ID, "inspection", evidencePDF, nil, "metric_code")
	refused("not a document", w.evaluator, v.ID, "", []byte("<html><script>alert(1)</script></html>"), org.ErrDocumentType)

	d, err := save(w.evaluator, v.ID, "satisfaction", evidencePDF)
	if err != nil || d.ContentType != "application/pdf" || d.OriginalName != "现场检查表.pdf" || d.MetricCode == nil || *d.MetricCode != "satisfaction" ||
		d.SizeBytes != int64(len(evidencePDF)) || len(d.SHA256) != 64 {
		t.Fatalf("SaveDocument() = %+v, %v", d, err)
	}
	whole, err := save(w.evaluator, v.ID, "", evidencePDF)
	if err != nil || whole.MetricCode != nil {
		t.Fatalf("SaveDocument() for the whole evaluation = %+v, %v", whole, err)
	}
	if n := w.uploads(t); n != 2 {
		t.Errorf("%d files stored, want 2", n)
	}
	for _, by := range []access.Actor{w.evaluator, w.officer, w.finance, w.district, w.orgAdmin, w.member} {
		list, err := w.svc.Documents(ctx, by, v.ID)
		if err != nil || len(list) != 2 || list[0].ID != d.ID {
			t.Errorf("Documents() as %s = %+v, %v", by.Username, list, err)
		}
		got, rc, err := w.svc.OpenDocument(ctx, by, v.ID, d.ID)
		if err != nil {
			t.Errorf("OpenDocument() as %s error = %v", by.Username, err)
			continue
		}
		body, _ := io.ReadAll(rc)
		rc.Close()
		if got.ID != d.ID || !bytes.Equal(body, evidencePDF) {
			t.Errorf("OpenDocument() as %s = %+v, %q", by.Username, got, body)
		}
	}
	other := w.schedule(t, evaluation.ScheduleInput{Kind: evaluation.KindAdhoc})
	for _, tt := range []struct {
		by      access.Actor
		id, doc int64
		want    error
	}{
		{w.evaluator2, v.ID, d.ID, apperr.ErrNotFound},
		{w.officer2, v.ID, d.ID, apperr.ErrNotFound},
		{w.org2, v.ID, d.ID, apperr.ErrNotFound},
		{w.e.ActorOf(t, "demo-resident"), v.ID, d.ID, apperr.ErrForbidden},
		{w.officer, other.ID, d.ID, apperr.ErrNotFound}, // a document of another evaluation
	} {
		if _, _, err := w.svc.OpenDocument(ctx, tt.by, tt.id, tt.doc); !is(err, tt.want) {
			t.Errorf("OpenDocument(%d, %d) as %s error = %v, want %v", tt.id, tt.doc, tt.by.Username, err, tt.want)
		}
		if _, err := w.svc.Documents(ctx, tt.by, tt.id); tt.id == v.ID && !is(err, tt.want) {
			t.Errorf("Documents(%d) as %s error = %v, want %v", tt.id, tt.by.Username, err, tt.want)
		}
	}

	// Once submitted, the evidence is what it was.
	w.enter(t, w.evaluator, v.ID, map[string]string{"satisfaction": "95"})
	if _, err := w.svc.Submit(ctx, w.evaluator, v.ID); err != nil {
		t.Fatal(err)
	}
	w.e.WritesNothing(t, "after the submission", func() {
		if _, err := save(w.evaluator, v.ID, "", evidencePDF); !is(err, evaluation.ErrSubmitted) {
			t.Errorf("SaveDocument() after the submission error = %v, want %v", err, evaluation.ErrSubmitted)
		}
	})
	if n := w.uploads(t); n != 2 {
		t.Errorf("%d files stored after a refused upload, want 2", n)
	}
}
