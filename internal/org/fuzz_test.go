package org_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/jiedao-market/jiedao/internal/org"
)

// creditAlphabet is GB 32100-2015's character set, written out again here so
// that the test does not trust the package's copy.
const creditAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"

// A valid credit code is 18 characters of the alphabet, and changing any one
// of them to another character of the alphabet makes it invalid: the weights
// are all non-zero modulo the prime 31, so the check catches every single
// substitution. Whatever the input, the check never panics.
func FuzzValidCreditCode(f *testing.F) {
	for _, code := range []string{
		"91350100M000100Y43", "91110000600037341L", "12100000400000624D", "52330502MJ526018XR",
		"52330500MJ54708730", "53110000500021676P", "52330500MJ5470873D", "91350100I000100Y43",
		"52330502mj526018xr", "９50100M000100Y43", "", "000000000000000000",
	} {
		f.Add(code)
	}
	f.Fuzz(func(t *testing.T, code string) {
		if !org.ValidCreditCode(code) {
			return
		}
		if len(code) != 18 || strings.Trim(code, creditAlphabet) != "" {
			t.Fatalf("ValidCreditCode(%q) = true for a code that is not 18 characters of the alphabet", code)
		}
		for i := range len(code) {
			for _, c := range []byte(creditAlphabet) {
				if c == code[i] {
					continue
				}
				changed := code[:i] + string(c) + code[i+1:]
				if org.ValidCreditCode(changed) {
					t.Fatalf("ValidCreditCode(%q) and ValidCreditCode(%q) are both true: one substitution went unnoticed", code, changed)
				}
			}
		}
	})
}

// The signatures net/http.DetectContentType knows the accepted types by.
var documentMagic = map[string]string{
	"application/pdf": "%PDF-",
	"image/png":       "\x89PNG\r\n\x1a\n",
	"image/jpeg":      "\xff\xd8\xff",
}

// Whatever the bytes, DocumentType does not panic, and it accepts a file
// exactly when it starts with the signature of a PDF, a PNG or a JPEG, naming
// that type; everything else is ErrDocumentType, nothing ErrDocumentEmpty.
func FuzzDocumentType(f *testing.F) {
	for _, b := range [][]byte{pdfBytes, pngBytes, jpegBytes, htmlBytes, nil, []byte("%PDF"), []byte("\xff\xd8"),
		[]byte(" %PDF-1.7"), []byte("GIF89a"), []byte("<svg xmlns=\"http://www.w3.org/2000/svg\"/>"),
		[]byte("\xef\xbb\xbf%PDF-1.7"), []byte("PK\x03\x04"), []byte("\x00\x00\x01\x00")} {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := org.DocumentType(data)
		var want string
		for typ, magic := range documentMagic {
			if bytes.HasPrefix(data, []byte(magic)) {
				want = typ
			}
		}
		switch {
		case len(data) == 0:
			if !errors.Is(err, org.ErrDocumentEmpty) {
				t.Fatalf("DocumentType(no bytes) = %q, %v; want %v", got, err, org.ErrDocumentEmpty)
			}
		case want == "":
			if !errors.Is(err, org.ErrDocumentType) || got != "" {
				t.Fatalf("DocumentType(%q) = %q, %v; want %v", data, got, err, org.ErrDocumentType)
			}
		case err != nil || got != want:
			t.Fatalf("DocumentType(%q) = %q, %v; want %q", data, got, err, want)
		}
	})
}
