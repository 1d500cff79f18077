// Package config loads the typed configuration: defaults, then the YAML file
// (configs/jiedao.yaml or $JIEDAO_CONFIG), then JIEDAO_* environment variables.
// Secrets (signing keys, the CSRF secret, the bid-sealing key) come only from
// the environment.
package config

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Config is every setting of the jiedao binary.
type Config struct {
	HTTP     HTTP     `yaml:"http"`
	Database Database `yaml:"database"`
	Auth     Auth     `yaml:"auth"`
	Uploads  Uploads  `yaml:"uploads"`
	Stripe   Stripe   `yaml:"stripe"`
	Tender   Tender   `yaml:"tender"`
	Contract Contract `yaml:"contract"`
	Rating   Rating   `yaml:"rating"`
	// ServiceRequest configures residents' service requests.
	ServiceRequest ServiceRequest `yaml:"service_request"`
	Complaint      Complaint      `yaml:"complaint"`
	RedFlags       RedFlags       `yaml:"redflags"`
	Audit          Audit          `yaml:"audit"`
	Log            Log            `yaml:"log"`
	// OCDS configures the open-data export (Open Contracting Data Standard).
	OCDS OCDS `yaml:"ocds"`
	// Mail configures outgoing e-mail (SMTP); without a host it is off.
	Mail Mail `yaml:"mail"`
}

// Mail configures outgoing e-mail through an SMTP server and the one-time
// links mailed for address verification and password recovery. Without a
// Host e-mail is off: nothing is queued, and the settings page says so.
type Mail struct {
	// Host is the SMTP server; empty turns e-mail off. Env: JIEDAO_MAIL_HOST.
	Host string `yaml:"host"`
	// Port of the SMTP server (587 for starttls, 465 for tls, 25 or 1025 for none).
	Port int `yaml:"port"`
	// TLS is none, starttls (required, never downgraded) or tls (implicit TLS).
	TLS string `yaml:"tls"`
	// From and FromName are the sender of every mail.
	From     string `yaml:"from"`
	FromName string `yaml:"from_name"`
	// Username logs in to the server (PLAIN or LOGIN); empty sends without
	// logging in. The password comes from the environment only:
	// JIEDAO_MAIL_PASSWORD.
	Username string `yaml:"username"`
	Password string `yaml:"-"`
	// Timeout bounds one connection to the server, sending included.
	Timeout time.Duration `yaml:"timeout"`
	// MaxAttempts is how many times a mail is tried (with River's growing
	// backoff between tries) before it is marked failed. 1 to 50.
	MaxAttempts int `yaml:"max_attempts"`
	// SweepInterval is how often queued mails lacking a job are enqueued.
	SweepInterval time.Duration `yaml:"sweep_interval"`
	// VerifyTTL is how long an address-verification link works.
	VerifyTTL time.Duration `yaml:"verify_ttl"`
	// ResetTTL is how long a password-reset link works.
	ResetTTL time.Duration `yaml:"reset_ttl"`
	// At most ResetMaxPerAccount reset links go to one account, and at most
	// ResetMaxPerAddress to one address, within ResetWindow; further requests
	// send nothing (and the page answers the same).
	ResetWindow        time.Duration `yaml:"reset_window"`
	ResetMaxPerAccount int           `yaml:"reset_max_per_account"`
	ResetMaxPerAddress int           `yaml:"reset_max_per_address"`
	// DigestHour is the hour of the day, China time (0 to 23), from which
	// each user's daily digest is sent (default 7).
	DigestHour int `yaml:"digest_hour"`
	// RemindInterval is how often a replica that works jobs looks for digests
	// and deadline reminders due: 1m to 1h (default 5m).
	RemindInterval time.Duration `yaml:"remind_interval"`
	// RemindBefore is how long before a deadline its reminder is sent: 1h to
	// 72h (default 24h).
	RemindBefore time.Duration `yaml:"remind_before"`
}

// Enabled reports whether e-mail is on: an SMTP host is configured.
func (m Mail) Enabled() bool { return m.Host != "" }

// OCDS configures the Open Contracting Data Standard export: the ocid prefix
// and the publisher metadata of every package.
type OCDS struct {
	// Prefix is the 6-character ocid prefix the OCDS registry assigns to the
	// publisher ([a-z0-9]{6}); every ocid is "ocds-" + Prefix + "-" + the
	// tender id.
	Prefix string `yaml:"prefix"`
	// PublisherName, PublisherScheme, PublisherUID and PublisherURI name the
	// publisher of the packages (scheme CN-USCC: the unified social credit
	// code of the operating office).
	PublisherName   string `yaml:"publisher_name"`
	PublisherScheme string `yaml:"publisher_scheme"`
	PublisherUID    string `yaml:"publisher_uid"`
	PublisherURI    string `yaml:"publisher_uri"`
	// License is the URL of the data's licence.
	License string `yaml:"license"`
	// PublicationPolicy is the URL of the publication policy.
	PublicationPolicy string `yaml:"publication_policy"`
}

