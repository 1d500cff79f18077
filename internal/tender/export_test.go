package tender

import (
	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/access"
)

// SetBidIDs makes s draw bid ids from next instead of at random, for tests
// of what random ids may do: collide, or fall in any order.
func SetBidIDs(s *Service, next func() int64) {
	s.newID = func() (int64, error) { return next(), nil }
}

// LockBidder takes in tx the locks a bid of by on tender id holds until its
// commit, for tests of what they do not hold off.
func LockBidder(s *Service, tx *gorm.DB, by access.Actor, id int64) error {
	_, _, _, err := s.lockBidder(tx, by, id)
	return err
}
