package delivery

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/audit"
	"github.com/jiedao-market/jiedao/internal/civil"
)

// Limits of a record's fields.
const (
	MaxDurationMinutes = 1440
	MaxStaffName       = 40   // characters
	MaxBeneficiaryRef  = 64   // characters
	MaxNotes           = 2000 // bytes
	MaxReason          = 500  // characters
)

// Input is one service as the organization records it.
type Input struct {
	Date            string // YYYY-MM-DD, a China date within the service period and not after today
	CommunityID     int64  // one of the contract's communities
	ServiceType     string // the code of one of the contract's metrics whose source is service records
	DurationMinutes int    // 1 to 1440
	// The staff member: a user of the organization by id, or a named person
	// (1 to 40 characters); exactly one.
	StaffUserID *int64
	StaffName   string
	// BeneficiaryRef is the organization's pseudonymous reference to the
	// person served, 1 to 64 characters, never an ID or mobile number.
	BeneficiaryRef string
	Notes          string // at most 2000 bytes, no ID or mobile number
}

// check validates in against the contract on day today, adding each bad field
// to bad, and returns the record it describes.
func (c *contractInfo) check(in Input, today civil.Date, bad func(field, message string)) Record {
	r := Record{ContractID: c.ID, OrganizationID: c.OrganizationID, CommunityID: in.CommunityID,
		ServiceType: strings.TrimSpace(in.ServiceType), DurationMinutes: in.DurationMinutes,
		BeneficiaryRef: strings.TrimSpace(in.BeneficiaryRef), Notes: strings.TrimSpace(in.Notes)}
	date, err := civil.ParseDate(strings.TrimSpace(in.Date))
	switch {
	case strings.TrimSpace(in.Date) == "":
		bad("date", "is required")
	case err != nil:
		bad("date", "must be a date (YYYY-MM-DD)")
	case date.After(today):
		bad("date", "must not be in the future")
	case date.Before(c.ServiceStart) || date.After(c.ServiceEnd):
		bad("date", fmt.Sprintf("must be within the contract's service period, %s to %s", c.ServiceStart, c.ServiceEnd))
	default:
		r.ServiceDate = date
	}
	if !c.hasCommunity(in.CommunityID) {
		bad("community_id", "must be one of the contract's communities")
	}
	if _, ok := c.serviceType(r.ServiceType); !ok {
		bad("service_type", "must be one of the contract's service types (metrics counted from service records)")
	}
	if in.DurationMinutes < 1 || in.DurationMinutes > MaxDurationMinutes {
		bad("duration_minutes", "must be a whole number of minutes from 1 to 1440")
	}
	name := strings.TrimSpace(in.StaffName)
	switch {
	case in.StaffUserID != nil && name != "":
		bad("staff_name", "give either staff_user_id or staff_name, not both")
	case in.StaffUserID != nil:
		if !c.members[*in.StaffUserID] {
			bad("staff_user_id", "must be an active member of the organization")
		}
		id := *in.StaffUserID
		r.StaffUserID = &id
	case name == "":
		bad("staff_name", "is required (or staff_user_id)")
	case utf8.RuneCountInString(name) > MaxStaffName || !printable(name):
		bad("staff_name", "must be at most 40 characters of text")
	case PersonalIdentifier(name) != "":
		bad("staff_name", "must be a name, without "+PersonalIdentifier(name))
	default:
		r.StaffName = &name
	}
	switch n := utf8.RuneCountInString(r.BeneficiaryRef); {
	case n == 0:
		bad("beneficiary_ref", "is required")
	case n > MaxBeneficiaryRef || !printable(r.BeneficiaryRef):
		bad("beneficiary_ref", "must be at most 64 characters of text")
	case PersonalIdentifier(r.BeneficiaryRef) != "":
		bad("beneficiary_ref", "must be a pseudonymous reference, not "+PersonalIdentifier(r.BeneficiaryRef)+": no personal identifier is stored")
	}
	switch {
	case len(r.Notes) > MaxNotes:
		bad("notes", "must be at most 2000 bytes")
	case !utf8.ValidString(r.Notes) || strings.ContainsRune(r.Notes, 0):
		bad("notes", "must be text")
	case PersonalIdentifier(r.Notes) != "":
		bad("notes", "must not hold "+PersonalIdentifier(r.Notes)+": no personal identifier is stored")
	}
	return r
}