// Audit configures the daily publication of the audit chain's head and the
// sequencer that integrates new entries into the chain.
type Audit struct {
	// HeadPublishHour is the hour (0 to 23, China time) at which a job
	// publishes the day's head; at start a missing head of a day past its
	// hour is published at once. Default 1.
	HeadPublishHour int `yaml:"head_publish_hour"`
	// SequenceInterval is how often every `jiedao serve` integrates the
	// pending audit entries into the chain (one replica at a time). Default 200ms.
	SequenceInterval time.Duration `yaml:"sequence_interval"`
	// SequenceBatch is the most entries one integration takes; a full batch
	// is followed by the next at once. Default 1000.
	SequenceBatch int `yaml:"sequence_batch"`
}

// RedFlags configures the red flags computed nightly from the current data
// (issue 14, item 5) and their thresholds.
type RedFlags struct {
	// Hour is the hour of the day, China time (UTC+8), at which the nightly
	// run starts: 0 to 23 (default 2).
	Hour int `yaml:"hour"`
	// CheckInterval is how often a replica that works jobs checks that the
	// last run is less than a day old, and runs one now when it is not (a
	// night missed while no replica worked): 1m to 24h (default 1h).
	CheckInterval time.Duration `yaml:"check_interval"`
	// RepeatWinnerPercent: a provider winning more than this share, in
	// percent, of a subdistrict's awarded value over the last 12 months is a
	// repeat winner. 1 to 100 (default 50).
	RepeatWinnerPercent int `yaml:"repeat_winner_percent"`
	// RepeatWinnerMinAwards: ... with at least this many awards in the
	// subdistrict over those 12 months. 1 to 100 (default 3).
	RepeatWinnerMinAwards int `yaml:"repeat_winner_min_awards"`
	// ContractAmendmentPercent: a contract whose amendments raise its amount
	// more than this, in percent of the signed amount, is flagged. 0 to 100
	// (default 10, the cap of art. 49 of the Government Procurement Law).
	ContractAmendmentPercent int `yaml:"contract_amendment_percent"`
}

// ServiceRequest configures residents' service requests (菜单式服务).
type ServiceRequest struct {
	// OverdueHours is how long a request may wait for the organization's
	// acceptance: a request still unanswered past it is unmet demand in the
	// demand report. 1 to 720 (default 72).
	OverdueHours int `yaml:"overdue_hours"`
}

// Contract configures the contract lifecycle.
type Contract struct {
	// SignDays is the signing period from the final award, in days: past it
	// the officer may drop the draft and award the next-ranked bid (art. 46
	// of the Government Procurement Law: 30).
	SignDays int `yaml:"sign_days"`
	// AmendmentCapPercent caps the cumulative rise of a contract's amount by
	// amendments, in percent of the signed amount (art. 49: 10).
	AmendmentCapPercent int `yaml:"amendment_cap_percent"`
}

// Complaint configures the time limits of residents' complaints.
type Complaint struct {
	// FirstResponse is the time from a complaint's receipt to the officer's
	// triage (assigning it, or deciding it); past it the complaint is flagged
	// overdue.
	FirstResponse time.Duration `yaml:"first_response"`
	// Decision is the time from a complaint's receipt to its decision; past
	// it the complaint is flagged overdue.
	Decision time.Duration `yaml:"decision"`
}

// Rating configures the rating codes service records issue.
type Rating struct {
	// CodeKey is the secret rating codes are derived from and stored under
	// (a keyed hash, HMAC-SHA256), 32 bytes; from the environment only:
	// JIEDAO_RATING_KEY, base64 (standard encoding) of 32 random bytes.
	// Changing it makes every code already issued unknown and unprintable.
	CodeKey []byte `yaml:"-"`
	// PublicMinimum is the number of ratings a provider, contract or
	// community needs before the public sees its averages; below it the
	// public sees how many more are needed. 1 to 100.
	PublicMinimum int `yaml:"public_minimum"`
	// PriorWeight is m of the Bayesian average: the number of
	// platform-average ratings every public score starts with. 0 to 1000.
	PriorWeight int `yaml:"prior_weight"`
	// WrongCodesPerMinute is how many wrong rating codes one client address
	// may submit within a minute; past it the address is answered 429 until
	// the oldest wrong code leaves the minute. 1 to 1000.
	WrongCodesPerMinute int `yaml:"wrong_codes_per_minute"`
	// GapStars flags a contract to its officers when the mean overall of
	// self-service (code) ratings exceeds that of follow-up ratings by at
	// least this many stars, with at least PublicMinimum ratings of each
	// kind. 0.1 to 4.
	GapStars float64 `yaml:"gap_stars"`
}

// RequireCodeKey returns an error when no rating-code key is configured.
func (r Rating) RequireCodeKey() error {
	if len(r.CodeKey) == 0 {
		return errors.New("JIEDAO_RATING_KEY is not set: service records cannot issue rating codes. Set it to base64 of 32 random bytes (make run writes a development key to .data/jiedao.env)")
	}
	return nil
}

