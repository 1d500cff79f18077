package tender

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/jiedao-market/jiedao/internal/access"
	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/audit"
	"github.com/jiedao-market/jiedao/internal/merkle"
)

// LeafOrder says what a commitment's leaves are and in which order: anyone
// rebuilding the tree from the receipts follows it.
const LeafOrder = "one leaf per bid standing at the close (neither withdrawn nor replaced): " +
	"the 32 bytes of its receipt digest (SHA-256 of the sealed bid), leaves in ascending order of the digest; " +
	"RFC 6962 tree: leaf hash SHA-256(0x00 || digest), node hash SHA-256(0x01 || left || right)"

// BidCommitment is a tender's commitment to its bids, made at the close of
// bidding before the opening: how many bids stand and the Merkle root of
// their receipt digests (LeafOrder). It reveals nothing of the bids but their
// number; the digests are already on their bidders' receipts.
type BidCommitment struct {
	TenderID    int64     `json:"tender_id" gorm:"primaryKey;autoIncrement:false"`
	BidCount    int       `json:"bid_count"`
	Root        string    `json:"root"`
	CommittedAt time.Time `json:"committed_at"`
	LeafOrder   string    `json:"leaf_order" gorm:"-"`
}

// TableName is the table of BidCommitment.
func (BidCommitment) TableName() string { return "bid_commitments" }

// InclusionProof proves that one receipt digest is a leaf of a tender's
// commitment: its index among the sorted leaves, the tree's size, the audit
// path (sibling hashes from the leaf up, RFC 6962 2.1.1) and the committed
// root. Verified says whether the path leads from the digest to the root.
type InclusionProof struct {
	TenderID  int64    `json:"tender_id"`
	Digest    string   `json:"digest"`
	Index     int      `json:"index"`
	Size      int      `json:"size"`
	AuditPath []string `json:"audit_path"`
	Root      string   `json:"root"`
	Verified  bool     `json:"verified"`
}

// Errors of commitments.
var (
	ErrNotCommitted = apperr.New(apperr.Conflict, "tender.not_committed",
		"bidding has not closed: the commitment to the bids is published at the close")
	ErrNoCommitment = apperr.New(apperr.NotFound, "tender.no_commitment",
		"this tender has no commitment to its bids: it closed before commitments were published, or never closed")
	ErrDigestNotCommitted = apperr.New(apperr.NotFound, "tender.digest_not_committed",
		"no bid with this receipt digest is in the commitment")
	// ErrCommitmentMismatch is returned (beside ErrTampered) by the opening
	// when the bids to open are not those committed at the close: a bid was
	// added, dropped or swapped after the close. The opening is refused.
	ErrCommitmentMismatch = errors.New("tender: the bids to open differ from those committed at the close")
)

// ParseDigest checks a receipt digest given in hex (64 digits, either case)
// and returns it in lower case; apperr.Invalid naming field otherwise.
func ParseDigest(field, s string) (string, error) {
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 32 {
		return "", apperr.InvalidField(field, "a receipt digest is 64 hexadecimal digits (SHA-256)")
	}
	return strings.ToLower(s), nil
}

// commitTree returns the sorted digests and the root of their tree.
func commitTree(digests []string) ([]string, [][]byte, [32]byte, error) {
	sorted := slices.Clone(digests)
	slices.Sort(sorted)
	leaves := make([][]byte, len(sorted))
	for i, d := range sorted {
		b, err := hex.DecodeString(d)
		if err != nil || len(b) != 32 {
			return nil, nil, [32]byte{}, fmt.Errorf("receipt digest %q is not SHA-256 hex", d)
		}
		leaves[i] = b
	}
	return sorted, leaves, merkle.Root(leaves), nil
}

