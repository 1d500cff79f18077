// Package merkle holds the Merkle tree hash of RFC 6962 (section 2.1) over
// SHA-256, its inclusion proofs (audit paths) and their verification. A leaf
// hashes as SHA-256(0x00 ‖ leaf) and a node as SHA-256(0x01 ‖ left ‖ right),
// so a leaf can never pass for a node; a tree of n leaves splits at the
// largest power of two below n, so an odd leaf is carried up, never doubled.
// The empty tree's hash is SHA-256 of nothing.
package merkle

import (
	"crypto/sha256"
	"math/bits"
)

// LeafHash returns SHA-256(0x00 ‖ leaf).
func LeafHash(leaf []byte) [32]byte {
	h := sha256.New()
	h.Write([]byte{0})
	h.Write(leaf)
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// NodeHash returns SHA-256(0x01 ‖ left ‖ right).
func NodeHash(left, right [32]byte) [32]byte {
	h := sha256.New()
	h.Write([]byte{1})
	h.Write(left[:])
	h.Write(right[:])
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// split returns the largest power of two smaller than n (n ≥ 2).
func split(n int) int {
	return 1 << (bits.Len(uint(n-1)) - 1)
}

// Root returns the Merkle tree hash of leaves, in their order (MTH of RFC
// 6962, 2.1).
func Root(leaves [][]byte) [32]byte {
	if len(leaves) == 0 {
		return sha256.Sum256(nil)
	}
	hashes := make([][32]byte, len(leaves))
	for i, l := range leaves {
		hashes[i] = LeafHash(l)
	}
	return root(hashes)
}

func root(h [][32]byte) [32]byte {
	if len(h) == 1 {
		return h[0]
	}
	k := split(len(h))
	return NodeHash(root(h[:k]), root(h[k:]))
}

// Proof returns the audit path of the leaf at index in the tree of leaves
// (PATH of RFC 6962, 2.1.1): the sibling hashes from the leaf up to the root.
// It returns nil when index is outside the tree.
func Proof(leaves [][]byte, index int) [][32]byte {
	if index < 0 || index >= len(leaves) {
		return nil
	}
	hashes := make([][32]byte, len(leaves))
	for i, l := range leaves {
		hashes[i] = LeafHash(l)
	}
	return path(hashes, index)
}

func path(h [][32]byte, m int) [][32]byte {
	if len(h) <= 1 {
		return [][32]byte{}
	}
	k := split(len(h))
	if m < k {
		return append(path(h[:k], m), root(h[k:]))
	}
	return append(path(h[k:], m-k), root(h[:k]))
}

// Verify reports whether proof is the audit path of leaf at index in a tree
// of size leaves whose hash is root (RFC 9162, 2.1.3.2). Any other index,
// leaf, size, root or path, or one hash too many or too few, fails.
func Verify(root [32]byte, leaf []byte, index, size int, proof [][32]byte) bool {
	if index < 0 || index >= size {
		return false
	}
	fn, sn := uint64(index), uint64(size-1)
	r := LeafHash(leaf)
	for _, p := range proof {
		if sn == 0 {
			return false
		}
		if fn&1 == 1 || fn == sn {
			r = NodeHash(p, r)
			if fn&1 == 0 {
				for fn&1 == 0 && fn != 0 {
					fn >>= 1
					sn >>= 1
				}
			}
		} else {
			r = NodeHash(r, p)
		}
		fn >>= 1
		sn >>= 1
	}
	return sn == 0 && r == root
}
