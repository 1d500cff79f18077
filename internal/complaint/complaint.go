// Package complaint holds residents' complaints (投诉) about a service: filing
// one (anonymously or signed in, by rating code or by provider and community),
// following it by its reference, the subdistrict officers' triage, the
// organization's response and the officer's decision (upheld or not), the
// time limits with their overdue flags, and the upheld count a contract's
// complaints_upheld metric reads.
package complaint

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/audit"
	"github.com/jiedao-market/jiedao/internal/delivery"
	"github.com/jiedao-market/jiedao/internal/platform/clock"
	"github.com/jiedao-market/jiedao/internal/platform/jobs"
)

// The states of a complaint.
const (
	StatusReceived  = "received"
	StatusAssigned  = "assigned"
	StatusResponded = "responded"
	StatusDecided   = "decided"
)

// States lists a complaint's states in lifecycle order.
var States = []string{StatusReceived, StatusAssigned, StatusResponded, StatusDecided}

// The outcomes of a decided complaint.
const (
	Upheld    = "upheld"
	NotUpheld = "not_upheld"
)

// MaxText is the most characters a description, a response or a reason holds.
const MaxText = 2000

// Readers are the roles that list complaints: the subdistrict's procurement
// officers (with the complainant's contact), the district's admin (read
// only) and the organization's staff (those forwarded to it). Others get
// apperr.ErrForbidden.
var Readers = []access.Role{access.DistrictAdmin, access.ProcurementOfficer, access.OrgAdmin, access.OrgMember}

// Errors of the complaint's steps.
var (
	ErrNotReceived = apperr.New(apperr.Conflict, "complaint.already_assigned", "the complaint was already assigned or decided")
	ErrNotAssigned = apperr.New(apperr.Conflict, "complaint.not_awaiting_response", "the complaint awaits no response from the organization")
	ErrDecided     = apperr.New(apperr.Conflict, "complaint.decided", "the complaint is already decided")
	ErrNoContract  = apperr.New(apperr.Conflict, "complaint.no_contract", "assign the complaint to a contract before upholding it")
)

// Options are the time limits of a complaint (config.Complaint).
type Options struct {
	FirstResponse time.Duration // from receipt to the officer's triage
	Decision      time.Duration // from receipt to the decision
}

// Service files, follows, triages and decides complaints.
type Service struct {
	db      *gorm.DB
	clock   clock.Clock
	opts    Options
	lookup  CodeLookup
	log     *slog.Logger
	enqueue map[string]jobs.Enqueue // by deadline
}

// CodeLookup finds the record a rating code was issued for, on by's behalf:
// rating.Service.LookupCode, which counts an unknown code (delivery.
// ErrUnknownCode) against the caller's address as the rating form does, so
// that the complaint form is no way around its throttle.
type CodeLookup func(ctx context.Context, by access.Actor, code string) (delivery.CodeInfo, error)

// NewService returns the service on db; lookup finds the record a rating
// code was issued for.
func NewService(db *gorm.DB, c clock.Clock, opts Options, lookup CodeLookup) *Service {
	return &Service{db: db, clock: c, opts: opts, lookup: lookup}
}

// Complaint is a complaint as stored.
type Complaint struct {
	ID                     int64
	Reference              string
	SubdistrictID          int64
	CommunityID            int64
	OrganizationID         int64
	ContractID             *int64
	RecordID               *int64
	Description            string
	Contact                *string
	Status                 string
	Outcome                *string
	DecisionReason         *string
	Response               *string
	ReceivedAt             time.Time
	FirstResponseDue       time.Time
	DecisionDue            time.Time
	FirstResponseOverdueAt *time.Time
	DecisionOverdueAt      *time.Time
	AssignedAt             *time.Time
	AssignedBy             *int64
	RespondedAt            *time.Time
	RespondedBy            *int64
	DecidedAt              *time.Time
	DecidedBy              *int64
	CreatedBy              *int64
	CreatedAt              time.Time
	UpdatedAt              time.Time
}

// Input is a complaint as filed: RatingCode, or OrganizationID and
// CommunityID; a Description; an optional Contact (a phone number or an
// e-mail address).
type Input struct {
	RatingCode     string
	OrganizationID int64
	CommunityID    int64
	Description    string
	Contact        string
}