// Tender configures tendering.
type Tender struct {
	// SealKey is the master key bids are sealed under (32 bytes); from the
	// environment only: JIEDAO_SEAL_KEY, base64 (standard encoding) of 32
	// random bytes. Losing or changing it makes every sealed bid unreadable.
	SealKey []byte `yaml:"-"`
	// AmendmentMinDays: an amendment made when fewer than this many days remain
	// before the close extends the close (and the opening, by the same amount)
	// to this many days after the amendment.
	AmendmentMinDays int `yaml:"amendment_min_days"`
	// MinBiddingDays is the shortest bidding window (publication to close), in
	// days, of each purchase method (open_tender, invited_tender,
	// single_source, venture_philanthropy); a shorter window needs a written
	// justification and is flagged on the public record.
	MinBiddingDays map[string]int `yaml:"min_bidding_days"`
	// ChallengeDays is the default challenge period (公示期) after an award
	// proposal, in days.
	ChallengeDays int `yaml:"challenge_days"`
	// SweepInterval is how often a replica that works jobs looks for tenders
	// whose time-driven step (close, opening, end of challenge period) is due
	// but lacks a job.
	SweepInterval time.Duration `yaml:"sweep_interval"`
}

// DefaultMinBiddingDays returns the default minimum bidding window of each
// purchase method, in days: 20 for open and invited tenders (Government
// Procurement Law art. 35), 7 for single source (a public notice of at least
// 5 working days; see the Law's Implementing Regulations), 10 for venture
// philanthropy calls.
func DefaultMinBiddingDays() map[string]int {
	return map[string]int{"open_tender": 20, "invited_tender": 20, "single_source": 7, "venture_philanthropy": 10}
}

// RequireSealKey returns an error when no bid-sealing key is configured.
func (t Tender) RequireSealKey() error {
	if len(t.SealKey) == 0 {
		return errors.New("JIEDAO_SEAL_KEY is not set: bids cannot be sealed. Set it to base64 of 32 random bytes (make run writes a development key to .data/jiedao.env)")
	}
	return nil
}

// Stripe configures payouts through Stripe Connect and donations through
// Checkout. Without a secret key the platform uses the manual payout provider
// and hides the Stripe pages.
type Stripe struct {
	// APIURL overrides Stripe's address (stripe-mock in development).
	APIURL string `yaml:"api_url"`
	// SecretKey and WebhookSecret come from the environment only.
	SecretKey     string `yaml:"-"`
	WebhookSecret string `yaml:"-"`
}

// Enabled reports whether Stripe is configured.
func (s Stripe) Enabled() bool { return s.SecretKey != "" }

// Uploads configures stored evidence documents.
type Uploads struct {
	// Dir holds the uploaded files under generated names; never under the web
	// root. Several replicas must share it.
	Dir string `yaml:"dir"`
	// MaxBytes is the largest file accepted; larger answers 413.
	MaxBytes int `yaml:"max_bytes"`
}

// HTTP configures the web server.
type HTTP struct {
	Addr string `yaml:"addr"`
	// MetricsAddr is where /metrics (Prometheus) is served, apart from the
	// public address; "" (JIEDAO_METRICS_ADDR=off) serves no metrics.
	MetricsAddr string `yaml:"metrics_addr"`
	PublicURL   string `yaml:"public_url"`
	// SecureCookies marks the site's cookies Secure (and names them
	// __Host-…) when true; unset (nil), it follows PublicURL: https → secure.
	SecureCookies *bool `yaml:"secure_cookies"`
	// BodyLimit is the largest request body the server reads at all; a
	// larger declared length answers 413 before the body is read.
	BodyLimit     int `yaml:"body_limit_bytes"`
	JSONBodyLimit int `yaml:"json_body_limit_bytes"`
	// ReadTimeout is how long a client may take to send one whole request,
	// headers and body. A slower one is cut off (408, connection closed)
	// before any handler runs.
	ReadTimeout time.Duration `yaml:"read_timeout"`
	// ReadBufferBytes is each connection's read buffer, which also bounds
	// the request line and headers together (larger are refused).
	ReadBufferBytes int `yaml:"read_buffer_bytes"`
	// RequestTimeout bounds one request's work and writing its answer.
	RequestTimeout time.Duration `yaml:"request_timeout"`
	// TrustedProxies are the addresses (or CIDR ranges) of reverse proxies whose
	// X-Forwarded-For header names the client; empty trusts none.
	TrustedProxies []string      `yaml:"trusted_proxies"`
	ShutdownGrace  time.Duration `yaml:"shutdown_grace"`
	// AnonymousWritesPerMinute limits, per client address across replicas, the
	// writes anyone may make without signing in (sign-ups, donations).
	AnonymousWritesPerMinute int `yaml:"anonymous_writes_per_minute"`
	// AnonymousLookupsPerMinute limits, per client address across replicas, the
	// lookups anyone may make without signing in by a secret-ish key (a
	// complaint's reference), so that keys cannot be tried in bulk.
	AnonymousLookupsPerMinute int `yaml:"anonymous_lookups_per_minute"`
	// PublicMaxAge is how long browsers and shared caches may keep an
	// anonymous public page or public API list (Cache-Control: public,
	// max-age); 0 sends max-age=0, so every use is revalidated (ETag, 304).
	PublicMaxAge time.Duration `yaml:"public_max_age"`
	// PublicCache is how long the server keeps a shareable answer to an
	// anonymous, cookie-less request and serves it again without running
	// the handler; 0 keeps nothing. A write through the same process
	// empties it at once.
	PublicCache time.Duration `yaml:"public_cache"`
	// Pprof serves Go's profiler under /debug/pprof/ on the metrics address
	// (never the public one); off by default.
	Pprof bool `yaml:"pprof"`
}

