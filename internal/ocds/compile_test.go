package ocds_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/jiedao-market/jiedao/internal/ocds"
	"github.com/jiedao-market/jiedao/internal/ocds/ocdsschema"
)

const ocid = "ocds-abc123-7"

// release builds one release of ocid from its id, date, tags and the rest of its fields.
func release(t *testing.T, id, date string, tags []string, fields map[string]any) json.RawMessage {
	t.Helper()
	r := map[string]any{
		"ocid": ocid, "id": id, "date": date, "tag": tags, "initiationType": "tender",
	}
	for k, v := range fields {
		r[k] = v
	}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// compile runs Compile and decodes its result.
func compile(t *testing.T, releases ...json.RawMessage) map[string]any {
	t.Helper()
	out, err := ocds.Compile(releases)
	if err != nil {
		t.Fatalf("Compile() error = %v", err)
	}
	var got map[string]any
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("Compile() = %s: %v", out, err)
	}
	return got
}

// at walks a decoded document along keys and indexes.
func at(t *testing.T, doc any, path ...any) any {
	t.Helper()
	v := doc
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				t.Fatalf("at %v: %T is not an object", path, v)
			}
			v = m[k]
		case int:
			l, ok := v.([]any)
			if !ok || k >= len(l) {
				t.Fatalf("at %v: no item %d in %v", path, k, v)
			}
			v = l[k]
		}
	}
	return v
}

func value(amount float64) map[string]any { return map[string]any{"amount": amount, "currency": "CNY"} }

