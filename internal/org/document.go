package org

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/audit"
	"github.com/jiedao-market/jiedao/internal/config"
)

// Document is an evidence file an organization uploaded (a registration
// certificate, an evaluation-grade certificate, a staff qualification). The
// file lives in the upload directory under StoredName; the name it was
// uploaded with is metadata only.
type Document struct {
	ID             int64     `json:"id"`
	OrganizationID int64     `json:"organization_id"`
	OriginalName   string    `json:"original_name"`
	StoredName     string    `json:"-"`
	ContentType    string    `json:"content_type"`
	SizeBytes      int64     `json:"size_bytes"`
	SHA256         string    `json:"sha256" gorm:"column:sha256"`
	UploadedBy     int64     `json:"uploaded_by"`
	CreatedAt      time.Time `json:"created_at"`
}

// TableName is the table of Document.
func (Document) TableName() string { return "organization_documents" }

// Errors of document uploads.
var (
	ErrDocumentTooLarge = apperr.New(apperr.TooLarge, "document.too_large", "the file is larger than the upload limit")
	ErrDocumentType     = &apperr.Error{Kind: apperr.Invalid, Code: "document.type",
		Message: "the file is not a PDF, PNG or JPEG document",
		Fields:  []apperr.FieldError{{Field: "file", Message: "must be a PDF, PNG or JPEG file (judged by its content, not its name)"}}}
	ErrDocumentEmpty = &apperr.Error{Kind: apperr.Invalid, Code: "document.empty", Message: "the file is empty",
		Fields: []apperr.FieldError{{Field: "file", Message: "is empty"}}}
)

// sniffLen is how much of a file net/http.DetectContentType looks at.
const sniffLen = 512

// maxOriginalName is the longest original file name kept, in bytes.
const maxOriginalName = 200

// DocumentType judges the type of a document by its first bytes, as
// net/http.DetectContentType does (it reads at most 512): application/pdf,
// image/png or image/jpeg. It returns ErrDocumentEmpty for no bytes and
// ErrDocumentType for anything else.
func DocumentType(head []byte) (string, error) {
	if len(head) == 0 {
		return "", ErrDocumentEmpty
	}
	switch t := http.DetectContentType(head); t {
	case "application/pdf", "image/png", "image/jpeg":
		return t, nil
	}
	return "", ErrDocumentType
}

// SaveDocument stores an evidence file for the organization. Only its own
// org_admin and org_member may upload: staff of another organization get
// apperr.ErrNotFound, any other role apperr.ErrForbidden.
//
// The type is judged by the content, never by the name: only PDF, PNG and JPEG
// are accepted, anything else returns ErrDocumentType (naming the field
// "file"). A file larger than the configured limit returns
// ErrDocumentTooLarge, an empty one ErrDocumentEmpty. The file is written to a
// temporary file in the upload directory and renamed to a random 32-hex name;
// the original name is kept only as metadata, without any directory part or
// control characters and cut to 200 bytes. The row and its document.upload
// audit entry are written in one transaction; if it fails the file is removed.
func (s *Service) SaveDocument(ctx context.Context, by access.Actor, orgID int64, originalName string, r io.Reader) (Document, error) {
	return s.SaveDocumentWith(ctx, by, orgID, originalName, r, nil)
}

// SaveDocumentWith is SaveDocument for a document that is part of another
// record (an invoice of a milestone payment): then runs inside the
// transaction that writes the document's row, after the row and before its
// audit entry. An error from then rolls the row back and removes the file.
func (s *Service) SaveDocumentWith(ctx context.Context, by access.Actor, orgID int64, originalName string, r io.Reader,
	then func(tx *gorm.DB, d Document) error) (Document, error) {
	if by.Role != access.OrgAdmin && by.Role != access.OrgMember {
		return Document{}, apperr.ErrForbidden
	}
	if by.Scope.OrganizationID != orgID {
		return Document{}, apperr.ErrNotFound
	}
	up, err := StoreUpload(s.opts.Uploads, originalName, r)
	if err != nil {
		return Document{}, err
	}
	d := Document{OrganizationID: orgID, OriginalName: up.OriginalName, StoredName: up.StoredName,
		ContentType: up.ContentType, SizeBytes: up.SizeBytes, SHA256: up.SHA256, UploadedBy: by.UserID, CreatedAt: s.clock.Now()}
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(&d).Error; err != nil {
			return fmt.Errorf("insert document of organization %d: %w", orgID, err)
		}
		if then != nil {
			if err := then(tx, d); err != nil {
				return err
			}
		}
		return audit.Record(tx, by, "document.upload", "organization_document", d.ID, map[string]any{
			"organization_id": orgID, "original_name": d.OriginalName, "content_type": d.ContentType,
			"size_bytes": d.SizeBytes, "sha256": d.SHA256})
	})
	if err != nil {
		RemoveUpload(s.opts.Uploads, up)
		return Document{}, err
	}
	return d, nil
}