// Database configures the PostgreSQL pool.
type Database struct {
	URL          string `yaml:"url"`
	MaxOpenConns int    `yaml:"max_open_conns"`
	MaxIdleConns int    `yaml:"max_idle_conns"`
	// ReplicaURL is a streaming read replica of URL that the named public
	// reads of anonymous requests (replica.Public) go to; every other query
	// stays on URL. Empty: none, everything goes to URL. The replica gets a
	// pool of the same size.
	ReplicaURL string `yaml:"replica_url"`
}

// Auth configures tokens, sessions, password hashing and login throttling.
type Auth struct {
	Issuer        string        `yaml:"issuer"`
	Audience      string        `yaml:"audience"`
	AccessTTL     time.Duration `yaml:"access_ttl"`
	RefreshTTL    time.Duration `yaml:"refresh_ttl"`
	SessionMaxAge time.Duration `yaml:"session_max_age"`
	// RefreshReuseGrace is how long after a refresh token is spent a second use
	// is taken for a race between two tabs (refused, session kept) rather than
	// theft (session revoked). 0 makes every reuse revoke.
	RefreshReuseGrace time.Duration `yaml:"refresh_reuse_grace"`
	Throttle          Throttle      `yaml:"login_throttle"`
	Argon2            Argon2        `yaml:"argon2"`
	// Keys sign access tokens; the first signs, all verify. From JIEDAO_AUTH_KEYS only.
	Keys []SigningKey `yaml:"-"`
	// CSRFSecret keys the web forms' CSRF tokens. From JIEDAO_CSRF_SECRET only.
	CSRFSecret []byte `yaml:"-"`
}

// Throttle limits failed logins within a sliding window.
type Throttle struct {
	Window time.Duration `yaml:"window"`
	// MaxPerAccountAddress failures of one account from one client address
	// within the window lock that address out of that account (429): a rival
	// elsewhere cannot lock the owner out.
	MaxPerAccountAddress int `yaml:"max_per_account_address"`
	// MaxPerIP failures from one client address, whatever the accounts, lock
	// the address out of every login (429).
	MaxPerIP int `yaml:"max_per_ip"`
	// Past SlowAfter failures of one account within the window, from any
	// address, each attempt on it waits SlowBase, doubled per further failure,
	// at most SlowMax, after the last failure: slowed, never refused.
	SlowAfter int           `yaml:"slow_after"`
	SlowBase  time.Duration `yaml:"slow_base"`
	SlowMax   time.Duration `yaml:"slow_max"`
}

// Argon2 holds the argon2id parameters for new password hashes.
type Argon2 struct {
	MemoryKiB   uint32 `yaml:"memory_kib"`
	Iterations  uint32 `yaml:"iterations"`
	Parallelism uint8  `yaml:"parallelism"`
}

// SigningKey is one Ed25519 key of the token key set, named by its kid.
type SigningKey struct {
	ID   string
	Seed []byte // 32 bytes
}

// Log configures the JSON logger.
type Log struct {
	Level string `yaml:"level"`
}

