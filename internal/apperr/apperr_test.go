package apperr_test

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/jiedao-market/jiedao/internal/apperr"
)

// Bad fields are listed in the order they were checked: a service checks in
// its input's order, and a form shows them so without sorting again.
func TestFieldsKeepTheirOrder(t *testing.T) {
	t.Parallel()
	var f apperr.Fields
	if err := f.Err(); err != nil {
		t.Fatalf("Err() with no bad field = %v, want nil", err)
	}
	f.Check(false, "title", "is required")
	f.Check(true, "description", "never added")
	f.Add("ceiling_fen", "must be more than zero")
	f.Add("amount", "must be positive")
	f.Add("ceiling_fen", "must not exceed the budget")
	e, ok := apperr.As(f.Err())
	if !ok || e.Kind != apperr.Invalid || e.Code != "validation" {
		t.Fatalf("Err() = %v, want an Invalid validation error", f.Err())
	}
	want := []apperr.FieldError{{Field: "title", Message: "is required"}, {Field: "ceiling_fen", Message: "must be more than zero"},
		{Field: "amount", Message: "must be positive"}, {Field: "ceiling_fen", Message: "must not exceed the budget"}}
	if diff := cmp.Diff(want, e.Fields); diff != "" {
		t.Errorf("Err() fields (-want +got):\n%s", diff)
	}
	// A copy: later checks do not change an error already returned.
	f.Add("late", "added after")
	if len(e.Fields) != 4 {
		t.Errorf("an error already returned grew to %d fields", len(e.Fields))
	}
	if !errors.Is(f.Err(), &apperr.Error{Code: "validation"}) {
		t.Errorf("errors.Is(Err(), validation) = false, want true")
	}
}
