package merkle_test

import (
	"encoding/hex"
	"fmt"
	"testing"

	"github.com/jiedao-market/jiedao/internal/merkle"
)

// The test vectors of Certificate Transparency's reference implementation
// (RFC 6962): eight leaves, and the tree hash of the first n of them.
var ctLeaves = []string{"", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"}

var ctRoots = []string{
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
	"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
	"aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
	"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
	"4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
	"76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
	"ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
	"5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
}

// The reference implementation's inclusion proofs (its leaf numbers are
// one-based; these indexes are zero-based).
var ctProofs = []struct {
	index, size int
	path        []string
}{
	{0, 1, nil},
	{0, 8, []string{
		"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
		"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
		"6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
	{5, 8, []string{
		"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
		"ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
		"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
	{2, 3, []string{"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"}},
	{1, 5, []string{
		"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
		"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
		"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
}

func leaves(t *testing.T, n int) [][]byte {
	t.Helper()
	out := make([][]byte, n)
	for i := range n {
		b, err := hex.DecodeString(ctLeaves[i])
		if err != nil {
			t.Fatal(err)
		}
		out[i] = b
	}
	return out
}

func hash(t *testing.T, s string) [32]byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 32 {
		t.Fatalf("bad hash %q", s)
	}
	return [32]byte(b)
}

func TestRootVectors(t *testing.T) {
	for n, want := range ctRoots {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			if got := hex.EncodeToString(func() []byte { r := merkle.Root(leaves(t, n)); return r[:] }()); got != want {
				t.Errorf("Root(%d leaves) = %s, want %s", n, got, want)
			}
		})
	}
}

func TestSingleLeafIsItsLeafHash(t *testing.T) {
	leaf := []byte("receipt")
	if merkle.Root([][]byte{leaf}) != merkle.LeafHash(leaf) {
		t.Error("Root of one leaf is not its leaf hash")
	}
	if p := merkle.Proof([][]byte{leaf}, 0); len(p) != 0 {
		t.Errorf("Proof of the only leaf = %d hashes, want 0", len(p))
	}
	if !merkle.Verify(merkle.LeafHash(leaf), leaf, 0, 1, nil) {
		t.Error("Verify of the only leaf failed")
	}
}

func TestEmptyTreeHasNoProof(t *testing.T) {
	if p := merkle.Proof(nil, 0); p != nil {
		t.Errorf("Proof(empty, 0) = %v, want nil", p)
	}
	if merkle.Verify(merkle.Root(nil), nil, 0, 0, nil) {
		t.Error("Verify in the empty tree succeeded")
	}
}

func TestProofVectors(t *testing.T) {
	for _, tc := range ctProofs {
		t.Run(fmt.Sprintf("%d/%d", tc.index, tc.size), func(t *testing.T) {
			ls := leaves(t, tc.size)
			got := merkle.Proof(ls, tc.index)
			if len(got) != len(tc.path) {
				t.Fatalf("Proof() = %d hashes, want %d", len(got), len(tc.path))
			}
			for i, h := range tc.path {
				if got[i] != hash(t, h) {
					t.Errorf("Proof()[%d] = %x, want %s", i, got[i], h)
				}
			}
			if !merkle.Verify(hash(t, ctRoots[tc.size]), ls[tc.index], tc.index, tc.size, got) {
				t.Error("Verify() = false for the reference proof")
			}
		})
	}
}

// Every leaf of every tree up to 33 leaves has a proof that verifies, and
// none that is altered in any part does. (A neighbouring size may share the
// path's shape, as in RFC 6962 itself: the size is bound by being published
// beside the root, not by the proof.)
func TestProofRoundTripAndForgeries(t *testing.T) {
	for size := 1; size <= 33; size++ {
		ls := make([][]byte, size)
		for i := range ls {
			ls[i] = []byte(fmt.Sprintf("leaf %d", i))
		}
		root := merkle.Root(ls)
		other := merkle.Root(append([][]byte{[]byte("x")}, ls[1:]...))
		for i := range ls {
			p := merkle.Proof(ls, i)
			if !merkle.Verify(root, ls[i], i, size, p) {
				t.Fatalf("Verify(size %d, index %d) = false", size, i)
			}
			forged := map[string]bool{
				"other root":  merkle.Verify(other, ls[i], i, size, p),
				"other leaf":  merkle.Verify(root, []byte("forged"), i, size, p),
				"index + 1":   merkle.Verify(root, ls[i], i+1, size, p),
				"index - 1":   i > 0 && merkle.Verify(root, ls[i], i-1, size, p),
				"past size":   merkle.Verify(root, ls[i], size, size, p),
				"extra hash":  merkle.Verify(root, ls[i], i, size, append(append([][32]byte{}, p...), root)),
				"negative":    merkle.Verify(root, ls[i], -1, size, p),
				"leaf's hash": merkle.Verify(root, func() []byte { h := merkle.LeafHash(ls[i]); return h[:] }(), i, size, p),
			}
			if len(p) > 0 {
				short := p[:len(p)-1]
				forged["short path"] = merkle.Verify(root, ls[i], i, size, short)
				flipped := append([][32]byte{}, p...)
				flipped[0][0] ^= 1
				forged["flipped bit"] = merkle.Verify(root, ls[i], i, size, flipped)
			}
			for what, ok := range forged {
				if ok {
					t.Errorf("Verify(size %d, index %d, %s) = true, want false", size, i, what)
				}
			}
		}
		if merkle.Proof(ls, size) != nil || merkle.Proof(ls, -1) != nil {
			t.Errorf("Proof outside the tree of %d leaves is not nil", size)
		}
	}
}
