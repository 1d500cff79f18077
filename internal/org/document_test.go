package org_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/apperr/apperrtest"
	"github.com/jiedao-market/jiedao/internal/org"
)

// Files as their first bytes make them: the content decides the type.
var (
	pdfBytes  = []byte("%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
	pngBytes  = append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), make([]byte, 40)...)
	jpegBytes = append([]byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00"), make([]byte, 40)...)
	htmlBytes = []byte("<!DOCTYPE html><html><body><script>alert(1)</script></body></html>")
)

func (f *fixture) upload(t *testing.T, by access.Actor, name string, content []byte) org.Document {
	t.Helper()
	d, err := f.svc.SaveDocument(context.Background(), by, by.Scope.OrganizationID, name, bytes.NewReader(content))
	if err != nil {
		t.Fatalf("SaveDocument(%q) error = %v, want nil", name, err)
	}
	return d
}

// docWorld is a fixture whose service keeps uploads in dir, at most 1 KiB each.
type docWorld struct {
	*fixture
	dir string
}

const testMaxBytes = 1024

func newDocWorld(t *testing.T) *docWorld {
	t.Helper()
	f := newFixture(t)
	opts := testOptions(t)
	opts.Uploads.MaxBytes = testMaxBytes
	f.svc = org.NewService(f.db, f.clock, opts)
	return &docWorld{fixture: f, dir: opts.Uploads.Dir}
}

// files lists the names in the upload directory (none when it does not exist).
func (w *docWorld) files(t *testing.T) []string {
	t.Helper()
	entries, err := os.ReadDir(w.dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

var storedName = regexp.MustCompile(`^[0-9a-f]{32}$`)

func TestSaveDocument(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newDocWorld(t)
	o, oa := w.signup(t, "52330502MJ526018XR", "阳光社工", w.wuxing, "sunshine")
	member := w.user(t, "sunshine-member", access.OrgMember, access.Scope{OrganizationID: o.ID})
	exact := append(bytes.Clone(pdfBytes), bytes.Repeat([]byte{' '}, testMaxBytes-len(pdfBytes))...)

	tests := []struct {
		name     string
		by       access.Actor
		original string
		content  []byte
		wantType string
		wantName string
	}{
		{"pdf", oa, "登记证书.pdf", pdfBytes, "application/pdf", "登记证书.pdf"},
		{"png by a member", member, "scan.png", pngBytes, "image/png", "scan.png"},
		{"jpeg named .pdf", oa, "photo.pdf", jpegBytes, "image/jpeg", "photo.pdf"},
		{"exactly the limit", oa, "big.pdf", exact, "application/pdf", "big.pdf"},
		{"parent directory", oa, "../x.pdf", pdfBytes, "application/pdf", "x.pdf"},
		{"deep traversal", oa, "../../etc/passwd", pdfBytes, "application/pdf", "passwd"},
		{"windows path", oa, `..\..\windows\evil.pdf`, pdfBytes, "application/pdf", "evil.pdf"},
		{"absolute path", oa, "/etc/cron.d/job", pdfBytes, "application/pdf", "job"},
		{"control and bidi characters", oa, "inv\x00oice\r\n\u202egnp.pdf", pdfBytes, "application/pdf", "invoicegnp.pdf"},
		{"only dots", oa, "..", pdfBytes, "application/pdf", "document"},
		{"no name", oa, "", pdfBytes, "application/pdf", "document"},
		{"long name", oa, strings.Repeat("证", 100) + ".pdf", pdfBytes, "application/pdf", strings.Repeat("证", 65) + ".pdf"},
		{"long name with a long extension", oa, "x." + strings.Repeat("y", 250), pdfBytes, "application/pdf", "x." + strings.Repeat("y", 198)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := w.svc.SaveDocument(ctx, tt.by, o.ID, tt.original, bytes.NewReader(tt.content))
			if err != nil {
				t.Fatalf("SaveDocument() error = %v, want nil", err)
			}
			sum := sha256.Sum256(tt.content)
			if d.ID == 0 || d.OrganizationID != o.ID || d.ContentType != tt.wantType || d.OriginalName != tt.wantName ||
				d.SizeBytes != int64(len(tt.content)) || d.SHA256 != hex.EncodeToString(sum[:]) || d.UploadedBy != tt.by.UserID {
				t.Errorf("SaveDocument() = %+v, want type %s, name %q, %d bytes", d, tt.wantType, tt.wantName, len(tt.content))
			}
			if !storedName.MatchString(d.StoredName) {
				t.Errorf("stored name = %q, want 32 hex digits", d.StoredName)
			}
			stored, err := os.ReadFile(filepath.Join(w.dir, d.StoredName))
			if err != nil || !bytes.Equal(stored, tt.content) {
				t.Errorf("stored file = %d bytes, %v; want the upload", len(stored), err)
			}
			var row org.Document
			if err := w.db.Take(&row, d.ID).Error; err != nil || row.StoredName != d.StoredName || row.OriginalName != tt.wantName {
				t.Errorf("stored row = %+v, %v; want %+v", row, err, d)
			}
		})
	}
	// Every file is in the directory under a generated name; no temporary file remains.
	files := w.files(t)
	if len(files) != len(tests) {
		t.Errorf("upload directory holds %d files, want %d: %v", len(files), len(tests), files)
	}
	for _, name := range files {
		if !storedName.MatchString(name) {
			t.Errorf("upload directory holds %q, want only 32-hex names", name)
		}
	}
	if fi, err := os.Stat(w.dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("upload directory mode = %v, %v; want 0700", fi.Mode().Perm(), err)
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(w.dir), "x.pdf")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a file named by the upload exists beside the directory: %v", err)
	}
	if n := w.count(t, `SELECT count(*) FROM audit_entries WHERE action = 'document.upload' AND entity_type = 'organization_document'`); n != int64(len(tests)) {
		t.Errorf("document.upload audit entries = %d, want %d", n, len(tests))
	}
}

