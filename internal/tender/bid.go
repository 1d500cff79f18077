package tender

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/audit"
	"github.com/jiedao-market/jiedao/internal/money"
	"github.com/jiedao-market/jiedao/internal/org"
	"github.com/jiedao-market/jiedao/internal/platform/clock"
)

// Bid is a bid's row. Before the opening only the sealed body, its digest and
// its arrival time say anything, and none of them its content. Its id is
// random (newBidID), so it counts nothing either.
type Bid struct {
	ID                  int64
	TenderID            int64
	OrganizationID      int64
	Status              string // active, withdrawn, replaced
	Sealed              []byte
	Digest              string
	SealKeyID           string
	SealVersion         int // SealV1 or SealV2: the Envelope the body is sealed in
	ReceivedAt          time.Time
	SubmittedBy         *int64
	ReplacesID          *int64
	NeedsReconfirmation bool
	EndedAt             *time.Time
	OpenedAt            *time.Time
	PriceFen            *money.Fen
	OpenedBody          *BidBody `gorm:"serializer:json"`
	Compliant           *bool
	ComplianceReasons   []string `gorm:"serializer:json"`
	AbnormallyLow       bool
	AbnormalReasons     []string `gorm:"serializer:json"`
}

// TableName is the table of Bid.
func (Bid) TableName() string { return "bids" }

// envelope is the Envelope b's row says its body is sealed in.
func (b Bid) envelope() Envelope {
	e := Envelope{Version: b.SealVersion, TenderID: b.TenderID, OrgID: b.OrganizationID}
	if b.SealVersion >= SealV2 {
		e.BidID, e.ReceivedAt = b.ID, b.ReceivedAt
		if b.ReplacesID != nil {
			e.ReplacesID = *b.ReplacesID
		}
	}
	return e
}

// newBidID draws a bid id at random from [2^52, 2^53): it counts nothing,
// has 16 digits, stays exact as a JSON number in JavaScript and lies above
// every id the sequence gave before (migration 00006).
func newBidID() (int64, error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return 0, fmt.Errorf("draw a bid id: %w", err)
	}
	return int64(1<<52 | binary.BigEndian.Uint64(b[:])&(1<<52-1)), nil
}

// Orders of an organization's bids on a tender, since their ids say nothing
// of time: newest first, and the one that counts first (the active bid, else
// the newest). Receipt times tie only on a test's clock; then an active bid
// comes before a withdrawn one, and a withdrawn one before a replaced one.
const (
	newestFirst  = "received_at DESC, status <> 'active', status = 'replaced', id DESC"
	currentFirst = "status <> 'active', received_at DESC, status = 'replaced', id DESC"
)

// BidBody is what a bid says: the part that is sealed until the opening.
type BidBody struct {
	PriceFen          money.Fen    `json:"price_fen"`
	TechnicalProposal string       `json:"technical_proposal"`
	StaffingPlan      string       `json:"staffing_plan"`
	MetricCommitments []Commitment `json:"metric_commitments"`
	Attachments       []Attachment `json:"attachments"`
}

// Commitment is the value a bidder commits to for one of the tender's metrics.
type Commitment struct {
	Code  string  `json:"code"`
	Value float64 `json:"value"`
}

// Attachment is a file inside a bid, sealed with it.
type Attachment struct {
	Name        string `json:"name"`
	ContentType string `json:"content_type"`
	Data        []byte `json:"data"`
}

// Limits of a bid body.
const (
	MaxAttachments      = 5
	MaxAttachmentBytes  = 2 << 20
	maxProposalBytes    = 100_000
	maxStaffingBytes    = 20_000
	maxAttachmentName   = 200
	reasonNotReconfirm  = "not reconfirmed after an amendment"
	reasonOverCeiling   = "price above the ceiling"
	reasonMissingParts  = "required parts missing"
	reasonNotEligible   = "not eligible at the opening"
	reasonNotInvited    = "not invited"
	reasonMissingMetric = "no commitment for every metric"
)

