package evaluation

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/audit"
	"github.com/jiedao-market/jiedao/internal/org"
)

// Document is an evidence file of an evaluation (a photo, an inspection
// sheet) its evaluator uploaded, for one of its figures (MetricCode) or the
// whole evaluation (nil). The file is stored as the organizations'
// documents are (org.StoreUpload); the name it was uploaded with is
// metadata only.
type Document struct {
	ID           int64     `json:"id"`
	EvaluationID int64     `json:"evaluation_id"`
	MetricCode   *string   `json:"metric_code"`
	OriginalName string    `json:"original_name"`
	StoredName   string    `json:"-"`
	ContentType  string    `json:"content_type"`
	SizeBytes    int64     `json:"size_bytes"`
	SHA256       string    `json:"sha256" gorm:"column:sha256"`
	UploadedBy   int64     `json:"uploaded_by"`
	CreatedAt    time.Time `json:"created_at"`
}

// TableName is the table of Document.
func (Document) TableName() string { return "evaluation_documents" }

// openForEvidence checks that e takes evidence now: declared and not yet
// submitted.
func openForEvidence(e Evaluation) error {
	switch e.Status {
	case StatusScheduled:
		return ErrNotDeclared
	case StatusSubmitted:
		return ErrSubmitted
	case StatusCancelled, StatusRecused:
		return ErrNotOpen
	}
	return nil
}

// SaveDocument stores an evidence file of evaluation id for its assigned
// evaluator (other roles get apperr.ErrForbidden, other evaluators
// apperr.ErrNotFound) while it is in progress: ErrNotDeclared before the
// declaration, ErrSubmitted once submitted, ErrNotOpen after a recusal or a
// cancellation. metricCode names one of its figures, or "" for the whole
// evaluation (an apperr Invalid error naming "metric_code" otherwise). The
// file follows org.StoreUpload's rules (org.ErrDocumentType,
// org.ErrDocumentEmpty, org.ErrDocumentTooLarge). The row and its
// evaluation.document audit entry are written in one transaction; if it
// fails the file is removed.
func (s *Service) SaveDocument(ctx context.Context, by access.Actor, id int64, metricCode, originalName string, r io.Reader) (Document, error) {
	if by.Role != access.Evaluator {
		return Document{}, apperr.ErrForbidden
	}
	db := s.db.WithContext(ctx)
	code := strings.TrimSpace(metricCode)
	// Checked before the file is written, and again under the lock.
	check := func(tx *gorm.DB, lock bool) (Evaluation, error) {
		var e Evaluation
		var err error
		if lock {
			e, _, err = lockEvaluation(tx, by, id)
		} else {
			q := tx.Table("evaluations").Select(columns).Joins("JOIN contracts ON contracts.id = evaluations.contract_id").Where("evaluations.id = ?", id)
			err = notFound(evaluationScope(q, by).Take(&e).Error)
		}
		if err != nil {
			return Evaluation{}, err
		}
		if code != "" {
			var n int64
			if err := tx.Table("evaluation_figures").Where("evaluation_id = ? AND code = ?", id, code).Count(&n).Error; err != nil {
				return Evaluation{}, fmt.Errorf("read figure %s of evaluation %d: %w", code, id, err)
			}
			if n == 0 {
				return Evaluation{}, apperr.InvalidField("metric_code", "must be a figure of the evaluation, or empty")
			}
		}
		return e, openForEvidence(e)
	}
	if _, err := check(db, false); err != nil {
		return Document{}, err
	}
	up, err := org.StoreUpload(s.uploads, originalName, r)
	if err != nil {
		return Document{}, err
	}
	d := Document{EvaluationID: id, OriginalName: up.OriginalName, StoredName: up.StoredName, ContentType: up.ContentType,
		SizeBytes: up.SizeBytes, SHA256: up.SHA256, UploadedBy: by.UserID, CreatedAt: s.clock.Now()}
	if code != "" {
		d.MetricCode = &code
	}
	err = db.Transaction(func(tx *gorm.DB) error {
		if _, err := check(tx, true); err != nil {
			return err
		}
		if err := tx.Create(&d).Error; err != nil {
			return fmt.Errorf("insert document of evaluation %d: %w", id, err)
		}
		return audit.Record(tx, by, "evaluation.document", "evaluation", id, map[string]any{"document_id": d.ID,
			"metric_code": d.MetricCode, "original_name": d.OriginalName, "content_type": d.ContentType, "size_bytes": d.SizeBytes,
			"sha256": d.SHA256})
	})
	if err != nil {
		org.RemoveUpload(s.uploads, up)
		return Document{}, err
	}
	return d, nil
}

// Documents returns the evidence of evaluation id in upload order, to its
// readers as Get reads it (another's evaluation is apperr.ErrNotFound, a
// role outside Readers apperr.ErrForbidden).
func (s *Service) Documents(ctx context.Context, by access.Actor, id int64) ([]Document, error) {
	if !by.Is(Readers...) {
		return nil, apperr.ErrForbidden
	}
	db := s.db.WithContext(ctx)
	if err := readable(db, by, id); err != nil {
		return nil, err
	}
	out := []Document{}
	if err := db.Where("evaluation_id = ?", id).Order("created_at, id").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("list documents of evaluation %d: %w", id, err)
	}
	return out, nil
}

// OpenDocument returns evidence document docID of evaluation id and its
// content, which the caller closes, to the evaluation's readers; another's
// evaluation, or a document of another evaluation, is apperr.ErrNotFound.
func (s *Service) OpenDocument(ctx context.Context, by access.Actor, id, docID int64) (Document, io.ReadCloser, error) {
	if !by.Is(Readers...) {
		return Document{}, nil, apperr.ErrForbidden
	}
	db := s.db.WithContext(ctx)
	if err := readable(db, by, id); err != nil {
		return Document{}, nil, err
	}
	var d Document
	if err := db.Where("evaluation_id = ?", id).Take(&d, docID).Error; err != nil {
		return Document{}, nil, notFound(err)
	}
	rc, err := org.OpenUpload(s.uploads, d.StoredName)
	if err != nil {
		return Document{}, nil, fmt.Errorf("open document %d of evaluation %d: %w", d.ID, id, err)
	}
	return d, rc, nil
}

// readable checks that by reads evaluation id (apperr.ErrNotFound otherwise).
func readable(db *gorm.DB, by access.Actor, id int64) error {
	var n int64
	q := db.Table("evaluations").Joins("JOIN contracts ON contracts.id = evaluations.contract_id").Where("evaluations.id = ?", id)
	if err := evaluationScope(q, by).Count(&n).Error; err != nil {
		return fmt.Errorf("read evaluation %d: %w", id, err)
	}
	if n == 0 {
		return apperr.ErrNotFound
	}
	return nil
}
