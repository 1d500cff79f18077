package ocds

import (
	"encoding/json"
	"testing"

	"github.com/jiedao-market/jiedao/internal/ocds/ocdsschema"
)

// TestWholeListMergeMatchesSchema checks wholeListMerge against the patched release schema:
// every array marked "wholeListMerge" is named, and no other property carries a name it knows.
func TestWholeListMergeMatchesSchema(t *testing.T) {
	b, err := ocdsschema.ReleaseSchema()
	if err != nil {
		t.Fatalf("ReleaseSchema() error = %v", err)
	}
	var schema any
	if err := json.Unmarshal(b, &schema); err != nil {
		t.Fatal(err)
	}
	marked, unmarked := map[string]bool{}, map[string]bool{}
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if props, ok := x["properties"].(map[string]any); ok {
				for name, p := range props {
					if pm, ok := p.(map[string]any); ok && pm["wholeListMerge"] == true {
						marked[name] = true
					} else {
						unmarked[name] = true
					}
				}
			}
			for _, c := range x {
				walk(c)
			}
		case []any:
			for _, c := range x {
				walk(c)
			}
		}
	}
	walk(schema)
	if len(marked) == 0 {
		t.Fatal("no wholeListMerge property found in the release schema")
	}
	for name := range marked {
		if !wholeListMerge(name) {
			t.Errorf("schema marks %s wholeListMerge; wholeListMerge(%q) = false", name, name)
		}
		if unmarked[name] {
			t.Errorf("the name %s is wholeListMerge in one place of the schema and not in another", name)
		}
	}
	for _, name := range []string{"additionalIdentifiers", "additionalClassifications"} {
		if !marked[name] {
			t.Errorf("wholeListMerge(%q) = true but the schema does not mark it", name)
		}
	}
}
