package notify

import (
	"context"
	"fmt"
	"slices"
	"time"

	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/audit"
	"github.com/jiedao-market/jiedao/internal/platform/clock"
)

// How a user wants a kind of notification by e-mail.
const (
	ModeImmediate = "immediate" // a mail as soon as it is written
	ModeDigest    = "digest"    // listed in the daily digest
	ModeOff       = "off"       // no mail
)

// Kinds returns every kind of notification the services write, in the order
// the settings page lists them (the NotificationKind enum of openapi.yaml).
func Kinds() []string {
	return []string{
		"tender_published", "answer_published", "tender_amended", "question_asked", "committee_to_score", "member_recused",
		"opening_done", "opening_refused", "evaluation_complete", "award_proposed", "challenge_filed", "challenge_answered",
		"award_final", "award_blocked", "tender_cancelled",
		"contract_sign_requested", "contract_signed", "contract_amendment_proposed", "contract_amendment_decided",
		"contract_termination_proposed", "contract_termination_rejected", "contract_terminated", "contract_lapsed", "contract_active",
		"service_request_created", "service_request_accepted", "service_request_declined", "service_request_fulfilled", "rating_gap",
		"complaint_received", "complaint_assigned", "complaint_responded", "complaint_decided",
		"complaint_first_response_overdue", "complaint_decision_overdue",
		"milestone_due", "milestone_withheld", "milestone_ready", "milestone_approved", "milestone_paid",
		"evaluation_assigned", "evaluation_scheduled", "evaluation_recused", "evaluation_cancelled", "evaluation_submitted",
		"evaluation_unassigned", "rectification_ordered", "rectification_reported",
		"certification_applied", "certification_approved", "certification_rejected", "certification_suspended", "certification_revoked",
		"payout_failed",
	}
}

// ImmediateByDefault returns the kinds mailed at once unless the user chose
// otherwise: what asks the user to act by a deadline or decide.
func ImmediateByDefault() []string {
	return []string{"tender_amended", "question_asked", "committee_to_score", "member_recused", "award_proposed", "challenge_filed",
		"contract_sign_requested", "contract_amendment_proposed", "contract_termination_proposed",
		"service_request_created", "complaint_received", "complaint_assigned",
		"complaint_first_response_overdue", "complaint_decision_overdue", "milestone_ready",
		"evaluation_assigned", "evaluation_recused", "rectification_ordered", "rectification_reported",
		"certification_applied", "payout_failed"}
}

// DefaultMode is the mode of a kind the user has not chosen: immediate for
// the kinds ImmediateByDefault lists and the reminders, the digest for the
// rest.
func DefaultMode(kind string) string {
	if kind == KindReminder || slices.Contains(ImmediateByDefault(), kind) {
		return ModeImmediate
	}
	return ModeDigest
}

// Two more choices than the kinds of notification, on the same list: the
// deadline reminders (immediate or off) and the daily digest itself (digest
// or off: off mails no digest, so the kinds chosen for it are not mailed).
const (
	KindReminder = "deadline_reminder"
	KindDigest   = "daily_digest"
)

// modesOf returns the modes kind may take, the default first.
func modesOf(kind string) []string {
	switch kind {
	case KindReminder:
		return []string{ModeImmediate, ModeOff}
	case KindDigest:
		return []string{ModeDigest, ModeOff}
	}
	return []string{ModeImmediate, ModeDigest, ModeOff}
}

// Link is the page every notice mail links to: the user's notifications,
// which open the record at the right step (and which every role may see).
const Link = "/notifications"