// Upload is a file StoreUpload stored in the upload directory: its name as
// uploaded (cleaned, metadata only), the random name it is stored under,
// its type judged by its content, its size and its SHA-256 in hex.
type Upload struct {
	OriginalName string
	StoredName   string
	ContentType  string
	SizeBytes    int64
	SHA256       string
}

// StoreUpload stores an uploaded document read from r in u.Dir, as every
// evidence file of the platform is stored: only PDF, PNG and JPEG judged by
// the content (ErrDocumentType naming the field "file", ErrDocumentEmpty),
// at most u.MaxBytes (ErrDocumentTooLarge), written to a temporary file and
// renamed to a random 32-hex name; the original name is cleaned
// (cleanFileName). The caller records it in a row, and removes it with
// RemoveUpload when the row is not written.
func StoreUpload(u config.Uploads, originalName string, r io.Reader) (Upload, error) {
	limit := int64(u.MaxBytes)
	if limit <= 0 || u.Dir == "" {
		return Upload{}, errors.New("store upload: uploads are not configured")
	}
	// Reading one byte past the limit tells a file of exactly the limit from a larger one.
	body := io.LimitReader(r, limit+1)
	head := make([]byte, sniffLen)
	n, err := io.ReadFull(body, head)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		return Upload{}, fmt.Errorf("read upload: %w", err)
	}
	head = head[:n]
	if int64(n) > limit {
		return Upload{}, ErrDocumentTooLarge
	}
	contentType, err := DocumentType(head)
	if err != nil {
		return Upload{}, err
	}
	stored, size, sum, err := storeFile(u.Dir, head, body, limit)
	if err != nil {
		return Upload{}, err
	}
	return Upload{OriginalName: cleanFileName(originalName), StoredName: stored, ContentType: contentType, SizeBytes: size, SHA256: sum}, nil
}

// RemoveUpload removes a stored upload whose row was not written: the file
// is useless without it, and a failed removal only leaves an orphan.
func RemoveUpload(u config.Uploads, up Upload) {
	if validStoredName(up.StoredName) {
		_ = os.Remove(filepath.Join(u.Dir, up.StoredName))
	}
}

// OpenUpload opens the file stored under name in u.Dir, which the caller
// closes; a name StoreUpload cannot have made is an error.
func OpenUpload(u config.Uploads, name string) (io.ReadCloser, error) {
	if !validStoredName(name) {
		return nil, errors.New("open upload: malformed stored name")
	}
	f, err := os.Open(filepath.Join(u.Dir, name))
	if err != nil {
		return nil, fmt.Errorf("open upload: %w", err)
	}
	return f, nil
}

