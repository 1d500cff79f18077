package delivery

// CodeFor exposes the derivation of a record's rating code to the tests.
func (s *Service) CodeFor(id int64, nonce int) string { return s.codeFor(id, nonce) }
