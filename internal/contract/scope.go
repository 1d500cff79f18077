package contract

import (
	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/access"
)

// Visible restricts q (on contracts) to the contracts by may read, the rule
// of Get and List; another package's query over contracts (the search)
// scopes itself with it.
func Visible(q *gorm.DB, by access.Actor) *gorm.DB { return visible(q, by) }
