package merkle_test

import (
	"crypto/sha256"
	"encoding/binary"
	"testing"

	"github.com/jiedao-market/jiedao/internal/merkle"
)

// benchLeaves returns n receipt-digest-sized leaves.
func benchLeaves(n int) [][]byte {
	leaves := make([][]byte, n)
	for i := range leaves {
		var b [8]byte
		binary.BigEndian.PutUint64(b[:], uint64(i))
		sum := sha256.Sum256(b[:])
		leaves[i] = sum[:]
	}
	return leaves
}

// BenchmarkRoot measures the commitment of a tender with 2,000 bids (the
// busiest tender of the bid-surge scenario): the root of 2,000 digests.
func BenchmarkRoot(b *testing.B) {
	leaves := benchLeaves(2_000)
	for b.Loop() {
		merkle.Root(leaves)
	}
}

// BenchmarkProofAndVerify measures what a bidder's check costs the server
// and the bidder: the inclusion proof of one of 2,000 bids, and its check.
func BenchmarkProofAndVerify(b *testing.B) {
	leaves := benchLeaves(2_000)
	root := merkle.Root(leaves)
	i := 0
	for b.Loop() {
		i = (i + 617) % len(leaves)
		if !merkle.Verify(root, leaves[i], i, len(leaves), merkle.Proof(leaves, i)) {
			b.Fatalf("the proof of leaf %d does not verify", i)
		}
	}
}
