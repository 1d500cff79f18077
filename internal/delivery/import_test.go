package delivery_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/delivery"
)

// importErrors returns the lines and columns an ErrImportInvalid names, failing otherwise.
func importErrors(t *testing.T, err error) []apperr.FieldError {
	t.Helper()
	e, ok := apperr.As(err)
	if !ok || !errors.Is(err, delivery.ErrImportInvalid) || e.Kind.Status() != 422 {
		t.Fatalf("Import() error = %v, want ErrImportInvalid (422)", err)
	}
	return e.Fields
}

func TestImport10000(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	before, audits := count(t, w, "service_records"), count(t, w, "audit_entries")

	// One bad row among 10,000: nothing imported, the row named.
	one := w.csvFile(10000, map[int]string{7777: w.today.String() + ",1,service_visits,60,王丽,13905721234,"})
	fields := importErrors(t, func() error { _, err := w.svc.Import(ctx, w.org, w.contract.ID, one); return err }())
	if len(fields) != 1 || fields[0].Line != 7778 || fields[0].Field != "beneficiary_ref" {
		t.Errorf("Import() errors = %+v, want line 7778 beneficiary_ref alone", fields)
	}
	// Several bad rows: every one named, with its column.
	several := w.csvFile(10000, map[int]string{
		2:    w.today.AddDays(1).String() + ",南街社区,service_visits,60,王丽,A1,",
		500:  w.today.String() + ",不存在的社区,service_visits,60,王丽,A2,",
		9000: w.today.String() + ",南街社区,无此服务,0,王丽,A3,",
		9999: w.today.String() + ",南街社区,service_visits,60,王丽",
	})
	fields = importErrors(t, func() error { _, err := w.svc.Import(ctx, w.org, w.contract.ID, several); return err }())
	want := []apperr.FieldError{{Line: 3, Field: "date"}, {Line: 501, Field: "community"}, {Line: 9001, Field: "service_type"},
		{Line: 9001, Field: "duration_minutes"}, {Line: 10000, Field: ""}}
	if len(fields) != len(want) {
		t.Fatalf("Import() errors = %+v, want %d", fields, len(want))
	}
	for i := range want {
		if fields[i].Line != want[i].Line || fields[i].Field != want[i].Field || fields[i].Message == "" {
			t.Errorf("Import() error %d = %+v, want line %d field %q with a reason", i, fields[i], want[i].Line, want[i].Field)
		}
	}
	if n, a := count(t, w, "service_records"), count(t, w, "audit_entries"); n != before || a != audits {
		t.Fatalf("refused imports wrote rows: service_records %d → %d, audit_entries %d → %d", before, n, audits, a)
	}

	// The same file without the bad row imports 10,000 records and one audit entry.
	good := w.csvFile(10000, nil)
	res, err := w.svc.Import(ctx, w.org, w.contract.ID, good)
	if err != nil {
		t.Fatalf("Import() error = %v", err)
	}
	if res.Rows != 10000 || res.LastID-res.FirstID != 9999 || len(res.SHA256) != 64 {
		t.Errorf("Import() = %+v, want 10000 rows with consecutive ids and a digest", res)
	}
	if n, a := count(t, w, "service_records"), count(t, w, "audit_entries"); n != before+10000 || a != audits+1 {
		t.Errorf("after the import: service_records %d, audit_entries %d; want %d and %d", n, a, before+10000, audits+1)
	}
	var change string
	if err := w.e.DB.Table("audit_entries").Select("data").Where("action = 'service_record.import'").Take(&change).Error; err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(change, res.SHA256) || !strings.Contains(change, `"rows":10000`) {
		t.Errorf("import audit change = %s, want the digest and 10000 rows", change)
	}
	// No rating code is stored in clear: none of the codes appears anywhere in the records or the audit trail.
	codes := map[string]bool{}
	var rows []struct {
		ID              int64
		RatingCodeNonce int
	}
	if err := w.e.DB.Table("service_records").Select("id, rating_code_nonce").Scan(&rows).Error; err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		codes[w.svc.CodeFor(r.ID, r.RatingCodeNonce)] = true
	}
	if len(codes) != len(rows) {
		t.Errorf("%d records hold %d distinct codes", len(rows), len(codes))
	}
	for _, table := range []string{"service_records", "audit_entries"} {
		var dump string
		if err := w.e.DB.Raw(`SELECT coalesce(string_agg(upper(t::text), E'\n'), '') FROM ` + table + ` t`).Scan(&dump).Error; err != nil {
			t.Fatal(err)
		}
		for i := 0; i+delivery.CodeLength <= len(dump); i++ {
			if codes[dump[i:i+delivery.CodeLength]] {
				t.Fatalf("a rating code appears in clear in %s", table)
			}
		}
	}
}

