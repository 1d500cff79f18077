package ocds

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"
)

// wholeListMerge reports whether the release schema marks the array field name
// "wholeListMerge": its items carry an "id" (an Identifier, a Classification) but the list is
// still replaced whole. The names are unique in the schema and the metrics extension adds none;
// TestWholeListMergeMatchesSchema checks them against the embedded schema.
func wholeListMerge(name string) bool {
	switch name {
	case "additionalIdentifiers", "additionalClassifications":
		return true
	}
	return false
}

// ErrNoReleases is returned by Compile when it is given nothing to compile.
var ErrNoReleases = errors.New("ocds: no releases to compile")

// Compile merges the releases of one contracting process into its compiled release, following
// the standard's merge rules (https://standard.open-contracting.org/1.1/en/schema/merging/).
// The releases may come in any order: they are merged by date, then by id. Objects merge field
// by field; an array whose items are all objects with an "id" merges by identifier (an item
// with a new id is added, one with a known id merges into it, recursively), except the arrays
// the schema marks wholeListMerge; any other array, an empty one included, replaces the earlier
// value whole. A null removes the field. As in the reference implementation (ocdsmerge), the
// compiled release has tag ["compiled"], the ocid, the latest date and the id "<ocid>-<date>".
//
// It returns ErrNoReleases for an empty input, and an error when a release is not a JSON
// object, lacks an ocid or a parseable date, or belongs to another ocid than the first one.
func Compile(releases []json.RawMessage) (json.RawMessage, error) {
	if len(releases) == 0 {
		return nil, ErrNoReleases
	}
	type dated struct {
		obj     map[string]any
		date    time.Time
		dateStr string
		id      string
	}
	in := make([]dated, 0, len(releases))
	var ocid string
	for i, raw := range releases {
		obj, err := decodeObject(raw)
		if err != nil {
			return nil, fmt.Errorf("compile: release %d: %w", i, err)
		}
		o, _ := obj["ocid"].(string)
		if o == "" {
			return nil, fmt.Errorf("compile: release %d: no ocid", i)
		}
		if ocid == "" {
			ocid = o
		} else if o != ocid {
			return nil, fmt.Errorf("compile: release %d: ocid %q, want %q", i, o, ocid)
		}
		ds, _ := obj["date"].(string)
		d, err := time.Parse(time.RFC3339Nano, ds)
		if err != nil {
			return nil, fmt.Errorf("compile: release %d: date %q: %w", i, ds, err)
		}
		id, _ := obj["id"].(string)
		in = append(in, dated{obj: obj, date: d, dateStr: ds, id: id})
	}
	sort.SliceStable(in, func(i, j int) bool {
		if !in[i].date.Equal(in[j].date) {
			return in[i].date.Before(in[j].date)
		}
		return in[i].id < in[j].id
	})

	compiled := map[string]any{}
	for _, r := range in {
		// id, date and tag are "omitWhenMerged": they describe the release, not the process.
		delete(r.obj, "id")
		delete(r.obj, "tag")
		delete(r.obj, "date")
		mergeObject(compiled, r.obj)
	}
	last := in[len(in)-1]
	compiled["ocid"] = ocid
	compiled["id"] = ocid + "-" + last.dateStr
	compiled["date"] = last.dateStr
	compiled["tag"] = []any{"compiled"}
	out, err := json.Marshal(compiled)
	if err != nil {
		return nil, fmt.Errorf("compile %s: %w", ocid, err)
	}
	return out, nil
}

// decodeObject decodes one JSON object, keeping numbers as written.
func decodeObject(raw []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("not a JSON object")
	}
	return obj, nil
}

// mergeObject merges src into dst field by field.
func mergeObject(dst, src map[string]any) {
	for k, v := range src {
		dst[k] = mergeValue(k, dst[k], v)
		if dst[k] == nil {
			delete(dst, k)
		}
	}
}

// mergeValue returns the value of field name after a release sets it to src over dst.
func mergeValue(name string, dst, src any) any {
	switch s := src.(type) {
	case nil:
		return nil
	case map[string]any:
		d, ok := dst.(map[string]any)
		if !ok {
			d = map[string]any{}
		}
		mergeObject(d, s)
		return d
	case []any:
		if wholeListMerge(name) || !identified(s) {
			return s
		}
		d, ok := dst.([]any)
		if !ok || !identified(d) || len(d) == 0 {
			d = nil
		}
		return mergeByID(d, s)
	default:
		return src
	}
}

// identified reports whether list is non-empty and every item is an object with a non-null id.
func identified(list []any) bool {
	if len(list) == 0 {
		return false
	}
	for _, item := range list {
		obj, ok := item.(map[string]any)
		if !ok || obj["id"] == nil {
			return false
		}
	}
	return true
}

// idKey tells ids apart by JSON value, so the string "1" and the number 1 are different items.
func idKey(obj map[string]any) string {
	b, _ := json.Marshal(obj["id"])
	return string(b)
}

// mergeByID merges the items of src into dst by id, keeping dst's order and appending new ids.
func mergeByID(dst, src []any) []any {
	pos := make(map[string]int, len(dst)+len(src))
	out := make([]any, 0, len(dst)+len(src))
	for _, item := range dst {
		obj := item.(map[string]any)
		pos[idKey(obj)] = len(out)
		out = append(out, obj)
	}
	for _, item := range src {
		obj := item.(map[string]any)
		k := idKey(obj)
		if i, ok := pos[k]; ok {
			mergeObject(out[i].(map[string]any), obj)
			continue
		}
		pos[k] = len(out)
		fresh := map[string]any{}
		mergeObject(fresh, obj)
		out = append(out, fresh)
	}
	return out
}