// Default returns the built-in defaults, the same values configs/jiedao.yaml documents.
func Default() Config {
	return Config{
		HTTP: HTTP{
			Addr:            "127.0.0.1:8080",
			MetricsAddr:     "127.0.0.1:9464",
			PublicURL:       "http://127.0.0.1:8080",
			BodyLimit:       10 << 20,
			JSONBodyLimit:   256 << 10,
			ReadTimeout:     30 * time.Second,
			ReadBufferBytes: 8 << 10,
			RequestTimeout:  30 * time.Second,
			ShutdownGrace:   10 * time.Second,

			AnonymousWritesPerMinute:  20,
			AnonymousLookupsPerMinute: 60,
			PublicMaxAge:              60 * time.Second,
			PublicCache:               2 * time.Second,
		},
		Database: Database{MaxOpenConns: 20, MaxIdleConns: 5},
		Auth: Auth{
			Issuer:            "jiedao",
			Audience:          "jiedao-api",
			AccessTTL:         15 * time.Minute,
			RefreshTTL:        7 * 24 * time.Hour,
			SessionMaxAge:     30 * 24 * time.Hour,
			RefreshReuseGrace: 10 * time.Second,
			Throttle: Throttle{Window: 15 * time.Minute, MaxPerAccountAddress: 5, MaxPerIP: 50,
				SlowAfter: 5, SlowBase: time.Second, SlowMax: 10 * time.Second},
			Argon2: Argon2{MemoryKiB: 19456, Iterations: 2, Parallelism: 1},
		},
		Uploads:        Uploads{Dir: ".data/uploads", MaxBytes: 5 << 20},
		Tender:         Tender{AmendmentMinDays: 3, MinBiddingDays: DefaultMinBiddingDays(), ChallengeDays: 5, SweepInterval: time.Minute},
		Contract:       Contract{SignDays: 30, AmendmentCapPercent: 10},
		ServiceRequest: ServiceRequest{OverdueHours: 72},
		Rating:         Rating{PublicMinimum: 5, PriorWeight: 10, WrongCodesPerMinute: 10, GapStars: 1.0},
		Complaint:      Complaint{FirstResponse: 24 * time.Hour, Decision: 7 * 24 * time.Hour},
		RedFlags:       RedFlags{Hour: 2, CheckInterval: time.Hour, RepeatWinnerPercent: 50, RepeatWinnerMinAwards: 3, ContractAmendmentPercent: 10},
		Audit:          Audit{HeadPublishHour: 1, SequenceInterval: 200 * time.Millisecond, SequenceBatch: 1000},
		Log:            Log{Level: "info"},
		OCDS: OCDS{Prefix: "jiedao", PublisherName: "JieDao community services marketplace", PublisherScheme: "CN-USCC",
			License: "https://creativecommons.org/licenses/by/4.0/", PublicationPolicy: "https://jiedao.example.cn/open-data/policy"},
		Mail: Mail{Port: 587, TLS: "starttls", From: "noreply@jiedao.example.cn", FromName: "JieDao 街道服务", Timeout: 30 * time.Second,
			MaxAttempts: 10, SweepInterval: time.Minute, VerifyTTL: 24 * time.Hour, ResetTTL: 30 * time.Minute,
			ResetWindow: time.Hour, ResetMaxPerAccount: 3, ResetMaxPerAddress: 5,
			DigestHour: 7, RemindInterval: 5 * time.Minute, RemindBefore: 24 * time.Hour},
	}
}

// Secure reports whether the site's cookies are Secure: SecureCookies when it
// is set, else whether PublicURL is https.
func (h HTTP) Secure() bool {
	if h.SecureCookies != nil {
		return *h.SecureCookies
	}
	return strings.HasPrefix(strings.ToLower(h.PublicURL), "https://")
}

// validOCIDPrefix reports whether p is an ocid prefix: 6 lower-case letters
// or digits (migration 00019 checks the ocids too).
func validOCIDPrefix(p string) bool {
	if len(p) != 6 {
		return false
	}
	for _, r := range p {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') {
			return false
		}
	}
	return true
}

// DefaultPath is the configuration file read when JIEDAO_CONFIG is unset.
const DefaultPath = "configs/jiedao.yaml"

// Load reads the configuration. A missing file at the default path is not an
// error (the defaults apply); a missing file named by JIEDAO_CONFIG is.
func Load(getenv func(string) string) (Config, error) {
	cfg := Default()
	path, explicit := getenv("JIEDAO_CONFIG"), true
	if path == "" {
		path, explicit = DefaultPath, false
	}
	raw, err := os.ReadFile(path) // #nosec G304 -- the operator names the file (JIEDAO_CONFIG)
	switch {
	case err == nil:
		dec := yaml.NewDecoder(bytes.NewReader(raw))
		dec.KnownFields(true)
		// An empty file decodes as io.EOF: it sets nothing.
		if err := dec.Decode(&cfg); err != nil && !errors.Is(err, io.EOF) {
			return Config{}, fmt.Errorf("config %s: %w", path, err)
		}
	case errors.Is(err, fs.ErrNotExist) && !explicit:
	default:
		return Config{}, fmt.Errorf("config: %w", err)
	}
	if err := applyEnv(&cfg, getenv); err != nil {
		return Config{}, err
	}
	return cfg, cfg.validate()
}

