package delivery_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/delivery"
)

// idNumber completes 17 digits with their GB 11643 check character.
func idNumber(base string) string {
	w := []int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i, d := range base {
		sum += int(d-'0') * w[i]
	}
	return base + string("10X98765432"[sum%11])
}

// wrongCheck is idNumber(base) with another check character: not an ID number.
func wrongCheck(base string) string {
	id := idNumber(base)
	if id[17] == '0' {
		return base + "1"
	}
	return base + "0"
}

func TestPersonalIdentifier(t *testing.T) {
	t.Parallel()
	id := idNumber("11010519491231002")
	tests := []struct {
		text string
		want string
	}{
		{id, "a resident ID number"},
		{strings.ToLower(id), "a resident ID number"}, // a check character x in lower case
		{"对象 " + id + " 已服务", "a resident ID number"},
		{wrongCheck("11010519491231002"), ""},
		{"13812345678", "a mobile number"},
		{"+86 138-1234-5678", "a mobile number"},
		{"86 13812345678", "a mobile number"},
		{"+8613812345678", "a mobile number"},
		{"电话138 1234 5678", "a mobile number"},
		{"12812345678", ""},       // 12x is no mobile prefix
		{"138123456789", ""},      // 12 digits
		{"NJ-0001", ""},           // a pseudonym
		{"2026年11月21日上门90分钟", ""}, // dates and numbers in notes
	}
	for _, tt := range tests {
		want := tt.want
		if got := delivery.PersonalIdentifier(tt.text); got != want {
			t.Errorf("PersonalIdentifier(%q) = %q, want %q", tt.text, got, want)
		}
	}
}

func TestRecordRefusesPersonalIdentifiers(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	tests := []struct {
		name  string
		edit  func(*delivery.Input)
		field string
	}{
		{"ID number as reference", func(in *delivery.Input) { in.BeneficiaryRef = idNumber("33050219560312004") }, "beneficiary_ref"},
		{"ID number ending in X", func(in *delivery.Input) { in.BeneficiaryRef = idNumber("11010519491231002") }, "beneficiary_ref"}, // check X
		{"mobile as reference", func(in *delivery.Input) { in.BeneficiaryRef = "13905721234" }, "beneficiary_ref"},
		{"mobile with +86 and dashes", func(in *delivery.Input) { in.BeneficiaryRef = "+86-139-0572-1234" }, "beneficiary_ref"},
		{"mobile in notes", func(in *delivery.Input) { in.Notes = "家属电话 139 0572 1234，下次提前联系" }, "notes"},
		{"ID number in notes", func(in *delivery.Input) { in.Notes = "身份证" + idNumber("33050219560312004") }, "notes"},
		{"reference too long", func(in *delivery.Input) { in.BeneficiaryRef = strings.Repeat("长", 65) }, "beneficiary_ref"},
		{"reference missing", func(in *delivery.Input) { in.BeneficiaryRef = " " }, "beneficiary_ref"},
		{"notes too long", func(in *delivery.Input) { in.Notes = strings.Repeat("记", 667) }, "notes"},
	}
	before, audits := count(t, w, "service_records"), count(t, w, "audit_entries")
	for _, tt := range tests {
		in := w.input()
		tt.edit(&in)
		_, err := w.svc.Record(context.Background(), w.org, w.contract.ID, in)
		if !hasField(err, tt.field) {
			t.Errorf("%s: Record() error = %v, want a validation error naming %s", tt.name, err, tt.field)
		}
	}
	if n, a := count(t, w, "service_records"), count(t, w, "audit_entries"); n != before || a != audits {
		t.Errorf("refused records wrote rows: service_records %d → %d, audit_entries %d → %d", before, n, audits, a)
	}
	// 18 digits whose check character is wrong is no ID number: a reference may be one.
	in := w.input()
	in.BeneficiaryRef = wrongCheck("33050219560312004")
	w.record(t, in)
}

