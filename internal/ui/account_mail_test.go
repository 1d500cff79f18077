package ui_test

import (
	"context"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jiedao-market/jiedao/internal/config"
	"github.com/jiedao-market/jiedao/internal/mail/mailtest"
	"github.com/jiedao-market/jiedao/internal/servertest"
)

// mailEnv is an application with e-mail on, sending to a mailpit of its own.
type mailEnv struct {
	*servertest.Env
	pit *mailtest.Server
}

func newMailEnv(t *testing.T, adjust func(*config.Mail)) *mailEnv {
	t.Helper()
	pit := mailtest.Start(t)
	cfg := servertest.Config(t)
	cfg.HTTP.PublicURL = "https://jiedao.example.cn"
	cfg.Mail.Host, cfg.Mail.Port, cfg.Mail.TLS, cfg.Mail.Timeout = "127.0.0.1", pit.SMTPPort, "none", 5*time.Second
	if adjust != nil {
		adjust(&cfg.Mail)
	}
	return &mailEnv{Env: servertest.NewEnvWith(t, cfg, servertest.AccountsOnly), pit: pit}
}

// deliver sends every queued mail, as the jobs would.
func (e *mailEnv) deliver(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	ids, err := e.Services.Mail.Queued(ctx, 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		if err := e.Services.Mail.Deliver(ctx, id); err != nil {
			t.Fatalf("Deliver(%d) error = %v", id, err)
		}
	}
}

// verified gives username the verified address addr, as if it had followed
// its link.
func (e *mailEnv) verified(t *testing.T, username, addr string) {
	t.Helper()
	if err := e.DB.Exec(`UPDATE users SET email = ?, email_verified_at = ? WHERE username = ?`, addr, e.Clock.Now(), username).Error; err != nil {
		t.Fatal(err)
	}
}

// forgot asks for a reset link for login, as anyone, and checks the answer
// is the one answer.
func (e *mailEnv) forgot(t *testing.T, login string) {
	t.Helper()
	p := servertest.NewPageClient(e.Env)
	token := servertest.CSRFToken(t, p.Get(t, "/password/forgot"))
	r := p.Post(t, "/password/forgot", url.Values{"csrf_token": {token}, "login": {login}})
	if r.Status != 200 || !strings.Contains(string(r.Body), `id="forgot-sent"`) {
		t.Fatalf("POST /password/forgot %q = %d, want 200 with the one answer; body %.300s", login, r.Status, r.Body)
	}
}

var linkIn = regexp.MustCompile(`https://jiedao\.example\.cn(/[a-z/]+\?token=[A-Za-z0-9_%-]+)`)

// link returns the path of the link in the newest mail to addr, which must
// have count mails.
func (e *mailEnv) link(t *testing.T, addr string, count int) string {
	t.Helper()
	got := e.pit.To(t, addr)
	if len(got) != count {
		t.Fatalf("mails to %s = %d, want %d", addr, len(got), count)
	}
	m := linkIn.FindStringSubmatch(got[0].Text)
	if m == nil {
		t.Fatalf("no absolute link in the mail to %s: %q", addr, got[0].Text)
	}
	return m[1]
}

