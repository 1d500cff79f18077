package tender_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/config"
	"github.com/jiedao-market/jiedao/internal/mail"
	"github.com/jiedao-market/jiedao/internal/mail/mailtest"
	"github.com/jiedao-market/jiedao/internal/money"
	"github.com/jiedao-market/jiedao/internal/notify"
	"github.com/jiedao-market/jiedao/internal/remind"
	"github.com/jiedao-market/jiedao/internal/tender"
	"github.com/jiedao-market/jiedao/internal/work"
)

// TestMailsNeverCarryABidBeforeTheOpening: every user of the tender has a
// verified address and wants every kind of notification at once; a bid with
// a distinctive price and text is submitted, the tender amended (the bid
// then needs reconfirmation), and the reminders and digests run a day
// before the close. Many mails go out (checked), and none of them, subject
// or body, holds the bid's price or text.
func TestMailsNeverCarryABidBeforeTheOpening(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	pit := mailtest.Start(t)
	cfg := config.Default().Mail
	cfg.Host, cfg.Port, cfg.TLS, cfg.Timeout = "127.0.0.1", pit.SMTPPort, "none", 5*time.Second
	mails := mail.NewService(w.db, w.clock, cfg, "https://jiedao.example.cn", slog.New(slog.NewTextHandler(io.Discard, nil)))
	worklists := work.NewService(w.db, w.clock, map[access.Role][]work.Source{
		access.OrgAdmin: {w.svc.WorkOrg}, access.ProcurementOfficer: {w.svc.WorkOfficer}, access.Evaluator: {w.svc.WorkEvaluator}})
	reminders := remind.NewService(w.db, w.clock, cfg, "https://jiedao.example.cn", mails, worklists, slog.New(slog.NewTextHandler(io.Discard, nil)))
	prefs := notify.NewService(w.db, w.clock)
	all := map[string]string{}
	for _, k := range notify.Kinds() {
		all[k] = notify.ModeImmediate
	}
	people := append(append([]access.Actor{w.officer}, w.orgs...), w.evaluators...)
	for _, a := range people {
		if err := w.db.Exec(`UPDATE users SET email = ?, email_verified_at = ? WHERE id = ?`, a.Username+"@example.cn", w.clock.Now(), a.UserID).Error; err != nil {
			t.Fatal(err)
		}
		if err := prefs.SetPreferences(ctx, a, all); err != nil {
			t.Fatal(err)
		}
	}
	const price = money.Fen(43_219_876) // 432,198.76 yuan
	const text = "独特方案LEAKCANARY-7Q"
	v := w.published(w.input(5))
	if _, err := w.svc.SubmitBid(ctx, w.orgs[0], v.ID, w.body(price, text)); err != nil {
		t.Fatalf("SubmitBid() error = %v", err)
	}
	w.bid(w.orgs[1], v.ID, 45_000_000)
	desc := "补充：服务对象含失能老人"
	if _, err := w.svc.Amend(ctx, w.officer, v.ID, tender.AmendInput{Reason: "补充服务对象", Description: &desc}); err != nil {
		t.Fatalf("Amend() error = %v", err)
	}
	w.clock.Set(v.ClosesAt.Add(-23 * time.Hour))
	if err := reminders.Run(ctx); err != nil {
		t.Fatalf("Run() error = %v", err)
	}
	ids, err := mails.Queued(ctx, 1000)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		if err := mails.Deliver(ctx, id); err != nil {
			t.Fatalf("Deliver(%d) error = %v", id, err)
		}
	}
	list := pit.Messages(t)
	if len(list) < len(people) {
		t.Fatalf("%d mails arrived, want at least one per user (%d)", len(list), len(people))
	}
	reminded := false
	for _, m := range list {
		full := pit.Message(t, m.ID)
		for _, secret := range []string{text, "LEAKCANARY", "432198.76", "432,198.76", "43219876", "43,219,876", "432198"} {
			if strings.Contains(full.Subject, secret) || strings.Contains(full.Text, secret) {
				t.Errorf("mail %q to %v carries %q before the opening: %q", full.Subject, full.To, secret, full.Text)
			}
		}
		if strings.HasPrefix(full.Subject, "提醒") && len(full.To) == 1 && full.To[0].Address == w.orgs[0].Username+"@example.cn" {
			reminded = true
		}
	}
	if !reminded {
		t.Error("the bidder got no reminder to reconfirm its bid")
	}
}