// Receipt is what the complainant keeps: the reference to follow the case by.
type Receipt struct {
	Reference        string    `json:"reference"`
	Status           string    `json:"status"`
	ReceivedAt       time.Time `json:"received_at"`
	FirstResponseDue time.Time `json:"first_response_due"`
	DecisionDue      time.Time `json:"decision_due"`
}

// digest is the SHA-256 of free text, hex: what the audit trail keeps of it.
func digest(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

var phoneShape = regexp.MustCompile(`^\+?[0-9][0-9 -]{5,18}[0-9]$`)

// validContact reports whether s is a phone number or an e-mail address.
func validContact(s string) bool {
	if phoneShape.MatchString(s) {
		return true
	}
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s && a.Name == "" && len(s) <= 254 && strings.Contains(s[strings.LastIndex(s, "@"):], ".")
}

// MaskContact hides most of a contact: a phone keeps its first three and
// last four digits, an e-mail address its first letter and its domain.
func MaskContact(s string) string {
	if at := strings.LastIndex(s, "@"); at > 0 {
		r, _ := utf8.DecodeRuneInString(s)
		return string(r) + "***" + s[at:]
	}
	digits := strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
	if len(digits) < 8 {
		return "****"
	}
	return digits[:3] + strings.Repeat("*", len(digits)-7) + digits[len(digits)-4:]
}

const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// newReference returns a fresh reference: TS- and 12 random Crockford
// base32 symbols (60 bits) in groups of four.
func newReference() (string, error) {
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("complaint reference: %w", err)
	}
	out := []byte("TS-")
	for i, c := range b {
		if i == 4 || i == 8 {
			out = append(out, '-')
		}
		out = append(out, crockford[c&31])
	}
	return string(out), nil
}

// NormalizeReference returns a reference in its stored form: read
// case-insensitively, I and L as 1, O as 0, the TS prefix, hyphens and spaces
// optional. It reports false for anything else.
func NormalizeReference(ref string) (string, bool) {
	s := strings.ToUpper(strings.TrimSpace(ref))
	s = strings.TrimPrefix(s, "TS")
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '-' || r == ' ':
			continue
		case r == 'I' || r == 'L':
			r = '1'
		case r == 'O':
			r = '0'
		case !strings.ContainsRune(crockford, r):
			return "", false
		}
		if b.Len() == 12 {
			return "", false
		}
		b.WriteRune(r)
	}
	if b.Len() != 12 {
		return "", false
	}
	c := b.String()
	return "TS-" + c[:4] + "-" + c[4:8] + "-" + c[8:], true
}

// about is what a complaint is about, resolved from its input.
type about struct {
	subdistrictID, communityID, organizationID int64
	contractID, recordID                       *int64
}

// resolve finds what in names: the record code (in.RatingCode, looked up)
// names and its contract, or the organization and community (and the contract when
// exactly one active contract of the organization serves the community).
func (s *Service) resolve(tx *gorm.DB, in Input, code *delivery.CodeInfo, fields *apperr.Fields) (about, error) {
	var a about
	if code != nil {
		info := *code
		var row struct {
			ContractID, CommunityID, OrganizationID, SubdistrictID int64
		}
		if err := tx.Raw(`SELECT r.contract_id, r.community_id, r.organization_id, c.subdistrict_id
			FROM service_records r JOIN contracts c ON c.id = r.contract_id WHERE r.id = ?`, info.RecordID).Take(&row).Error; err != nil {
			return a, fmt.Errorf("read service record %d: %w", info.RecordID, err)
		}
		recordID := info.RecordID
		return about{subdistrictID: row.SubdistrictID, communityID: row.CommunityID, organizationID: row.OrganizationID,
			contractID: &row.ContractID, recordID: &recordID}, nil
	}
	var sub []int64
	if err := tx.Table("communities").Where("id = ?", in.CommunityID).Pluck("subdistrict_id", &sub).Error; err != nil {
		return a, fmt.Errorf("read community %d: %w", in.CommunityID, err)
	}
	if len(sub) == 0 {
		fields.Add("community_id", "no such community")
	}
	var orgs int64
	if err := tx.Table("organizations").Where("id = ?", in.OrganizationID).Count(&orgs).Error; err != nil {
		return a, fmt.Errorf("read organization %d: %w", in.OrganizationID, err)
	}
	if orgs == 0 {
		fields.Add("organization_id", "no such organization")
	}
	if len(sub) == 0 || orgs == 0 {
		return a, nil
	}
	a = about{subdistrictID: sub[0], communityID: in.CommunityID, organizationID: in.OrganizationID}
	var contracts []int64
	if err := tx.Raw(`SELECT c.id FROM contracts c JOIN contract_communities cc ON cc.contract_id = c.id
		WHERE c.organization_id = ? AND cc.community_id = ? AND c.status = 'active' ORDER BY c.id LIMIT 2`,
		in.OrganizationID, in.CommunityID).Scan(&contracts).Error; err != nil {
		return a, fmt.Errorf("find the contract serving community %d: %w", in.CommunityID, err)
	}
	if len(contracts) == 1 {
		a.contractID = &contracts[0]
	}
	return a, nil
}

