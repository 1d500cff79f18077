package ocdsschema

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/message"
)

// vocabularyURL names our vocabulary for the schemas' "codelist" keyword; nothing is fetched
// from it.
const vocabularyURL = "https://jiedao.example/ocdsschema/codelist"

// readCodes returns the values of a codelist CSV's Code column.
func readCodes(b []byte) (map[string]bool, error) {
	rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b, []byte("\uFEFF")))).ReadAll()
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, errors.New("empty codelist")
	}
	col := slices.Index(rows[0], "Code")
	if col < 0 {
		return nil, errors.New("no Code column")
	}
	codes := make(map[string]bool, len(rows)-1)
	for _, r := range rows[1:] {
		codes[r[col]] = true
	}
	return codes, nil
}

// codelistVocabulary turns the schemas' "codelist" keyword into a check: a string field, or
// each string of an array field, must be a Code of the named codelist. Open codelists are held
// to their list too: our own values all come from it. A codelist the schema names but the
// package does not embed is a compile error.
func codelistVocabulary(lists map[string]map[string]bool) (*jsonschema.Vocabulary, error) {
	meta, err := jsonschema.UnmarshalJSON(strings.NewReader(`{"properties": {"codelist": {"type": "string"}}}`))
	if err != nil {
		return nil, fmt.Errorf("ocdsschema: codelist vocabulary: %w", err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(vocabularyURL, meta); err != nil {
		return nil, fmt.Errorf("ocdsschema: codelist vocabulary: %w", err)
	}
	metaSchema, err := c.Compile(vocabularyURL)
	if err != nil {
		return nil, fmt.Errorf("ocdsschema: codelist vocabulary: %w", err)
	}
	return &jsonschema.Vocabulary{
		URL:    vocabularyURL,
		Schema: metaSchema,
		Compile: func(_ *jsonschema.CompilerContext, obj map[string]any) (jsonschema.SchemaExt, error) {
			name, ok := obj["codelist"].(string)
			if !ok {
				return nil, nil
			}
			codes, ok := lists[name]
			if !ok {
				return nil, fmt.Errorf("codelist %s is not embedded", name)
			}
			return codelist{name: name, codes: codes}, nil
		},
	}, nil
}

// codelist is the compiled "codelist" keyword of one field.
type codelist struct {
	name  string
	codes map[string]bool
}

// Validate reports a value that is not a Code of the list. Other types (null, the objects of a
// versioned release) are left to the schema's own keywords.
func (l codelist) Validate(ctx *jsonschema.ValidatorContext, v any) {
	switch x := v.(type) {
	case string:
		if !l.codes[x] {
			ctx.AddError(&notInCodelist{list: l.name, value: x})
		}
	case []any:
		for _, item := range x {
			if s, ok := item.(string); ok && !l.codes[s] {
				ctx.AddError(&notInCodelist{list: l.name, value: s})
			}
		}
	}
}

// notInCodelist is the error kind of a value missing from its codelist.
type notInCodelist struct {
	list, value string
}

func (*notInCodelist) KeywordPath() []string { return []string{"codelist"} }

func (e *notInCodelist) LocalizedString(p *message.Printer) string {
	return p.Sprintf("%q is not a code of %s", e.value, e.list)
}
