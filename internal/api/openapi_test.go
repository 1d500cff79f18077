package api_test

import (
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/jiedao-market/jiedao/internal/api"
	"github.com/jiedao-market/jiedao/internal/catalog"
	"github.com/jiedao-market/jiedao/internal/contract"
	"github.com/jiedao-market/jiedao/internal/servertest"
	"github.com/jiedao-market/jiedao/internal/tender"
)

func TestOpenAPI(t *testing.T) {
	t.Parallel()

	t.Run("loads and validates", func(t *testing.T) {
		t.Parallel()
		doc, err := api.OpenAPI()
		if err != nil {
			t.Fatalf("api.OpenAPI() error = %v", err)
		}
		if doc.OpenAPI != "3.0.3" {
			t.Errorf("openapi = %q, want 3.0.3", doc.OpenAPI)
		}
	})

	t.Run("enumerates the domain's lists", func(t *testing.T) {
		t.Parallel()
		doc, err := api.OpenAPI()
		if err != nil {
			t.Fatalf("api.OpenAPI() error = %v", err)
		}
		for name, want := range map[string][]string{"PurchaseMethod": catalog.PurchaseMethods, "TenderStatus": tender.States,
			"ContractStatus": contract.States} {
			schema, ok := doc.Components.Schemas[name]
			if !ok || schema.Value == nil {
				t.Errorf("openapi.yaml has no schema %s", name)
				continue
			}
			var got []string
			for _, v := range schema.Value.Enum {
				s, _ := v.(string)
				got = append(got, s)
			}
			if !slices.Equal(got, want) {
				t.Errorf("openapi.yaml %s enum = %v, want %v", name, got, want)
			}
		}
	})

	t.Run("matches the route table", func(t *testing.T) {
		t.Parallel()
		e := servertest.NewEnv(t)
		doc, err := api.OpenAPI()
		if err != nil {
			t.Fatalf("api.OpenAPI() error = %v", err)
		}
		documented := map[string]bool{}
		for path, item := range doc.Paths.Map() {
			for method := range item.Operations() {
				documented[method+" "+path] = true
			}
		}
		registered := map[string]bool{}
		for _, r := range e.Server.App().GetRoutes(true) {
			if r.Method == http.MethodHead || r.Method == "USE" || !documentedPath(r.Path) {
				continue
			}
			registered[r.Method+" "+openAPIPath(r.Path)] = true
		}
		if len(registered) == 0 {
			t.Fatal("the app registers no API routes")
		}
		for _, op := range sortedKeys(registered) {
			if !documented[op] {
				t.Errorf("route %s is not in openapi.yaml", op)
			}
		}
		for _, op := range sortedKeys(documented) {
			if !registered[op] {
				t.Errorf("openapi.yaml describes %s, which the app does not serve", op)
			}
		}
	})

	t.Run("served as JSON", func(t *testing.T) {
		t.Parallel()
		e := servertest.NewEnv(t)
		doc, err := api.OpenAPI()
		if err != nil {
			t.Fatalf("api.OpenAPI() error = %v", err)
		}
		r := e.Do(t, servertest.Request{Method: "GET", Path: "/api/openapi.json"})
		if r.Status != http.StatusOK {
			t.Fatalf("GET /api/openapi.json = %d %s, want 200", r.Status, r.Body)
		}
		if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Errorf("Content-Type = %q, want application/json", ct)
		}
		var served struct {
			OpenAPI string                     `json:"openapi"`
			Paths   map[string]json.RawMessage `json:"paths"`
		}
		r.JSON(t, &served)
		if served.OpenAPI != doc.OpenAPI {
			t.Errorf("served openapi = %q, want %q", served.OpenAPI, doc.OpenAPI)
		}
		got := sortedKeys(served.Paths)
		want := sortedKeys(doc.Paths.Map())
		if !slices.Equal(got, want) {
			t.Errorf("served paths = %v, want %v", got, want)
		}
	})
}

// documentedPath reports whether a route belongs in the OpenAPI document: the
// JSON API and the health probes, not the pages, metrics or the document itself.
func documentedPath(p string) bool {
	return strings.HasPrefix(p, "/api/v1/") || p == "/healthz" || p == "/readyz"
}

var fiberParam = regexp.MustCompile(`:([A-Za-z0-9_]+)`)

// openAPIPath turns a Fiber route path ("/users/:id") into an OpenAPI one ("/users/{id}").
func openAPIPath(p string) string {
	return fiberParam.ReplaceAllString(p, "{$1}")
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