// File records a complaint and returns its receipt. Anyone may file, signed
// in or not (an officer on a resident's behalf, as a hotline does). It
// returns an apperr.Invalid naming the bad fields: an unknown rating code, an
// unknown organization or community, a description empty or longer than
// MaxText, a contact that is neither a phone number nor an e-mail address.
func (s *Service) File(ctx context.Context, by access.Actor, in Input) (Receipt, error) {
	in.Description = strings.TrimSpace(in.Description)
	in.Contact = strings.TrimSpace(in.Contact)
	in.RatingCode = strings.TrimSpace(in.RatingCode)
	var fields apperr.Fields
	if in.RatingCode != "" {
		fields.Check(in.OrganizationID == 0 && in.CommunityID == 0, "rating_code", "give either a rating code or the organization and community, not both")
	} else {
		fields.Check(in.OrganizationID > 0, "organization_id", "name the organization, or give a rating code")
		fields.Check(in.CommunityID > 0, "community_id", "name the community, or give a rating code")
	}
	fields.Check(in.Description != "", "description", "describe what went wrong")
	fields.Check(utf8.RuneCountInString(in.Description) <= MaxText, "description", fmt.Sprintf("at most %d characters", MaxText))
	fields.Check(in.Contact == "" || validContact(in.Contact), "contact", "a phone number or an e-mail address")
	if err := fields.Err(); err != nil {
		return Receipt{}, err
	}
	ref, err := newReference()
	if err != nil {
		return Receipt{}, err
	}
	var code *delivery.CodeInfo
	if in.RatingCode != "" {
		info, err := s.lookup(ctx, by, in.RatingCode)
		if errors.Is(err, delivery.ErrUnknownCode) {
			return Receipt{}, apperr.InvalidField("rating_code", "no service issued this rating code")
		}
		if err != nil {
			return Receipt{}, err
		}
		code = &info
	}
	var r Receipt
	var id int64
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		a, err := s.resolve(tx, in, code, &fields)
		if err != nil {
			return err
		}
		if err := fields.Err(); err != nil {
			return err
		}
		now := s.clock.Now().UTC().Truncate(time.Microsecond)
		c := Complaint{Reference: ref, SubdistrictID: a.subdistrictID, CommunityID: a.communityID, OrganizationID: a.organizationID,
			ContractID: a.contractID, RecordID: a.recordID, Description: in.Description, Status: StatusReceived,
			ReceivedAt: now, FirstResponseDue: now.Add(s.opts.FirstResponse), DecisionDue: now.Add(s.opts.Decision),
			CreatedBy: by.UserRef(), CreatedAt: now, UpdatedAt: now}
		if in.Contact != "" {
			c.Contact = &in.Contact
		}
		if err := tx.Create(&c).Error; err != nil {
			return fmt.Errorf("insert complaint: %w", err)
		}
		if err := notifyOfficers(tx, c, KindReceived, now); err != nil {
			return err
		}
		id = c.ID
		r = Receipt{Reference: c.Reference, Status: c.Status, ReceivedAt: c.ReceivedAt, FirstResponseDue: c.FirstResponseDue, DecisionDue: c.DecisionDue}
		change := map[string]any{"reference": c.Reference, "subdistrict_id": c.SubdistrictID, "community_id": c.CommunityID,
			"organization_id": c.OrganizationID, "contract_id": c.ContractID, "record_id": c.RecordID,
			"description_sha256": digest(c.Description), "contact_given": c.Contact != nil}
		return audit.Record(tx, by, "complaint.file", "complaint", c.ID, change)
	})
	if err != nil {
		return Receipt{}, err
	}
	s.scheduleDeadlines(ctx, id, r)
	return r, nil
}

