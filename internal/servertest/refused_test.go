package servertest

import (
	"testing"
)

// TestDigestSeesWrites: the digest Refused and WritesNothing compare sees a
// row written, changed and deleted; a digest that saw nothing would let every
// "refused and wrote nothing" check pass.
func TestDigestSeesWrites(t *testing.T) {
	t.Parallel()
	e := NewEnv(t)
	before := e.digest(t)
	if before["users"].Rows == 0 || before["users"].Hash == "" {
		t.Fatalf("digest of the seeded users = %+v, want their count and a hash", before["users"])
	}
	if diff := digestDiff(before, e.digest(t)); diff != "" {
		t.Fatalf("digest of an unchanged database differs: %s", diff)
	}
	steps := []struct{ name, sql string }{
		{"insert", `INSERT INTO districts (name_zh, code) VALUES ('摘要测试区', '330599')`},
		{"update", `UPDATE districts SET name_zh = '摘要测试区二' WHERE code = '330599'`},
		{"delete", `DELETE FROM districts WHERE code = '330599'`},
	}
	for _, s := range steps {
		if err := e.DB.Exec(s.sql).Error; err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		after := e.digest(t)
		if diff := digestDiff(before, after); diff == "" {
			t.Errorf("after the %s the digest shows no change", s.name)
		}
		before = after
	}
}