// commit stores the locked tender's commitment to its standing bids, in the
// close's transaction; its count and root join the close's audit entry.
func commit(tx *gorm.DB, t Tender, now time.Time) (BidCommitment, error) {
	var digests []string
	if err := tx.Model(&Bid{}).Where("tender_id = ? AND status = 'active'", t.ID).Pluck("digest", &digests).Error; err != nil {
		return BidCommitment{}, err
	}
	_, _, root, err := commitTree(digests)
	if err != nil {
		return BidCommitment{}, fmt.Errorf("commit tender %d: %w", t.ID, err)
	}
	c := BidCommitment{TenderID: t.ID, BidCount: len(digests), Root: hex.EncodeToString(root[:]), CommittedAt: now}
	if err := tx.Create(&c).Error; err != nil {
		return BidCommitment{}, fmt.Errorf("commit tender %d: %w", t.ID, err)
	}
	return c, nil
}

// committed returns the commitment made at the close of tender id: its row,
// or, should the row be gone (deleted by someone with the database's rights,
// past its append-only trigger), the copy the close's audit entry holds, so
// that deleting the commitment does not let changed bids open unchecked. A
// tender closed before commitments were kept has neither (ok false).
func committed(tx *gorm.DB, id int64) (c BidCommitment, ok bool, err error) {
	err = tx.Take(&c, "tender_id = ?", id).Error
	if err == nil || !errors.Is(err, gorm.ErrRecordNotFound) {
		return c, err == nil, err
	}
	var data []string
	if err := tx.Model(&audit.Entry{}).Where("action = 'tender.close' AND entity_type = 'tender' AND entity_id = ?", fmt.Sprint(id)).
		Order("id DESC").Limit(1).Pluck("data", &data).Error; err != nil {
		return BidCommitment{}, false, err
	}
	if len(data) == 0 {
		return BidCommitment{}, false, nil
	}
	var closed struct {
		Bids *int   `json:"bids"`
		Root string `json:"commitment_root"`
	}
	if err := json.Unmarshal([]byte(data[0]), &closed); err != nil {
		return BidCommitment{}, false, fmt.Errorf("tender %d: the close's audit entry: %w", id, err)
	}
	if closed.Bids == nil || closed.Root == "" {
		return BidCommitment{}, false, nil
	}
	return BidCommitment{TenderID: id, BidCount: *closed.Bids, Root: closed.Root}, true, nil
}

// checkCommitment compares the bids about to be opened, by the digests of
// their sealed bodies as they are now, with the commitment made at the close.
// A tender closed before commitments were kept has none and passes; one
// whose commitment row is gone is checked against the close's audit entry. It
// returns ErrTampered and ErrCommitmentMismatch, and what was found, on a
// difference.
func checkCommitment(tx *gorm.DB, t Tender, bids []Bid) (found BidCommitment, err error) {
	c, ok, err := committed(tx, t.ID)
	if err != nil || !ok {
		return BidCommitment{}, err
	}
	digests := make([]string, len(bids))
	for i, b := range bids {
		digests[i] = Digest(b.Sealed)
	}
	_, _, root, err := commitTree(digests)
	if err != nil {
		return BidCommitment{}, err
	}
	found = BidCommitment{TenderID: t.ID, BidCount: len(bids), Root: hex.EncodeToString(root[:])}
	if found.BidCount != c.BidCount || found.Root != c.Root {
		return found, fmt.Errorf("open tender %d: %w: %w: committed %d bids with root %s at the close, found %d with root %s",
			t.ID, ErrTampered, ErrCommitmentMismatch, c.BidCount, c.Root, found.BidCount, found.Root)
	}
	return found, nil
}

// holdOpening records, once per set of bids found, that the opening of t was
// refused because its bids differ from the commitment, and alerts the
// tender's procurement officers, in the transaction that found it (which
// changes nothing else). The tender stays closed: an operator restores the
// bid rows, after which the opening proceeds, or the officer cancels it.
func holdOpening(tx *gorm.DB, sys access.Actor, t Tender, found BidCommitment, now time.Time) error {
	var seen int64
	if err := tx.Model(&audit.Entry{}).Where("action = 'tender.opening_refused' AND entity_type = 'tender' AND entity_id = ? AND data LIKE ?",
		fmt.Sprint(t.ID), `%"found_root":"`+found.Root+`"%`).Count(&seen).Error; err != nil {
		return err
	}
	if seen > 0 {
		return nil
	}
	c, _, err := committed(tx, t.ID)
	if err != nil {
		return err
	}
	if err := audit.Record(tx, sys, "tender.opening_refused", "tender", t.ID, map[string]any{
		"reason": "bids differ from the commitment at the close", "committed_count": c.BidCount, "committed_root": c.Root,
		"found_count": found.BidCount, "found_root": found.Root}); err != nil {
		return err
	}
	return notifyOfficers(tx, t, KindOpeningRefused, now)
}

