package stripetest_test

import (
	"net/http"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/client"

	"github.com/jiedao-market/jiedao/internal/platform/stripetest"
)

func TestStart(t *testing.T) {
	t.Parallel()
	a, b := stripetest.Start(t), stripetest.Start(t)
	if a == b {
		t.Fatalf("Start() twice = %q both times, want two servers", a)
	}
	for _, url := range []string{a, b} {
		res, err := http.Get(url + "/v1/balance")
		if err != nil {
			t.Fatalf("GET %s/v1/balance: %v", url, err)
		}
		res.Body.Close()
		// stripe-mock wants a test-mode key, so an anonymous request is refused.
		if res.StatusCode != http.StatusUnauthorized {
			t.Errorf("GET %s/v1/balance without a key: status %d, want 401", url, res.StatusCode)
		}
	}
}

func TestCallCounter(t *testing.T) {
	t.Parallel()
	var counter stripetest.CallCounter
	sc := client.New(stripetest.SecretKey, stripetest.Backends(stripetest.Start(t), &counter))

	if _, err := sc.Balance.Get(nil); err != nil {
		t.Fatalf("Balance.Get() error = %v", err)
	}
	var wg sync.WaitGroup
	for _, key := range []string{"k1", "k2", "k2"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := &stripe.CustomerParams{Email: stripe.String("a@example.cn")}
			p.SetIdempotencyKey(key)
			if _, err := sc.Customers.New(p); err != nil {
				t.Errorf("Customers.New() error = %v", err)
			}
		}()
	}
	wg.Wait()
	if _, err := sc.Customers.New(&stripe.CustomerParams{}); err != nil {
		t.Fatalf("Customers.New() without a key: error = %v", err)
	}

	if got := counter.Count(http.MethodGet, "/v1/balance"); got != 1 {
		t.Errorf("Count(GET /v1/balance) = %d, want 1", got)
	}
	if got := counter.Count(http.MethodPost, "/v1/customers"); got != 4 {
		t.Errorf("Count(POST /v1/customers) = %d, want 4", got)
	}
	keys := map[string]int{}
	for _, k := range counter.IdempotencyKeys(http.MethodPost, "/v1/customers") {
		keys[k]++
	}
	if diff := cmp.Diff(map[string]int{"k1": 1, "k2": 2, "": 1}, keys); diff != "" {
		t.Errorf("IdempotencyKeys(POST /v1/customers) (-want +got):\n%s", diff)
	}
	if got := len(counter.Calls()); got != 5 {
		t.Errorf("len(Calls()) = %d, want 5", got)
	}
	counter.Reset()
	if got := counter.Calls(); len(got) != 0 {
		t.Errorf("Calls() after Reset() = %v, want none", got)
	}
}