var attachmentTypes = []string{"application/pdf", "image/png", "image/jpeg", "text/plain; charset=utf-8"}

// validate checks the body's shape against t; the checks at the opening
// (compliance) come again then.
func (b *BidBody) validate(t Tender, metrics []Metric) error {
	b.TechnicalProposal, b.StaffingPlan = strings.TrimSpace(b.TechnicalProposal), strings.TrimSpace(b.StaffingPlan)
	var f apperr.Fields
	f.Check(b.PriceFen > 0, "price_fen", "must be more than zero")
	f.Check(b.PriceFen <= t.CeilingFen, "price_fen", "must not exceed the tender's ceiling")
	// The opening stores the body as jsonb, which refuses NUL: refuse it now.
	f.Check(b.TechnicalProposal != "" && len(b.TechnicalProposal) <= maxProposalBytes && plain(b.TechnicalProposal), "technical_proposal",
		fmt.Sprintf("is required (at most %d bytes of text)", maxProposalBytes))
	f.Check(b.StaffingPlan != "" && len(b.StaffingPlan) <= maxStaffingBytes && plain(b.StaffingPlan), "staffing_plan",
		fmt.Sprintf("is required (at most %d bytes of text)", maxStaffingBytes))
	seen := map[string]bool{}
	for i := range b.MetricCommitments {
		c := &b.MetricCommitments[i]
		ok := slices.ContainsFunc(metrics, func(m Metric) bool { return m.Code == c.Code })
		f.Check(ok && !seen[c.Code], fmt.Sprintf("metric_commitments[%d].code", i), "must be a metric of the tender, once")
		// The contract stores it as numeric(14, 2): round to cents, then bound.
		c.Value = cents(c.Value)
		f.Check(c.Value >= 0 && c.Value <= maxMetricValue, fmt.Sprintf("metric_commitments[%d].value", i), "must be between 0 and 999999999999.99")
		seen[c.Code] = true
	}
	f.Check(len(b.Attachments) <= MaxAttachments, "attachments", fmt.Sprintf("at most %d files", MaxAttachments))
	for i := range b.Attachments {
		a := &b.Attachments[i]
		a.Name = strings.TrimSpace(a.Name)
		field := fmt.Sprintf("attachments[%d]", i)
		f.Check(a.Name != "" && len(a.Name) <= maxAttachmentName && utf8.ValidString(a.Name) && !strings.ContainsAny(a.Name, "/\\\x00"), field+".name", "is required: a file name without slashes, at most 200 bytes")
		f.Check(len(a.Data) > 0 && len(a.Data) <= MaxAttachmentBytes, field+".data", fmt.Sprintf("must hold 1 to %d bytes (base64)", MaxAttachmentBytes))
		a.ContentType = http.DetectContentType(a.Data)
		f.Check(slices.Contains(attachmentTypes, a.ContentType), field+".data", "must be a PDF, PNG, JPEG or UTF-8 text file")
	}
	return f.Err()
}

// sealBlock is the size the sealed plaintext is padded to a multiple of, so
// that a sealed bid's length says little about its content (how many digits
// its price has, whether a replacement changed only the price).
const sealBlock = 4096

// padBody pads a JSON body with spaces, which JSON ignores, to the next
// multiple of sealBlock.
func padBody(plain []byte) []byte {
	n := (len(plain)/sealBlock + 1) * sealBlock
	return append(plain, bytes.Repeat([]byte{' '}, n-len(plain))...)
}

// Receipt is what a bidder gets for a bid: its random id, the time of receipt
// (when the bid's locks were granted: lockBidder) and the SHA-256 of the
// sealed body. Receipts are published with the opening record.
type Receipt struct {
	BidID      int64     `json:"bid_id"`
	TenderID   int64     `json:"tender_id"`
	ReceivedAt time.Time `json:"received_at"`
	Digest     string    `json:"digest"`
	ReplacesID *int64    `json:"replaces_id"`
}

