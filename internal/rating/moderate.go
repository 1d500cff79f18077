package rating

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/audit"
)

// MaxReply is the longest reply, in characters.
const MaxReply = 1000

// lockRating locks the rating where (a scoped condition) holds; otherwise
// apperr.ErrNotFound.
func lockRating(tx *gorm.DB, id int64, where string, args ...any) (Rating, error) {
	var r Rating
	err := tx.Clauses(clause.Locking{Strength: "NO KEY UPDATE", Table: clause.Table{Name: "ratings"}}).
		Where("ratings.id = ?", id).Where(where, args...).Take(&r).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return Rating{}, apperr.ErrNotFound
	}
	if err != nil {
		return Rating{}, fmt.Errorf("lock rating %d: %w", id, err)
	}
	return r, nil
}

// Reply records the provider's one reply to a rating, shown publicly beside
// it, by the staff of the rated organization. It returns ErrReplied for a
// second reply, apperr.ErrNotFound for another organization's rating,
// apperr.ErrForbidden for other roles and an apperr Invalid error for an
// empty or too long reply. The audit entry keeps the reply's digest only.
func (s *Service) Reply(ctx context.Context, by access.Actor, ratingID int64, text string) (View, error) {
	if !by.Is(access.OrgStaff...) {
		return View{}, apperr.ErrForbidden
	}
	text = strings.TrimSpace(text)
	if text == "" || !utf8.ValidString(text) || utf8.RuneCountInString(text) > MaxReply || !plain(text) {
		return View{}, apperr.InvalidField("reply", "must be 1 to 1000 characters of text")
	}
	var r Rating
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var err error
		if r, err = lockRating(tx, ratingID, "organization_id = ?", by.Scope.OrganizationID); err != nil {
			return err
		}
		if r.Reply != nil {
			return ErrReplied
		}
		now := s.clock.Now()
		res := tx.Model(&Rating{}).Where("id = ? AND reply IS NULL", r.ID).
			Updates(map[string]any{"reply": text, "replied_at": now, "replied_by": by.UserRef()})
		if res.Error != nil || res.RowsAffected != 1 {
			return fmt.Errorf("reply to rating %d: %d rows, %w", r.ID, res.RowsAffected, res.Error)
		}
		r.Reply, r.RepliedAt = &text, &now
		return audit.Record(tx, by, "rating.reply", "rating", r.ID, map[string]any{"reply_sha256": Digest(text)})
	})
	if err != nil {
		return View{}, err
	}
	return r.View(), nil
}

// Hide hides a rating's comment for good, with a reason, by a procurement
// officer of the contract's subdistrict: the stars still count, and no
// response shows the text again. It returns ErrHidden when already hidden,
// ErrNoComment for a rating without one, apperr.ErrNotFound for another
// subdistrict's rating, apperr.ErrForbidden for other roles and an apperr
// Invalid error for a missing reason. The audit entry keeps the digests of
// the comment and the reason, never the text.
func (s *Service) Hide(ctx context.Context, by access.Actor, ratingID int64, reason string) (View, error) {
	return s.hide(ctx, by, 0, ratingID, reason)
}

// HideOnContract is Hide of a rating of the given contract, as the
// contract's ratings page offers it: a rating of another contract is
// apperr.ErrNotFound too.
func (s *Service) HideOnContract(ctx context.Context, by access.Actor, contractID, ratingID int64, reason string) (View, error) {
	if contractID == 0 {
		return View{}, apperr.ErrNotFound
	}
	return s.hide(ctx, by, contractID, ratingID, reason)
}

// hide hides the rating's comment; contractID, unless 0, is the contract
// the rating must belong to.
func (s *Service) hide(ctx context.Context, by access.Actor, contractID, ratingID int64, reason string) (View, error) {
	if !by.Is(access.ProcurementOfficer) {
		return View{}, apperr.ErrForbidden
	}
	reason = strings.TrimSpace(reason)
	if reason == "" || !utf8.ValidString(reason) || utf8.RuneCountInString(reason) > 1000 || !plain(reason) {
		return View{}, apperr.InvalidField("reason", "must be 1 to 1000 characters of text")
	}
	var r Rating
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		where, args := "contract_id IN (SELECT id FROM contracts WHERE subdistrict_id = ?)", []any{by.Scope.SubdistrictID}
		if contractID != 0 {
			where, args = where+" AND contract_id = ?", append(args, contractID)
		}
		var err error
		r, err = lockRating(tx, ratingID, where, args...)
		if err != nil {
			return err
		}
		switch {
		case r.CommentHiddenAt != nil:
			return ErrHidden
		case r.Comment == "":
			return ErrNoComment
		}
		now := s.clock.Now()
		res := tx.Model(&Rating{}).Where("id = ? AND comment_hidden_at IS NULL", r.ID).
			Updates(map[string]any{"comment_hidden_at": now, "hidden_by": by.UserRef(), "hidden_reason": reason})
		if res.Error != nil || res.RowsAffected != 1 {
			return fmt.Errorf("hide rating %d: %d rows, %w", r.ID, res.RowsAffected, res.Error)
		}
		r.CommentHiddenAt = &now
		return audit.Record(tx, by, "rating.hide", "rating", r.ID, map[string]any{"comment_sha256": Digest(r.Comment),
			"reason_sha256": Digest(reason)})
	})
	if err != nil {
		return View{}, err
	}
	return r.View(), nil
}
