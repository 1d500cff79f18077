package tender

// SetBidIDs makes s draw bid ids from next instead of at random, for tests
// of what random ids may do: collide, or fall in any order.
func SetBidIDs(s *Service, next func() int64) {
	s.newID = func() (int64, error) { return next(), nil }
}