// failingReader fails after its content, as a dropped connection does.
type failingReader struct{ r io.Reader }

func (f failingReader) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if err == io.EOF {
		return n, errors.New("connection reset")
	}
	return n, err
}

func TestSaveDocumentRefused(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newDocWorld(t)
	o, oa := w.signup(t, "52330502MJ526018XR", "阳光社工", w.wuxing, "sunshine")
	_, ob := w.signup(t, "53330502MJ159083XF", "慈善基金会", w.wuxing, "charity")
	districtAdmin := w.user(t, "wx-admin", access.DistrictAdmin, access.Scope{DistrictID: w.wuxing})
	ghost := oa
	ghost.UserID = 999999 // no such account: the insert fails after the file is written

	before := w.snapshot(t)
	tooBig := append(bytes.Clone(pdfBytes), bytes.Repeat([]byte{' '}, testMaxBytes+1-len(pdfBytes))...)
	tests := []struct {
		name     string
		by       access.Actor
		original string
		r        io.Reader
		want     error
		field    string // for Invalid
	}{
		{"one byte over the limit", oa, "big.pdf", bytes.NewReader(tooBig), org.ErrDocumentTooLarge, ""},
		{"far over the limit", oa, "huge.png", io.MultiReader(bytes.NewReader(pngBytes), bytes.NewReader(make([]byte, 10*testMaxBytes))), org.ErrDocumentTooLarge, ""},
		{"html named .pdf", oa, "x.pdf", bytes.NewReader(htmlBytes), org.ErrDocumentType, "file"},
		{"plain text", oa, "notes.pdf", strings.NewReader("just some notes, no magic here"), org.ErrDocumentType, "file"},
		{"zip", oa, "archive.pdf", strings.NewReader("PK\x03\x04\x14\x00\x00\x00\x08\x00"), org.ErrDocumentType, "file"},
		{"svg", oa, "logo.png", strings.NewReader(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`), org.ErrDocumentType, "file"},
		{"empty", oa, "empty.pdf", strings.NewReader(""), org.ErrDocumentEmpty, "file"},
		{"another organization", ob, "x.pdf", bytes.NewReader(pdfBytes), apperr.ErrNotFound, ""},
		{"district admin", districtAdmin, "x.pdf", bytes.NewReader(pdfBytes), apperr.ErrForbidden, ""},
		{"platform admin", admin, "x.pdf", bytes.NewReader(pdfBytes), apperr.ErrForbidden, ""},
		{"anonymous", access.Anonymous("req", "127.0.0.1"), "x.pdf", bytes.NewReader(pdfBytes), apperr.ErrForbidden, ""},
		{"transaction fails", ghost, "x.pdf", bytes.NewReader(pdfBytes), nil, ""},
		{"read fails midway", oa, "x.pdf", failingReader{bytes.NewReader(pdfBytes)}, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := w.svc.SaveDocument(ctx, tt.by, o.ID, tt.original, tt.r)
			if err == nil {
				t.Fatalf("SaveDocument() error = nil, want a refusal")
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("SaveDocument() error = %v, want %v", err, tt.want)
			}
			if tt.field != "" {
				apperrtest.WantInvalid(t, err, tt.field)
			}
		})
	}
	if e, ok := apperr.As(org.ErrDocumentTooLarge); !ok || e.Kind != apperr.TooLarge || e.Code != "document.too_large" {
		t.Errorf("ErrDocumentTooLarge = %+v, want kind TooLarge, code document.too_large", e)
	}
	if e, ok := apperr.As(org.ErrDocumentType); !ok || e.Kind != apperr.Invalid || e.Code != "document.type" {
		t.Errorf("ErrDocumentType = %+v, want kind Invalid, code document.type", e)
	}
	w.unchanged(t, before)
	if n := w.count(t, `SELECT count(*) FROM organization_documents`); n != 0 {
		t.Errorf("documents = %d after refusals, want 0", n)
	}
	if files := w.files(t); len(files) != 0 {
		t.Errorf("upload directory holds %v after refusals, want nothing", files)
	}
}

func TestOpenDocument(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newDocWorld(t)
	a, aa := w.signup(t, "52330502MJ526018XR", "阳光社工", w.wuxing, "sunshine")
	b, ba := w.signup(t, "51330502MJ016613XH", "南浔社团", w.nanxun, "nanxun-group")
	da := w.upload(t, aa, "a1.pdf", pdfBytes)
	da2 := w.upload(t, aa, "a2.png", pngBytes)
	db := w.upload(t, ba, "b.jpg", jpegBytes)
	member := w.user(t, "sunshine-member", access.OrgMember, access.Scope{OrganizationID: a.ID})
	wuxingAdmin := w.user(t, "wx-admin", access.DistrictAdmin, access.Scope{DistrictID: w.wuxing})
	nanxunAdmin := w.user(t, "nx-admin", access.DistrictAdmin, access.Scope{DistrictID: w.nanxun})
	evaluator := w.user(t, "wx-evaluator", access.Evaluator, access.Scope{DistrictID: w.wuxing})

	tests := []struct {
		name string
		by   access.Actor
		ok   bool // may read organization A's documents
	}{
		{"org admin of A", aa, true},
		{"org member of A", member, true},
		{"district admin of A's district", wuxingAdmin, true},
		{"platform admin", admin, true},
		{"org admin of B", ba, false},
		{"district admin of another district", nanxunAdmin, false},
		{"evaluator of A's district", evaluator, false},
		{"subdistrict officer", w.subdOfficer, false},
		{"resident", w.resident, false},
		{"anonymous", access.Anonymous("req", "127.0.0.1"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d, rc, err := w.svc.OpenDocument(ctx, tt.by, a.ID, da.ID)
			list, lerr := w.svc.ListDocuments(ctx, tt.by, a.ID)
			if !tt.ok {
				if !errors.Is(err, apperr.ErrNotFound) || !errors.Is(lerr, apperr.ErrNotFound) {
					t.Errorf("OpenDocument(), ListDocuments() errors = %v, %v; want %v", err, lerr, apperr.ErrNotFound)
				}
				return
			}
			if err != nil {
				t.Fatalf("OpenDocument() error = %v, want nil", err)
			}
			content, err := io.ReadAll(rc)
			rc.Close()
			if err != nil || !bytes.Equal(content, pdfBytes) || d.ID != da.ID || d.OriginalName != "a1.pdf" {
				t.Errorf("OpenDocument() = %+v with %d bytes, %v; want a1.pdf", d, len(content), err)
			}
			if lerr != nil || len(list) != 2 || list[0].ID != da.ID || list[1].ID != da2.ID {
				t.Errorf("ListDocuments() = %+v, %v; want a1.pdf and a2.png", list, lerr)
			}
		})
	}
	// A document is found only under its own organization.
	if _, _, err := w.svc.OpenDocument(ctx, admin, a.ID, db.ID); !errors.Is(err, apperr.ErrNotFound) {
		t.Errorf("OpenDocument(A, B's document) error = %v, want %v", err, apperr.ErrNotFound)
	}
	if _, _, err := w.svc.OpenDocument(ctx, aa, b.ID, db.ID); !errors.Is(err, apperr.ErrNotFound) {
		t.Errorf("OpenDocument() by A of B's document error = %v, want %v", err, apperr.ErrNotFound)
	}
	if _, _, err := w.svc.OpenDocument(ctx, admin, a.ID, 999999); !errors.Is(err, apperr.ErrNotFound) {
		t.Errorf("OpenDocument(missing) error = %v, want %v", err, apperr.ErrNotFound)
	}
}
