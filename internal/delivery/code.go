package delivery

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/apperr"
)

// A rating code is 10 characters of Crockford base32 (50 bits), derived from
// the key, the record id and a nonce: HMAC-SHA256(key, "rating-code/v1/<id>/<nonce>"),
// its first 50 bits. The organization can print it again any day; the
// database holds only HMAC-SHA256(key, "rating-code-hash/v1/<code>"), so a
// copy of the database alone yields no code. The nonce is 0 unless the code
// of a new record would collide with one already issued.

// CodeLength is the length of a rating code, in characters.
const CodeLength = 10

// CodeValidity is how long a rating code can be used after its record's creation.
const CodeValidity = 30 * 24 * time.Hour

const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// ErrUnknownCode is returned for a rating code that is malformed or that no
// record issued.
var ErrUnknownCode = apperr.New(apperr.NotFound, "rating_code.unknown", "no service issued this rating code")

// RatingCode is a record's rating code as the organization prints it.
type RatingCode struct {
	Code      string    `json:"code"`
	ExpiresAt time.Time `json:"expires_at"`
	Used      bool      `json:"used"`
}

// CodeInfo is what a rating code leads to.
type CodeInfo struct {
	RecordID  int64
	ExpiresAt time.Time
	Used      bool
}

// codeFor derives the rating code of record id with nonce.
func (s *Service) codeFor(id int64, nonce int) string {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte("rating-code/v1/" + strconv.FormatInt(id, 10) + "/" + strconv.Itoa(nonce)))
	bits := binary.BigEndian.Uint64(m.Sum(nil)[:8]) >> (64 - 5*CodeLength)
	out := make([]byte, CodeLength)
	for i := CodeLength - 1; i >= 0; i-- {
		out[i] = crockford[bits&31]
		bits >>= 5
	}
	return string(out)
}

// codeHash is the keyed hash a normalized code is stored and found under.
func (s *Service) codeHash(code string) []byte {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte("rating-code-hash/v1/" + code))
	return m.Sum(nil)
}

// NormalizeCode returns code in its canonical form: Crockford base32 read
// case-insensitively, I and L as 1, O as 0, hyphens and spaces ignored. It
// reports false for anything that is not then CodeLength symbols.
func NormalizeCode(code string) (string, bool) {
	var b strings.Builder
	for _, r := range strings.ToUpper(code) {
		switch {
		case r == '-' || r == ' ':
			continue
		case r == 'I' || r == 'L':
			r = '1'
		case r == 'O':
			r = '0'
		case !strings.ContainsRune(crockford, r):
			return "", false
		}
		if b.Len() == CodeLength {
			return "", false
		}
		b.WriteRune(r)
	}
	return b.String(), b.Len() == CodeLength
}

// LookupRatingCode finds the record that issued code (NormalizeCode) and
// returns its id, the code's expiry and whether it was used. It returns
// ErrUnknownCode for a malformed code or one never issued; an expired code is
// returned with its expiry, for the caller to refuse.
func (s *Service) LookupRatingCode(ctx context.Context, code string) (CodeInfo, error) {
	norm, ok := NormalizeCode(code)
	if !ok {
		return CodeInfo{}, ErrUnknownCode
	}
	var row struct {
		ID              int64
		RatingExpiresAt time.Time
		RatingUsedAt    *time.Time
	}
	err := s.db.WithContext(ctx).Table("service_records").Select("id, rating_expires_at, rating_used_at").
		Where("rating_code_hash = ?", s.codeHash(norm)).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return CodeInfo{}, ErrUnknownCode
	}
	if err != nil {
		return CodeInfo{}, fmt.Errorf("look up rating code: %w", err)
	}
	return CodeInfo{RecordID: row.ID, ExpiresAt: row.RatingExpiresAt, Used: row.RatingUsedAt != nil}, nil
}

// RatingCode returns the rating code of a record, for the organization to
// print it again. Only the record's organization's staff may: others get
// apperr.ErrForbidden, another organization's record is apperr.ErrNotFound.
func (s *Service) RatingCode(ctx context.Context, by access.Actor, recordID int64) (RatingCode, error) {
	if !by.Is(access.OrgStaff...) {
		return RatingCode{}, apperr.ErrForbidden
	}
	var r Record
	err := s.db.WithContext(ctx).Where("id = ? AND organization_id = ?", recordID, by.Scope.OrganizationID).Take(&r).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return RatingCode{}, apperr.ErrNotFound
	}
	if err != nil {
		return RatingCode{}, fmt.Errorf("read service record %d: %w", recordID, err)
	}
	return s.ratingCode(r), nil
}

func (s *Service) ratingCode(r Record) RatingCode {
	return RatingCode{Code: s.codeFor(r.ID, r.RatingCodeNonce), ExpiresAt: r.RatingExpiresAt, Used: r.RatingUsedAt != nil}
}

// issueCodes gives each of rows an id from the table's sequence and a rating
// code whose hash no record holds yet, raising a row's nonce on a collision
// (with an earlier code or another row's). It only reads; the caller inserts.
func (s *Service) issueCodes(tx *gorm.DB, rows []Record) error {
	var ids []int64
	if err := tx.Raw(`SELECT nextval(pg_get_serial_sequence('service_records', 'id')) FROM generate_series(1, ?)`, len(rows)).
		Scan(&ids).Error; err != nil {
		return fmt.Errorf("reserve service record ids: %w", err)
	}
	if len(ids) != len(rows) {
		return fmt.Errorf("reserve service record ids: got %d, want %d", len(ids), len(rows))
	}
	pending := make([]int, len(rows))
	for i := range rows {
		rows[i].ID, rows[i].RatingCodeNonce = ids[i], 0
		pending[i] = i
	}
	seen := make(map[string]bool, len(rows))
	for len(pending) > 0 {
		hashes := make([][]byte, 0, len(pending))
		for _, i := range pending {
			rows[i].RatingCodeHash = s.codeHash(s.codeFor(rows[i].ID, rows[i].RatingCodeNonce))
			hashes = append(hashes, rows[i].RatingCodeHash)
		}
		taken := map[string]bool{}
		for start := 0; start < len(hashes); start += 5000 {
			var found [][]byte
			if err := tx.Table("service_records").Where("rating_code_hash IN ?", hashes[start:min(start+5000, len(hashes))]).
				Pluck("rating_code_hash", &found).Error; err != nil {
				return fmt.Errorf("check rating codes: %w", err)
			}
			for _, h := range found {
				taken[string(h)] = true
			}
		}
		var again []int
		for _, i := range pending {
			h := string(rows[i].RatingCodeHash)
			if taken[h] || seen[h] {
				rows[i].RatingCodeNonce++
				again = append(again, i)
				continue
			}
			seen[h] = true
		}
		pending = again
	}
	return nil
}