// queueMails writes, in the transaction of the notifications ids, a mail of
// each to every addressed user who wants that kind immediately and has a
// verified address: the notification's subject in the user's language and
// the link, nothing else. The outbox key "notice:<notification>:<user>"
// makes it once per notification and user. The mail service's sweep sends
// them; with e-mail off there is no verified address to write to.
func queueMails(tx *gorm.DB, kind string, ids []int64, at time.Time) error {
	err := tx.Exec(`INSERT INTO mail_messages (user_id, kind, to_address, subject, body, link, status, created_at, updated_at, dedup_key, notification_id)
		SELECT u.id, 'notice.' || n.kind, u.email,
			CASE WHEN u.locale = 'en' THEN n.subject_en ELSE n.subject_zh END,
			CASE WHEN u.locale = 'en' THEN n.subject_en || E'\n\nSee your notifications:' ELSE n.subject_zh || E'\n\n请查看您的通知：' END,
			?, 'queued', ?, ?, 'notice:' || n.id || ':' || u.id, n.id
		FROM notifications n
		JOIN users u ON u.id = n.user_id OR (n.user_id IS NULL AND u.organization_id = n.organization_id)
		LEFT JOIN mail_preferences p ON p.user_id = u.id AND p.kind = n.kind
		WHERE n.id IN ? AND u.status = 'active' AND u.email IS NOT NULL AND u.email_verified_at IS NOT NULL
			AND COALESCE(p.mode, ?) = 'immediate'
		ORDER BY n.id, u.id
		ON CONFLICT (dedup_key) WHERE dedup_key IS NOT NULL DO NOTHING`,
		Link, at, at, ids, DefaultMode(kind)).Error
	if err != nil {
		return fmt.Errorf("queue mails of %s: %w", kind, err)
	}
	return nil
}

// Preference is a user's choice for one kind of notification, or for the
// reminders or the digest.
type Preference struct {
	Kind string
	Mode string
	// Modes are the modes the kind may take.
	Modes []string
	// Chosen is false when Mode is the kind's default.
	Chosen bool
}

// ErrMode is a mode that is not immediate, digest or off (immediate or off
// for the reminders, digest or off for the digest), or a kind that is not
// one.
var ErrMode = apperr.New(apperr.Invalid, "notify.mode", "a notification kind's e-mail is immediate, digest or off")

// Service reads and sets users' e-mail preferences.
type Service struct {
	db    *gorm.DB
	clock clock.Clock
}

// NewService returns the preferences service.
func NewService(db *gorm.DB, c clock.Clock) *Service { return &Service{db: db, clock: c} }

// choices are the kinds a user chooses the e-mail of: the reminders, the
// digest, then every kind of notification.
func choices() []string { return append([]string{KindReminder, KindDigest}, Kinds()...) }

// Preferences returns the actor's mode for the reminders, the digest and
// every kind, in Kinds order.
func (s *Service) Preferences(ctx context.Context, by access.Actor) ([]Preference, error) {
	var rows []struct{ Kind, Mode string }
	if err := s.db.WithContext(ctx).Raw(`SELECT kind, mode FROM mail_preferences WHERE user_id = ?`, by.UserID).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("mail preferences of user %d: %w", by.UserID, err)
	}
	chosen := make(map[string]string, len(rows))
	for _, r := range rows {
		chosen[r.Kind] = r.Mode
	}
	kinds := choices()
	out := make([]Preference, len(kinds))
	for i, k := range kinds {
		m, ok := chosen[k]
		if !ok {
			m = DefaultMode(k)
		}
		out[i] = Preference{Kind: k, Mode: m, Modes: modesOf(k), Chosen: ok}
	}
	return out, nil
}

// SetPreferences sets the actor's mode of each kind in modes (kinds left out
// keep theirs), with its audit entry. It returns ErrMode, writing nothing,
// when a kind or a mode is not one.
func (s *Service) SetPreferences(ctx context.Context, by access.Actor, modes map[string]string) error {
	kinds := choices()
	for k, m := range modes {
		if !slices.Contains(kinds, k) || !slices.Contains(modesOf(k), m) {
			return ErrMode
		}
	}
	if len(modes) == 0 {
		return nil
	}
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		now := s.clock.Now()
		for _, k := range kinds {
			m, ok := modes[k]
			if !ok {
				continue
			}
			if err := tx.Exec(`INSERT INTO mail_preferences (user_id, kind, mode, updated_at) VALUES (?, ?, ?, ?)
				ON CONFLICT (user_id, kind) DO UPDATE SET mode = EXCLUDED.mode, updated_at = EXCLUDED.updated_at`,
				by.UserID, k, m, now).Error; err != nil {
				return fmt.Errorf("set mail preference %s of user %d: %w", k, by.UserID, err)
			}
		}
		return audit.Record(tx, by, "mail.preferences", "user", by.UserID, modes)
	})
}
