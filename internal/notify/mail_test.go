package notify_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/config"
	"github.com/jiedao-market/jiedao/internal/mail"
	"github.com/jiedao-market/jiedao/internal/mail/mailtest"
	"github.com/jiedao-market/jiedao/internal/notify"
	"github.com/jiedao-market/jiedao/internal/platform/clock"
	"github.com/jiedao-market/jiedao/internal/platform/db/dbtest"
)

// user inserts an account with an address, verified or not.
func user(t *testing.T, db *gorm.DB, name, role string, orgID *int64, email string, verified bool, locale string) int64 {
	t.Helper()
	var at *time.Time
	if verified {
		now := time.Now()
		at = &now
	}
	var addr *string
	if email != "" {
		addr = &email
	}
	var id int64
	if err := db.Raw(`INSERT INTO users (username, password_hash, role, organization_id, email, email_verified_at, locale)
		VALUES (?, 'x', ?, ?, ?, ?, ?) RETURNING id`, name, role, orgID, addr, at, locale).Scan(&id).Error; err != nil {
		t.Fatal(err)
	}
	return id
}

func organization(t *testing.T, db *gorm.DB) int64 {
	t.Helper()
	var district, id int64
	if err := db.Raw(`INSERT INTO districts (code, name_zh) VALUES ('310101', '黄浦区') RETURNING id`).Scan(&district).Error; err != nil {
		t.Fatal(err)
	}
	if err := db.Raw(`INSERT INTO organizations (credit_code, legal_name, org_type, district_id)
		VALUES ('51310000MJ0000000A', '阳光社工', 'social_group', ?) RETURNING id`, district).Scan(&id).Error; err != nil {
		t.Fatal(err)
	}
	return id
}

func tell(t *testing.T, db *gorm.DB, write func(tx *gorm.DB) error) {
	t.Helper()
	if err := db.Transaction(write); err != nil {
		t.Fatalf("notify error = %v", err)
	}
}

type queued struct {
	UserID    int64
	ToAddress string
	Subject   string
	Body      string
	Link      string
}

func mails(t *testing.T, db *gorm.DB) []queued {
	t.Helper()
	var got []queued
	if err := db.Raw(`SELECT user_id, to_address, subject, body, link FROM mail_messages ORDER BY user_id, id`).Scan(&got).Error; err != nil {
		t.Fatal(err)
	}
	return got
}

func signSubject() notify.Notice {
	return notify.Notice{Kind: "contract_sign_requested", SubjectZh: "合同待签署：社区助老服务",
		SubjectEn: "A contract waits for your signature: elderly care", At: time.Now()}
}

// A notification queues, in its transaction, one mail per addressed user who
// wants the kind immediately and has a verified address: an organization's
// notice reaches each of its users; nobody unverified, disabled or opted out.
func TestNotificationQueuesImmediateMails(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	org := organization(t, db)
	admin := user(t, db, "org-admin", "org_admin", &org, "admin@example.cn", true, "zh-CN")
	member := user(t, db, "org-member", "org_member", &org, "member@example.cn", true, "en")
	user(t, db, "org-new", "org_member", &org, "new@example.cn", false, "zh-CN") // unverified
	optedOut := user(t, db, "org-quiet", "org_member", &org, "quiet@example.cn", true, "zh-CN")
	prefs := notify.NewService(db, clock.System{})
	if err := prefs.SetPreferences(context.Background(), access.Actor{UserID: optedOut, Role: "org_member"},
		map[string]string{"contract_sign_requested": notify.ModeOff}); err != nil {
		t.Fatalf("SetPreferences() error = %v", err)
	}
	tell(t, db, func(tx *gorm.DB) error { return notify.Organizations(tx, signSubject(), org) })
	got := mails(t, db)
	if len(got) != 2 || got[0].UserID != admin || got[1].UserID != member {
		t.Fatalf("queued = %+v, want one mail each to the verified admin and member", got)
	}
	if got[0].Subject != "合同待签署：社区助老服务" || got[1].Subject != "A contract waits for your signature: elderly care" {
		t.Errorf("subjects = %q, %q, want each in the user's language", got[0].Subject, got[1].Subject)
	}
	if got[0].Link != "/notifications" || got[0].ToAddress != "admin@example.cn" {
		t.Errorf("mail = %+v, want the notifications link to the verified address", got[0])
	}
	// A kind the users get in the digest by default queues nothing now.
	tell(t, db, func(tx *gorm.DB) error {
		return notify.Users(tx, notify.Notice{Kind: "contract_signed", SubjectZh: "合同已签署", SubjectEn: "Contract signed", At: time.Now()}, admin, member)
	})
	if n := len(mails(t, db)); n != 2 {
		t.Errorf("after a digest kind, %d mails queued, want still 2", n)
	}
	// The admin asks for it immediately.
	if err := prefs.SetPreferences(context.Background(), access.Actor{UserID: admin, Role: "org_admin"},
		map[string]string{"contract_signed": notify.ModeImmediate}); err != nil {
		t.Fatal(err)
	}
	tell(t, db, func(tx *gorm.DB) error {
		return notify.Users(tx, notify.Notice{Kind: "contract_signed", SubjectZh: "合同已签署", SubjectEn: "Contract signed", At: time.Now()}, admin, member)
	})
	if got := mails(t, db); len(got) != 3 || got[1].UserID != admin || got[1].Subject != "合同已签署" {
		t.Errorf("queued = %+v, want a third mail, to the admin", got)
	}
}