func eligibility(tx *gorm.DB, orgID, districtID int64, t Tender, at time.Time) (org.Eligibility, error) {
	return org.EligibilityTx(tx, orgID, districtID, t.CategoryCode, t.MinGrade, t.MinSocialWorkers, at)
}

// SubmitBid seals and stores the organization's bid, replacing its earlier
// one. The bid is judged, and its receipt stamped, at the time its locks are
// granted (lockBidder), not when the request arrived. It returns
// ErrClosed at or after the close time, ErrNotEligible when the organization
// may not bid, and an Invalid error naming bad fields.
func (s *Service) SubmitBid(ctx context.Context, by access.Actor, tenderID int64, body BidBody) (Receipt, error) {
	if s.sealer == nil {
		return Receipt{}, fmt.Errorf("submit bid: no seal key")
	}
	var r Receipt
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		t, districtID, now, err := s.lockBidder(tx, by, tenderID)
		if err != nil {
			return err
		}
		switch t.StatusAt(now) {
		case StatusPublished:
		case StatusClosed:
			return ErrClosed
		default:
			return ErrNotPublished
		}
		if err := invited(tx, by, t); err != nil {
			return err
		}
		// The organization's active bid, at most one (bids_one_active_idx),
		// is replaced in the statement that finds it (lockBidder holds the
		// organization's other bids on the tender off meanwhile), which
		// reads the tender's metrics and what the organization's eligibility
		// is decided on too. A refusal below rolls it back.
		var found struct {
			Prior       *int64
			Metrics     []byte
			Eligibility []byte
		}
		eq, eargs := org.EligibilityQuery(by.Scope.OrganizationID, districtID, t.CategoryCode, now)
		if err := tx.Raw(`WITH replaced AS (
			  UPDATE bids SET status = 'replaced', ended_at = ? WHERE tender_id = ? AND organization_id = ? AND status = 'active' RETURNING id)
			SELECT (SELECT id FROM replaced) AS prior,
			  (SELECT coalesce(json_agg(m ORDER BY m.code), '[]') FROM tender_metrics m WHERE m.tender_id = ?) AS metrics,
			  (`+eq+`) AS eligibility`,
			append([]any{now, t.ID, by.Scope.OrganizationID, t.ID}, eargs...)...).Scan(&found).Error; err != nil {
			return fmt.Errorf("bid on tender %d: %w", t.ID, err)
		}
		e, err := org.DecideEligibility(found.Eligibility, t.MinGrade, t.MinSocialWorkers)
		if err != nil {
			return err
		}
		if err := refuseIneligible(e); err != nil {
			return err
		}
		var metrics []Metric
		if err := json.Unmarshal(found.Metrics, &metrics); err != nil {
			return fmt.Errorf("metrics of tender %d: %w", t.ID, err)
		}
		if err := body.validate(t, metrics); err != nil {
			return err
		}
		plain, err := json.Marshal(body)
		if err != nil {
			return err
		}
		plain = padBody(plain)
		defer clear(plain)
		b := Bid{TenderID: t.ID, OrganizationID: by.Scope.OrganizationID, Status: "active", SealKeyID: s.sealer.KeyID(), SealVersion: SealV2,
			ReceivedAt: now, SubmittedBy: by.UserRef(), ComplianceReasons: []string{}, AbnormalReasons: []string{}, ReplacesID: found.Prior}
		if err := s.insertSealed(tx, by, &b, plain); err != nil {
			return err
		}
		r = Receipt{BidID: b.ID, TenderID: t.ID, ReceivedAt: now, Digest: b.Digest, ReplacesID: b.ReplacesID}
		return nil
	})
	return r, err
}

