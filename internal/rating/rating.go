package rating

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/audit"
	"github.com/jiedao-market/jiedao/internal/civil"
	"github.com/jiedao-market/jiedao/internal/config"
	"github.com/jiedao-market/jiedao/internal/delivery"
	"github.com/jiedao-market/jiedao/internal/platform/clock"
)

// The kinds of rating: by a resident with a one-time code, or recorded by an
// officer from a follow-up call (回访).
const (
	KindCode     = "code"
	KindFollowUp = "follow_up"
)

// MaxComment is the longest comment, in characters.
const MaxComment = 500

// Errors of rating.
var (
	// ErrCodeRefused is the one answer to an unknown, malformed, expired or
	// already used code, so that the answer tells none of them apart.
	ErrCodeRefused = apperr.New(apperr.Unprocessable, "rating.code_refused",
		"this rating code cannot be used: it is unknown, expired or already used")
	ErrOwnOrganization = apperr.New(apperr.Forbidden, "rating.own_organization",
		"the provider's own staff cannot rate its services")
	ErrThrottled = apperr.New(apperr.TooManyRequests, "rating.throttled",
		"too many wrong rating codes from this address; try again later")
	ErrReplied       = apperr.New(apperr.Conflict, "rating.replied", "the provider has already replied to this rating")
	ErrHidden        = apperr.New(apperr.Conflict, "rating.hidden", "this rating's comment is already hidden")
	ErrNoComment     = apperr.New(apperr.Conflict, "rating.no_comment", "this rating has no comment to hide")
	ErrFollowUpDone  = apperr.New(apperr.Conflict, "follow_up.rated", "this follow-up call is already recorded")
	ErrNothingToDraw = apperr.New(apperr.Conflict, "follow_up.none_left",
		"every service record of this contract is already in its follow-up sample")
)

// Service takes ratings, keeps their aggregates and moderates them.
type Service struct {
	db    *gorm.DB
	clock clock.Clock
	codes *delivery.Service
	cfg   config.Rating
}

// NewService returns the rating service on db; codes finds the record a
// rating code issued from, and cfg holds the public minimum, the prior
// weight, the wrong-code throttle and the gap that flags a contract. The
// wrong-code throttle keys addresses under cfg.CodeKey (required).
func NewService(db *gorm.DB, c clock.Clock, codes *delivery.Service, cfg config.Rating) (*Service, error) {
	if err := cfg.RequireCodeKey(); err != nil {
		return nil, err
	}
	return &Service{db: db, clock: c, codes: codes, cfg: cfg}, nil
}

// Stars are a rating's five scores, 1 to 5 each, and its optional comment.
type Stars struct {
	Timeliness      int    `json:"timeliness"`
	Professionalism int    `json:"professionalism"`
	Attitude        int    `json:"attitude"`
	Effectiveness   int    `json:"effectiveness"`
	Overall         int    `json:"overall"`
	Comment         string `json:"comment"`
}

func (s Stars) check() error {
	var f apperr.Fields
	for _, d := range []struct {
		name  string
		stars int
	}{{"timeliness", s.Timeliness}, {"professionalism", s.Professionalism}, {"attitude", s.Attitude},
		{"effectiveness", s.Effectiveness}, {"overall", s.Overall}} {
		f.Check(d.stars >= MinStars && d.stars <= MaxStars, d.name, "must be between 1 and 5")
	}
	f.Check(utf8.ValidString(s.Comment) && utf8.RuneCountInString(s.Comment) <= MaxComment && plain(s.Comment),
		"comment", "must be at most 500 characters of text")
	return f.Err()
}

// Rating is a row of ratings. It names its record for the aggregates and
// the follow-up sample only: no view shows RecordID, and no column names a
// person or an address.
type Rating struct {
	ID              int64
	Kind            string
	RecordID        int64
	ContractID      int64
	OrganizationID  int64
	CommunityID     int64
	Timeliness      int
	Professionalism int
	Attitude        int
	Effectiveness   int
	Overall         int
	Comment         string
	CommentHiddenAt *time.Time
	HiddenBy        *int64
	HiddenReason    *string
	Reply           *string
	RepliedAt       *time.Time
	RepliedBy       *int64
	CreatedAt       time.Time
}

