package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jiedao-market/jiedao/internal/mail/mailtest"
	"github.com/jiedao-market/jiedao/internal/platform/db/dbtest"
)

// TestServeSendsQueuedMail: a mail committed to the outbox without its job
// (a crash after the commit) is found by serve's sweep at start and sent
// through the configured SMTP server, once.
func TestServeSendsQueuedMail(t *testing.T) {
	t.Parallel()
	gdb, dbURL := dbtest.NewWithURL(t)
	pit := mailtest.Start(t)
	if err := gdb.Exec(`WITH u AS (INSERT INTO users (username, password_hash, role, email, email_verified_at)
		VALUES ('mail.resident', 'x', 'resident', 'resident@example.cn', now()) RETURNING id)
		INSERT INTO mail_messages (user_id, kind, to_address, subject, body, link, created_at, updated_at)
		SELECT id, 'test.notice', 'resident@example.cn', '您的服务请求已受理', '请查看详情。', '/requests', now(), now() FROM u`).Error; err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(t.TempDir(), "jiedao.yaml")
	yaml := fmt.Sprintf("http:\n  public_url: https://jiedao.example.cn\nmail:\n  port: %d\n  tls: none\n", pit.SMTPPort)
	if err := os.WriteFile(cfgPath, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	env := serveEnv(t, dbURL, cfgPath)
	env["JIEDAO_MAIL_HOST"] = "127.0.0.1"
	stderr, stop := startServe(t, env, "--workers=true")
	if !strings.Contains(stderr.String(), `"mail":true`) {
		t.Errorf("serve log = %s, want e-mail on", stderr.String())
	}
	poll := time.NewTicker(20 * time.Millisecond)
	defer poll.Stop()
	deadline := time.After(30 * time.Second)
	for len(pit.Messages(t)) == 0 {
		select {
		case <-poll.C:
		case <-deadline:
			t.Fatalf("no mail arrived within 30 s; serve log: %s", stderr.String())
		}
	}
	got := pit.To(t, "resident@example.cn")
	if len(got) != 1 || got[0].Subject != "您的服务请求已受理" || !strings.Contains(got[0].Text, "https://jiedao.example.cn/requests") {
		t.Errorf("mails = %+v, want the one queued, with its absolute link", got)
	}
	stop()
	var status string
	if err := gdb.Raw(`SELECT status FROM mail_messages`).Scan(&status).Error; err != nil || status != "sent" {
		t.Errorf("the mail's status = %q, %v; want sent", status, err)
	}
}