func TestEmailVerificationThenPasswordRecovery(t *testing.T) {
	t.Parallel()
	e := newMailEnv(t, nil)
	const addr = "officer@example.cn"
	officer := servertest.SignIn(t, e.Env, "demo-officer")
	other := servertest.SignIn(t, e.Env, "demo-officer") // a second session, on another device
	page := officer.Get(t, "/settings")
	if !strings.Contains(string(page.Body), `id="mail-on"`) {
		t.Fatalf("GET /settings does not say e-mail is on: %.500s", page.Body)
	}
	r := officer.Post(t, "/settings", url.Values{"csrf_token": {servertest.CSRFToken(t, page)}, "email": {addr}})
	servertest.WantRedirect(t, "POST /settings", r, "/settings?done=email")
	e.deliver(t)
	verify := e.link(t, addr, 1)
	if got := e.pit.To(t, addr)[0].Subject; got != "请验证您的电子邮箱" {
		t.Errorf("subject = %q, want the Chinese one (the account's language)", got)
	}

	// Unverified, the address receives nothing, and the answer is the same.
	e.forgot(t, "demo-officer")
	e.forgot(t, addr)
	e.deliver(t)
	if got := e.pit.To(t, addr); len(got) != 1 {
		t.Fatalf("an unverified address received %d mails, want only its verification link", len(got))
	}

	anyone := servertest.NewPageClient(e.Env)
	if r := anyone.Get(t, verify); r.Status != 200 || !strings.Contains(string(r.Body), `id="verify-done"`) {
		t.Fatalf("GET %s = %d, want 200 verified; body %.300s", verify, r.Status, r.Body)
	}
	if r := anyone.Get(t, verify); r.Status != 400 {
		t.Errorf("the verification link again = %d, want 400 (single use)", r.Status)
	}
	if !strings.Contains(string(officer.Get(t, "/settings").Body), `id="email-state"`) {
		t.Error("the settings page does not show the address's state")
	}

	e.forgot(t, "DEMO-officer") // the username, any case
	e.deliver(t)
	reset := e.link(t, addr, 2)
	if got := e.pit.To(t, addr)[0]; got.Subject != "重置您的密码" || strings.Contains(got.Text, servertest.DemoPassword) {
		t.Errorf("reset mail = %q %q", got.Subject, got.Text)
	}
	form := anyone.Get(t, reset)
	if form.Status != 200 {
		t.Fatalf("GET %s = %d, want the form", reset, form.Status)
	}
	token, _ := url.ParseQuery(strings.SplitN(reset, "?", 2)[1])
	const newPassword = "a-brand-new-password"
	fields := url.Values{"csrf_token": {servertest.CSRFToken(t, form)}, "token": {token.Get("token")},
		"password": {newPassword}, "password_confirm": {newPassword}}
	servertest.WantRedirect(t, "POST /password/reset", anyone.Post(t, "/password/reset", fields), "/login?done=password_reset")

	// Every session of the account has ended.
	for _, p := range []*servertest.PageClient{officer, other} {
		servertest.WantRedirect(t, "GET /settings after the reset", p.Get(t, "/settings"), "/login")
	}
	if n := e.count(t, `SELECT count(*) FROM auth_sessions s JOIN users u ON u.id = s.user_id
		WHERE u.username = 'demo-officer' AND s.revoked_at IS NULL`); n != 0 {
		t.Errorf("%d sessions still open after the reset, want 0", n)
	}
	// The link works once.
	fields.Set("csrf_token", servertest.CSRFToken(t, anyone.Get(t, "/password/forgot")))
	if r := anyone.Post(t, "/password/reset", fields); r.Status != 400 {
		t.Errorf("the reset link again = %d, want 400", r.Status)
	}
	// The new password signs in.
	p := servertest.NewPageClient(e.Env)
	r = p.Post(t, "/login", url.Values{"csrf_token": {servertest.CSRFToken(t, p.Get(t, "/login"))},
		"username": {"demo-officer"}, "password": {newPassword}})
	servertest.WantRedirect(t, "POST /login with the new password", r, "/dashboard")
	for _, action := range []string{"user.email_set", "user.email_verify", "user.password_reset_request", "user.password_reset"} {
		if n := e.count(t, `SELECT count(*) FROM audit_entries WHERE action = ?`, action); n != 1 {
			t.Errorf("%d %s audit entries, want 1", n, action)
		}
	}
}

