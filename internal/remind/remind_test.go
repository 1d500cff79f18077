package remind_test

import (
	"context"

	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/config"
	"github.com/jiedao-market/jiedao/internal/demo"
	"github.com/jiedao-market/jiedao/internal/mail"
	"github.com/jiedao-market/jiedao/internal/mail/mailtest"
	"github.com/jiedao-market/jiedao/internal/notify"
	"github.com/jiedao-market/jiedao/internal/platform/clock"
	"github.com/jiedao-market/jiedao/internal/platform/db"
	"github.com/jiedao-market/jiedao/internal/platform/db/dbtest"
	"github.com/jiedao-market/jiedao/internal/platform/jobs/jobstest"
	"github.com/jiedao-market/jiedao/internal/remind"
	"github.com/jiedao-market/jiedao/internal/request"
	"github.com/jiedao-market/jiedao/internal/servertest"
)

func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// remindRun runs the reminder job once on e's clock and delivers what it
// queued.
func remindRun(t *testing.T, e *servertest.Env) {
	t.Helper()
	if err := e.Services.Remind.Run(context.Background()); err != nil {
		t.Fatalf("Run() error = %v", err)
	}
	deliver(t, e.Services.Mail)
}

// remindersTo returns the reminders (subject 提醒…) pit received for addr.
func remindersTo(t *testing.T, pit *mailtest.Server, addr string) []mailtest.Message {
	t.Helper()
	var out []mailtest.Message
	for _, m := range pit.To(t, addr) {
		if strings.HasPrefix(m.Subject, "提醒") {
			out = append(out, m)
		}
	}
	return out
}

// mailConfig is the tests' configuration with e-mail to the mailpit pit.
func mailConfig(t *testing.T, pit *mailtest.Server) config.Config {
	cfg := servertest.Config(t)
	cfg.HTTP.PublicURL = "https://jiedao.example.cn"
	cfg.Mail.Host, cfg.Mail.Port, cfg.Mail.TLS, cfg.Mail.Timeout = "127.0.0.1", pit.SMTPPort, "none", 5*time.Second
	return cfg
}

// verify gives username the verified address addr and returns its id.
func verify(t *testing.T, gdb *gorm.DB, username, addr string) int64 {
	t.Helper()
	var id int64
	if err := gdb.Raw(`UPDATE users SET email = ?, email_verified_at = now() WHERE username = ? RETURNING id`, addr, username).Scan(&id).Error; err != nil || id == 0 {
		t.Fatalf("verify %s: %v", username, err)
	}
	return id
}

// deliver sends every queued mail, as the send jobs would (a message a job
// already sent is left alone).
func deliver(t *testing.T, m *mail.Service) {
	t.Helper()
	ids, err := m.Queued(context.Background(), 1000)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		if err := m.Deliver(context.Background(), id); err != nil {
			t.Fatalf("Deliver(%d) error = %v", id, err)
		}
	}
}

// replica is one process working jobs: its own pool, services and River
// client on the shared database and clock.
type replica struct {
	svc    request.Services
	client *river.Client[pgx.Tx]
}