func applyEnv(cfg *Config, getenv func(string) string) error {
	str := func(key string, dst *string) {
		if v := getenv(key); v != "" {
			*dst = v
		}
	}
	str("JIEDAO_HTTP_ADDR", &cfg.HTTP.Addr)
	switch v := getenv("JIEDAO_METRICS_ADDR"); v {
	case "":
	case "off":
		cfg.HTTP.MetricsAddr = ""
	default:
		cfg.HTTP.MetricsAddr = v
	}
	str("JIEDAO_PUBLIC_URL", &cfg.HTTP.PublicURL)
	str("JIEDAO_DATABASE_URL", &cfg.Database.URL)
	str("JIEDAO_DATABASE_REPLICA_URL", &cfg.Database.ReplicaURL)
	str("JIEDAO_LOG_LEVEL", &cfg.Log.Level)
	str("JIEDAO_UPLOADS_DIR", &cfg.Uploads.Dir)
	str("JIEDAO_STRIPE_SECRET_KEY", &cfg.Stripe.SecretKey)
	str("JIEDAO_STRIPE_WEBHOOK_SECRET", &cfg.Stripe.WebhookSecret)
	str("JIEDAO_STRIPE_API_URL", &cfg.Stripe.APIURL)
	str("JIEDAO_MAIL_HOST", &cfg.Mail.Host)
	str("JIEDAO_MAIL_PASSWORD", &cfg.Mail.Password)
	if v := getenv("JIEDAO_PPROF"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("config: JIEDAO_PPROF: %w", err)
		}
		cfg.HTTP.Pprof = b
	}
	if v := getenv("JIEDAO_SECURE_COOKIES"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("config: JIEDAO_SECURE_COOKIES: %w", err)
		}
		cfg.HTTP.SecureCookies = &b
	}
	if v := getenv("JIEDAO_AUTH_KEYS"); v != "" {
		keys, err := ParseKeys(v)
		if err != nil {
			return fmt.Errorf("config: JIEDAO_AUTH_KEYS: %w", err)
		}
		cfg.Auth.Keys = keys
	}
	if v := getenv("JIEDAO_CSRF_SECRET"); v != "" {
		secret, err := base64.StdEncoding.DecodeString(v)
		if err != nil || len(secret) < 32 {
			return errors.New("config: JIEDAO_CSRF_SECRET must be base64 of at least 32 bytes")
		}
		cfg.Auth.CSRFSecret = secret
	}
	if v := getenv("JIEDAO_SEAL_KEY"); v != "" {
		key, err := base64.StdEncoding.DecodeString(v)
		if err != nil || len(key) != 32 {
			// The message never carries the value.
			return errors.New("config: JIEDAO_SEAL_KEY must be base64 of 32 bytes")
		}
		cfg.Tender.SealKey = key
	}
	if v := getenv("JIEDAO_RATING_KEY"); v != "" {
		key, err := base64.StdEncoding.DecodeString(v)
		if err != nil || len(key) != 32 {
			return errors.New("config: JIEDAO_RATING_KEY must be base64 of 32 bytes")
		}
		cfg.Rating.CodeKey = key
	}
	return nil
}

// ParseKeys parses "kid:base64seed,kid2:base64seed"; each seed is 32 bytes.
func ParseKeys(s string) ([]SigningKey, error) {
	var keys []SigningKey
	seen := map[string]bool{}
	for _, part := range strings.Split(s, ",") {
		id, enc, ok := strings.Cut(strings.TrimSpace(part), ":")
		if !ok || id == "" {
			return nil, errors.New(`each key is "kid:base64seed"`)
		}
		if seen[id] {
			return nil, fmt.Errorf("key id %q appears twice", id)
		}
		seen[id] = true
		seed, err := base64.StdEncoding.DecodeString(enc)
		if err != nil || len(seed) != 32 {
			return nil, fmt.Errorf("key %q: the seed must be base64 of 32 bytes", id)
		}
		keys = append(keys, SigningKey{ID: id, Seed: seed})
	}
	return keys, nil
}

