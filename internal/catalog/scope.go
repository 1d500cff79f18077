package catalog

import (
	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/access"
)

// ScopeItems restricts q (on transfer_items) to the items by reads through
// ListItems, its subdistricts' (access.Actor.Subdistricts); another
// package's query over items (the search) scopes itself with it.
func ScopeItems(q *gorm.DB, by access.Actor) *gorm.DB { return scopeItems(q, by) }
