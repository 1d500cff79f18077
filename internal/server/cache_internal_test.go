package server

import (
	"testing"
	"time"
)

// The micro-cache: an answer is sent until it expires; then one request
// renews it while the others are sent the expired one, for at most staleFor;
// a write (clear) drops everything and refuses answers rendered before it.
func TestMicroCache(t *testing.T) {
	m := newMicroCache(2 * time.Second)
	now := time.Date(2026, 12, 5, 8, 0, 0, 0, time.UTC)
	_, gen, _ := m.get("/catalog", now)
	e := &shared{expires: now.Add(m.ttl), body: []byte("page")}
	if !m.put("/catalog", gen, e, now) {
		t.Fatalf("put() = false, want the answer kept")
	}
	if got, _, renew := m.get("/catalog", now.Add(time.Second)); got != e || renew {
		t.Errorf("get() before expiry = %v, renew %v; want the answer, no renewal", got, renew)
	}
	later := now.Add(3 * time.Second)
	if got, _, renew := m.get("/catalog", later); got != e || !renew {
		t.Errorf("first get() after expiry = %v, renew %v; want the expired answer, and this request to have it renewed", got, renew)
	}
	if got, _, renew := m.get("/catalog", later); got != e || renew {
		t.Errorf("second get() after expiry = %v, renew %v; want the expired answer while it is renewed, by another", got, renew)
	}
	if got, _, _ := m.get("/catalog", now.Add(m.ttl+staleFor+time.Second)); got != nil {
		t.Errorf("get() past staleFor = %v, want nil", got)
	}
	m.drop("/catalog", e)
	if m.peek("/catalog") != nil {
		t.Errorf("drop() left the answer")
	}

	_, gen, _ = m.get("/procurement", now)
	m.clear()
	if m.put("/procurement", gen, &shared{expires: now.Add(m.ttl)}, now) {
		t.Errorf("put() of an answer rendered before a write = true, want refused")
	}
}