// lockBidder reads tender id for by's organization and locks what a bid or
// a withdrawal changes: the tender's row FOR SHARE, so that the bids of many
// organizations go on together while whatever changes the tender (an
// amendment, a cancellation, the opening, all FOR NO KEY UPDATE) waits for
// them and they for it; then the organization's place on the tender (a
// transaction-scoped advisory lock on the pair), so that one organization's
// bids on it come one after another and each replaces the one before.
// It returns the tender, its district's id and the time the bid is judged
// at: read once both locks are granted (see lockedNow).
//
// One statement does all three, in that order: the projection of a sub-select
// FOR SHARE runs on the row its LockRows node returned (PostgreSQL never
// flattens a sub-select that locks rows), and OFFSET 0 keeps the clock in a
// projection above the advisory lock's. Taking the row lock first matters:
// a bid holding the organization's lock while it queued for the row behind
// an amendment could close a cycle with a bid of the same organization
// holding the row.
func (s *Service) lockBidder(tx *gorm.DB, by access.Actor, id int64) (Tender, int64, time.Time, error) {
	if !by.Is(access.OrgAdmin, access.OrgMember) {
		return Tender{}, 0, time.Time{}, apperr.ErrForbidden
	}
	var row struct {
		Tender
		DistrictID int64 // the tender carries its district (00030)
		LockedAt   time.Time
	}
	h := fnv.New32a()
	h.Write(binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint64(nil, uint64(id)), uint64(by.Scope.OrganizationID)))
	res := tx.Raw(`SELECT y.*, clock_timestamp() AS locked_at FROM (
		  SELECT x.*, pg_advisory_xact_lock(?, ?) IS NOT NULL AS bidder_locked
		  FROM (SELECT * FROM tenders WHERE id = ? AND published_at IS NOT NULL FOR SHARE) x
		  OFFSET 0) y`, bidderLock, int32(h.Sum32()), id).Scan(&row)
	if res.Error != nil {
		return Tender{}, 0, time.Time{}, fmt.Errorf("lock tender %d for a bid: %w", id, res.Error)
	}
	if res.RowsAffected == 0 {
		return Tender{}, 0, time.Time{}, apperr.ErrNotFound
	}
	now := row.LockedAt
	if _, ok := s.clock.(clock.System); !ok {
		now = s.clock.Now().Truncate(time.Microsecond)
	}
	return row.Tender, row.DistrictID, now, nil
}

// bidderLock is the first key of lockBidder's advisory locks ("bid"); the
// second is a hash of the tender and organization, so two pairs share a lock
// only by a rare collision, which makes one wait for the other and no more.
const bidderLock int32 = 0x626964

