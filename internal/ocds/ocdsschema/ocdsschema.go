// Package ocdsschema validates OCDS 1.1 documents (releases, release packages, record packages)
// against the official schemas and codelists it embeds (schema/, copied unchanged from the
// standard with their licence note), with the metrics extension applied to the release schema as
// a JSON merge patch (RFC 7396), as the issue 14 export declares it.
package ocdsschema

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"

	jsonpatch "github.com/evanphx/json-patch/v5"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

//go:embed schema
var files embed.FS

// The schemas' own ids: the package schemas' $ref to the release schema resolves to the patched
// release schema because it is added under the same URL.
const (
	base             = "https://standard.open-contracting.org/schema/1__1__5/"
	releaseURL       = base + "release-schema.json"
	releasePackURL   = base + "release-package-schema.json"
	recordPackURL    = base + "record-package-schema.json"
	versionedURL     = base + "versioned-release-validation-schema.json"
	metricsPatchFile = "schema/extensions/metrics/release-schema.json"
)

// Validator checks OCDS documents against the embedded schemas and codelists. It is safe for
// concurrent use.
type Validator struct {
	release, releasePackage, recordPackage *jsonschema.Schema
}

// New compiles the schemas: the release schema patched with the metrics extension, the package
// schemas referring to it, and the codelist checks. It fails only if the embedded files are
// broken.
func New() (*Validator, error) {
	lists, err := codelists()
	if err != nil {
		return nil, err
	}
	vocab, err := codelistVocabulary(lists)
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft4)
	c.AssertFormat()
	c.RegisterVocabulary(vocab)
	c.AssertVocabs()

	release, err := ReleaseSchema()
	if err != nil {
		return nil, err
	}
	docs := map[string][]byte{releaseURL: release}
	for url, name := range map[string]string{
		releasePackURL: "release-package-schema.json",
		recordPackURL:  "record-package-schema.json",
		versionedURL:   "versioned-release-validation-schema.json",
	} {
		if docs[url], err = files.ReadFile("schema/" + name); err != nil {
			return nil, fmt.Errorf("ocdsschema: %w", err)
		}
	}
	for url, b := range docs {
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			return nil, fmt.Errorf("ocdsschema: decode %s: %w", url, err)
		}
		if err := c.AddResource(url, doc); err != nil {
			return nil, fmt.Errorf("ocdsschema: add %s: %w", url, err)
		}
	}
	v := &Validator{}
	for url, dst := range map[string]**jsonschema.Schema{
		releaseURL: &v.release, releasePackURL: &v.releasePackage, recordPackURL: &v.recordPackage,
	} {
		if *dst, err = c.Compile(url); err != nil {
			return nil, fmt.Errorf("ocdsschema: compile %s: %w", url, err)
		}
	}
	return v, nil
}

// ReleaseSchema returns the OCDS release schema with the metrics extension's release-schema.json
// merged in as a JSON merge patch (RFC 7396): the schema the validator checks releases against.
func ReleaseSchema() ([]byte, error) {
	core, err := files.ReadFile("schema/release-schema.json")
	if err != nil {
		return nil, fmt.Errorf("ocdsschema: %w", err)
	}
	patch, err := files.ReadFile(metricsPatchFile)
	if err != nil {
		return nil, fmt.Errorf("ocdsschema: %w", err)
	}
	out, err := jsonpatch.MergePatch(core, patch)
	if err != nil {
		return nil, fmt.Errorf("ocdsschema: apply the metrics extension: %w", err)
	}
	return out, nil
}

// Release validates one release. It returns an *Error listing every violation.
func (v *Validator) Release(doc []byte) error { return validate(v.release, "release", doc) }

// ReleasePackage validates a release package and the releases it holds. It returns an *Error
// listing every violation.
func (v *Validator) ReleasePackage(doc []byte) error {
	return validate(v.releasePackage, "release package", doc)
}

// RecordPackage validates a record package, its records' releases and compiled releases. It
// returns an *Error listing every violation.
func (v *Validator) RecordPackage(doc []byte) error {
	return validate(v.recordPackage, "record package", doc)
}

// Error is a document that does not validate: each violation names its JSON pointer and rule.
type Error struct {
	Doc        string // "release", "release package" or "record package"
	Violations []Violation
}

// Violation is one failed rule at one place of a document.
type Violation struct {
	Pointer string // JSON pointer into the document, "" for the whole document
	Rule    string // the schema keyword that failed, such as "enum", "required" or "codelist"
	Message string
}

// Error lists the violations, one per line.
func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "invalid OCDS %s:", e.Doc)
	for _, v := range e.Violations {
		fmt.Fprintf(&b, "\n  at %q: %s: %s", v.Pointer, v.Rule, v.Message)
	}
	return b.String()
}

// Has reports whether a violation of rule sits at pointer.
func (e *Error) Has(pointer, rule string) bool {
	for _, v := range e.Violations {
		if v.Pointer == pointer && v.Rule == rule {
			return true
		}
	}
	return false
}

func validate(s *jsonschema.Schema, what string, doc []byte) error {
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return &Error{Doc: what, Violations: []Violation{{Rule: "json", Message: err.Error()}}}
	}
	err = s.Validate(inst)
	var ve *jsonschema.ValidationError
	if errors.As(err, &ve) {
		e := &Error{Doc: what}
		leaves(ve, message.NewPrinter(language.English), &e.Violations)
		return e
	}
	return err
}

// leaves collects the innermost errors: they name the field and the rule, where the outer ones
// only say that a $ref or an items schema failed.
func leaves(ve *jsonschema.ValidationError, p *message.Printer, out *[]Violation) {
	if len(ve.Causes) > 0 {
		for _, c := range ve.Causes {
			leaves(c, p, out)
		}
		return
	}
	ptr := ""
	for _, tok := range ve.InstanceLocation {
		ptr += "/" + strings.NewReplacer("~", "~0", "/", "~1").Replace(tok)
	}
	*out = append(*out, Violation{
		Pointer: ptr,
		Rule:    strings.Join(ve.ErrorKind.KeywordPath(), "/"),
		Message: ve.ErrorKind.LocalizedString(p),
	})
}

// codelists reads the Code column of every embedded codelist, by file name ("currency.csv").
func codelists() (map[string]map[string]bool, error) {
	lists := map[string]map[string]bool{}
	err := fs.WalkDir(files, "schema/codelists", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := files.ReadFile(p)
		if err != nil {
			return err
		}
		codes, err := readCodes(b)
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		lists[path.Base(p)] = codes
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("ocdsschema: codelists: %w", err)
	}
	return lists, nil
}
