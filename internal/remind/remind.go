// Package remind mails what waits for each user: the daily digest (the
// user's worklist and the day's notifications the user chose for the digest)
// and, a configured time before a deadline, a reminder to whoever must act
// on it — a bid needing reconfirmation before the close, an open challenge
// before its period ends, an evaluation before it is due, a complaint before
// its response or decision is due. One periodic River job does both; the
// outbox's unique keys make each mail once, whatever replica runs it.
//
// The mails carry the worklist's titles (a tender's or contract's title, a
// complaint's reference), due times and links: never bid content, scores or
// residents' personal data.
package remind

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/riverqueue/river"
	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/civil"
	"github.com/jiedao-market/jiedao/internal/config"
	"github.com/jiedao-market/jiedao/internal/mail"
	"github.com/jiedao-market/jiedao/internal/notify"
	"github.com/jiedao-market/jiedao/internal/platform/clock"
	"github.com/jiedao-market/jiedao/internal/platform/jobs"
	"github.com/jiedao-market/jiedao/internal/work"
)

// ReminderKinds are the worklist kinds whose deadline is reminded: a bid to
// reconfirm before the close (organizations), a challenge to answer before
// the period ends (officers), an evaluation to perform (evaluators), a
// complaint to triage, respond to or decide (officers, organizations).
func ReminderKinds() []string {
	return []string{"bid.reconfirm", "tender.challenge", "evaluation.perform",
		"complaint.triage", "complaint.decide", "org.complaint.respond"}
}

// Service sends the digests and the reminders.
type Service struct {
	db     *gorm.DB
	clock  clock.Clock
	cfg    config.Mail
	public string
	mail   *mail.Service
	work   *work.Service
	log    *slog.Logger
}

// NewService returns the service; publicURL makes the digest's links
// absolute (config http.public_url).
func NewService(db *gorm.DB, c clock.Clock, cfg config.Mail, publicURL string, m *mail.Service, w *work.Service, log *slog.Logger) *Service {
	return &Service{db: db, clock: c, cfg: cfg, public: strings.TrimRight(publicURL, "/"), mail: m, work: w, log: log}
}

// recipient is an active user with a verified address, and the actor its
// worklist is read as.
type recipient struct {
	ID                    int64
	Username              string
	Role                  string
	DistrictID            *int64
	SubdistrictID         *int64
	OrganizationID        *int64
	SubdistrictDistrictID *int64
	// Reminders and Digest are the user's choices (notify.KindReminder,
	// notify.KindDigest): off, or the default.
	Reminders string
	Digest    string
}

func (r recipient) actor() access.Actor {
	a := access.Actor{UserID: r.ID, Username: r.Username, Role: access.Role(r.Role), RequestID: "remind"}
	if r.DistrictID != nil {
		a.Scope.DistrictID = *r.DistrictID
	}
	if r.SubdistrictID != nil {
		a.Scope.SubdistrictID = *r.SubdistrictID
	}
	if r.SubdistrictDistrictID != nil {
		a.Scope.DistrictID = *r.SubdistrictDistrictID
	}
	if r.OrganizationID != nil {
		a.Scope.OrganizationID = *r.OrganizationID
	}
	return a
}

// Run sends, as of the clock, every reminder now due and every digest of
// today (China time) once its hour has come. A user's failure is logged and
// the others go on; the first error is returned, for River to retry.
func (s *Service) Run(ctx context.Context) error {
	if !s.mail.Enabled() {
		return nil
	}
	now := s.clock.Now()
	var users []recipient
	if err := s.db.WithContext(ctx).Raw(`SELECT u.id, u.username, u.role, u.district_id, u.subdistrict_id, u.organization_id,
			sd.district_id AS subdistrict_district_id,
			COALESCE(r.mode, ?) AS reminders, COALESCE(d.mode, ?) AS digest
		FROM users u LEFT JOIN subdistricts sd ON sd.id = u.subdistrict_id
		LEFT JOIN mail_preferences r ON r.user_id = u.id AND r.kind = ?
		LEFT JOIN mail_preferences d ON d.user_id = u.id AND d.kind = ?
		WHERE u.status = 'active' AND u.email IS NOT NULL AND u.email_verified_at IS NOT NULL ORDER BY u.id`,
		notify.DefaultMode(notify.KindReminder), notify.DefaultMode(notify.KindDigest), notify.KindReminder, notify.KindDigest).Scan(&users).Error; err != nil {
		return fmt.Errorf("remind: recipients: %w", err)
	}
	digestAt := s.digestTime(now)
	var first error
	for _, u := range users {
		if err := s.user(ctx, u, now, digestAt); err != nil {
			s.log.ErrorContext(ctx, "remind", "user_id", u.ID, "error", err)
			if first == nil {
				first = err
			}
		}
	}
	return first
}

