package ocdsschema_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/jiedao-market/jiedao/internal/ocds/ocdsschema"
)

const minimalRelease = `{
	"ocid": "ocds-abc123-7", "id": "ocds-abc123-7-1", "date": "2026-03-01T08:00:00Z",
	"tag": ["tender"], "initiationType": "tender",
	"parties": [{"id": "CN-USCC-12345", "name": "街道办事处", "roles": ["buyer", "procuringEntity"]}],
	"tender": {"id": "7", "status": "active", "value": {"amount": 300000, "currency": "CNY"},
		"targets": [{"id": "visits", "title": "上门服务次数",
			"observations": [{"id": "visits-1", "measure": 1200, "unit": {"name": "次"}}]}]},
	"contracts": [{"id": "c1", "awardID": "a1", "status": "active",
		"agreedMetrics": [{"id": "visits", "observations": [{"id": "o1", "measure": 1200}]}],
		"implementation": {"metrics": [{"id": "visits", "observations": [{"id": "o2", "measure": 300}]}]}}]
}`

func newValidator(t *testing.T) *ocdsschema.Validator {
	t.Helper()
	v, err := ocdsschema.New()
	if err != nil {
		t.Fatalf("New() error = %v", err)
	}
	return v
}

// edit returns minimalRelease with change applied to its decoded form.
func edit(t *testing.T, change func(r map[string]any)) []byte {
	t.Helper()
	var r map[string]any
	if err := json.Unmarshal([]byte(minimalRelease), &r); err != nil {
		t.Fatal(err)
	}
	change(r)
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func obj(v any, key string) map[string]any { return v.(map[string]any)[key].(map[string]any) }
func first(v any, key string) map[string]any {
	return v.(map[string]any)[key].([]any)[0].(map[string]any)
}

func TestValidAccepted(t *testing.T) {
	v := newValidator(t)
	if err := v.Release([]byte(minimalRelease)); err != nil {
		t.Errorf("Release(minimal) error = %v, want nil", err)
	}
	pkg := `{"uri": "https://jiedao.example/api/v1/public/ocds/releases", "version": "1.1",
		"publishedDate": "2026-03-02T00:00:00Z", "publisher": {"name": "JieDao"},
		"extensions": ["https://raw.githubusercontent.com/open-contracting-extensions/ocds_metrics_extension/master/extension.json"],
		"releases": [` + minimalRelease + `]}`
	if err := v.ReleasePackage([]byte(pkg)); err != nil {
		t.Errorf("ReleasePackage(minimal) error = %v, want nil", err)
	}
	compiled := strings.Replace(strings.Replace(minimalRelease, `"tag": ["tender"]`, `"tag": ["compiled"]`, 1),
		`"id": "ocds-abc123-7-1"`, `"id": "ocds-abc123-7-2026-03-01T08:00:00Z"`, 1)
	rec := `{"uri": "https://jiedao.example/api/v1/public/ocds/records/ocds-abc123-7", "version": "1.1",
		"publishedDate": "2026-03-02T00:00:00Z", "publisher": {"name": "JieDao"},
		"records": [{"ocid": "ocds-abc123-7", "releases": [` + minimalRelease + `], "compiledRelease": ` + compiled + `}]}`
	if err := v.RecordPackage([]byte(rec)); err != nil {
		t.Errorf("RecordPackage(minimal) error = %v, want nil", err)
	}
}

func TestInvalidRejected(t *testing.T) {
	v := newValidator(t)
	tests := []struct {
		name          string
		doc           []byte
		pointer, rule string
	}{
		{"wrong tag", edit(t, func(r map[string]any) { r["tag"] = []any{"awarded"} }), "/tag", "codelist"},
		{"wrong currency", edit(t, func(r map[string]any) {
			obj(r["tender"], "value")["currency"] = "RMB"
		}), "/tender/value/currency", "enum"}, // a closed codelist: the schema's enum stops it first
		{"unknown party role", edit(t, func(r map[string]any) {
			first(r, "parties")["roles"] = []any{"buyer", "subdistrictOffice"}
		}), "/parties/0/roles", "codelist"},
		{"a document type outside its open codelist", edit(t, func(r map[string]any) {
			r["tender"].(map[string]any)["documents"] = []any{map[string]any{"id": "d1", "documentType": "serviceStandardScan"}}
		}), "/tender/documents/0/documentType", "codelist"},
		{"no ocid", edit(t, func(r map[string]any) { delete(r, "ocid") }), "", "required"},
		{"tender.targets not a list", edit(t, func(r map[string]any) {
			r["tender"].(map[string]any)["targets"] = map[string]any{"id": "visits"}
		}), "/tender/targets", "type"},
		{"contracts[].agreedMetrics item without id", edit(t, func(r map[string]any) {
			first(r, "contracts")["agreedMetrics"] = []any{map[string]any{"title": "上门服务次数"}}
		}), "/contracts/0/agreedMetrics/0", "required"},
		{"contracts[].implementation.metrics observation without id", edit(t, func(r map[string]any) {
			obj(first(r, "contracts"), "implementation")["metrics"] = []any{map[string]any{"id": "visits", "observations": []any{map[string]any{"measure": 1}}}}
		}), "/contracts/0/implementation/metrics/0/observations/0", "required"},
		{"metric unit scheme outside its codelist", edit(t, func(r map[string]any) {
			m := first(r["tender"], "targets")
			m["observations"] = []any{map[string]any{"id": "o", "unit": map[string]any{"scheme": "GB/T", "id": "x"}}}
		}), "/tender/targets/0/observations/0/unit/scheme", "codelist"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := v.Release(tt.doc)
			var ve *ocdsschema.Error
			if !errors.As(err, &ve) {
				t.Fatalf("Release() error = %v, want an *ocdsschema.Error", err)
			}
			if !ve.Has(tt.pointer, tt.rule) {
				t.Errorf("Release() error = %v, want %s at %q", err, tt.rule, tt.pointer)
			}
		})
	}
	t.Run("a wrong tag inside a package", func(t *testing.T) {
		bad := edit(t, func(r map[string]any) { r["tag"] = []any{"awarded"} })
		pkg := `{"uri": "https://jiedao.example/x", "version": "1.1", "publishedDate": "2026-03-02T00:00:00Z",
			"publisher": {"name": "JieDao"}, "releases": [` + string(bad) + `]}`
		var ve *ocdsschema.Error
		if err := v.ReleasePackage([]byte(pkg)); !errors.As(err, &ve) || !ve.Has("/releases/0/tag", "codelist") {
			t.Errorf("ReleasePackage() error = %v, want codelist at /releases/0/tag", err)
		}
	})
	t.Run("a wrong tag inside a record", func(t *testing.T) {
		bad := edit(t, func(r map[string]any) { r["tag"] = []any{"awarded"} })
		rec := `{"uri": "https://jiedao.example/x", "version": "1.1", "publishedDate": "2026-03-02T00:00:00Z",
			"publisher": {"name": "JieDao"}, "records": [{"ocid": "ocds-abc123-7", "releases": [` + string(bad) + `]}]}`
		var ve *ocdsschema.Error
		if err := v.RecordPackage([]byte(rec)); !errors.As(err, &ve) || !ve.Has("/records/0/releases/0/tag", "codelist") {
			t.Errorf("RecordPackage() error = %v, want codelist at /records/0/releases/0/tag", err)
		}
	})
	t.Run("not JSON", func(t *testing.T) {
		if err := v.Release([]byte(`{`)); err == nil {
			t.Error("Release(`{`) error = nil, want an error")
		}
	})
}

// TestMetricsPatched proves the extension is merged in: the core schema alone does not know
// tender.targets, and the merge patch keeps the core's own tender fields.
func TestMetricsPatched(t *testing.T) {
	b, err := ocdsschema.ReleaseSchema()
	if err != nil {
		t.Fatalf("ReleaseSchema() error = %v", err)
	}
	var s struct {
		Definitions map[string]struct {
			Properties map[string]json.RawMessage `json:"properties"`
		} `json:"definitions"`
	}
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	for def, props := range map[string][]string{
		"Tender":         {"targets", "value", "status"},
		"Award":          {"agreedMetrics", "suppliers"},
		"Contract":       {"agreedMetrics", "milestones"},
		"Implementation": {"metrics", "transactions"},
	} {
		for _, p := range props {
			if _, ok := s.Definitions[def].Properties[p]; !ok {
				t.Errorf("patched release schema: %s has no property %s", def, p)
			}
		}
	}
}