func TestRecordDates(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	for _, tt := range []struct {
		name string
		date string
		ok   bool
	}{
		{"today", w.today.String(), true},
		{"first day of the period", w.contract.ServiceStart.String(), true},
		{"before the period", w.contract.ServiceStart.AddDays(-1).String(), false},
		{"tomorrow", w.today.AddDays(1).String(), false},
		{"not a date", "2026-13-01", false},
		{"missing", "", false},
	} {
		in := w.input()
		in.Date = tt.date
		_, err := w.svc.Record(context.Background(), w.org, w.contract.ID, in)
		if tt.ok != (err == nil) || (!tt.ok && !hasField(err, "date")) {
			t.Errorf("%s: Record(date %q) error = %v, want ok %v (else naming date)", tt.name, tt.date, err, tt.ok)
		}
	}
	// The clock's day in China decides: 23:30 UTC is already the next day there.
	w.e.Clock.Set(time.Date(2026, 11, 22, 16, 30, 0, 0, time.UTC))
	in := w.input()
	in.Date = "2026-11-23"
	if _, err := w.svc.Record(context.Background(), w.org, w.contract.ID, in); err != nil {
		t.Errorf("Record(China's today 2026-11-23 at 16:30 UTC) error = %v, want nil", err)
	}
}

func TestRecordFields(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	member := w.e.ActorOf(t, "demo-member")
	other := w.e.ActorOf(t, "demo-org2")
	tests := []struct {
		name  string
		edit  func(*delivery.Input)
		field string
	}{
		{"community of another subdistrict", func(in *delivery.Input) { in.CommunityID = w.e.Demo(t).CommB }, "community_id"},
		{"service type from ratings", func(in *delivery.Input) { in.ServiceType = "satisfaction" }, "service_type"},
		{"no duration", func(in *delivery.Input) { in.DurationMinutes = 0 }, "duration_minutes"},
		{"a day and a minute", func(in *delivery.Input) { in.DurationMinutes = 1441 }, "duration_minutes"},
		{"staff of another organization", func(in *delivery.Input) { in.StaffUserID, in.StaffName = &other.UserID, "" }, "staff_user_id"},
		{"both staff forms", func(in *delivery.Input) { in.StaffUserID = &member.UserID }, "staff_name"},
		{"no staff", func(in *delivery.Input) { in.StaffName = "" }, "staff_name"},
	}
	for _, tt := range tests {
		in := w.input()
		tt.edit(&in)
		if _, err := w.svc.Record(context.Background(), w.org, w.contract.ID, in); !hasField(err, tt.field) {
			t.Errorf("%s: Record() error = %v, want a validation error naming %s", tt.name, err, tt.field)
		}
	}
	in := w.input()
	in.StaffUserID, in.StaffName, in.ServiceType, in.DurationMinutes = &member.UserID, "", "volunteer_hours", 150
	v := w.record(t, in)
	if v.StaffUserID == nil || *v.StaffUserID != member.UserID || v.StaffName != nil {
		t.Errorf("Record() staff = %v, %v; want user %d and no name", v.StaffUserID, v.StaffName, member.UserID)
	}

	// Only a signed or active contract takes records.
	for _, status := range []string{"completed", "terminated"} {
		w.e.SetContractStatus(t, w.contract.ID, status)
		if _, err := w.svc.Record(context.Background(), w.org, w.contract.ID, w.input()); !errors.Is(err, delivery.ErrContractNotActive) {
			t.Errorf("Record() on a %s contract error = %v, want ErrContractNotActive", status, err)
		}
	}
	w.e.SetContractStatus(t, w.contract.ID, "signed")
	w.record(t, w.input())
	if _, err := w.svc.Record(context.Background(), other, w.contract.ID, w.input()); !errors.Is(err, apperr.ErrNotFound) {
		t.Errorf("Record() by another organization error = %v, want ErrNotFound", err)
	}
}

func TestCountsDuration(t *testing.T) {
	t.Parallel()
	for unit, want := range map[string]float64{"小时": 1.5, "次": 1, "场": 1, "件": 1, "人": 1, "个": 1, "节": 1, "课时": 1, "分钟": 90} {
		if got := delivery.Quantity(unit, 90); got != want {
			t.Errorf("Quantity(%q, 90) = %v, want %v", unit, got, want)
		}
		if got := delivery.CountsDuration(unit); got != (unit == "小时" || unit == "分钟") {
			t.Errorf("CountsDuration(%q) = %v", unit, got)
		}
	}
}