func (e *mailEnv) count(t *testing.T, query string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := e.DB.Raw(query, args...).Scan(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

func TestResetLinkExpires(t *testing.T) {
	t.Parallel()
	e := newMailEnv(t, nil)
	e.verified(t, "demo-finance", "finance@example.cn")
	e.forgot(t, "finance@example.cn")
	e.deliver(t)
	reset := e.link(t, "finance@example.cn", 1)
	e.Clock.Advance(e.Cfg.Mail.ResetTTL + time.Second)
	p := servertest.NewPageClient(e.Env)
	if r := p.Get(t, reset); r.Status != 400 || !strings.Contains(string(r.Body), `role="alert"`) {
		t.Errorf("GET an expired link = %d, want 400 with the alert", r.Status)
	}
	token, _ := url.ParseQuery(strings.SplitN(reset, "?", 2)[1])
	r := p.Post(t, "/password/reset", url.Values{"csrf_token": {servertest.CSRFToken(t, p.Get(t, "/password/forgot"))},
		"token": {token.Get("token")}, "password": {"an-expired-attempt"}, "password_confirm": {"an-expired-attempt"}})
	if r.Status != 400 {
		t.Errorf("POST an expired link = %d, want 400", r.Status)
	}
	if n := e.count(t, `SELECT count(*) FROM audit_entries WHERE action = 'user.password_reset'`); n != 0 {
		t.Errorf("an expired link reset the password (%d audit entries)", n)
	}
}

func TestResetThrottledPerAccountAndAddress(t *testing.T) {
	t.Parallel()
	e := newMailEnv(t, func(m *config.Mail) { m.ResetMaxPerAccount, m.ResetMaxPerAddress = 2, 3 })
	const shared = "office@example.cn"
	e.verified(t, "demo-officer", shared)
	e.verified(t, "demo-finance", shared)
	for range 3 {
		e.forgot(t, "demo-officer")
	}
	e.deliver(t)
	if got := len(e.pit.To(t, shared)); got != 2 {
		t.Fatalf("links after 3 requests for one account = %d, want 2 (per account)", got)
	}
	for range 2 {
		e.forgot(t, "demo-finance")
	}
	e.deliver(t)
	if got := len(e.pit.To(t, shared)); got != 3 {
		t.Fatalf("links to the shared address = %d, want 3 (per address)", got)
	}
	// Asking by the address reaches both accounts, but the address is spent.
	e.forgot(t, shared)
	e.deliver(t)
	if got := len(e.pit.To(t, shared)); got != 3 {
		t.Fatalf("links to the shared address = %d, want still 3", got)
	}
	e.Clock.Advance(e.Cfg.Mail.ResetWindow + time.Second)
	e.forgot(t, "demo-finance")
	e.deliver(t)
	if got := len(e.pit.To(t, shared)); got != 4 {
		t.Errorf("links after the window = %d, want 4", got)
	}
}

func TestMailOffWithoutHost(t *testing.T) {
	t.Parallel()
	e := servertest.NewEnv(t, servertest.AccountsOnly)
	p := servertest.SignIn(t, e, "demo-officer")
	page := p.Get(t, "/settings")
	if !strings.Contains(string(page.Body), `id="mail-off"`) {
		t.Fatalf("GET /settings does not say e-mail is off: %.500s", page.Body)
	}
	r := p.Post(t, "/settings", url.Values{"csrf_token": {servertest.CSRFToken(t, page)}, "email": {"officer@example.cn"}})
	servertest.WantRedirect(t, "POST /settings", r, "/settings?done=email")
	if n := servertest.Count(t, e, "mail_messages"); n != 0 {
		t.Errorf("%d mails queued with e-mail off, want 0", n)
	}
	anyone := servertest.NewPageClient(e)
	r = anyone.Post(t, "/password/forgot", url.Values{"csrf_token": {servertest.CSRFToken(t, anyone.Get(t, "/password/forgot"))},
		"login": {"demo-officer"}})
	if r.Status != 409 || !strings.Contains(string(r.Body), `id="mail-off"`) {
		t.Errorf("POST /password/forgot with e-mail off = %d, want 409 saying e-mail is off", r.Status)
	}
}

func TestSignupAndInvitationAskForTheAddress(t *testing.T) {
	t.Parallel()
	e := newMailEnv(t, nil)
	// A resident signs up with an address and follows its link.
	p := servertest.NewPageClient(e.Env)
	form := residentSignupForm(servertest.CSRFToken(t, p.Get(t, "/residents/signup")), "wang.ayi", e.Demo(t).CommA)
	form.Set("email", "wang.ayi@example.cn")
	servertest.WantRedirect(t, "POST /residents/signup", p.Post(t, "/residents/signup", form), "/services?done=registered")
	e.deliver(t)
	if r := p.Get(t, e.link(t, "wang.ayi@example.cn", 1)); r.Status != 200 {
		t.Errorf("the resident's verification link = %d, want 200", r.Status)
	}
	if n := e.count(t, `SELECT count(*) FROM users WHERE username = 'wang.ayi' AND email_verified_at IS NOT NULL`); n != 1 {
		t.Error("the resident's address is not verified")
	}

	// An organization signs up with its admin's address.
	org := servertest.NewPageClient(e.Env)
	form = signupForm(servertest.CSRFToken(t, org.Get(t, "/signup")), servertest.CreditCode(t, "51330502MJ0000012"), "湖州市测试邮件服务中心",
		"mail.admin", e.Demo(t).District)
	form.Set("admin.email", "admin@mail-org.example.cn")
	servertest.WantRedirect(t, "POST /signup", org.Post(t, "/signup", form), "/org?done=registered")

	// Its admin invites a member with an address.
	page := org.Get(t, "/org")
	r := org.Post(t, "/org/members", url.Values{"csrf_token": {servertest.CSRFToken(t, page)}, "username": {"mail.member"},
		"display_name": {"李明"}, "role": {"org_member"}, "password": {"a long enough password"}, "email": {"member@mail-org.example.cn"}})
	servertest.WantRedirect(t, "POST /org/members", r, "/org?done=invited#members")
	e.deliver(t)
	e.link(t, "admin@mail-org.example.cn", 1)
	e.link(t, "member@mail-org.example.cn", 1)

	// A bad address refuses the sign-up, and nothing is written.
	bad := servertest.NewPageClient(e.Env)
	form = residentSignupForm(servertest.CSRFToken(t, bad.Get(t, "/residents/signup")), "li.daye", e.Demo(t).CommA)
	form.Set("email", "not an address")
	e.WritesNothing(t, "a sign-up with a bad address", func() {
		r = bad.Post(t, "/residents/signup", form)
	})
	if r.Status != 400 || !strings.Contains(string(r.Body), `href="#resident-email"`) {
		t.Errorf("POST /residents/signup with a bad address = %d, want 400 naming the address; body %.300s", r.Status, r.Body)
	}
}