// storeFile writes head and the rest of body to a new file in dir, through a temporary file renamed once complete, and returns its
// generated name, size and SHA-256 in hex.
func storeFile(dir string, head []byte, body io.Reader, limit int64) (name string, size int64, sum string, err error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", 0, "", fmt.Errorf("create upload directory: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".upload-*")
	if err != nil {
		return "", 0, "", fmt.Errorf("create upload file: %w", err)
	}
	renamed := false
	defer func() {
		if !renamed {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	h := sha256.New()
	w := io.MultiWriter(tmp, h)
	if _, err := w.Write(head); err != nil {
		return "", 0, "", fmt.Errorf("write upload: %w", err)
	}
	n, err := io.Copy(w, body)
	if err != nil {
		return "", 0, "", fmt.Errorf("write upload: %w", err)
	}
	size = int64(len(head)) + n
	if size > limit {
		return "", 0, "", ErrDocumentTooLarge
	}
	if err := tmp.Sync(); err != nil {
		return "", 0, "", fmt.Errorf("sync upload: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return "", 0, "", fmt.Errorf("close upload: %w", err)
	}
	name = randomName()
	if err := os.Rename(tmp.Name(), filepath.Join(dir, name)); err != nil {
		return "", 0, "", fmt.Errorf("store upload: %w", err)
	}
	renamed = true
	return name, size, hex.EncodeToString(h.Sum(nil)), nil
}

// randomName returns 32 random hex digits.
func randomName() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err))
	}
	return hex.EncodeToString(b)
}

func validStoredName(name string) bool {
	if len(name) != 32 {
		return false
	}
	_, err := hex.DecodeString(name)
	return err == nil && strings.ToLower(name) == name
}

// cleanFileName keeps what is safe to show of an uploaded file's name: the last
// path element (backslashes count as separators), valid UTF-8 without control
// or formatting characters (bidirectional overrides could disguise the
// extension), at most 200 bytes with its extension kept.
func cleanFileName(name string) string {
	name = strings.ToValidUTF8(name, "")
	name = filepath.Base(strings.ReplaceAll(name, `\`, "/"))
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return -1
		}
		return r
	}, name)
	name = strings.TrimSpace(name)
	if name == "" || name == "." || name == ".." || name == "/" {
		return "document"
	}
	if len(name) > maxOriginalName {
		// Keep a short extension, so that the name still says what the file is.
		ext := filepath.Ext(name)
		if len(ext) > 16 {
			ext = ""
		}
		name = truncate(strings.TrimSuffix(name, ext), maxOriginalName-len(ext)) + ext
	}
	return name
}

// truncate cuts s to at most n bytes at a character boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// OpenDocument returns a document of the organization and its content, which
// the caller closes. The organization's staff, the district admins of its
// district and platform admins may read it; anyone else gets
// apperr.ErrNotFound, as for a document of another organization.
func (s *Service) OpenDocument(ctx context.Context, by access.Actor, orgID, docID int64) (Document, io.ReadCloser, error) {
	db := s.db.WithContext(ctx)
	if _, err := visibleOrg(db, by, orgID); err != nil {
		return Document{}, nil, err
	}
	return s.openDocument(db, orgID, docID)
}

// OpenCitedDocument returns a document the organization cited to someone who
// may not otherwise read its documents, once the caller has checked the
// citation: a challenge's evidence, read by the tender's procurement officer
// (tender.Service.EvidenceDocument decides). An unknown document is
// apperr.ErrNotFound.
func (s *Service) OpenCitedDocument(ctx context.Context, orgID, docID int64) (Document, io.ReadCloser, error) {
	return s.openDocument(s.db.WithContext(ctx), orgID, docID)
}

func (s *Service) openDocument(db *gorm.DB, orgID, docID int64) (Document, io.ReadCloser, error) {
	var d Document
	if err := db.Where("organization_id = ?", orgID).Take(&d, docID).Error; err != nil {
		return Document{}, nil, notFound(err)
	}
	f, err := OpenUpload(s.opts.Uploads, d.StoredName)
	if err != nil {
		return Document{}, nil, fmt.Errorf("open document %d: %w", d.ID, err)
	}
	return d, f, nil
}

// ListDocuments returns the organization's documents in upload order, to the
// readers OpenDocument allows; anyone else gets apperr.ErrNotFound.
func (s *Service) ListDocuments(ctx context.Context, by access.Actor, orgID int64) ([]Document, error) {
	db := s.db.WithContext(ctx)
	if _, err := visibleOrg(db, by, orgID); err != nil {
		return nil, err
	}
	var out []Document
	if err := db.Where("organization_id = ?", orgID).Order("created_at, id").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("list documents of organization %d: %w", orgID, err)
	}
	return out, nil
}
