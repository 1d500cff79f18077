package server

import (
	"runtime"
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

// Renewals run a few at a time: with every slot taken, an expired answer is
// left for a later request to renew; a renewal frees its slot when done. An
// answer's lifetime is the interval less up to a quarter of it.
func TestMicroCacheRenewals(t *testing.T) {
	m := newMicroCache(2 * time.Second)
	for range cap(m.renewals) {
		m.renewals <- struct{}{}
	}
	e := &shared{}
	e.refreshing.Store(true)
	if m.startRenewal(e, func() { t.Error("a renewal ran without a slot") }) {
		t.Fatal("startRenewal() = true with every slot taken")
	}
	if e.refreshing.Load() {
		t.Error("the answer is still marked as being renewed: no later request would renew it")
	}
	for range cap(m.renewals) {
		<-m.renewals
	}
	done := make(chan struct{})
	if !m.startRenewal(e, func() { close(done) }) {
		t.Fatal("startRenewal() = false with free slots")
	}
	<-done
	for deadline := time.Now().Add(10 * time.Second); len(m.renewals) != 0; {
		if time.Now().After(deadline) {
			t.Fatal("the renewal did not give its slot back")
		}
		runtime.Gosched()
	}
	for range 100 {
		if d := m.lifetime(); d > m.ttl || d < m.ttl*3/4 {
			t.Fatalf("lifetime() = %v, want within [%v, %v]", d, m.ttl*3/4, m.ttl)
		}
	}
}