// digestTime is today's digest hour, China time; the zero time before it.
func (s *Service) digestTime(now time.Time) time.Time {
	c := now.In(civil.China)
	at := time.Date(c.Year(), c.Month(), c.Day(), s.cfg.DigestHour, 0, 0, 0, civil.China)
	if now.Before(at) {
		return time.Time{}
	}
	return at
}

func (s *Service) user(ctx context.Context, u recipient, now, digestAt time.Time) error {
	if u.Digest == notify.ModeOff {
		digestAt = time.Time{}
	}
	if u.Reminders == notify.ModeOff && digestAt.IsZero() {
		return nil
	}
	done := false
	if !digestAt.IsZero() {
		if err := s.db.WithContext(ctx).Raw(`SELECT EXISTS (SELECT 1 FROM mail_digests WHERE user_id = ? AND day = ?)`,
			u.ID, digestAt.Format(time.DateOnly)).Scan(&done).Error; err != nil {
			return fmt.Errorf("digest of user %d: %w", u.ID, err)
		}
	}
	items, err := s.work.Pending(ctx, u.actor())
	if err != nil {
		return fmt.Errorf("worklist of user %d: %w", u.ID, err)
	}
	var ids []int64
	kinds := ReminderKinds()
	for _, it := range items {
		if u.Reminders == notify.ModeOff || it.Due == nil || !slices.Contains(kinds, it.Kind) || !it.Due.After(now) || it.Due.After(now.Add(s.cfg.RemindBefore)) {
			continue
		}
		id, err := s.remind(ctx, u.ID, it)
		if err != nil {
			return err
		}
		ids = append(ids, id)
	}
	if !digestAt.IsZero() && !done {
		id, err := s.digest(ctx, u, digestAt, items)
		if err != nil {
			return err
		}
		ids = append(ids, id)
	}
	s.mail.Enqueue(ctx, ids...)
	return nil
}

// remind queues the reminder of one worklist item, once per user, item and
// due time (a deadline moved later is reminded again).
func (s *Service) remind(ctx context.Context, userID int64, it work.Item) (int64, error) {
	k := work.Kinds[it.Kind]
	due := it.Due.In(civil.China).Format("2006-01-02 15:04")
	m := mail.Message{UserID: userID, Kind: "remind." + strings.ReplaceAll(it.Kind, ".", "_"),
		Key:       fmt.Sprintf("remind:%d:%s:%s:%d:%d", userID, it.Kind, it.RecordType, it.RecordID, it.Due.Unix()),
		SubjectZh: fmt.Sprintf("提醒：%s（%s 截止）", k.Zh, due), SubjectEn: fmt.Sprintf("Reminder: %s (due %s China time)", k.En, due),
		BodyZh: fmt.Sprintf("%s：%s\n截止时间：%s（北京时间）", k.Zh, it.Subject, due),
		BodyEn: fmt.Sprintf("%s: %s\nDue: %s China time", k.En, it.Subject, due),
		Link:   it.Link}
	var id int64
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var err error
		id, err = s.mail.Queue(tx, m)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("reminder %s for user %d: %w", m.Key, userID, err)
	}
	return id, nil
}

// digestNotice is a notification the user chose for the digest.
type digestNotice struct {
	SubjectZh string
	SubjectEn string
	CreatedAt time.Time
}