func TestImportEncodings(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	day := w.today.AddDays(-3).String()
	// Chinese headers, community and service type by their Chinese names.
	text := "服务日期,社区,服务类型,服务时长(分钟),服务人员,服务对象编号,备注\n" +
		day + ",南街社区,志愿服务时长,120,李建国,志愿-甲,社区义诊\n" +
		day + ",衣裳街社区,上门服务人次,45,张秀英,助老-乙,\n"
	gb, err := simplifiedchinese.GB18030.NewEncoder().Bytes([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(gb, []byte(text)) {
		t.Fatal("the GB18030 file equals the UTF-8 one")
	}
	for name, file := range map[string][]byte{"GB18030": gb, "UTF-8 with BOM": append([]byte("\xef\xbb\xbf"), text...), "UTF-8": []byte(text)} {
		res, err := w.svc.Import(ctx, w.org, w.contract.ID, file)
		if err != nil || res.Rows != 2 {
			t.Fatalf("%s: Import() = %+v, %v; want 2 rows", name, res, err)
		}
		var got []struct {
			StaffName      string
			BeneficiaryRef string
			Notes          string
			ServiceType    string
		}
		if err := w.e.DB.Table("service_records").Where("id BETWEEN ? AND ?", res.FirstID, res.LastID).Order("id").Scan(&got).Error; err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0].StaffName != "李建国" || got[0].BeneficiaryRef != "志愿-甲" || got[0].Notes != "社区义诊" ||
			got[0].ServiceType != "volunteer_hours" || got[1].StaffName != "张秀英" || got[1].ServiceType != "service_visits" {
			t.Errorf("%s: imported %+v, want the Chinese names intact", name, got)
		}
	}
	// A file that is neither, a missing column, an unknown one: line 1 named.
	for name, file := range map[string]string{
		"missing column": "date,community,service_type,duration_minutes,staff\n" + day + ",1,service_visits,5,王丽\n",
		"unknown column": "date,community,service_type,duration_minutes,staff,beneficiary_ref,phone\n",
		"empty":          "",
		"header only":    "date,community,service_type,duration_minutes,staff,beneficiary_ref\n",
	} {
		_, err := w.svc.Import(ctx, w.org, w.contract.ID, []byte(file))
		if fields := importErrors(t, err); len(fields) == 0 || fields[0].Line > 2 {
			t.Errorf("%s: Import() errors = %+v, want the header (line 1) or the first row named", name, fields)
		}
	}
}

func TestRatingCodes(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	v := w.record(t, w.input())
	if v.RatingCode == nil || len(v.RatingCode.Code) != delivery.CodeLength || !v.RatingCode.ExpiresAt.Equal(v.CreatedAt.Add(delivery.CodeValidity)) {
		t.Fatalf("Record() rating code = %+v, want 10 characters valid 30 days from %v", v.RatingCode, v.CreatedAt)
	}
	code := v.RatingCode.Code
	// Re-printable on a later day, by any of the organization's staff.
	w.e.Clock.Advance(72 * 3600e9)
	again, err := w.svc.RatingCode(ctx, w.e.ActorOf(t, "demo-member"), v.ID)
	if err != nil || again.Code != code {
		t.Errorf("RatingCode() = %+v, %v; want %s", again, err, code)
	}
	if _, err := w.svc.RatingCode(ctx, w.e.ActorOf(t, "demo-org2"), v.ID); !errors.Is(err, apperr.ErrNotFound) {
		t.Errorf("RatingCode() by another organization error = %v, want ErrNotFound", err)
	}
	if _, err := w.svc.RatingCode(ctx, w.e.ActorOf(t, "demo-officer"), v.ID); !errors.Is(err, apperr.ErrForbidden) {
		t.Errorf("RatingCode() by an officer error = %v, want ErrForbidden", err)
	}
	// Looked up however a resident types it.
	typed := strings.ToLower(code[:5]) + "-" + code[5:]
	typed = strings.NewReplacer("1", "l", "0", "o").Replace(typed)
	info, err := w.svc.LookupRatingCode(ctx, typed)
	if err != nil || info.RecordID != v.ID || info.Used || !info.ExpiresAt.Equal(v.RatingCode.ExpiresAt) {
		t.Errorf("LookupRatingCode(%q) = %+v, %v; want record %d, unused", typed, info, err, v.ID)
	}
	for _, bad := range []string{"", "ABC", code + "0", "UUUUUUUUUU", "0000000000"} {
		if _, err := w.svc.LookupRatingCode(ctx, bad); !errors.Is(err, delivery.ErrUnknownCode) {
			t.Errorf("LookupRatingCode(%q) error = %v, want ErrUnknownCode", bad, err)
		}
	}
	// Neither officers nor the district admin see the code; the district admin sees no reference either.
	for who, wantRef := range map[string]bool{"demo-officer": true, "demo-finance": true, "demo-district": false, "demo-member": true} {
		page, err := w.svc.List(ctx, w.e.ActorOf(t, who), w.contract.ID, delivery.Filter{})
		if err != nil || len(page.Items) != 1 {
			t.Fatalf("List() as %s = %+v, %v", who, page, err)
		}
		it := page.Items[0]
		if (it.BeneficiaryRef != nil) != wantRef || (it.RatingCode != nil) != (who == "demo-member") {
			t.Errorf("List() as %s: reference shown %v, code shown %v", who, it.BeneficiaryRef != nil, it.RatingCode != nil)
		}
	}
	if _, err := w.svc.List(ctx, w.e.ActorOf(t, "demo-officer2"), w.contract.ID, delivery.Filter{}); !errors.Is(err, apperr.ErrNotFound) {
		t.Errorf("List() by another subdistrict's officer error = %v, want ErrNotFound", err)
	}
}

// 100,000 rating codes issued the way records issue them (ten imports of
// 10,000 rows): no two alike, each 10 canonical Crockford symbols, and none
// stored in clear: no record (but for its keyed hash) nor audit entry holds
// any of them.
func TestRatingCodes100000(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	file := w.csvFile(10000, nil)
	for range 10 {
		if _, err := w.svc.Import(ctx, w.org, w.contract.ID, file); err != nil {
			t.Fatalf("Import() error = %v", err)
		}
	}
	var rows []struct {
		ID              int64
		RatingCodeNonce int
	}
	if err := w.e.DB.Table("service_records").Select("id, rating_code_nonce").Scan(&rows).Error; err != nil {
		t.Fatal(err)
	}
	codes := make(map[string]bool, len(rows))
	for _, r := range rows {
		c := w.svc.CodeFor(r.ID, r.RatingCodeNonce)
		if norm, ok := delivery.NormalizeCode(c); !ok || norm != c || len(c) != delivery.CodeLength {
			t.Fatalf("code %q is not 10 canonical Crockford symbols", c)
		}
		codes[c] = true
	}
	var hashes int64
	if err := w.e.DB.Raw(`SELECT count(DISTINCT rating_code_hash) FROM service_records`).Scan(&hashes).Error; err != nil {
		t.Fatal(err)
	}
	if len(rows) < 100000 || len(codes) != len(rows) || hashes != int64(len(rows)) {
		t.Fatalf("%d records hold %d distinct codes and %d distinct hashes, want 100,000 or more of each, all distinct", len(rows), len(codes), hashes)
	}
	for table, text := range map[string]string{
		"service_records": `SELECT upper((to_jsonb(t) - 'rating_code_hash')::text) FROM service_records t`,
		"audit_entries":   `SELECT upper(t::text) FROM audit_entries t`,
	} {
		var dump []string
		if err := w.e.DB.Raw(text).Scan(&dump).Error; err != nil {
			t.Fatal(err)
		}
		for _, row := range dump {
			for i := 0; i+delivery.CodeLength <= len(row); i++ {
				if codes[row[i:i+delivery.CodeLength]] {
					t.Fatalf("a rating code appears in clear in %s: %s", table, row)
				}
			}
		}
	}
}