func TestCorrect(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	v := w.record(t, w.input())
	ctx := context.Background()
	ref, notes := "NJ-0002", "改为两次助浴"
	got, err := w.svc.Correct(ctx, w.org, v.ID, delivery.Correction{BeneficiaryRef: &ref, Notes: &notes, Reason: "录错了服务对象"})
	if err != nil {
		t.Fatalf("Correct() error = %v", err)
	}
	if got.BeneficiaryRef == nil || *got.BeneficiaryRef != ref || got.Notes != notes || got.Revision != 2 {
		t.Errorf("Correct() = ref %v notes %q revision %d, want %s, %s, 2", got.BeneficiaryRef, got.Notes, got.Revision, ref, notes)
	}
	if got.RatingCode == nil || got.RatingCode.Code != v.RatingCode.Code {
		t.Errorf("Correct() rating code = %v, want it unchanged (%v)", got.RatingCode, v.RatingCode)
	}
	var rev struct {
		Previous  string
		Reason    string
		RevisedBy int64
	}
	if err := w.e.DB.Table("service_record_revisions").Where("record_id = ?", v.ID).Take(&rev).Error; err != nil {
		t.Fatalf("revision: %v", err)
	}
	if !strings.Contains(rev.Previous, `"beneficiary_ref": "NJ-0001"`) || !strings.Contains(rev.Previous, "助浴一次") ||
		rev.Reason != "录错了服务对象" || rev.RevisedBy != w.org.UserID {
		t.Errorf("revision = %+v, want the old reference and notes, the reason and demo-org", rev)
	}
	if err := w.e.DB.Exec(`DELETE FROM service_records WHERE id = ?`, v.ID).Error; err == nil {
		t.Error("DELETE FROM service_records succeeded, want records never deleted")
	}

	// Refusals write nothing.
	before, audits := count(t, w, "service_record_revisions"), count(t, w, "audit_entries")
	if _, err := w.svc.Correct(ctx, w.org, v.ID, delivery.Correction{Notes: &notes, Reason: "无变化"}); !errors.Is(err, delivery.ErrNoChange) {
		t.Errorf("Correct() changing nothing error = %v, want ErrNoChange", err)
	}
	phone := "13905721234"
	if _, err := w.svc.Correct(ctx, w.org, v.ID, delivery.Correction{BeneficiaryRef: &phone, Reason: "改"}); !hasField(err, "beneficiary_ref") {
		t.Errorf("Correct() to a mobile number error = %v, want a validation error naming beneficiary_ref", err)
	}
	if _, err := w.svc.Correct(ctx, w.org, v.ID, delivery.Correction{Notes: &ref}); !hasField(err, "reason") {
		t.Errorf("Correct() without a reason error = %v, want a validation error naming reason", err)
	}
	if _, err := w.svc.Correct(ctx, w.e.ActorOf(t, "demo-org2"), v.ID, delivery.Correction{Notes: &ref, Reason: "越权"}); !errors.Is(err, apperr.ErrNotFound) {
		t.Errorf("Correct() by another organization error = %v, want ErrNotFound", err)
	}
	// Seven days after recording, the record is closed.
	w.e.Clock.Advance(delivery.CorrectionWindow - time.Minute)
	later := "六天后更正"
	if _, err := w.svc.Correct(ctx, w.e.ActorOf(t, "demo-member"), v.ID, delivery.Correction{Notes: &later, Reason: "补充"}); err != nil {
		t.Errorf("Correct() a minute before the window closes error = %v, want nil", err)
	}
	before++
	audits++
	w.e.Clock.Advance(time.Minute)
	if _, err := w.svc.Correct(ctx, w.org, v.ID, delivery.Correction{Notes: &notes, Reason: "太晚"}); !errors.Is(err, delivery.ErrCorrectionClosed) {
		t.Errorf("Correct() 7 days after error = %v, want ErrCorrectionClosed", err)
	}
	if n, a := count(t, w, "service_record_revisions"), count(t, w, "audit_entries"); n != before || a != audits {
		t.Errorf("refused corrections wrote rows: revisions %d → %d, audit_entries %d → %d", before, n, audits, a)
	}
}

// hasField reports whether err is an apperr naming field.
func hasField(err error, field string) bool {
	e, ok := apperr.As(err)
	if !ok {
		return false
	}
	for _, f := range e.Fields {
		if f.Field == field {
			return true
		}
	}
	return false
}
