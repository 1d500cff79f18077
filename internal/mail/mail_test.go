package mail_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/config"
	"github.com/jiedao-market/jiedao/internal/mail"
	"github.com/jiedao-market/jiedao/internal/mail/mailtest"
	"github.com/jiedao-market/jiedao/internal/platform/clock"
	"github.com/jiedao-market/jiedao/internal/platform/db/dbtest"
	"github.com/jiedao-market/jiedao/internal/platform/jobs/jobstest"
)

const public = "https://jiedao.example.cn"

func mailConfig(port int) config.Mail {
	cfg := config.Default().Mail
	cfg.Host, cfg.Port, cfg.TLS, cfg.Timeout = "127.0.0.1", port, "none", 5*time.Second
	cfg.MaxAttempts = 3
	return cfg
}

// user inserts a resident with email (verified or not) and locale.
func user(t *testing.T, db *gorm.DB, name, email string, verified bool, locale string) int64 {
	t.Helper()
	var id int64
	var at *time.Time
	var addr *string
	if email != "" {
		addr = &email
	}
	if verified {
		now := time.Now()
		at = &now
	}
	err := db.Raw(`INSERT INTO users (username, password_hash, role, email, email_verified_at, locale)
		VALUES (?, 'x', 'resident', ?, ?, ?) RETURNING id`, name, addr, at, locale).Scan(&id).Error
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func queue(t *testing.T, db *gorm.DB, s *mail.Service, m mail.Message) int64 {
	t.Helper()
	var id int64
	err := db.Transaction(func(tx *gorm.DB) error {
		var err error
		id, err = s.Queue(tx, m)
		return err
	})
	if err != nil {
		t.Fatalf("Queue() error = %v", err)
	}
	return id
}

func notice(userID int64) mail.Message {
	return mail.Message{UserID: userID, Kind: "test.notice", SubjectZh: "招标即将截止", SubjectEn: "A tender closes soon",
		BodyZh: "您关注的招标明天截止。", BodyEn: "A tender you follow closes tomorrow.", Link: "/tenders/7"}
}

func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestDeliverSendsToTheVerifiedAddressInTheUsersLanguage(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	mp := mailtest.Start(t)
	s := mail.NewService(db, clock.System{}, mailConfig(mp.SMTPPort), public+"/", discard())
	zh := user(t, db, "zhang", "zhang@example.cn", true, "zh-CN")
	en := user(t, db, "lisi", "li@example.cn", true, "en")
	for _, u := range []int64{zh, en} {
		id := queue(t, db, s, notice(u))
		if err := s.Deliver(context.Background(), id); err != nil {
			t.Fatalf("Deliver() error = %v", err)
		}
	}
	for _, tt := range []struct{ to, subject, body string }{
		{"zhang@example.cn", "招标即将截止", "您关注的招标明天截止。"},
		{"li@example.cn", "A tender closes soon", "A tender you follow closes tomorrow."},
	} {
		got := mp.To(t, tt.to)
		if len(got) != 1 {
			t.Fatalf("mails to %s = %d, want 1", tt.to, len(got))
		}
		if got[0].Subject != tt.subject || !strings.Contains(got[0].Text, tt.body) || !strings.Contains(got[0].Text, public+"/tenders/7") {
			t.Errorf("mail to %s = %q %q, want subject %q, body %q and the absolute link", tt.to, got[0].Subject, got[0].Text, tt.subject, tt.body)
		}
		if got[0].From.Address != "noreply@jiedao.example.cn" {
			t.Errorf("From = %q, want the configured sender", got[0].From.Address)
		}
	}
}

func TestQueueSkipsUnverifiedAddressesAndMailOff(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	on := mail.NewService(db, clock.System{}, mailConfig(1), public, discard())
	off := mail.NewService(db, clock.System{}, config.Default().Mail, public, discard())
	if off.Enabled() {
		t.Fatal("Enabled() = true without a host, want false")
	}
	unverified := user(t, db, "wang", "wang@example.cn", false, "zh-CN")
	none := user(t, db, "zhao", "", false, "zh-CN")
	verified := user(t, db, "sun", "sun@example.cn", true, "zh-CN")
	for _, tt := range []struct {
		name string
		s    *mail.Service
		user int64
	}{
		{"unverified address", on, unverified},
		{"no address", on, none},
		{"mail off", off, verified},
	} {
		if id := queue(t, db, tt.s, notice(tt.user)); id != 0 {
			t.Errorf("%s: Queue() = %d, want 0 (nothing queued)", tt.name, id)
		}
	}
	var n int64
	db.Raw(`SELECT count(*) FROM mail_messages`).Scan(&n)
	if n != 0 {
		t.Errorf("mail_messages holds %d rows, want 0", n)
	}
}

func TestFailingServerIsRetriedThenSentOnce(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	port := mailtest.FreePort(t) // refuses until mailpit starts on it
	s := mail.NewService(db, clock.System{}, mailConfig(port), public, discard())
	id := queue(t, db, s, notice(user(t, db, "qian", "qian@example.cn", true, "zh-CN")))
	if err := s.Deliver(context.Background(), id); err == nil {
		t.Fatal("Deliver() to a refusing port error = nil, want an error")
	}
	st, err := s.StatusOf(context.Background(), id)
	if err != nil || st.Status != "queued" || st.Attempts != 1 || st.LastError == "" {
		t.Fatalf("after a failure: %+v, %v; want queued, 1 attempt, the error kept", st, err)
	}
	mp := mailtest.StartOn(t, port)
	for range 3 { // a retry, then duplicates of the job: sent once
		if err := s.Deliver(context.Background(), id); err != nil {
			t.Fatalf("Deliver() error = %v", err)
		}
	}
	if got := mp.To(t, "qian@example.cn"); len(got) != 1 {
		t.Errorf("mails arrived = %d, want exactly 1", len(got))
	}
	if st, _ := s.StatusOf(context.Background(), id); st.Status != "sent" || st.Attempts != 2 {
		t.Errorf("status = %+v, want sent after 2 attempts", st)
	}
}

func TestDeliverMarksFailedAfterMaxAttempts(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	s := mail.NewService(db, clock.System{}, mailConfig(mailtest.FreePort(t)), public, discard())
	id := queue(t, db, s, notice(user(t, db, "zhou", "zhou@example.cn", true, "zh-CN")))
	for range 3 {
		if err := s.Deliver(context.Background(), id); err == nil {
			t.Fatal("Deliver() error = nil, want an error")
		}
	}
	if st, _ := s.StatusOf(context.Background(), id); st.Status != "failed" || st.Attempts != 3 {
		t.Errorf("status = %+v, want failed after 3 attempts", st)
	}
	if err := s.Deliver(context.Background(), id); err != nil {
		t.Errorf("Deliver() of a failed mail error = %v, want nil (left alone)", err)
	}
}

// TestSweepSendsQueuedMailThroughRiver: a message committed without its job
// (a crash after the commit) is enqueued by the sweep and sent by the job,
// once, though the sweep runs twice.
func TestSweepSendsQueuedMailThroughRiver(t *testing.T) {
	t.Parallel()
	db, url := dbtest.NewWithURL(t)
	mp := mailtest.Start(t)
	s := mail.NewService(db, clock.System{}, mailConfig(mp.SMTPPort), public, discard())
	id := queue(t, db, s, notice(user(t, db, "wuyi", "wu@example.cn", true, "en")))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	client := jobstest.Client(t, ctx, url, func(w *river.Workers) { s.Register(w) })
	s.UseRiver(client)
	for range 2 {
		if err := s.Sweep(ctx); err != nil {
			t.Fatalf("Sweep() error = %v", err)
		}
	}
	var jobs int64
	db.Raw(`SELECT count(*) FROM river_job WHERE kind = 'mail_send'`).Scan(&jobs)
	if jobs != 1 {
		t.Fatalf("%d send jobs after sweeping twice, want 1", jobs)
	}
	jobstest.RunUntil(t, ctx, client, mail.SendArgs{}.Kind(), func(args []byte) bool {
		var a mail.SendArgs
		return json.Unmarshal(args, &a) == nil && a.MessageID == id
	})
	if got := mp.To(t, "wu@example.cn"); len(got) != 1 {
		t.Errorf("mails arrived = %d, want exactly 1", len(got))
	}
}

// TestRiverRetriesUntilTheServerIsBack: the job fails while the SMTP port
// refuses, River retries it with its backoff, and once a server listens
// there the mail is sent, once.
func TestRiverRetriesUntilTheServerIsBack(t *testing.T) {
	t.Parallel()
	db, url := dbtest.NewWithURL(t)
	port := mailtest.FreePort(t)
	s := mail.NewService(db, clock.System{}, mailConfig(port), public, discard())
	id := queue(t, db, s, notice(user(t, db, "zheng", "zheng@example.cn", true, "zh-CN")))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	client := jobstest.Client(t, ctx, url, func(w *river.Workers) { s.Register(w) })
	s.UseRiver(client)
	events, unsubscribe := client.Subscribe(river.EventKindJobCompleted, river.EventKindJobFailed)
	defer unsubscribe()
	if err := client.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stop, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		client.Stop(stop)
	})
	s.Enqueue(ctx, id)
	var mp *mailtest.Server
	for {
		var ev *river.Event
		select {
		case ev = <-events:
		case <-ctx.Done():
			t.Fatal("the send job did not complete")
		}
		if ev.Job.Kind != (mail.SendArgs{}).Kind() {
			continue
		}
		if ev.Kind == river.EventKindJobFailed {
			if mp == nil { // the first failure: the server comes back
				mp = mailtest.StartOn(t, port)
			}
			continue
		}
		break
	}
	if mp == nil {
		t.Fatal("the job completed against a refusing port")
	}
	if got := mp.To(t, "zheng@example.cn"); len(got) != 1 {
		t.Errorf("mails arrived = %d, want exactly 1", len(got))
	}
	if st, _ := s.StatusOf(ctx, id); st.Status != "sent" || st.Attempts < 2 {
		t.Errorf("status = %+v, want sent after at least 2 attempts", st)
	}
}

// TestConcurrentDeliveriesSendOnce: replicas working the same message at
// once (a duplicate job, a rescued one) send it once.
func TestConcurrentDeliveriesSendOnce(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	mp := mailtest.Start(t)
	s := mail.NewService(db, clock.System{}, mailConfig(mp.SMTPPort), public, discard())
	id := queue(t, db, s, notice(user(t, db, "feng", "feng@example.cn", true, "zh-CN")))
	errs := make(chan error, 4)
	for range 4 {
		go func() { errs <- s.Deliver(context.Background(), id) }()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Errorf("Deliver() error = %v", err)
		}
	}
	if got := mp.To(t, "feng@example.cn"); len(got) != 1 {
		t.Errorf("mails arrived = %d, want exactly 1", len(got))
	}
}