// publicTender returns the published tender id.
func publicTender(db *gorm.DB, id int64) (Tender, error) {
	var t Tender
	if err := db.Select("id", "status").Where("published_at IS NOT NULL").Take(&t, id).Error; err != nil {
		return Tender{}, notFound(err)
	}
	return t, nil
}

// BidCommitment returns the published tender's commitment to its bids. It
// returns apperr.ErrNotFound for a tender not published, ErrNotCommitted
// while bidding is open, ErrNoCommitment for a tender that closed before
// commitments were kept or was cancelled before its close.
func (s *Service) BidCommitment(ctx context.Context, id int64) (BidCommitment, error) {
	db := s.db.WithContext(ctx)
	t, err := publicTender(db, id)
	if err != nil {
		return BidCommitment{}, err
	}
	var c BidCommitment
	if err := db.Take(&c, "tender_id = ?", t.ID).Error; errors.Is(err, gorm.ErrRecordNotFound) {
		if t.Status == StatusPublished {
			return BidCommitment{}, ErrNotCommitted
		}
		return BidCommitment{}, ErrNoCommitment
	} else if err != nil {
		return BidCommitment{}, err
	}
	c.LeafOrder = LeafOrder
	return c, nil
}

// CommitmentProof returns the inclusion proof of the bid whose receipt digest
// is digest (lower-case hex, see ParseDigest) in the tender's commitment,
// built from the standing bids and checked against the committed root: a
// proof that does not verify means the bids changed after the close. It
// returns the errors of BidCommitment, and ErrDigestNotCommitted for a digest
// that is no standing bid's.
func (s *Service) CommitmentProof(ctx context.Context, id int64, digest string) (InclusionProof, error) {
	c, err := s.BidCommitment(ctx, id)
	if err != nil {
		return InclusionProof{}, err
	}
	var digests []string
	if err := s.db.WithContext(ctx).Model(&Bid{}).Where("tender_id = ? AND status = 'active'", id).Pluck("digest", &digests).Error; err != nil {
		return InclusionProof{}, err
	}
	sorted, leaves, _, err := commitTree(digests)
	if err != nil {
		return InclusionProof{}, err
	}
	i, ok := slices.BinarySearch(sorted, digest)
	if !ok {
		return InclusionProof{}, ErrDigestNotCommitted
	}
	p := InclusionProof{TenderID: id, Digest: digest, Index: i, Size: c.BidCount, Root: c.Root, AuditPath: []string{}}
	for _, h := range merkle.Proof(leaves, i) {
		p.AuditPath = append(p.AuditPath, hex.EncodeToString(h[:]))
	}
	p.Verified = VerifyProof(p)
	return p, nil
}

// VerifyProof reports whether p's audit path leads from its digest at its
// index to its root, in a tree of its size.
func VerifyProof(p InclusionProof) bool {
	leaf, err := hex.DecodeString(p.Digest)
	if err != nil {
		return false
	}
	root, err := hex.DecodeString(p.Root)
	if err != nil || len(root) != 32 {
		return false
	}
	path := make([][32]byte, len(p.AuditPath))
	for i, h := range p.AuditPath {
		b, err := hex.DecodeString(h)
		if err != nil || len(b) != 32 {
			return false
		}
		path[i] = [32]byte(b)
	}
	return merkle.Verify([32]byte(root), leaf, p.Index, p.Size, path)
}
