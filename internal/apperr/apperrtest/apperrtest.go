// Package apperrtest holds the checks every domain package's tests make of
// the errors a service returns.
package apperrtest

import (
	"errors"
	"slices"
	"testing"

	"github.com/jiedao-market/jiedao/internal/apperr"
)

// WantInvalid fails the test unless err is an apperr.Invalid error naming
// exactly fields, in any order (a field may carry several messages).
func WantInvalid(t testing.TB, err error, fields ...string) {
	t.Helper()
	e, ok := apperr.As(err)
	if !ok || e.Kind != apperr.Invalid {
		t.Fatalf("error = %v, want an Invalid error naming %v", err, fields)
	}
	got := make([]string, 0, len(e.Fields))
	for _, f := range e.Fields {
		got = append(got, f.Field)
	}
	want := slices.Clone(fields)
	slices.Sort(got)
	slices.Sort(want)
	if got, want = slices.Compact(got), slices.Compact(want); !slices.Equal(got, want) {
		t.Errorf("invalid fields = %v, want %v", got, want)
	}
}

// WantErr fails the test unless err is want (errors.Is); what names the call.
func WantErr(t testing.TB, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Errorf("%s error = %v, want %v", what, err, want)
	}
}