func (c Config) validate() error {
	var problems []string
	if c.HTTP.Addr == "" {
		problems = append(problems, "http.addr is empty")
	}
	if c.Auth.AccessTTL <= 0 || c.Auth.AccessTTL > 15*time.Minute {
		problems = append(problems, "auth.access_ttl must be between 1s and 15m")
	}
	if c.Auth.RefreshTTL <= 0 || c.Auth.SessionMaxAge < c.Auth.RefreshTTL {
		problems = append(problems, "auth.refresh_ttl must be positive and at most auth.session_max_age")
	}
	if c.Auth.RefreshReuseGrace < 0 || c.Auth.RefreshReuseGrace > time.Minute {
		problems = append(problems, "auth.refresh_reuse_grace must be between 0 and 1m")
	}
	if th := c.Auth.Throttle; th.Window <= 0 || th.MaxPerAccountAddress < 1 || th.MaxPerIP < 1 || th.SlowAfter < 1 ||
		th.SlowBase <= 0 || th.SlowMax < th.SlowBase || th.SlowMax > time.Minute {
		problems = append(problems, "auth.login_throttle needs a positive window and limits, and 0 < slow_base <= slow_max <= 1m")
	}
	if c.Auth.Argon2.MemoryKiB < 8*1024 || c.Auth.Argon2.Iterations < 1 || c.Auth.Argon2.Parallelism < 1 {
		problems = append(problems, "auth.argon2 needs memory_kib >= 8192, iterations >= 1, parallelism >= 1")
	}
	if c.HTTP.AnonymousWritesPerMinute < 1 {
		problems = append(problems, "http.anonymous_writes_per_minute must be at least 1")
	}
	if c.HTTP.AnonymousLookupsPerMinute < 1 {
		problems = append(problems, "http.anonymous_lookups_per_minute must be at least 1")
	}
	if c.HTTP.PublicMaxAge < 0 || c.HTTP.PublicMaxAge > time.Hour {
		problems = append(problems, "http.public_max_age must be between 0 and 1h")
	}
	if c.HTTP.PublicCache < 0 || c.HTTP.PublicCache > time.Minute {
		problems = append(problems, "http.public_cache must be between 0 and 1m")
	}
	if c.HTTP.Pprof && c.HTTP.MetricsAddr == "" {
		problems = append(problems, "http.pprof needs http.metrics_addr: the profiler is served there only")
	}
	if c.Uploads.Dir == "" || c.Uploads.MaxBytes <= 0 || c.Uploads.MaxBytes >= c.HTTP.BodyLimit {
		problems = append(problems, "uploads needs a dir and a max_bytes below http.body_limit_bytes")
	}
	if c.Stripe.SecretKey != "" && c.Stripe.WebhookSecret == "" {
		problems = append(problems, "JIEDAO_STRIPE_WEBHOOK_SECRET is required with JIEDAO_STRIPE_SECRET_KEY")
	}
	if c.HTTP.BodyLimit < c.HTTP.JSONBodyLimit || c.HTTP.JSONBodyLimit <= 0 {
		problems = append(problems, "http.json_body_limit_bytes must be positive and at most http.body_limit_bytes")
	}
	if c.HTTP.ReadTimeout <= 0 || c.HTTP.ReadTimeout > 10*time.Minute {
		problems = append(problems, "http.read_timeout must be positive and at most 10m")
	}
	if c.HTTP.ReadBufferBytes < 4<<10 || c.HTTP.ReadBufferBytes > 1<<20 {
		problems = append(problems, "http.read_buffer_bytes must be between 4096 and 1048576")
	}
	if c.Tender.AmendmentMinDays < 0 || c.Tender.AmendmentMinDays > 60 {
		problems = append(problems, "tender.amendment_min_days must be between 0 and 60")
	}
	if c.Contract.SignDays < 1 || c.Contract.SignDays > 90 {
		problems = append(problems, "contract.sign_days must be between 1 and 90")
	}
	if c.Contract.AmendmentCapPercent < 1 || c.Contract.AmendmentCapPercent > 100 {
		problems = append(problems, "contract.amendment_cap_percent must be between 1 and 100")
	}
	if c.ServiceRequest.OverdueHours < 1 || c.ServiceRequest.OverdueHours > 720 {
		problems = append(problems, "service_request.overdue_hours must be between 1 and 720")
	}
	for _, m := range slices.Sorted(maps.Keys(c.Tender.MinBiddingDays)) {
		if _, ok := DefaultMinBiddingDays()[m]; !ok {
			problems = append(problems, "tender.min_bidding_days has an unknown purchase method "+strconv.Quote(m)+": open_tender, invited_tender, single_source or venture_philanthropy")
		} else if d := c.Tender.MinBiddingDays[m]; d < 0 || d > 90 {
			problems = append(problems, "tender.min_bidding_days."+m+" must be between 0 and 90")
		}
	}
	if c.Tender.ChallengeDays < 1 || c.Tender.ChallengeDays > 60 {
		problems = append(problems, "tender.challenge_days must be between 1 and 60")
	}
	if c.Complaint.FirstResponse < time.Hour || c.Complaint.FirstResponse > 30*24*time.Hour {
		problems = append(problems, "complaint.first_response must be between 1h and 720h (30 days)")
	}
	if c.Complaint.Decision < c.Complaint.FirstResponse || c.Complaint.Decision > 90*24*time.Hour {
		problems = append(problems, "complaint.decision must be at least complaint.first_response and at most 2160h (90 days)")
	}
	if c.Audit.HeadPublishHour < 0 || c.Audit.HeadPublishHour > 23 {
		problems = append(problems, "audit.head_publish_hour must be between 0 and 23")
	}
	if c.Audit.SequenceInterval < 10*time.Millisecond || c.Audit.SequenceInterval > 10*time.Second {
		problems = append(problems, "audit.sequence_interval must be between 10ms and 10s")
	}
	if c.Audit.SequenceBatch < 1 || c.Audit.SequenceBatch > 10000 {
		problems = append(problems, "audit.sequence_batch must be between 1 and 10000")
	}
	if c.Tender.SweepInterval < time.Second || c.Tender.SweepInterval > time.Hour {
		problems = append(problems, "tender.sweep_interval must be between 1s and 1h")
	}
	if r := c.Rating; r.PublicMinimum < 1 || r.PublicMinimum > 100 || r.PriorWeight < 0 || r.PriorWeight > 1000 ||
		r.WrongCodesPerMinute < 1 || r.WrongCodesPerMinute > 1000 || r.GapStars < 0.1 || r.GapStars > 4 {
		problems = append(problems, "rating needs public_minimum 1 to 100, prior_weight 0 to 1000, wrong_codes_per_minute 1 to 1000 and gap_stars 0.1 to 4")
	}
	if r := c.RedFlags; r.Hour < 0 || r.Hour > 23 || r.CheckInterval < time.Minute || r.CheckInterval > 24*time.Hour ||
		r.RepeatWinnerPercent < 1 || r.RepeatWinnerPercent > 100 || r.RepeatWinnerMinAwards < 1 || r.RepeatWinnerMinAwards > 100 ||
		r.ContractAmendmentPercent < 0 || r.ContractAmendmentPercent > 100 {
		problems = append(problems, "redflags needs hour 0 to 23, check_interval 1m to 24h, repeat_winner_percent 1 to 100, repeat_winner_min_awards 1 to 100 and contract_amendment_percent 0 to 100")
	}
	if !validOCIDPrefix(c.OCDS.Prefix) {
		problems = append(problems, "ocds.prefix must be 6 lower-case letters or digits (the prefix the OCDS registry assigned)")
	}
	if strings.TrimSpace(c.OCDS.PublisherName) == "" {
		problems = append(problems, "ocds.publisher_name is empty")
	}
	for _, u := range [][2]string{{"ocds.license", c.OCDS.License}, {"ocds.publication_policy", c.OCDS.PublicationPolicy},
		{"ocds.publisher_uri", c.OCDS.PublisherURI}} {
		if u[1] != "" && !strings.HasPrefix(u[1], "https://") && !strings.HasPrefix(u[1], "http://") {
			problems = append(problems, u[0]+" must be an http(s) URL")
		}
	}
	problems = append(problems, c.Mail.problems()...)
	if len(problems) > 0 {
		return fmt.Errorf("config: %s", strings.Join(problems, "; "))
	}
	return nil
}

