package tender

import (
	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/access"
)

// Visible restricts q (on tenders) to the tenders by may read through the
// signed-in API and its lists, the rule of Get and List; another package's
// query over tenders (the search) scopes itself with it.
func Visible(q *gorm.DB, by access.Actor) *gorm.DB { return visible(q, by) }
