package api

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
)

// openapiYAML is the API description, kept next to the route table; it is
// served as JSON at /api/openapi.json and every API test validates against it.
//
//go:embed openapi.yaml
var openapiYAML []byte

// OpenAPI returns the parsed and validated API description.
func OpenAPI() (*openapi3.T, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(openapiYAML)
	if err != nil {
		return nil, fmt.Errorf("openapi: %w", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("openapi: %w", err)
	}
	return doc, nil
}

// openapiJSON is the served description, loaded and validated once per
// process: it is a constant of the build, and loading it costs a few hundred
// milliseconds (more under -race) that every api.New paid again, once for each
// test's server.
var openapiJSON = sync.OnceValues(loadOpenAPI)

func loadOpenAPI() ([]byte, error) {
	doc, err := OpenAPI()
	if err != nil {
		return nil, err
	}
	return json.Marshal(doc)
}