func TestCompile(t *testing.T) {
	tender := func(amount float64, extra map[string]any) map[string]any {
		t := map[string]any{"id": "7", "title": "居家养老上门服务", "status": "active", "value": value(amount)}
		for k, v := range extra {
			t[k] = v
		}
		return t
	}
	award := func(id, status string, amount float64) map[string]any {
		return map[string]any{"id": id, "status": status, "value": value(amount)}
	}
	milestones := func(statuses ...string) []any {
		var l []any
		for i, s := range statuses {
			l = append(l, map[string]any{"id": string(rune('1' + i)), "title": "阶段", "status": s})
		}
		return l
	}

	t.Run("an amendment replaces a value", func(t *testing.T) {
		got := compile(t,
			release(t, ocid+"-1", "2026-03-01T08:00:00Z", []string{"tender"}, map[string]any{"tender": tender(300000, nil)}),
			release(t, ocid+"-2", "2026-03-05T08:00:00Z", []string{"tenderAmendment"}, map[string]any{"tender": map[string]any{"value": value(280000)}}),
		)
		if v := at(t, got, "tender", "value", "amount"); v != 280000.0 {
			t.Errorf("tender.value.amount = %v, want 280000", v)
		}
		if v := at(t, got, "tender", "title"); v != "居家养老上门服务" {
			t.Errorf("tender.title = %v, want the first release's title kept", v)
		}
	})

	t.Run("a new award is added by a later release", func(t *testing.T) {
		got := compile(t,
			release(t, ocid+"-1", "2026-03-01T08:00:00Z", []string{"award"}, map[string]any{"awards": []any{award("a1", "pending", 100)}}),
			release(t, ocid+"-2", "2026-03-02T08:00:00Z", []string{"award"}, map[string]any{"awards": []any{award("a2", "active", 200)}}),
			release(t, ocid+"-3", "2026-03-03T08:00:00Z", []string{"awardUpdate"}, map[string]any{"awards": []any{map[string]any{"id": "a1", "status": "cancelled"}}}),
		)
		want := []any{
			map[string]any{"id": "a1", "status": "cancelled", "value": map[string]any{"amount": 100.0, "currency": "CNY"}},
			map[string]any{"id": "a2", "status": "active", "value": map[string]any{"amount": 200.0, "currency": "CNY"}},
		}
		if diff := cmp.Diff(want, got["awards"]); diff != "" {
			t.Errorf("awards (-want +got):\n%s", diff)
		}
	})

	t.Run("a milestone is updated by id", func(t *testing.T) {
		contract := func(ms []any) []any {
			return []any{map[string]any{"id": "c1", "awardID": "a1", "status": "active", "milestones": ms}}
		}
		got := compile(t,
			release(t, ocid+"-1", "2026-04-01T08:00:00Z", []string{"contract"}, map[string]any{"contracts": contract(milestones("scheduled", "scheduled", "scheduled"))}),
			release(t, ocid+"-2", "2026-05-01T08:00:00Z", []string{"implementation"}, map[string]any{"contracts": []any{map[string]any{
				"id": "c1", "milestones": []any{map[string]any{"id": "2", "status": "met"}},
			}}}),
		)
		want := []any{
			map[string]any{"id": "1", "title": "阶段", "status": "scheduled"},
			map[string]any{"id": "2", "title": "阶段", "status": "met"},
			map[string]any{"id": "3", "title": "阶段", "status": "scheduled"},
		}
		if diff := cmp.Diff(want, at(t, got, "contracts", 0, "milestones")); diff != "" {
			t.Errorf("contracts[0].milestones (-want +got):\n%s", diff)
		}
		if v := at(t, got, "contracts", 0, "status"); v != "active" {
			t.Errorf("contracts[0].status = %v, want active", v)
		}
	})

	t.Run("arrays without ids and wholeListMerge arrays are replaced whole", func(t *testing.T) {
		party := func(ids ...string) map[string]any {
			var add []any
			for _, id := range ids {
				add = append(add, map[string]any{"scheme": "CN-USCC", "id": id})
			}
			return map[string]any{"id": "p1", "name": "社工中心", "roles": []any{"tenderer"}, "additionalIdentifiers": add}
		}
		got := compile(t,
			release(t, ocid+"-1", "2026-03-01T08:00:00Z", []string{"tender"}, map[string]any{
				"tender":  tender(1, map[string]any{"submissionMethod": []any{"electronicSubmission", "inPerson"}}),
				"parties": []any{party("X1", "X2")},
			}),
			release(t, ocid+"-2", "2026-03-02T08:00:00Z", []string{"award"}, map[string]any{
				"tender":  map[string]any{"submissionMethod": []any{"electronicSubmission"}},
				"parties": []any{map[string]any{"id": "p1", "roles": []any{"supplier"}, "additionalIdentifiers": []any{map[string]any{"scheme": "CN-USCC", "id": "X3"}}}},
			}),
		)
		if diff := cmp.Diff([]any{"electronicSubmission"}, at(t, got, "tender", "submissionMethod")); diff != "" {
			t.Errorf("tender.submissionMethod (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]any{"supplier"}, at(t, got, "parties", 0, "roles")); diff != "" {
			t.Errorf("parties[0].roles (-want +got):\n%s", diff)
		}
		want := []any{map[string]any{"scheme": "CN-USCC", "id": "X3"}}
		if diff := cmp.Diff(want, at(t, got, "parties", 0, "additionalIdentifiers")); diff != "" {
			t.Errorf("parties[0].additionalIdentifiers (-want +got):\n%s", diff)
		}
		if v := at(t, got, "parties", 0, "name"); v != "社工中心" {
			t.Errorf("parties[0].name = %v, want kept", v)
		}
	})

	t.Run("a null removes the field", func(t *testing.T) {
		got := compile(t,
			release(t, ocid+"-1", "2026-03-01T08:00:00Z", []string{"tender"}, map[string]any{"tender": tender(1, map[string]any{"description": "说明"})}),
			release(t, ocid+"-2", "2026-03-02T08:00:00Z", []string{"tenderAmendment"}, map[string]any{"tender": map[string]any{"description": nil}}),
		)
		if _, ok := got["tender"].(map[string]any)["description"]; ok {
			t.Errorf("tender.description present after a null, want removed")
		}
	})

	t.Run("input order does not matter; the latest release dates the compiled one", func(t *testing.T) {
		r1 := release(t, ocid+"-1", "2026-03-01T08:00:00Z", []string{"tender"}, map[string]any{"tender": tender(300, nil)})
		r2 := release(t, ocid+"-2", "2026-03-01T09:00:00+08:00", []string{"tenderAmendment"}, map[string]any{"tender": map[string]any{"value": value(200)}})
		r3 := release(t, ocid+"-3", "2026-03-02T08:00:00Z", []string{"tenderAmendment"}, map[string]any{"tender": map[string]any{"value": value(100)}})
		// r2 is 01:00 UTC, before r1: r1's 300 is merged after it, then r3's 100 last.
		inOrder := compile(t, r2, r1, r3)
		for _, perm := range [][]json.RawMessage{{r3, r2, r1}, {r1, r3, r2}, {r3, r1, r2}} {
			if diff := cmp.Diff(inOrder, compile(t, perm...)); diff != "" {
				t.Errorf("Compile() depends on the input order (-sorted +shuffled):\n%s", diff)
			}
		}
		if v := at(t, inOrder, "tender", "value", "amount"); v != 100.0 {
			t.Errorf("tender.value.amount = %v, want 100 (the latest)", v)
		}
		shuffled := compile(t, r1, r2) // no r3: r1 at 08:00Z is later than r2 at 01:00Z
		if v := at(t, shuffled, "tender", "value", "amount"); v != 300.0 {
			t.Errorf("tender.value.amount = %v, want 300 (r1 is the later release)", v)
		}
		want := map[string]any{"ocid": ocid, "id": ocid + "-2026-03-02T08:00:00Z", "date": "2026-03-02T08:00:00Z", "tag": []any{"compiled"}}
		for k, w := range want {
			if diff := cmp.Diff(w, inOrder[k]); diff != "" {
				t.Errorf("compiled %s (-want +got):\n%s", k, diff)
			}
		}
	})

	t.Run("same date: merged by release id", func(t *testing.T) {
		a := release(t, ocid+"-a", "2026-03-01T08:00:00Z", []string{"tender"}, map[string]any{"tender": tender(1, nil)})
		b := release(t, ocid+"-b", "2026-03-01T08:00:00Z", []string{"tenderAmendment"}, map[string]any{"tender": map[string]any{"value": value(2)}})
		if v := at(t, compile(t, b, a), "tender", "value", "amount"); v != 2.0 {
			t.Errorf("tender.value.amount = %v, want 2 (release b merges after a)", v)
		}
	})
}

func TestCompileRefuses(t *testing.T) {
	ok := json.RawMessage(`{"ocid":"` + ocid + `","id":"1","date":"2026-03-01T08:00:00Z","tag":["tender"]}`)
	tests := []struct {
		name     string
		releases []json.RawMessage
	}{
		{"nothing", nil},
		{"not an object", []json.RawMessage{json.RawMessage(`[1]`)}},
		{"no ocid", []json.RawMessage{json.RawMessage(`{"id":"1","date":"2026-03-01T08:00:00Z"}`)}},
		{"no date", []json.RawMessage{json.RawMessage(`{"ocid":"` + ocid + `","id":"1"}`)}},
		{"two ocids", []json.RawMessage{ok, json.RawMessage(`{"ocid":"ocds-abc123-8","id":"2","date":"2026-03-01T08:00:00Z"}`)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if out, err := ocds.Compile(tt.releases); err == nil {
				t.Errorf("Compile() = %s, want an error", out)
			}
		})
	}
	if _, err := ocds.Compile(nil); !errors.Is(err, ocds.ErrNoReleases) {
		t.Errorf("Compile(nil) error = %v, want ErrNoReleases", err)
	}
}

// TestCompiledValidates compiles a whole lifecycle (tender, amendment, award, contract with
// milestones and metrics, a paid milestone) and validates the result against the release schema.
func TestCompiledValidates(t *testing.T) {
	v, err := ocdsschema.New()
	if err != nil {
		t.Fatalf("ocdsschema.New() error = %v", err)
	}
	buyer := map[string]any{"id": "CN-USCC-11110000000000000X", "name": "某街道办事处", "roles": []any{"buyer", "procuringEntity"},
		"identifier": map[string]any{"scheme": "CN-USCC", "id": "11110000000000000X"}}
	supplier := map[string]any{"id": "CN-USCC-52110000000000000Y", "name": "社工服务中心", "roles": []any{"tenderer", "supplier"},
		"identifier": map[string]any{"scheme": "CN-USCC", "id": "52110000000000000Y"}}
	metric := func(id string, measure int) []any {
		return []any{map[string]any{"id": "visits", "title": "上门服务次数",
			"observations": []any{map[string]any{"id": id, "measure": measure, "unit": map[string]any{"name": "次"}}}}}
	}
	releases := []json.RawMessage{
		release(t, ocid+"-4", "2026-05-01T08:00:00Z", []string{"implementation"}, map[string]any{
			"contracts": []any{map[string]any{"id": "c1", "awardID": "a1",
				"milestones":     []any{map[string]any{"id": "m1", "status": "met"}},
				"implementation": map[string]any{"metrics": metric("o-may", 310), "transactions": []any{map[string]any{"id": "t1", "date": "2026-05-01T08:00:00Z", "value": value(50000)}}}}},
		}),
		release(t, ocid+"-1", "2026-03-01T08:00:00Z", []string{"tender"}, map[string]any{
			"parties": []any{buyer}, "buyer": map[string]any{"id": buyer["id"], "name": buyer["name"]},
			"tender": map[string]any{"id": "7", "title": "居家养老上门服务", "status": "active", "value": value(300000),
				"procurementMethod": "open", "targets": metric("o-target", 1200)},
		}),
		release(t, ocid+"-2", "2026-03-05T08:00:00Z", []string{"tenderAmendment"}, map[string]any{
			"tender": map[string]any{"id": "7", "value": value(280000)},
		}),
		release(t, ocid+"-3", "2026-04-01T08:00:00Z", []string{"award", "contract"}, map[string]any{
			"parties": []any{supplier},
			"awards":  []any{map[string]any{"id": "a1", "status": "active", "value": value(260000), "agreedMetrics": metric("o-award", 1200)}},
			"contracts": []any{map[string]any{"id": "c1", "awardID": "a1", "status": "active", "value": value(260000),
				"agreedMetrics": metric("o-contract", 1200),
				"milestones": []any{
					map[string]any{"id": "m1", "title": "第一季度", "type": "delivery", "status": "scheduled"},
					map[string]any{"id": "m2", "title": "第二季度", "type": "delivery", "status": "scheduled"},
				}}},
		}),
	}
	out, err := ocds.Compile(releases)
	if err != nil {
		t.Fatalf("Compile() error = %v", err)
	}
	if err := v.Release(out); err != nil {
		t.Errorf("the compiled release does not validate: %v\n%s", err, out)
	}
	for _, r := range releases {
		if err := v.Release(r); err != nil {
			t.Errorf("input release does not validate: %v", err)
		}
	}
	got := map[string]any{}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	if n := len(at(t, got, "parties").([]any)); n != 2 {
		t.Errorf("len(parties) = %d, want 2 (buyer and supplier merged by id)", n)
	}
	if s := at(t, got, "contracts", 0, "milestones", 0, "status"); s != "met" {
		t.Errorf("contracts[0].milestones[0].status = %v, want met", s)
	}
	if s := at(t, got, "contracts", 0, "milestones", 1, "title"); s != "第二季度" {
		t.Errorf("contracts[0].milestones[1].title = %v, want kept", s)
	}
}
