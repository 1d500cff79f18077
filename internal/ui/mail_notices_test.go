package ui_test

import (
	"net/url"
	"strings"
	"testing"

	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/notify"
	"github.com/jiedao-market/jiedao/internal/servertest"
)

// The settings page offers every notification kind's e-mail mode in both
// languages; a user who turned a kind off receives no mail of it (checked in
// mailpit), while a kind left immediate arrives, once.
func TestNoticeChoicesOnTheSettingsPage(t *testing.T) {
	t.Parallel()
	e := newMailEnv(t, nil)
	const addr = "officer@example.cn"
	e.verified(t, "demo-officer", addr)
	officer := servertest.SignIn(t, e.Env, "demo-officer")
	page := officer.Get(t, "/settings")
	body := string(page.Body)
	for _, want := range []string{`id="notice-modes"`, "通知邮件", `<select id="mode-question_asked" name="mode_question_asked">`,
		`<option value="immediate" selected>立即发送</option>`, `<option value="digest" selected>每日摘要</option>`,
		`<select id="mode-deadline_reminder" name="mode_deadline_reminder"><option value="immediate" selected>立即发送</option><option value="off">不发送</option></select>`} {
		if !strings.Contains(body, want) {
			t.Errorf("GET /settings lacks %q", want)
		}
	}
	if strings.Contains(body, `id="notices-inactive"`) {
		t.Error("GET /settings says notices are inactive for a verified address with e-mail on")
	}
	r := officer.Post(t, "/settings/notices", url.Values{"csrf_token": {servertest.CSRFToken(t, page)},
		"mode_question_asked": {"off"}, "mode_contract_signed": {"immediate"}})
	servertest.WantRedirect(t, "POST /settings/notices", r, "/settings?done=notices#notices")
	if n := e.count(t, `SELECT count(*) FROM audit_entries WHERE action = 'mail.preferences'`); n != 1 {
		t.Errorf("%d mail.preferences audit entries, want 1", n)
	}
	officer.Get(t, "/lang/en?next=/settings")
	en := string(officer.Get(t, "/settings").Body)
	for _, want := range []string{"E-mail of notifications", `<option value="off" selected>Not mailed</option>`} {
		if !strings.Contains(en, want) {
			t.Errorf("GET /settings in English lacks %q", want)
		}
	}
	var id int64
	e.DB.Raw(`SELECT id FROM users WHERE username = 'demo-officer'`).Scan(&id)
	err := e.DB.Transaction(func(tx *gorm.DB) error {
		if err := notify.Users(tx, notify.Notice{Kind: "question_asked", SubjectZh: "新提问", SubjectEn: "A new question", At: e.Clock.Now()}, id); err != nil {
			return err
		}
		return notify.Users(tx, notify.Notice{Kind: "challenge_filed", SubjectZh: "有新的质疑", SubjectEn: "A challenge was filed", At: e.Clock.Now()}, id)
	})
	if err != nil {
		t.Fatal(err)
	}
	e.deliver(t)
	e.deliver(t)
	got := e.pit.To(t, addr)
	if len(got) != 1 || got[0].Subject != "有新的质疑" {
		t.Fatalf("mails to %s = %+v, want only the challenge's, once", addr, got)
	}
}
