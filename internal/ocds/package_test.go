package ocds_test

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/jiedao-market/jiedao/internal/ocds"
	"github.com/jiedao-market/jiedao/internal/ocds/ocdsschema"
)

var meta = ocds.Meta{
	Publisher:         ocds.Publisher{Name: "JieDao 街道服务采购平台", URI: "https://jiedao.example/"},
	License:           "https://creativecommons.org/licenses/by/4.0/",
	PublicationPolicy: "https://jiedao.example/open-data",
}

var published = time.Date(2026, 5, 2, 9, 0, 0, 0, time.FixedZone("CST", 8*3600))

// lifecycle returns three valid releases of ocid, out of date order.
func lifecycle(t *testing.T) []json.RawMessage {
	t.Helper()
	tender := func(amount float64) map[string]any {
		return map[string]any{"id": "7", "title": "居家养老上门服务", "status": "active", "value": value(amount)}
	}
	return []json.RawMessage{
		release(t, ocid+"-3", "2026-04-01T08:00:00Z", []string{"award"}, map[string]any{
			"awards": []any{map[string]any{"id": "a1", "status": "active", "value": value(250)}},
		}),
		release(t, ocid+"-1", "2026-03-01T08:00:00Z", []string{"tender"}, map[string]any{"tender": tender(300)}),
		release(t, ocid+"-2", "2026-03-05T08:00:00Z", []string{"tenderAmendment"}, map[string]any{"tender": tender(280)}),
	}
}

func TestReleasePackage(t *testing.T) {
	v, err := ocdsschema.New()
	if err != nil {
		t.Fatalf("ocdsschema.New() error = %v", err)
	}
	uri := "https://jiedao.example/api/v1/public/ocds/releases?from=2026-03-01&page=2"
	b, err := meta.ReleasePackage(uri, published, lifecycle(t))
	if err != nil {
		t.Fatalf("ReleasePackage() error = %v", err)
	}
	if err := v.ReleasePackage(b); err != nil {
		t.Errorf("ReleasePackage() does not validate: %v\n%s", err, b)
	}
	var got struct {
		URI           string            `json:"uri"`
		Version       string            `json:"version"`
		Extensions    []string          `json:"extensions"`
		PublishedDate string            `json:"publishedDate"`
		Publisher     map[string]string `json:"publisher"`
		License       string            `json:"license"`
		Releases      []struct {
			ID string `json:"id"`
		} `json:"releases"`
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if got.URI != uri || got.Version != "1.1" || got.PublishedDate != "2026-05-02T09:00:00+08:00" || got.License != meta.License {
		t.Errorf("ReleasePackage() head = %+v", got)
	}
	if diff := cmp.Diff([]string{ocds.MetricsExtension}, got.Extensions); diff != "" {
		t.Errorf("extensions (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]string{"name": meta.Publisher.Name, "uri": meta.Publisher.URI}, got.Publisher); diff != "" {
		t.Errorf("publisher (-want +got):\n%s", diff)
	}
	if len(got.Releases) != 3 || got.Releases[0].ID != ocid+"-3" {
		t.Errorf("releases = %+v, want the three in the order given", got.Releases)
	}

	empty, err := meta.ReleasePackage(uri, published, nil)
	if err != nil {
		t.Fatalf("ReleasePackage(nil) error = %v", err)
	}
	var e map[string]any
	if err := json.Unmarshal(empty, &e); err != nil {
		t.Fatal(err)
	}
	if r, ok := e["releases"].([]any); !ok || len(r) != 0 {
		t.Errorf("ReleasePackage(nil) releases = %v, want []", e["releases"])
	}
	noExt := meta
	noExt.Extensions = []string{}
	b, err = noExt.ReleasePackage(uri, published, lifecycle(t))
	if err != nil {
		t.Fatalf("ReleasePackage() error = %v", err)
	}
	var none map[string]any
	if err := json.Unmarshal(b, &none); err != nil || none["extensions"] != nil {
		t.Errorf("with Extensions = []string{}: extensions = %v, want none", none["extensions"])
	}
}

func TestRecordPackage(t *testing.T) {
	v, err := ocdsschema.New()
	if err != nil {
		t.Fatalf("ocdsschema.New() error = %v", err)
	}
	other := "ocds-abc123-8"
	otherRelease := json.RawMessage(`{"ocid":"` + other + `","id":"` + other + `-1","date":"2026-03-02T08:00:00Z","tag":["planning"],"initiationType":"tender"}`)
	b, err := meta.RecordPackage("https://jiedao.example/api/v1/public/ocds/records/"+ocid, published,
		ocds.Record{OCID: ocid, Releases: lifecycle(t)},
		ocds.Record{OCID: other, Releases: []json.RawMessage{otherRelease}},
	)
	if err != nil {
		t.Fatalf("RecordPackage() error = %v", err)
	}
	if err := v.RecordPackage(b); err != nil {
		t.Errorf("RecordPackage() does not validate: %v\n%s", err, b)
	}
	var got struct {
		Extensions []string `json:"extensions"`
		Records    []struct {
			OCID     string `json:"ocid"`
			Releases []struct {
				ID string `json:"id"`
			} `json:"releases"`
			CompiledRelease map[string]any `json:"compiledRelease"`
		} `json:"records"`
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Records) != 2 {
		t.Fatalf("len(records) = %d, want 2", len(got.Records))
	}
	r := got.Records[0]
	var ids []string
	for _, rel := range r.Releases {
		ids = append(ids, rel.ID)
	}
	if diff := cmp.Diff([]string{ocid + "-1", ocid + "-2", ocid + "-3"}, ids); diff != "" {
		t.Errorf("record releases, in date order (-want +got):\n%s", diff)
	}
	if r.CompiledRelease["id"] != ocid+"-2026-04-01T08:00:00Z" {
		t.Errorf("compiledRelease.id = %v", r.CompiledRelease["id"])
	}
	if a := at(t, r.CompiledRelease, "tender", "value", "amount"); a != 280.0 {
		t.Errorf("compiledRelease.tender.value.amount = %v, want 280", a)
	}
	if diff := cmp.Diff([]string{ocds.MetricsExtension}, got.Extensions); diff != "" {
		t.Errorf("extensions (-want +got):\n%s", diff)
	}

	if _, err := meta.RecordPackage("u", published, ocds.Record{OCID: ocid}); !errors.Is(err, ocds.ErrEmptyRecord) {
		t.Errorf("RecordPackage(no releases) error = %v, want ErrEmptyRecord", err)
	}
	if _, err := meta.RecordPackage("u", published, ocds.Record{OCID: ocid, Releases: []json.RawMessage{otherRelease}}); err == nil {
		t.Error("RecordPackage(a release of another ocid) error = nil, want an error")
	}
}