// RequireSecrets reports which secrets `serve` needs but lacks.
func (c Config) RequireSecrets() error {
	var missing []string
	if c.Database.URL == "" {
		missing = append(missing, "JIEDAO_DATABASE_URL")
	}
	if len(c.Auth.Keys) == 0 {
		missing = append(missing, "JIEDAO_AUTH_KEYS")
	}
	if len(c.Auth.CSRFSecret) == 0 {
		missing = append(missing, "JIEDAO_CSRF_SECRET")
	}
	if len(missing) > 0 {
		return fmt.Errorf("config: missing %s (make run writes development values to .data/jiedao.env)", strings.Join(missing, ", "))
	}
	return nil
}

func (m Mail) problems() []string {
	var p []string
	if m.Port < 1 || m.Port > 65535 {
		p = append(p, "mail.port must be between 1 and 65535")
	}
	if m.TLS != "none" && m.TLS != "starttls" && m.TLS != "tls" {
		p = append(p, "mail.tls must be none, starttls or tls")
	}
	if at := strings.IndexByte(m.From, '@'); at < 1 || at == len(m.From)-1 || strings.ContainsAny(m.From, " <>\r\n") {
		p = append(p, "mail.from must be an address (name@domain)")
	}
	if strings.ContainsAny(m.FromName, "\r\n") {
		p = append(p, "mail.from_name must be one line")
	}
	if m.Timeout < time.Second || m.Timeout > 5*time.Minute {
		p = append(p, "mail.timeout must be between 1s and 5m")
	}
	if m.MaxAttempts < 1 || m.MaxAttempts > 50 {
		p = append(p, "mail.max_attempts must be between 1 and 50")
	}
	if m.SweepInterval < time.Second || m.SweepInterval > time.Hour {
		p = append(p, "mail.sweep_interval must be between 1s and 1h")
	}
	if m.VerifyTTL < 10*time.Minute || m.VerifyTTL > 7*24*time.Hour {
		p = append(p, "mail.verify_ttl must be between 10m and 168h")
	}
	if m.ResetTTL < 5*time.Minute || m.ResetTTL > 24*time.Hour {
		p = append(p, "mail.reset_ttl must be between 5m and 24h")
	}
	if m.ResetWindow < time.Minute || m.ResetWindow > 7*24*time.Hour || m.ResetMaxPerAccount < 1 || m.ResetMaxPerAddress < 1 {
		p = append(p, "mail.reset_window must be between 1m and 168h, with reset_max_per_account and reset_max_per_address at least 1")
	}
	if m.DigestHour < 0 || m.DigestHour > 23 {
		p = append(p, "mail.digest_hour must be between 0 and 23")
	}
	if m.RemindInterval < time.Minute || m.RemindInterval > time.Hour {
		p = append(p, "mail.remind_interval must be between 1m and 1h")
	}
	if m.RemindBefore < time.Hour || m.RemindBefore > 72*time.Hour {
		p = append(p, "mail.remind_before must be between 1h and 72h")
	}
	return p
}
