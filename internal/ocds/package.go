package ocds

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"
)

// Version is the OCDS version every package declares.
const Version = "1.1"

// MetricsExtension is the URL of the OCDS metrics extension's extension.json (the extension
// registry's address for it): the extension behind tender.targets, agreedMetrics and
// implementation.metrics, declared in every package unless Meta.Extensions says otherwise.
const MetricsExtension = "https://raw.githubusercontent.com/open-contracting-extensions/ocds_metrics_extension/master/extension.json"

// Publisher is the organization that publishes the data, as a package names it.
type Publisher struct {
	Name   string `json:"name"`
	Scheme string `json:"scheme,omitempty"`
	UID    string `json:"uid,omitempty"`
	URI    string `json:"uri,omitempty"`
	// AuditChainHead is the audit chain's head the publisher published last
	// (a field of our own beside the standard's: the publisher object allows
	// more properties), so that whoever keeps a package can later prove a
	// rewrite of the history before it.
	AuditChainHead *ChainHead `json:"auditChainHead,omitempty"`
}

// ChainHead is a published head of the audit chain: the last entry's
// sequence number and hash on a day, and where the whole list is.
type ChainHead struct {
	Day         string `json:"day"`
	Seq         int64  `json:"seq"`
	Hash        string `json:"hash"`
	PublishedAt string `json:"publishedAt"`
	URI         string `json:"uri,omitempty"`
}

// Meta is what every package says about its publication: who publishes, under which licence and
// policy, with which extensions.
type Meta struct {
	Publisher         Publisher
	License           string   // URL of the data licence
	PublicationPolicy string   // URL of the publication policy
	Extensions        []string // extension.json URLs; nil means []string{MetricsExtension}
}

func (m Meta) extensions() []string {
	if m.Extensions == nil {
		return []string{MetricsExtension}
	}
	return m.Extensions
}

// packageHead holds the fields a release package and a record package share, in the order the
// standard lists them.
type packageHead struct {
	URI               string    `json:"uri"`
	Version           string    `json:"version"`
	Extensions        []string  `json:"extensions,omitempty"`
	PublishedDate     string    `json:"publishedDate"`
	Publisher         Publisher `json:"publisher"`
	License           string    `json:"license,omitempty"`
	PublicationPolicy string    `json:"publicationPolicy,omitempty"`
}

func (m Meta) head(uri string, published time.Time) packageHead {
	return packageHead{
		URI:               uri,
		Version:           Version,
		Extensions:        m.extensions(),
		PublishedDate:     published.Format(time.RFC3339),
		Publisher:         m.Publisher,
		License:           m.License,
		PublicationPolicy: m.PublicationPolicy,
	}
}

// ReleasePackage returns the release package at uri holding releases, in the order given. Each
// release must be a JSON document; it is written compact. The schema asks for at least one
// release: an empty slice gives "releases": [] (an empty page), which it would refuse.
func (m Meta) ReleasePackage(uri string, published time.Time, releases []json.RawMessage) ([]byte, error) {
	if releases == nil {
		releases = []json.RawMessage{}
	}
	return marshal(struct {
		packageHead
		Releases []json.RawMessage `json:"releases"`
	}{m.head(uri, published), releases})
}

// Record is one contracting process for a record package: its ocid and all its releases, whole.
type Record struct {
	OCID     string
	Releases []json.RawMessage
}

// ErrEmptyRecord is returned by RecordPackage for a record without releases.
var ErrEmptyRecord = errors.New("ocds: a record needs at least one release")

// RecordPackage returns the record package at uri holding records. Each record lists its
// releases embedded, sorted by date then id as the standard requires, and its compiled release
// (Compile). It returns ErrEmptyRecord for a record without releases, and an error when a
// release does not belong to its record's ocid or cannot be compiled.
func (m Meta) RecordPackage(uri string, published time.Time, records ...Record) ([]byte, error) {
	type record struct {
		OCID            string            `json:"ocid"`
		Releases        []json.RawMessage `json:"releases"`
		CompiledRelease json.RawMessage   `json:"compiledRelease"`
	}
	out := make([]record, 0, len(records))
	for _, r := range records {
		if len(r.Releases) == 0 {
			return nil, fmt.Errorf("record %s: %w", r.OCID, ErrEmptyRecord)
		}
		sorted, err := sortReleases(r.OCID, r.Releases)
		if err != nil {
			return nil, fmt.Errorf("record %s: %w", r.OCID, err)
		}
		compiled, err := Compile(sorted)
		if err != nil {
			return nil, fmt.Errorf("record %s: %w", r.OCID, err)
		}
		out = append(out, record{OCID: r.OCID, Releases: sorted, CompiledRelease: compiled})
	}
	return marshal(struct {
		packageHead
		Records []record `json:"records"`
	}{m.head(uri, published), out})
}

// sortReleases returns a copy of releases sorted by date, then id, after checking that each
// belongs to ocid.
func sortReleases(ocid string, releases []json.RawMessage) ([]json.RawMessage, error) {
	type key struct {
		OCID string    `json:"ocid"`
		ID   string    `json:"id"`
		Date time.Time `json:"date"`
	}
	keys := make([]key, len(releases))
	idx := make([]int, len(releases))
	for i, raw := range releases {
		if err := json.Unmarshal(raw, &keys[i]); err != nil {
			return nil, fmt.Errorf("release %d: %w", i, err)
		}
		if keys[i].OCID != ocid {
			return nil, fmt.Errorf("release %d: ocid %q, want %q", i, keys[i].OCID, ocid)
		}
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool {
		ka, kb := keys[idx[a]], keys[idx[b]]
		if !ka.Date.Equal(kb.Date) {
			return ka.Date.Before(kb.Date)
		}
		return ka.ID < kb.ID
	})
	out := make([]json.RawMessage, len(releases))
	for i, j := range idx {
		out[i] = releases[j]
	}
	return out, nil
}

// marshal encodes v without escaping <, > and & (the URIs hold query strings), with no trailing
// newline.
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("encode package: %w", err)
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}