// View is a rating as anyone may see it: the stars, the comment unless
// hidden, the provider's reply, the kind and the month; never the record,
// the beneficiary, the service date or the day.
type View struct {
	ID              int64   `json:"id"`
	Kind            string  `json:"kind"`
	Month           string  `json:"month"`
	Timeliness      int     `json:"timeliness"`
	Professionalism int     `json:"professionalism"`
	Attitude        int     `json:"attitude"`
	Effectiveness   int     `json:"effectiveness"`
	Overall         int     `json:"overall"`
	Comment         *string `json:"comment"`
	CommentHidden   bool    `json:"comment_hidden"`
	Reply           *string `json:"reply"`
}

// View returns what anyone may see of r.
func (r Rating) View() View {
	v := View{ID: r.ID, Kind: r.Kind, Month: civil.ChinaDate(r.CreatedAt).String()[:7], Timeliness: r.Timeliness,
		Professionalism: r.Professionalism, Attitude: r.Attitude, Effectiveness: r.Effectiveness, Overall: r.Overall,
		CommentHidden: r.CommentHiddenAt != nil, Reply: r.Reply}
	if r.CommentHiddenAt == nil && r.Comment != "" {
		c := r.Comment
		v.Comment = &c
	}
	return v
}

// serviceRecord is what a rating needs of its service record.
type serviceRecord struct {
	ID              int64
	ContractID      int64
	OrganizationID  int64
	CommunityID     int64
	RatingExpiresAt time.Time
	RatingUsedAt    *time.Time
}

func (serviceRecord) TableName() string { return "service_records" }

// Submit records a resident's rating with a one-time code. Anyone may rate,
// signed in or not, except the staff of the record's own organization
// (ErrOwnOrganization). A code rates once, also under concurrent
// submissions: the record's row is locked, and a unique key stands behind
// it. An unknown, malformed, expired or used code is ErrCodeRefused, one
// answer for all; each counts against the caller's address, and past
// cfg.WrongCodesPerMinute within a minute the address gets ErrThrottled. Bad
// stars or comment are an apperr Invalid error naming the fields.
func (s *Service) Submit(ctx context.Context, by access.Actor, code string, st Stars) (View, error) {
	if err := st.check(); err != nil {
		return View{}, err
	}
	client := s.clientKey(by.ClientIP)
	if err := s.checkThrottle(s.db.WithContext(ctx), client, s.clock.Now()); err != nil {
		return View{}, err
	}
	info, err := s.codes.LookupRatingCode(ctx, code)
	if errors.Is(err, delivery.ErrUnknownCode) {
		return View{}, s.refuse(ctx, client)
	}
	if err != nil {
		return View{}, err
	}
	var r Rating
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		now := s.clock.Now()
		var rec serviceRecord
		if err := tx.Clauses(clause.Locking{Strength: "NO KEY UPDATE"}).Where("id = ?", info.RecordID).Take(&rec).Error; err != nil {
			return fmt.Errorf("lock service record %d: %w", info.RecordID, err)
		}
		if by.Is(access.OrgStaff...) && by.Scope.OrganizationID == rec.OrganizationID {
			return ErrOwnOrganization
		}
		if rec.RatingUsedAt != nil || !now.Before(rec.RatingExpiresAt) {
			return ErrCodeRefused
		}
		res := tx.Table("service_records").Where("id = ? AND rating_used_at IS NULL", rec.ID).Update("rating_used_at", now)
		if res.Error != nil || res.RowsAffected != 1 {
			return fmt.Errorf("use the rating code of record %d: %d rows, %w", rec.ID, res.RowsAffected, res.Error)
		}
		r = newRating(KindCode, rec, st, now)
		return s.insert(tx, by, &r, "rating.submit")
	})
	if errors.Is(err, ErrCodeRefused) {
		return View{}, s.refuse(ctx, client)
	}
	if err != nil {
		return View{}, err
	}
	return r.View(), nil
}

// LookupCode finds the record a rating code was issued for, for another form
// that takes a code (a complaint). An unknown or malformed code counts
// against the caller's address as on the rating form, and is
// delivery.ErrUnknownCode; past cfg.WrongCodesPerMinute the address gets
// ErrThrottled, whichever form it tried the codes on. An expired or used
// code is found: a resident may complain after rating.
func (s *Service) LookupCode(ctx context.Context, by access.Actor, code string) (delivery.CodeInfo, error) {
	client := s.clientKey(by.ClientIP)
	if err := s.checkThrottle(s.db.WithContext(ctx), client, s.clock.Now()); err != nil {
		return delivery.CodeInfo{}, err
	}
	info, err := s.codes.LookupRatingCode(ctx, code)
	if errors.Is(err, delivery.ErrUnknownCode) {
		if err := s.refuse(ctx, client); !errors.Is(err, ErrCodeRefused) {
			return delivery.CodeInfo{}, err
		}
		return delivery.CodeInfo{}, delivery.ErrUnknownCode
	}
	return info, err
}