// insertSealed inserts b with a random id and plain sealed in b's envelope,
// which names that id, and by's audit entry of the bid in the same statement
// (audit.RecordAlong). An id drawn that is taken already (about one chance in
// 2^52 per bid stored) is drawn again, and the body sealed again.
func (s *Service) insertSealed(tx *gorm.DB, by access.Actor, b *Bid, plain []byte) error {
	const draws = 3
	for range draws {
		id, err := s.newID()
		if err != nil {
			return err
		}
		b.ID = id
		if b.Sealed, err = s.sealer.Seal(b.envelope(), plain); err != nil {
			return fmt.Errorf("seal bid: %w", err)
		}
		b.Digest = Digest(b.Sealed)
		// A plain statement rather than Create: the columns a new bid sets
		// (the rest keep their defaults), without GORM's reflection.
		inserted, err := audit.RecordAlong(tx, `INSERT INTO bids (id, tender_id, organization_id, status, sealed, digest, seal_key_id, seal_version, received_at, submitted_by, replaces_id)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
			[]any{b.ID, b.TenderID, b.OrganizationID, b.Status, b.Sealed, b.Digest, b.SealKeyID, b.SealVersion, b.ReceivedAt, b.SubmittedBy, b.ReplacesID},
			by, "bid.submit", "tender", b.TenderID, map[string]any{"bid_id": b.ID, "digest": b.Digest, "replaces_id": b.ReplacesID})
		if err != nil {
			return fmt.Errorf("insert bid: %w", err)
		}
		if inserted {
			return nil
		}
	}
	return fmt.Errorf("insert bid: %d random ids drawn were all taken", draws)
}

// WithdrawBid withdraws the organization's active bid before the close,
// judged at the time its locks are granted (lockBidder). It returns
// apperr.ErrNotFound for a bid that is not the organization's, ErrClosed at or
// after the close, ErrNotActive for a bid withdrawn or replaced.
func (s *Service) WithdrawBid(ctx context.Context, by access.Actor, bidID int64) (Receipt, error) {
	return s.withdraw(ctx, by, 0, bidID)
}

// WithdrawTenderBid is WithdrawBid for a bid named with its tender: a bid of
// another tender is apperr.ErrNotFound.
func (s *Service) WithdrawTenderBid(ctx context.Context, by access.Actor, tenderID, bidID int64) (Receipt, error) {
	return s.withdraw(ctx, by, tenderID, bidID)
}

// withdraw withdraws bid bidID, of tender tenderID unless that is 0.
func (s *Service) withdraw(ctx context.Context, by access.Actor, tenderID, bidID int64) (Receipt, error) {
	if !by.Is(access.OrgStaff...) {
		return Receipt{}, apperr.ErrForbidden
	}
	var r Receipt
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var b Bid
		if err := tx.Select("id", "tender_id", "organization_id", "status", "digest", "received_at").
			Where("id = ? AND organization_id = ?", bidID, by.Scope.OrganizationID).Take(&b).Error; err != nil {
			return notFound(err)
		}
		if tenderID != 0 && b.TenderID != tenderID {
			return apperr.ErrNotFound
		}
		t, _, now, err := s.lockBidder(tx, by, b.TenderID)
		if err != nil {
			return err
		}
		if t.StatusAt(now) != StatusPublished {
			return ErrClosed
		}
		res := tx.Model(&Bid{}).Where("id = ? AND status = 'active'", b.ID).Updates(map[string]any{"status": "withdrawn", "ended_at": now})
		if res.Error != nil {
			return fmt.Errorf("withdraw bid %d: %w", b.ID, res.Error)
		}
		if res.RowsAffected != 1 {
			return ErrNotActive
		}
		r = Receipt{BidID: b.ID, TenderID: b.TenderID, ReceivedAt: b.ReceivedAt, Digest: b.Digest}
		return audit.Record(tx, by, "bid.withdraw", "tender", t.ID, map[string]any{"bid_id": b.ID})
	})
	return r, err
}

// ErrNotActive is returned for a bid withdrawn or replaced already.
var ErrNotActive = apperr.New(apperr.Conflict, "bid.not_active", "the bid was withdrawn or replaced already")

// ErrNotDeclared is returned to a committee member who has not declared.
var ErrNotDeclared = apperr.New(apperr.Conflict, "committee.not_declared", "declare that you have no conflict of interest first")

// ErrRecused is returned to a member who declared a conflict.
var ErrRecused = apperr.New(apperr.Forbidden, "committee.recused", "you declared a conflict of interest and are recused from this tender")

// BidView is a bid as its reader may see it: its receipt always; its content
// for its own organization, and for the officers and committee after the
// opening.
type BidView struct {
	ID                  int64      `json:"id"`
	TenderID            int64      `json:"tender_id"`
	OrganizationID      int64      `json:"organization_id"`
	OrganizationName    string     `json:"organization_name"`
	Status              string     `json:"status"`
	ReceivedAt          time.Time  `json:"received_at"`
	Digest              string     `json:"digest"`
	ReplacesID          *int64     `json:"replaces_id"`
	NeedsReconfirmation bool       `json:"needs_reconfirmation"`
	OpenedAt            *time.Time `json:"opened_at"`
	PriceFen            *money.Fen `json:"price_fen"`
	Compliant           *bool      `json:"compliant"`
	ComplianceReasons   []string   `json:"compliance_reasons"`
	AbnormallyLow       bool       `json:"abnormally_low"`
	AbnormalReasons     []string   `json:"abnormal_reasons"`
	Content             *BidBody   `json:"content"`
}

// Bids returns a tender's bids for by: an organization its own (every
// version, with content); the tender's procurement officer and its committee
// members (who declared no conflict) every opened bid after the opening.
// Before the opening they get ErrSealed; other roles ErrForbidden.
func (s *Service) Bids(ctx context.Context, by access.Actor, tenderID int64) ([]BidView, error) {
	db := s.db.WithContext(ctx)
	var t Tender
	if err := visible(db, by).Take(&t, tenderID).Error; err != nil {
		return nil, notFound(err)
	}
	var rows []Bid
	switch {
	case by.Is(access.OrgAdmin, access.OrgMember):
		if err := db.Where("tender_id = ? AND organization_id = ?", t.ID, by.Scope.OrganizationID).Order(newestFirst).Find(&rows).Error; err != nil {
			return nil, err
		}
		out := make([]BidView, 0, len(rows))
		for _, b := range rows {
			v := bidView(b, "")
			body := b.OpenedBody
			if body == nil {
				plain, err := s.sealer.Open(b.envelope(), b.Sealed)
				if err != nil {
					return nil, fmt.Errorf("open own bid %d: %w", b.ID, err)
				}
				body = new(BidBody)
				if err := json.Unmarshal(plain, body); err != nil {
					return nil, fmt.Errorf("decode own bid %d: %w", b.ID, err)
				}
			}
			v.Content = body
			out = append(out, v)
		}
		return out, nil
	case by.Role == access.ProcurementOfficer && by.Scope.SubdistrictID == t.SubdistrictID:
	case by.Role == access.Evaluator:
		if err := declaredMember(db, by, t); err != nil {
			return nil, err
		}
	default:
		return nil, apperr.ErrForbidden
	}
	if t.OpenedAt == nil {
		return nil, ErrSealed
	}
	return openedBids(db, t, true)
}

// declaredMember checks that by sits on t's committee, is not recused and has
// declared no conflict.
func declaredMember(db *gorm.DB, by access.Actor, t Tender) error {
	var m member
	if err := db.Where("tender_id = ? AND user_id = ?", t.ID, by.UserID).Take(&m).Error; err != nil {
		return notFound(err)
	}
	if m.Recused {
		return ErrRecused
	}
	if m.DeclaredAt == nil {
		return ErrNotDeclared
	}
	return nil
}

// openedBids returns the bids opened at t's opening, by receipt time, with
// their content when withContent.
func openedBids(db *gorm.DB, t Tender, withContent bool) ([]BidView, error) {
	var rows []struct {
		Bid
		OrganizationName string
	}
	q := db.Table("bids").Select("bids.*, o.legal_name AS organization_name").Joins("JOIN organizations o ON o.id = bids.organization_id").
		Where("bids.tender_id = ? AND bids.opened_at IS NOT NULL", t.ID).Order("bids.received_at, bids.id")
	if !withContent {
		q = q.Omit("opened_body")
	}
	if err := q.Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]BidView, 0, len(rows))
	for _, r := range rows {
		v := bidView(r.Bid, r.OrganizationName)
		if withContent {
			v.Content = r.OpenedBody
		}
		out = append(out, v)
	}
	return out, nil
}

func bidView(b Bid, orgName string) BidView {
	return BidView{ID: b.ID, TenderID: b.TenderID, OrganizationID: b.OrganizationID, OrganizationName: orgName, Status: b.Status,
		ReceivedAt: b.ReceivedAt, Digest: b.Digest, ReplacesID: b.ReplacesID, NeedsReconfirmation: b.NeedsReconfirmation,
		OpenedAt: b.OpenedAt, PriceFen: b.PriceFen, Compliant: b.Compliant, ComplianceReasons: nonNil(b.ComplianceReasons),
		AbnormallyLow: b.AbnormallyLow, AbnormalReasons: nonNil(b.AbnormalReasons)}
}