// printable reports whether s is valid UTF-8 without control characters.
func printable(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return false
		}
	}
	return true
}

func (c *contractInfo) hasCommunity(id int64) bool {
	for _, m := range c.communities {
		if m.ID == id {
			return true
		}
	}
	return false
}

func (c *contractInfo) serviceType(code string) (serviceType, bool) {
	for _, t := range c.types {
		if t.Code == code {
			return t, true
		}
	}
	return serviceType{}, false
}

// stamp completes new records made by by at now.
func stamp(rows []Record, by access.Actor, now time.Time) {
	for i := range rows {
		rows[i].RatingExpiresAt = now.Add(CodeValidity)
		rows[i].Revision = 1
		rows[i].RecordedBy = by.UserRef()
		rows[i].CreatedAt, rows[i].UpdatedAt = now, now
	}
}

// insertBatch is the rows of one INSERT: 18 columns, well below PostgreSQL's
// 65,535 parameters.
const insertBatch = 1000

// insert issues the rows' rating codes and inserts them.
func (s *Service) insert(tx *gorm.DB, rows []Record) error {
	if err := s.issueCodes(tx, rows); err != nil {
		return err
	}
	if err := tx.CreateInBatches(rows, insertBatch).Error; err != nil {
		return fmt.Errorf("insert service records: %w", err)
	}
	return nil
}

// Record records one service delivered on a contract, by the contract's
// organization's staff (others: apperr.ErrForbidden; another organization's
// contract: apperr.ErrNotFound), and issues its rating code. It returns
// ErrContractNotActive unless the contract is signed or active, and a
// validation error naming each bad field of in (Input). The view carries the
// rating code.
func (s *Service) Record(ctx context.Context, by access.Actor, contractID int64, in Input) (View, error) {
	var v View
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		c, err := writableContract(tx, by, contractID)
		if err != nil {
			return err
		}
		now := s.clock.Now()
		var bad apperr.Fields
		r := c.check(in, civil.ChinaDate(now), bad.Add)
		if err := bad.Err(); err != nil {
			return err
		}
		rows := []Record{r}
		stamp(rows, by, now)
		if err := s.insert(tx, rows); err != nil {
			return err
		}
		v = s.view(by, rows[0])
		return audit.Record(tx, by, "service_record.create", "service_record", rows[0].ID, map[string]any{
			"contract_id": contractID, "service_date": r.ServiceDate.String(), "community_id": r.CommunityID,
			"service_type": r.ServiceType, "duration_minutes": r.DurationMinutes})
	})
	return v, err
}

// Filter selects a contract's records: service dates from From to Until (both
// included, zero for no bound), a community, a service type; a page of PerPage
// (default 20, at most 100).
type Filter struct {
	From, Until civil.Date
	CommunityID int64
	ServiceType string
	Page        int
	PerPage     int
}

// ParseFilter reads a filter as typed in a query: from and until as dates
// (YYYY-MM-DD). Each bad value is added to bad; the filter holds the good ones.
func ParseFilter(bad *apperr.Fields, from, until, serviceType string) Filter {
	var f Filter
	date := func(field, text string) civil.Date {
		if text = strings.TrimSpace(text); text == "" {
			return civil.Date{}
		}
		d, err := civil.ParseDate(text)
		bad.Check(err == nil, field, "must be a date (YYYY-MM-DD)")
		return d
	}
	f.From, f.Until = date("from", from), date("until", until)
	if !f.From.IsZero() && !f.Until.IsZero() && f.Until.Before(f.From) {
		bad.Add("until", "must not be before from")
	}
	f.ServiceType = strings.TrimSpace(serviceType)
	bad.Check(len(f.ServiceType) <= 64, "service_type", "must be at most 64 bytes")
	return f
}

// Page is one page of records.
type Page struct {
	Items   []View `json:"items"`
	Total   int    `json:"total"`
	Page    int    `json:"page"`
	PerPage int    `json:"per_page"`
}