func newRating(kind string, rec serviceRecord, st Stars, now time.Time) Rating {
	return Rating{Kind: kind, RecordID: rec.ID, ContractID: rec.ContractID, OrganizationID: rec.OrganizationID,
		CommunityID: rec.CommunityID, Timeliness: st.Timeliness, Professionalism: st.Professionalism, Attitude: st.Attitude,
		Effectiveness: st.Effectiveness, Overall: st.Overall, Comment: strings.TrimSpace(st.Comment), CreatedAt: now}
}

// insert stores r and accounts for it, then records it.
func (s *Service) insert(tx *gorm.DB, by access.Actor, r *Rating, action string) error {
	if err := tx.Create(r).Error; err != nil {
		if errors.Is(err, gorm.ErrDuplicatedKey) {
			return ErrCodeRefused
		}
		return fmt.Errorf("insert rating: %w", err)
	}
	return s.account(tx, by, *r, action)
}

// account adds a stored rating to the aggregates, audits it (its comment by
// digest) and notifies a gap it flagged.
func (s *Service) account(tx *gorm.DB, by access.Actor, r Rating, action string) error {
	flagged, err := s.addToAggregates(tx, r)
	if err != nil {
		return err
	}
	if err := audit.Record(tx, by, action, "rating", r.ID, map[string]any{"kind": r.Kind, "contract_id": r.ContractID,
		"overall": r.Overall, "comment_sha256": Digest(r.Comment)}); err != nil {
		return err
	}
	if flagged {
		return notifyGap(tx, r.ContractID, r.CreatedAt)
	}
	return nil
}

// Digest is the SHA-256 of free text, in hex, as audit entries keep it
// instead of the text ("" for no text).
func Digest(text string) string {
	if text == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(text))
	return hex.EncodeToString(sum[:])
}

// clientKey is the keyed hash wrong codes are counted under, so that the
// table holds no address.
func (s *Service) clientKey(ip string) []byte {
	m := hmac.New(sha256.New, s.cfg.CodeKey)
	m.Write([]byte("rating-client/v1/" + ip))
	return m.Sum(nil)
}

type codeFailure struct {
	ID       int64
	Client   []byte
	FailedAt time.Time
}

func (codeFailure) TableName() string { return "rating_code_failures" }

// checkThrottle returns ErrThrottled, with when to come back, while the
// client's wrong codes within the last minute reach the limit.
func (s *Service) checkThrottle(db *gorm.DB, client []byte, now time.Time) error {
	var at []time.Time
	if err := db.Raw(`SELECT failed_at FROM rating_code_failures WHERE client = ? AND failed_at > ? ORDER BY failed_at DESC OFFSET ? LIMIT 1`,
		client, now.Add(-time.Minute), s.cfg.WrongCodesPerMinute-1).Scan(&at).Error; err != nil {
		return fmt.Errorf("count wrong rating codes: %w", err)
	}
	if len(at) == 0 {
		return nil
	}
	e := *ErrThrottled
	e.RetryAfter = int(at[0].Add(time.Minute).Sub(now).Seconds()) + 1
	return &e
}

// refuse counts a wrong code against the client and returns ErrCodeRefused,
// or ErrThrottled when concurrent wrong codes reached the limit first.
func (s *Service) refuse(ctx context.Context, client []byte) error {
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		h := fnv.New32a()
		h.Write(client)
		if err := tx.Exec(`SELECT pg_advisory_xact_lock(?, ?)`, int32(0x726174), int32(h.Sum32())).Error; err != nil {
			return fmt.Errorf("lock wrong rating codes: %w", err)
		}
		now := s.clock.Now()
		if err := s.checkThrottle(tx, client, now); err != nil {
			return err
		}
		if err := tx.Where("client = ? AND failed_at <= ?", client, now.Add(-time.Minute)).Delete(&codeFailure{}).Error; err != nil {
			return fmt.Errorf("forget old wrong rating codes: %w", err)
		}
		return tx.Create(&codeFailure{Client: client, FailedAt: now}).Error
	})
	if err != nil {
		return err
	}
	return ErrCodeRefused
}

func plain(s string) bool {
	return !strings.ContainsFunc(s, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t' })
}