// Public is what anyone holding a complaint's reference sees: its state,
// dates and time limits, the organization's response and the decision with
// its reason; the contact only masked, the description not at all.
type Public struct {
	Reference            string     `json:"reference"`
	Status               string     `json:"status"`
	OrganizationName     string     `json:"organization_name"`
	CommunityName        string     `json:"community_name"`
	ContactMasked        *string    `json:"contact_masked,omitempty"`
	ReceivedAt           time.Time  `json:"received_at"`
	FirstResponseDue     time.Time  `json:"first_response_due"`
	DecisionDue          time.Time  `json:"decision_due"`
	FirstResponseOverdue bool       `json:"first_response_overdue"`
	DecisionOverdue      bool       `json:"decision_overdue"`
	AssignedAt           *time.Time `json:"assigned_at,omitempty"`
	RespondedAt          *time.Time `json:"responded_at,omitempty"`
	Response             *string    `json:"response,omitempty"`
	DecidedAt            *time.Time `json:"decided_at,omitempty"`
	Outcome              *string    `json:"outcome,omitempty"`
	DecisionReason       *string    `json:"decision_reason,omitempty"`
}

// Follow returns the public view of the complaint with reference ref
// (NormalizeReference). It returns apperr.ErrNotFound for a malformed or
// unknown reference alike.
func (s *Service) Follow(ctx context.Context, ref string) (Public, error) {
	norm, ok := NormalizeReference(ref)
	if !ok {
		return Public{}, apperr.ErrNotFound
	}
	var row struct {
		Complaint
		OrganizationName string
		CommunityName    string
	}
	err := s.db.WithContext(ctx).Table("complaints").
		Select("complaints.*, o.legal_name AS organization_name, cm.name_zh AS community_name").
		Joins("JOIN organizations o ON o.id = complaints.organization_id").
		Joins("JOIN communities cm ON cm.id = complaints.community_id").
		Where("complaints.reference = ?", norm).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return Public{}, apperr.ErrNotFound
	}
	if err != nil {
		return Public{}, fmt.Errorf("read complaint: %w", err)
	}
	c := row.Complaint
	p := Public{Reference: c.Reference, Status: c.Status, OrganizationName: row.OrganizationName, CommunityName: row.CommunityName,
		ReceivedAt: c.ReceivedAt, FirstResponseDue: c.FirstResponseDue, DecisionDue: c.DecisionDue,
		FirstResponseOverdue: c.FirstResponseOverdueAt != nil, DecisionOverdue: c.DecisionOverdueAt != nil,
		AssignedAt: c.AssignedAt, RespondedAt: c.RespondedAt, Response: c.Response, DecidedAt: c.DecidedAt,
		Outcome: c.Outcome, DecisionReason: c.DecisionReason}
	if c.Contact != nil {
		m := MaskContact(*c.Contact)
		p.ContactMasked = &m
	}
	return p, nil
}

// UpheldCount returns how many complaints about contract contractID received
// in [from, to) were decided upheld: the actual value of the contract's
// complaints_upheld metric. It reads with tx.
func UpheldCount(tx *gorm.DB, contractID int64, from, to time.Time) (int64, error) {
	var n int64
	err := tx.Table("complaints").Where("contract_id = ? AND outcome = ? AND received_at >= ? AND received_at < ?",
		contractID, Upheld, from, to).Count(&n).Error
	if err != nil {
		return 0, fmt.Errorf("count upheld complaints of contract %d: %w", contractID, err)
	}
	return n, nil
}