// List returns a page of a contract's records, latest service date first, for
// Readers: apperr.ErrForbidden for other roles, apperr.ErrNotFound for a
// contract outside the caller's scope.
func (s *Service) List(ctx context.Context, by access.Actor, contractID int64, f Filter) (Page, error) {
	if !by.Is(Readers...) {
		return Page{}, apperr.ErrForbidden
	}
	db := s.db.WithContext(ctx)
	if _, err := readContract(db, by, contractID, false); err != nil {
		return Page{}, err
	}
	if f.Page < 1 {
		f.Page = 1
	}
	if f.PerPage < 1 || f.PerPage > 100 {
		f.PerPage = 20
	}
	q := db.Model(&Record{}).Where("contract_id = ?", contractID)
	if !f.From.IsZero() {
		q = q.Where("service_date >= ?", f.From)
	}
	if !f.Until.IsZero() {
		q = q.Where("service_date <= ?", f.Until)
	}
	if f.CommunityID != 0 {
		q = q.Where("community_id = ?", f.CommunityID)
	}
	if f.ServiceType != "" {
		q = q.Where("service_type = ?", f.ServiceType)
	}
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return Page{}, fmt.Errorf("count service records: %w", err)
	}
	var rows []Record
	if err := q.Order("service_date DESC, id DESC").Offset((f.Page - 1) * f.PerPage).Limit(f.PerPage).Find(&rows).Error; err != nil {
		return Page{}, fmt.Errorf("list service records: %w", err)
	}
	out := Page{Items: make([]View, 0, len(rows)), Total: int(total), Page: f.Page, PerPage: f.PerPage}
	for _, r := range rows {
		out.Items = append(out.Items, s.view(by, r))
	}
	return out, nil
}

// Correction changes some fields of a record (nil keeps a field; setting
// StaffUserID clears the staff name and the other way round), for Reason.
type Correction struct {
	Date            *string
	CommunityID     *int64
	ServiceType     *string
	DurationMinutes *int
	StaffUserID     *int64
	StaffName       *string
	BeneficiaryRef  *string
	Notes           *string
	Reason          string
}

// Correct corrects a record, by its organization's staff (others:
// apperr.ErrForbidden; another organization's record: apperr.ErrNotFound),
// within CorrectionWindow of its recording (ErrCorrectionClosed) while its
// contract is signed or active (ErrContractNotActive). The previous values are
// kept as a revision with who, when and the reason. The result must pass the
// rules of Record (a validation error naming each bad field); a correction
// that changes nothing is ErrNoChange.
func (s *Service) Correct(ctx context.Context, by access.Actor, recordID int64, in Correction) (View, error) {
	if !by.Is(access.OrgStaff...) {
		return View{}, apperr.ErrForbidden
	}
	var v View
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var contractID int64
		err := tx.Model(&Record{}).Select("contract_id").Where("id = ? AND organization_id = ?", recordID, by.Scope.OrganizationID).
			Take(&contractID).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return apperr.ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("read service record %d: %w", recordID, err)
		}
		c, err := writableContract(tx, by, contractID)
		if err != nil {
			return err
		}
		var old Record
		if err := tx.Clauses(clause.Locking{Strength: "NO KEY UPDATE"}).Where("id = ?", recordID).Take(&old).Error; err != nil {
			return fmt.Errorf("lock service record %d: %w", recordID, err)
		}
		now := s.clock.Now()
		if !now.Before(old.CreatedAt.Add(CorrectionWindow)) {
			return ErrCorrectionClosed
		}
		merged := in.apply(old)
		var bad apperr.Fields
		reason := strings.TrimSpace(in.Reason)
		switch {
		case reason == "":
			bad.Add("reason", "is required")
		case utf8.RuneCountInString(reason) > MaxReason || !printable(reason):
			bad.Add("reason", "must be at most 500 characters of text")
		}
		r := c.check(merged, civil.ChinaDate(now), bad.Add)
		if err := bad.Err(); err != nil {
			return err
		}
		changed := changes(old, r)
		if len(changed) == 0 {
			return ErrNoChange
		}
		prev, err := json.Marshal(previous(old))
		if err != nil {
			return fmt.Errorf("service record %d revision: %w", old.ID, err)
		}
		if err := tx.Table("service_record_revisions").Create(map[string]any{"record_id": old.ID, "revision": old.Revision,
			"previous": string(prev), "reason": reason, "revised_by": by.UserRef(), "revised_at": now}).Error; err != nil {
			return fmt.Errorf("insert service record revision: %w", err)
		}
		res := tx.Model(&Record{}).Where("id = ? AND revision = ?", old.ID, old.Revision).Updates(map[string]any{
			"service_date": r.ServiceDate, "community_id": r.CommunityID, "service_type": r.ServiceType,
			"duration_minutes": r.DurationMinutes, "staff_user_id": r.StaffUserID, "staff_name": r.StaffName,
			"beneficiary_ref": r.BeneficiaryRef, "notes": r.Notes, "revision": old.Revision + 1, "updated_at": now})
		if res.Error != nil {
			return fmt.Errorf("correct service record %d: %w", old.ID, res.Error)
		}
		if res.RowsAffected != 1 {
			return fmt.Errorf("correct service record %d: revision %d changed underneath", old.ID, old.Revision)
		}
		r.ID, r.RatingCodeNonce, r.RatingExpiresAt, r.RatingUsedAt = old.ID, old.RatingCodeNonce, old.RatingExpiresAt, old.RatingUsedAt
		r.Revision, r.RecordedBy, r.CreatedAt, r.UpdatedAt = old.Revision+1, old.RecordedBy, old.CreatedAt, now
		v = s.view(by, r)
		return audit.Record(tx, by, "service_record.correct", "service_record", old.ID, map[string]any{
			"contract_id": contractID, "revision": old.Revision + 1, "fields": changed, "reason": reason})
	})
	return v, err
}

