// Package mail holds outgoing e-mail: the outbox (mail_messages) that a
// change writes in its own transaction, the River job that sends one queued
// message through SMTP (github.com/wneessen/go-mail) exactly once, and the
// sweep that enqueues any queued message whose job was lost.
//
// A service that mails writes the message in the transaction of its change
// and enqueues its job once that has committed (a lost job is the sweep's):
//
//	var id int64
//	err := db.Transaction(func(tx *gorm.DB) error {
//		// … the change and its audit entry …
//		id, err = mails.Queue(tx, mail.Message{UserID: u, Kind: "contract.sign", SubjectZh: …, SubjectEn: …,
//			BodyZh: …, BodyEn: …, Link: "/contracts/7"})
//		return err
//	})
//	if err == nil {
//		mails.Enqueue(ctx, id)
//	}
//
// A mail carries a title, a short text and a link (a path, made absolute
// under the configured public URL when it is sent): never a bid's content,
// a score before it is public, or a resident's personal data. Callers write
// only such text.
package mail

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/jiedao-market/jiedao/internal/config"
	"github.com/jiedao-market/jiedao/internal/platform/clock"
)

// Message is one mail to queue for a user. The subject and body come in
// both languages; the user's language picks one when it is queued.
type Message struct {
	UserID    int64
	Kind      string // what the mail is about, e.g. "email.verify", "password.reset"
	SubjectZh string
	SubjectEn string
	BodyZh    string
	BodyEn    string
	// Link is a path under the public URL ("/password/reset?token=…"),
	// appended to the body as an absolute link when the mail is sent.
	Link string
	// To sends to this address instead of the user's verified one: only for
	// the link that verifies it.
	To string
	// Key, when set, makes the message once: a second message with the same
	// key ("digest:<user>:<day>", "remind:…") is not queued (Queue returns 0).
	Key string
}

// Service queues mail and sends it.
type Service struct {
	db     *gorm.DB
	clock  clock.Clock
	cfg    config.Mail
	public string
	log    *slog.Logger
	client *river.Client[pgx.Tx]
}

// NewService returns the mail service; publicURL is the site's address that
// links are made absolute under (config http.public_url).
func NewService(db *gorm.DB, c clock.Clock, cfg config.Mail, publicURL string, log *slog.Logger) *Service {
	return &Service{db: db, clock: c, cfg: cfg, public: strings.TrimRight(publicURL, "/"), log: log}
}

// Enabled reports whether e-mail is on (an SMTP host is configured).
func (s *Service) Enabled() bool { return s != nil && s.cfg.Enabled() }

// Queue writes m to the outbox inside tx, to be sent after tx commits, and
// returns its id. It queues nothing and returns 0 when e-mail is off, the
// user is disabled or has no verified address (and m.To is empty): nothing is
// ever sent to an address its owner has not verified, but the verification
// link itself.
func (s *Service) Queue(tx *gorm.DB, m Message) (int64, error) {
	if !s.Enabled() {
		return 0, nil
	}
	var u struct {
		Email           *string
		EmailVerifiedAt *time.Time
		Locale          string
		Status          string
	}
	if err := tx.Raw(`SELECT email, email_verified_at, locale, status FROM users WHERE id = ?`, m.UserID).Take(&u).Error; err != nil {
		return 0, fmt.Errorf("queue mail %s for user %d: %w", m.Kind, m.UserID, err)
	}
	to := m.To
	if to == "" && u.Email != nil && u.EmailVerifiedAt != nil {
		to = *u.Email
	}
	if to == "" || u.Status != "active" {
		return 0, nil
	}
	subject, body := m.SubjectZh, m.BodyZh
	if u.Locale == "en" {
		subject, body = m.SubjectEn, m.BodyEn
	}
	now := s.clock.Now()
	row := outbound{UserID: &m.UserID, Kind: m.Kind, ToAddress: to, Subject: subject, Body: body, Link: m.Link,
		Status: "queued", CreatedAt: now, UpdatedAt: now}
	q := tx
	if m.Key != "" {
		row.DedupKey = &m.Key
		q = tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "dedup_key"}},
			TargetWhere: clause.Where{Exprs: []clause.Expression{clause.Expr{SQL: "dedup_key IS NOT NULL"}}}, DoNothing: true})
	}
	if err := q.Create(&row).Error; err != nil {
		return 0, fmt.Errorf("queue mail %s for user %d: %w", m.Kind, m.UserID, err)
	}
	return row.ID, nil
}

// outbound is a row of mail_messages.
type outbound struct {
	ID        int64
	UserID    *int64
	Kind      string
	ToAddress string
	Subject   string
	Body      string
	Link      string
	Status    string
	Attempts  int
	LastError string
	CreatedAt time.Time
	UpdatedAt time.Time
	SentAt    *time.Time
	DedupKey  *string
}

func (outbound) TableName() string { return "mail_messages" }

// Status is a queued message's state, for tests and the operator.
type Status struct {
	Status    string
	Attempts  int
	LastError string
}

// StatusOf returns the state of message id.
func (s *Service) StatusOf(ctx context.Context, id int64) (Status, error) {
	var st Status
	err := s.db.WithContext(ctx).Raw(`SELECT status, attempts, last_error FROM mail_messages WHERE id = ?`, id).Take(&st).Error
	return st, err
}

// Deliver sends queued message id through SMTP and marks it sent. It holds
// the message's row lock while it talks to the server, so that two replicas
// never send it both; a message already sent or failed is left alone. A
// failure is counted on the row (failed after MaxAttempts) and returned, for
// River to try again later.
func (s *Service) Deliver(ctx context.Context, id int64) error {
	if !s.Enabled() {
		return errors.New("mail: deliver while e-mail is off")
	}
	var sendErr error
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var m outbound
		if err := tx.Raw(`SELECT * FROM mail_messages WHERE id = ? FOR NO KEY UPDATE`, id).Take(&m).Error; err != nil {
			return fmt.Errorf("lock mail %d: %w", id, err)
		}
		if m.Status != "queued" {
			return nil
		}
		sendErr = s.send(ctx, m)
		now := s.clock.Now()
		if sendErr == nil {
			return tx.Exec(`UPDATE mail_messages SET status = 'sent', sent_at = ?, attempts = attempts + 1, last_error = '', updated_at = ?
				WHERE id = ? AND status = 'queued'`, now, now, id).Error
		}
		status := "queued"
		if m.Attempts+1 >= s.cfg.MaxAttempts {
			status = "failed"
		}
		return tx.Exec(`UPDATE mail_messages SET status = ?, attempts = attempts + 1, last_error = ?, updated_at = ?
			WHERE id = ? AND status = 'queued'`, status, truncate(sendErr.Error(), 500), now, id).Error
	})
	if err != nil {
		return fmt.Errorf("deliver mail %d: %w", id, err)
	}
	if sendErr != nil {
		return fmt.Errorf("deliver mail %d: %w", id, sendErr)
	}
	return nil
}

// Queued returns the ids of the messages still queued, oldest first, at most
// limit.
func (s *Service) Queued(ctx context.Context, limit int) ([]int64, error) {
	var ids []int64
	err := s.db.WithContext(ctx).Raw(`SELECT id FROM mail_messages WHERE status = 'queued' ORDER BY id LIMIT ?`, limit).Scan(&ids).Error
	return ids, err
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
