package api_test

import (
	"slices"
	"testing"

	"github.com/jiedao-market/jiedao/internal/api"
	"github.com/jiedao-market/jiedao/internal/notify"
)

// The kinds a user chooses the e-mail of on the settings page are exactly
// the NotificationKind enum: none missing, none invented.
func TestNotificationMailKindsAreTheEnum(t *testing.T) {
	t.Parallel()
	doc, err := api.OpenAPI()
	if err != nil {
		t.Fatalf("api.OpenAPI() error = %v", err)
	}
	var enum []string
	for _, v := range doc.Components.Schemas["NotificationKind"].Value.Enum {
		s, _ := v.(string)
		enum = append(enum, s)
	}
	kinds := notify.Kinds()
	slices.Sort(enum)
	slices.Sort(kinds)
	if !slices.Equal(enum, kinds) {
		t.Errorf("notify.Kinds() = %v, want the NotificationKind enum %v", kinds, enum)
	}
	for _, k := range notify.ImmediateByDefault() {
		if !slices.Contains(kinds, k) {
			t.Errorf("ImmediateByDefault() names %q, not a kind", k)
		}
	}
}