// apply returns the input that old corrected by in describes.
func (in Correction) apply(old Record) Input {
	out := Input{Date: old.ServiceDate.String(), CommunityID: old.CommunityID, ServiceType: old.ServiceType,
		DurationMinutes: old.DurationMinutes, StaffUserID: old.StaffUserID, BeneficiaryRef: old.BeneficiaryRef, Notes: old.Notes}
	if old.StaffName != nil {
		out.StaffName = *old.StaffName
	}
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	set(&out.Date, in.Date)
	set(&out.ServiceType, in.ServiceType)
	set(&out.BeneficiaryRef, in.BeneficiaryRef)
	set(&out.Notes, in.Notes)
	if in.CommunityID != nil {
		out.CommunityID = *in.CommunityID
	}
	if in.DurationMinutes != nil {
		out.DurationMinutes = *in.DurationMinutes
	}
	switch {
	case in.StaffUserID != nil && in.StaffName != nil:
		out.StaffUserID, out.StaffName = in.StaffUserID, *in.StaffName // refused by check: both given
	case in.StaffUserID != nil:
		out.StaffUserID, out.StaffName = in.StaffUserID, ""
	case in.StaffName != nil:
		out.StaffUserID, out.StaffName = nil, *in.StaffName
	}
	return out
}

// previous is what a revision keeps of a record: every field a correction can change.
func previous(r Record) map[string]any {
	return map[string]any{"service_date": r.ServiceDate.String(), "community_id": r.CommunityID, "service_type": r.ServiceType,
		"duration_minutes": r.DurationMinutes, "staff_user_id": r.StaffUserID, "staff_name": r.StaffName,
		"beneficiary_ref": r.BeneficiaryRef, "notes": r.Notes}
}

// changes names the fields in which r differs from old.
func changes(old, r Record) []string {
	var out []string
	add := func(differ bool, name string) {
		if differ {
			out = append(out, name)
		}
	}
	add(old.ServiceDate != r.ServiceDate, "service_date")
	add(old.CommunityID != r.CommunityID, "community_id")
	add(old.ServiceType != r.ServiceType, "service_type")
	add(old.DurationMinutes != r.DurationMinutes, "duration_minutes")
	add(!equalPtr(old.StaffUserID, r.StaffUserID), "staff_user_id")
	add(!equalPtr(old.StaffName, r.StaffName), "staff_name")
	add(old.BeneficiaryRef != r.BeneficiaryRef, "beneficiary_ref")
	add(old.Notes != r.Notes, "notes")
	return out
}

func equalPtr[T comparable](a, b *T) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}