// TestDigestOnceWithThreeReplicas: three replicas run the digest job at the
// same moment after the digest hour; the officer with a notification chosen
// for the digest gets one digest, listing it; a verified user with nothing
// to report gets none; later runs that day send nothing more.
func TestDigestOnceWithThreeReplicas(t *testing.T) {
	t.Parallel()
	pit := mailtest.Start(t)
	cfg := mailConfig(t, pit)
	_, url := dbtest.NewWithURL(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// 2026-11-22 09:00 UTC is 17:00 China time, past the digest hour (7).
	clk := clock.NewManual(servertest.Start)
	now := func() time.Time { return clk.Now().UTC().Truncate(time.Microsecond) }
	open := func() *gorm.DB {
		gdb, err := db.Open(ctx, url, db.Options{MaxOpenConns: 10, MaxIdleConns: 5})
		if err != nil {
			t.Fatalf("db.Open() error = %v", err)
		}
		t.Cleanup(func() { _ = db.Close(gdb) })
		return gdb.Session(&gorm.Session{NowFunc: now})
	}
	gdb := open()
	if _, err := demo.Seed(ctx, gdb, clk, servertest.DemoPassword, cfg.Auth.Argon2,
		demo.Keys{Seal: cfg.Tender.SealKey, Rating: cfg.Rating.CodeKey, Uploads: cfg.Uploads}, demo.AccountsOnly()); err != nil {
		t.Fatalf("demo.Seed() error = %v", err)
	}
	officer := verify(t, gdb, "demo-officer", "officer@example.cn")
	verify(t, gdb, "demo-finance", "finance@example.cn")  // nothing to report
	quiet := verify(t, gdb, "demo-org", "org@example.cn") // no digest, by choice
	if err := notify.NewService(gdb, clk).SetPreferences(ctx, access.Actor{UserID: quiet, Role: access.OrgAdmin},
		map[string]string{notify.KindDigest: notify.ModeOff}); err != nil {
		t.Fatal(err)
	}
	// Within the 24 hours before today's digest (07:00 China = 23:00 UTC the day before).
	at := time.Date(2026, 11, 21, 20, 0, 0, 0, time.UTC)
	if err := gdb.Transaction(func(tx *gorm.DB) error {
		return notify.Users(tx, notify.Notice{Kind: "contract_signed", SubjectZh: "合同已签署：社区助老服务",
			SubjectEn: "Contract signed: elderly care", At: at}, officer, quiet)
	}); err != nil {
		t.Fatal(err)
	}
	var reps []replica
	for range 3 {
		svc, err := request.NewServices(cfg, open(), clk, discard())
		if err != nil {
			t.Fatal(err)
		}
		client := jobstest.Client(t, ctx, url, func(w *river.Workers) { svc.Mail.Register(w); svc.Remind.Register(w) })
		svc.Mail.UseRiver(client)
		reps = append(reps, replica{svc: svc, client: client})
	}
	// Each replica's periodic job, at once; wait until the three completed,
	// whichever replica worked each.
	done := make(chan *river.Event, 16)
	for _, r := range reps {
		events, unsubscribe := r.client.Subscribe(river.EventKindJobCompleted, river.EventKindJobFailed)
		t.Cleanup(unsubscribe)
		go func() {
			for ev := range events {
				if ev.Job.Kind == (remind.RunArgs{}).Kind() {
					done <- ev
				}
			}
		}()
		if err := r.client.Start(ctx); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			stop, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_ = r.client.Stop(stop)
		})
	}
	var wg sync.WaitGroup
	for _, r := range reps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := r.client.Insert(ctx, remind.RunArgs{}, nil); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	for range 3 {
		select {
		case ev := <-done:
			if ev.Kind != river.EventKindJobCompleted {
				t.Fatalf("digest job %s: %v", ev.Kind, ev.Job.Errors)
			}
		case <-ctx.Done():
			t.Fatal("the three digest jobs did not finish")
		}
	}
	deliver(t, reps[0].svc.Mail)
	if err := reps[1].svc.Remind.Run(ctx); err != nil { // later that day
		t.Fatalf("Run() error = %v", err)
	}
	deliver(t, reps[0].svc.Mail)
	got := pit.To(t, "officer@example.cn")
	if len(got) != 1 {
		t.Fatalf("mails to the officer = %d, want one digest", len(got))
	}
	if !strings.HasPrefix(got[0].Subject, "每日摘要 2026-11-22") || !strings.Contains(got[0].Text, "合同已签署：社区助老服务") ||
		!strings.Contains(got[0].Text, "https://jiedao.example.cn/dashboard") {
		t.Errorf("digest = %q %q, want the day, the notification and the link", got[0].Subject, got[0].Text)
	}
	if n := len(pit.To(t, "finance@example.cn")); n != 0 {
		t.Errorf("mails to a user with nothing to report = %d, want 0", n)
	}
	if n := len(pit.To(t, "org@example.cn")); n != 0 {
		t.Errorf("mails to a user who turned the digest off = %d, want 0", n)
	}
	var jobs int64
	gdb.Raw(`SELECT count(*) FROM river_job WHERE kind = ? AND state = 'completed'`, remind.RunArgs{}.Kind()).Scan(&jobs)
	if jobs != 3 {
		t.Errorf("%d digest jobs completed, want 3 (one per replica)", jobs)
	}
	// The next day's digest hour: the notification is older than its 24 hours.
	clk.Advance(24 * time.Hour)
	if err := reps[2].svc.Remind.Run(ctx); err != nil {
		t.Fatal(err)
	}
	deliver(t, reps[0].svc.Mail)
	if n := len(pit.To(t, "officer@example.cn")); n != 1 {
		t.Errorf("mails to the officer the next day = %d, want still 1 (nothing new to report)", n)
	}
}

