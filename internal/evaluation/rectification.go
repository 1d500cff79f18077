package evaluation

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/audit"
	"github.com/jiedao-market/jiedao/internal/civil"
	"github.com/jiedao-market/jiedao/internal/rating"
)

// MaxRectificationText is the longest requirements or report, in characters.
const MaxRectificationText = 5000

// Rectification is a rectification order (整改通知) after a failing
// evaluation: what the organization is to put right and by when, and its
// report of what it did. Overdue is set while no report has come after the
// deadline.
type Rectification struct {
	ID           int64      `json:"id"`
	EvaluationID int64      `json:"evaluation_id"`
	ContractID   int64      `json:"contract_id"`
	Requirements string     `json:"requirements"`
	Deadline     civil.Date `json:"deadline"`
	IssuedAt     time.Time  `json:"issued_at"`
	Report       *string    `json:"report"`
	ReportedAt   *time.Time `json:"reported_at"`
	Overdue      bool       `json:"overdue"`
}

type rectificationRow struct {
	ID            int64
	EvaluationID  int64
	ContractID    int64
	SubdistrictID int64
	Requirements  string
	Deadline      civil.Date
	IssuedBy      *int64
	IssuedAt      time.Time
	Report        *string
	ReportedBy    *int64
	ReportedAt    *time.Time
}

func (rectificationRow) TableName() string { return "rectification_orders" }

func (r rectificationRow) view(today civil.Date) *Rectification {
	return &Rectification{ID: r.ID, EvaluationID: r.EvaluationID, ContractID: r.ContractID, Requirements: r.Requirements,
		Deadline: r.Deadline, IssuedAt: r.IssuedAt, Report: r.Report, ReportedAt: r.ReportedAt,
		Overdue: r.Report == nil && r.Deadline.Before(today)}
}

// rectificationOf returns the order of evaluation id, nil when there is none.
func rectificationOf(db *gorm.DB, id int64, today civil.Date) (*Rectification, error) {
	var rows []rectificationRow
	if err := db.Where("evaluation_id = ?", id).Limit(1).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("read rectification order of evaluation %d: %w", id, err)
	}
	if len(rows) == 0 {
		return nil, nil
	}
	return rows[0].view(today), nil
}

// RectificationInput is the officer's order: what to put right, and the
// deadline ("YYYY-MM-DD", today or later).
type RectificationInput struct {
	Requirements string
	Deadline     string
}

// OrderRectification issues the rectification order of evaluation id, as
// the procurement officer of its subdistrict (other roles
// apperr.ErrForbidden, another subdistrict's evaluation
// apperr.ErrNotFound): only after a submitted failing grade (ErrNotFailing),
// once (ErrRectificationExists). Bad input is an apperr Invalid error naming
// each field. The organization is told.
func (s *Service) OrderRectification(ctx context.Context, by access.Actor, id int64, in RectificationInput) (Rectification, error) {
	if by.Role != access.ProcurementOfficer {
		return Rectification{}, apperr.ErrForbidden
	}
	now := s.clock.Now()
	today := civil.ChinaDate(now)
	var out Rectification
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		e, c, err := lockEvaluation(tx, by, id)
		if err != nil {
			return err
		}
		var f apperr.Fields
		text(&f, "requirements", in.Requirements, MaxRectificationText, true)
		deadline := parseDate(&f, "deadline", in.Deadline)
		switch {
		case strings.TrimSpace(in.Deadline) == "":
			f.Add("deadline", "is required")
		case !deadline.IsZero() && deadline.Before(today):
			f.Add("deadline", "must be today or later")
		}
		if err := f.Err(); err != nil {
			return err
		}
		if e.Status != StatusSubmitted || e.Grade == nil || *e.Grade != GradeFail {
			return ErrNotFailing
		}
		if existing, err := rectificationOf(tx, e.ID, today); err != nil {
			return err
		} else if existing != nil {
			return ErrRectificationExists
		}
		r := rectificationRow{EvaluationID: e.ID, ContractID: c.ID, SubdistrictID: c.SubdistrictID,
			Requirements: strings.TrimSpace(in.Requirements), Deadline: deadline, IssuedBy: by.UserRef(), IssuedAt: now}
		if err := tx.Create(&r).Error; err != nil {
			return fmt.Errorf("insert rectification order of evaluation %d: %w", e.ID, err)
		}
		if err := audit.Record(tx, by, "rectification.order", "evaluation", e.ID, map[string]any{"rectification_id": r.ID,
			"deadline": deadline, "requirements_digest": rating.Digest(r.Requirements)}); err != nil {
			return err
		}
		out = *r.view(today)
		return notifyOrg(tx, c, e, KindRectificationOrdered, now)
	})
	return out, err
}

// ReportRectification records the organization's report of what it did
// under the rectification order of evaluation id, as the admin of the
// contract's organization (other roles apperr.ErrForbidden; another
// organization's evaluation, or one without an order, apperr.ErrNotFound),
// once (ErrReported). The report is 1 to 5000 characters (an apperr
// Invalid error naming "report"). The officers are told, to schedule the
// re-evaluation.
func (s *Service) ReportRectification(ctx context.Context, by access.Actor, id int64, report string) (Rectification, error) {
	if by.Role != access.OrgAdmin {
		return Rectification{}, apperr.ErrForbidden
	}
	now := s.clock.Now()
	today := civil.ChinaDate(now)
	var out Rectification
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		e, c, err := lockEvaluation(tx, by, id)
		if err != nil {
			return err
		}
		var r rectificationRow
		if err := tx.Where("evaluation_id = ?", e.ID).Take(&r).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return apperr.ErrNotFound
			}
			return fmt.Errorf("read rectification order of evaluation %d: %w", e.ID, err)
		}
		var f apperr.Fields
		text(&f, "report", report, MaxRectificationText, true)
		if err := f.Err(); err != nil {
			return err
		}
		if r.Report != nil {
			return ErrReported
		}
		body := strings.TrimSpace(report)
		res := tx.Model(&rectificationRow{}).Where("id = ? AND report IS NULL", r.ID).
			Updates(map[string]any{"report": body, "reported_by": by.UserRef(), "reported_at": now})
		if res.Error != nil {
			return fmt.Errorf("report on rectification order %d: %w", r.ID, res.Error)
		}
		if res.RowsAffected != 1 {
			return fmt.Errorf("report on rectification order %d: %d rows changed, want 1", r.ID, res.RowsAffected)
		}
		if err := audit.Record(tx, by, "rectification.report", "evaluation", e.ID, map[string]any{"rectification_id": r.ID,
			"report_digest": rating.Digest(body)}); err != nil {
			return err
		}
		r.Report, r.ReportedBy, r.ReportedAt = &body, by.UserRef(), &now
		out = *r.view(today)
		return notifyOfficers(tx, c, e, KindRectificationReported, now)
	})
	return out, err
}