func TestSetPreferencesRefusesWhatIsNotAKindOrMode(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	u := user(t, db, "resident-a", "resident", nil, "", false, "zh-CN")
	prefs := notify.NewService(db, clock.System{})
	by := access.Actor{UserID: u, Role: "resident"}
	for _, modes := range []map[string]string{
		{"contract_signed": "weekly"},
		{"no_such_kind": notify.ModeOff},
		{"contract_signed": notify.ModeOff, "tender_published": "sometimes"},
		{notify.KindReminder: notify.ModeDigest},
		{notify.KindDigest: notify.ModeImmediate},
	} {
		if err := prefs.SetPreferences(context.Background(), by, modes); err != notify.ErrMode {
			t.Errorf("SetPreferences(%v) error = %v, want ErrMode", modes, err)
		}
	}
	var n int64
	db.Raw(`SELECT count(*) FROM mail_preferences`).Scan(&n)
	if n != 0 {
		t.Errorf("%d preferences written, want none", n)
	}
	got, err := prefs.Preferences(context.Background(), by)
	if err != nil || len(got) != len(notify.Kinds())+2 {
		t.Fatalf("Preferences() = %d kinds, %v; want every kind", len(got), err)
	}
	for _, p := range got {
		if p.Chosen || p.Mode != notify.DefaultMode(p.Kind) {
			t.Errorf("preference %+v, want the default", p)
		}
	}
}

// TestImmediateMailArrives: the notice mail is sent through a real SMTP
// server (mailpit) by the mail service's sweep and send job, once, with the
// subject and an absolute link.
func TestImmediateMailArrives(t *testing.T) {
	t.Parallel()
	db := dbtest.New(t)
	mp := mailtest.Start(t)
	cfg := config.Default().Mail
	cfg.Host, cfg.Port, cfg.TLS, cfg.Timeout, cfg.MaxAttempts = "127.0.0.1", mp.SMTPPort, "none", 5*time.Second, 3
	ms := mail.NewService(db, clock.System{}, cfg, "https://jiedao.example.cn", slog.New(slog.NewTextHandler(io.Discard, nil)))
	org := organization(t, db)
	user(t, db, "org-admin", "org_admin", &org, "admin@example.cn", true, "en")
	tell(t, db, func(tx *gorm.DB) error { return notify.Organizations(tx, signSubject(), org) })
	deliverAll(t, ms)
	got := mp.To(t, "admin@example.cn")
	if len(got) != 1 {
		t.Fatalf("mails arrived = %d, want 1", len(got))
	}
	if got[0].Subject != "A contract waits for your signature: elderly care" || !strings.Contains(got[0].Text, "https://jiedao.example.cn/notifications") {
		t.Errorf("mail = %q %q, want the subject and the absolute link", got[0].Subject, got[0].Text)
	}
}

// deliverAll sends every queued mail as the jobs would, once each.
func deliverAll(t *testing.T, ms *mail.Service) {
	t.Helper()
	ids, err := ms.Queued(context.Background(), 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		if err := ms.Deliver(context.Background(), id); err != nil {
			t.Fatalf("Deliver(%d) error = %v", id, err)
		}
	}
}
