package servertest

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
)

// Refused sends req and checks that it is refused: it answers status with a
// problem of code naming exactly fields (in any order; none when none are
// given), and it wrote nothing — no table of the database gained, lost or
// changed a row. It returns the problem.
func (e *Env) Refused(t testing.TB, req Request, status int, code string, fields ...string) Problem {
	t.Helper()
	return e.refused(t, req, "", status, code, fields)
}

// RefusedCounting is Refused for a refusal that counts itself, as a wrong
// rating code does: it must add to counter (a table) and write nothing else.
func (e *Env) RefusedCounting(t testing.TB, counter string, req Request, status int, code string, fields ...string) Problem {
	t.Helper()
	return e.refused(t, req, counter, status, code, fields)
}

func (e *Env) refused(t testing.TB, req Request, counter string, status int, code string, fields []string) Problem {
	t.Helper()
	before := e.digest(t)
	r := e.Do(t, req)
	if r.Status != status {
		t.Fatalf("%s %s with %s = %d %s, want %d %s", req.Method, req.Path, showBody(req.Body), r.Status, r.Body, status, code)
	}
	p := r.Problem(t)
	if p.Code != code || p.Status != status {
		t.Errorf("%s %s with %s: problem code %q status %d (%s), want %q %d", req.Method, req.Path, showBody(req.Body), p.Code, p.Status, p.Title, code, status)
	}
	var named []string
	for _, f := range p.Errors {
		named = append(named, f.Field)
	}
	slices.Sort(named)
	want := slices.Clone(fields)
	slices.Sort(want)
	// Distinct names: a field may carry several messages.
	if named, want = slices.Compact(named), slices.Compact(want); !slices.Equal(named, want) {
		t.Errorf("%s %s with %s: problem names fields %v, want %v (body %s)", req.Method, req.Path, showBody(req.Body), named, want, r.Body)
	}
	if diff := counted(before, e.digest(t), counter); diff != "" {
		t.Errorf("%s %s with %s was refused but %s", req.Method, req.Path, showBody(req.Body), diff)
	}
	return p
}

// counted says what is wrong with the change from before to after when only
// counter (a table; none when "") may gain rows and must: "" when nothing is.
func counted(before, after map[string]tableDigest, counter string) string {
	if counter == "" {
		if diff := digestDiff(before, after); diff != "" {
			return "wrote: " + diff
		}
		return ""
	}
	if after[counter].Rows <= before[counter].Rows {
		return fmt.Sprintf("did not count itself in %s (%d rows, then %d)", counter, before[counter].Rows, after[counter].Rows)
	}
	before, after = maps.Clone(before), maps.Clone(after)
	delete(before, counter)
	delete(after, counter)
	if diff := digestDiff(before, after); diff != "" {
		return "wrote: " + diff
	}
	return ""
}

// WritesNothing runs do and fails the test when it changed any table's rows
// (River's, the migrator's and the request limits' aside); what names do in the message.
func (e *Env) WritesNothing(t testing.TB, what string, do func()) {
	t.Helper()
	e.WritesOnly(t, what, "", do)
}

// WritesOnly is WritesNothing for a refusal that counts itself: do must add
// to counter (a table) and write nothing else.
func (e *Env) WritesOnly(t testing.TB, what, counter string, do func()) {
	t.Helper()
	before := e.digest(t)
	do()
	if diff := counted(before, e.digest(t), counter); diff != "" {
		t.Errorf("%s %s", what, diff)
	}
}

// tableDigest is a table's row count and a hash of its rows.
type tableDigest struct {
	Rows int64
	Hash string
}

// digest returns every table's row count and content hash (River's, the
// migrator's and the request limits' aside: every anonymous request counts
// itself in rate_limits, refused or not), in one statement.
func (e *Env) digest(t testing.TB) map[string]tableDigest {
	t.Helper()
	var tables []string
	if err := e.DB.Raw(`SELECT tablename FROM pg_tables WHERE schemaname = current_schema()
		AND tablename NOT LIKE 'river%' AND tablename NOT IN ('goose_db_version', 'rate_limits') ORDER BY tablename`).Scan(&tables).Error; err != nil {
		t.Fatalf("list tables: %v", err)
	}
	parts := make([]string, len(tables))
	for i, name := range tables {
		parts[i] = fmt.Sprintf(`SELECT %s AS name, count(*) AS rows, coalesce(md5(string_agg(x::text, '|' ORDER BY x::text)), '') AS hash FROM %s x`,
			quoteLiteral(name), quoteIdent(name))
	}
	// Plain fields: GORM does not scan into an unexported embedded struct.
	var rows []struct {
		Name string
		Rows int64
		Hash string
	}
	if err := e.DB.Raw(strings.Join(parts, " UNION ALL ")).Scan(&rows).Error; err != nil {
		t.Fatalf("digest tables: %v", err)
	}
	out := make(map[string]tableDigest, len(rows))
	for _, r := range rows {
		out[r.Name] = tableDigest{Rows: r.Rows, Hash: r.Hash}
	}
	return out
}

// digestDiff names the tables whose rows differ, with their row counts.
func digestDiff(before, after map[string]tableDigest) string {
	var out []string
	for name, a := range after {
		if b := before[name]; a != b {
			out = append(out, fmt.Sprintf("%s (%d rows, then %d)", name, b.Rows, a.Rows))
		}
	}
	slices.Sort(out)
	return strings.Join(out, ", ")
}

func quoteIdent(s string) string   { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
func quoteLiteral(s string) string { return `'` + strings.ReplaceAll(s, `'`, `''`) + `'` }

// showBody prints a request body for a failure message.
func showBody(body any) string {
	switch b := body.(type) {
	case []byte:
		return string(b)
	case nil:
		return "no body"
	default:
		return fmt.Sprint(b)
	}
}