// digest writes the user's digest of the day at: marked done in
// mail_digests (once per user and day: a replica that comes second writes
// nothing), with a mail when the worklist or the notifications of the 24
// hours before at chosen for the digest have anything.
func (s *Service) digest(ctx context.Context, u recipient, at time.Time, items []work.Item) (int64, error) {
	var id int64
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Exec(`INSERT INTO mail_digests (user_id, day, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
			u.ID, at.Format(time.DateOnly), s.clock.Now())
		if res.Error != nil || res.RowsAffected == 0 {
			return res.Error
		}
		var notices []digestNotice
		if err := tx.Raw(`SELECT n.subject_zh, n.subject_en, n.created_at FROM notifications n
			LEFT JOIN mail_preferences p ON p.user_id = ? AND p.kind = n.kind
			WHERE (n.user_id = ? OR (n.user_id IS NULL AND n.organization_id = ?))
			  AND n.created_at >= ? AND n.created_at < ?
			  AND COALESCE(p.mode, CASE WHEN n.kind IN ? THEN 'immediate' ELSE 'digest' END) = 'digest'
			ORDER BY n.id`, u.ID, u.ID, u.OrganizationID, at.Add(-24*time.Hour), at, notify.ImmediateByDefault()).Scan(&notices).Error; err != nil {
			return fmt.Errorf("digest notices: %w", err)
		}
		if len(items) == 0 && len(notices) == 0 {
			return nil
		}
		zh, en := s.digestBody(items, notices)
		day := at.Format(time.DateOnly)
		var err error
		id, err = s.mail.Queue(tx, mail.Message{UserID: u.ID, Kind: "digest", Key: fmt.Sprintf("digest:%d:%s", u.ID, day),
			SubjectZh: fmt.Sprintf("每日摘要 %s：%d 项待办，%d 条通知", day, len(items), len(notices)),
			SubjectEn: fmt.Sprintf("Daily digest %s: %d to do, %d notifications", day, len(items), len(notices)),
			BodyZh:    zh, BodyEn: en, Link: "/dashboard"})
		if err != nil || id == 0 {
			return err
		}
		return tx.Exec(`UPDATE mail_digests SET mail_id = ? WHERE user_id = ? AND day = ?`, id, u.ID, day).Error
	})
	if err != nil {
		return 0, fmt.Errorf("digest of user %d: %w", u.ID, err)
	}
	return id, nil
}

func (s *Service) digestBody(items []work.Item, notices []digestNotice) (zh, en string) {
	var z, e strings.Builder
	if len(items) > 0 {
		fmt.Fprintf(&z, "待办事项（%d）：\n", len(items))
		fmt.Fprintf(&e, "To do (%d):\n", len(items))
		for _, it := range items {
			k := work.Kinds[it.Kind]
			due, dueEn := "", ""
			if it.Due != nil {
				d := it.Due.In(civil.China).Format("2006-01-02 15:04")
				due, dueEn = "（"+d+" 截止）", " (due "+d+")"
			}
			subject := it.Subject
			if strings.HasPrefix(it.Kind, "resident.") {
				// A resident's own request may be titled by its note: the
				// link shows it, the mail does not.
				subject = ""
			}
			fmt.Fprintf(&z, "- %s：%s%s\n  %s%s\n", k.Zh, subject, due, s.public, it.Link)
			fmt.Fprintf(&e, "- %s: %s%s\n  %s%s\n", k.En, subject, dueEn, s.public, it.Link)
		}
	}
	if len(notices) > 0 {
		fmt.Fprintf(&z, "\n通知（%d）：\n", len(notices))
		fmt.Fprintf(&e, "\nNotifications (%d):\n", len(notices))
		for _, n := range notices {
			fmt.Fprintf(&z, "- %s\n", n.SubjectZh)
			fmt.Fprintf(&e, "- %s\n", n.SubjectEn)
		}
	}
	return z.String(), e.String()
}

// RunArgs is the periodic job that sends the digests and reminders due.
type RunArgs struct{}

// Kind names the job.
func (RunArgs) Kind() string { return "mail_remind" }

// Register adds the job's worker to workers.
func (s *Service) Register(workers *river.Workers) {
	river.AddWorker(workers, &jobs.SweepWorker[RunArgs]{Sweep: s.Run})
}

// PeriodicJobs returns the job, run at start and every remind interval; none
// when e-mail is off.
func (s *Service) PeriodicJobs() []*river.PeriodicJob {
	if !s.mail.Enabled() {
		return nil
	}
	return jobs.PeriodicSweep(s.cfg.RemindInterval, RunArgs{})
}