// TestReminderAtTheRightTime: the open complaint of the demo waits for the
// officer's triage, due at its first-response deadline; the reminder is sent
// once the deadline is within remind_before on the injected clock, not
// before, and once.
func TestReminderAtTheRightTime(t *testing.T) {
	t.Parallel()
	pit := mailtest.Start(t)
	cfg := mailConfig(t, pit)
	cfg.Mail.RemindBefore = time.Hour
	e := servertest.NewEnvWith(t, cfg, demo.WithTenders())
	verify(t, e.DB, "demo-officer", "officer@example.cn")
	verify(t, e.DB, "demo-resident", "resident@example.cn")
	// A second officer of the subdistrict turned reminders and the digest off.
	var quiet int64
	if err := e.DB.Raw(`INSERT INTO users (username, password_hash, role, subdistrict_id, email, email_verified_at)
		SELECT 'officer-quiet', 'x', 'procurement_officer', subdistrict_id, 'quiet@example.cn', now() FROM users WHERE username = 'demo-officer'
		RETURNING id`).Scan(&quiet).Error; err != nil {
		t.Fatal(err)
	}
	if err := e.Services.Notices.SetPreferences(context.Background(), access.Actor{UserID: quiet, Role: access.ProcurementOfficer},
		map[string]string{notify.KindReminder: notify.ModeOff, notify.KindDigest: notify.ModeOff}); err != nil {
		t.Fatal(err)
	}
	var due time.Time
	if err := e.DB.Raw(`SELECT first_response_due FROM complaints WHERE status = 'received' ORDER BY id LIMIT 1`).Row().Scan(&due); err != nil {
		t.Fatalf("the demo's open complaint: %v", err)
	}
	run := func() { t.Helper(); remindRun(t, e) }
	reminders := func() []mailtest.Message { return remindersTo(t, pit, "officer@example.cn") }
	// An hour and a minute before the deadline: not yet.
	e.Clock.Advance(due.Sub(e.Clock.Now()) - time.Hour - time.Minute)
	run()
	if got := reminders(); len(got) != 0 {
		t.Fatalf("reminders 61 minutes before the deadline = %d, want 0", len(got))
	}
	e.Clock.Advance(2 * time.Minute)
	run()
	run()
	got := reminders()
	if len(got) != 1 {
		t.Fatalf("reminders within the hour, run twice = %d, want 1", len(got))
	}
	if !strings.Contains(got[0].Subject, "分派投诉") || !strings.Contains(got[0].Text, "https://jiedao.example.cn/complaints#complaint-") {
		t.Errorf("reminder = %q %q, want the triage and the link", got[0].Subject, got[0].Text)
	}
	if n := len(pit.To(t, "quiet@example.cn")); n != 0 {
		t.Errorf("mails to the officer who opted out = %d, want 0", n)
	}
	// The resident's digest lists its requests and complaint, and no mail
	// holds a resident's words (a complaint's text, a request's note).
	if got := pit.To(t, "resident@example.cn"); len(got) != 1 || !strings.HasPrefix(got[0].Subject, "每日摘要") {
		t.Errorf("mails to the resident = %+v, want the digest", got)
	}
	var words []string
	if err := e.DB.Raw(`SELECT description FROM complaints UNION ALL SELECT left(note, 20) FROM service_requests WHERE note <> ''`).
		Scan(&words).Error; err != nil || len(words) == 0 {
		t.Fatalf("the residents' words: %v", err)
	}
	for _, m := range pit.Messages(t) {
		full := pit.Message(t, m.ID)
		for _, w := range words {
			if strings.Contains(full.Text, w) || strings.Contains(full.Subject, w) {
				t.Errorf("mail %q carries a resident's words %q", full.Subject, w)
			}
		}
	}
}

// TestEvaluationReminder: the demo's mid-term evaluation waits for
// demo-evaluator, due at the end of its due day (China time); the evaluator
// is reminded once the end is within remind_before on the injected clock,
// not before, and once, with the evaluation's link.
func TestEvaluationReminder(t *testing.T) {
	t.Parallel()
	pit := mailtest.Start(t)
	cfg := mailConfig(t, pit)
	cfg.Mail.RemindBefore = time.Hour
	e := servertest.NewEnvWith(t, cfg, demo.WithTenders())
	verify(t, e.DB, "demo-evaluator", "evaluator@example.cn")
	var ev struct {
		ID  int64
		Due time.Time
	}
	if err := e.DB.Raw(`SELECT e.id, ((e.due_on + 1)::timestamp AT TIME ZONE 'Asia/Shanghai') AS due
		FROM evaluations e JOIN users u ON u.id = e.evaluator_id
		WHERE u.username = 'demo-evaluator' AND e.status IN ('scheduled', 'in_progress') ORDER BY e.due_on LIMIT 1`).Scan(&ev).Error; err != nil || ev.ID == 0 {
		t.Fatalf("the demo's evaluation waiting for demo-evaluator: %+v, %v", ev, err)
	}
	run := func() { t.Helper(); remindRun(t, e) }
	reminders := func() []mailtest.Message { return remindersTo(t, pit, "evaluator@example.cn") }
	e.Clock.Advance(ev.Due.Sub(e.Clock.Now()) - time.Hour - time.Minute)
	run()
	if got := reminders(); len(got) != 0 {
		t.Fatalf("reminders 61 minutes before the evaluation is due = %d, want 0", len(got))
	}
	e.Clock.Advance(2 * time.Minute)
	run()
	run()
	got := reminders()
	if len(got) != 1 {
		t.Fatalf("reminders within the hour, run twice = %d, want 1", len(got))
	}
	if want := "https://jiedao.example.cn/evaluations/" + strconv.FormatInt(ev.ID, 10); !strings.Contains(got[0].Text, want) {
		t.Errorf("reminder = %q %q, want the link %s", got[0].Subject, got[0].Text, want)
	}
}
