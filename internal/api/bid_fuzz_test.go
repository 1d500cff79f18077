package api

// An internal test: the bid request body is unexported.

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/google/go-cmp/cmp"
	"github.com/valyala/fasthttp"

	"github.com/jiedao-market/jiedao/internal/apperr"
	"github.com/jiedao-market/jiedao/internal/request"
)

// decodeBid runs request.DecodeStrictLimit on body as the bid handler does.
func decodeBid(app *fiber.App, body []byte) (bidRequest, error) {
	fctx := &fasthttp.RequestCtx{}
	fctx.Request.Header.SetMethod(fiber.MethodPost)
	fctx.Request.Header.SetContentType(fiber.MIMEApplicationJSON)
	fctx.Request.SetBody(body)
	c := app.AcquireCtx(fctx)
	defer app.ReleaseCtx(c)
	var req bidRequest
	err := request.DecodeStrictLimit(c, &req, 1<<20)
	return req, err
}

// onlyKnownKeys fails unless every object key of in names, as encoding/json
// matches names (case-insensitively), a key of known at the same place.
func onlyKnownKeys(t *testing.T, at string, in, known any) {
	t.Helper()
	switch in := in.(type) {
	case map[string]any:
		k, _ := known.(map[string]any)
		for key, v := range in {
			var match any
			found := false
			for name, kv := range k {
				if strings.EqualFold(key, name) {
					match, found = kv, true
				}
			}
			if !found {
				t.Fatalf("DecodeStrict accepted the unknown field %s.%s", at, key)
			}
			onlyKnownKeys(t, at+"."+key, v, match)
		}
	case []any:
		k, _ := known.([]any)
		for i, v := range in {
			if i < len(k) {
				onlyKnownKeys(t, at+"[]", v, k[i])
			}
		}
	}
}

// Whatever the body, decoding a bid never panics; a refusal is always the
// client's (an apperr with a code, never an internal error); an accepted body
// holds no field the request does not know, no NUL (PostgreSQL text cannot
// hold it), and decodes again from its own JSON to the same request.
func FuzzBidRequestDecode(f *testing.F) {
	for _, s := range []string{
		`{"price_fen":48000000,"technical_proposal":"上门服务方案","staffing_plan":"3 名护理员",` +
			`"metric_commitments":[{"code":"visits","value":12.5}],"attachments":[{"name":"a.pdf","data":"JVBERi0xLjcK"}]}`,
		`{"price_fen":1,"unknown":1}`, `{"PRICE_FEN":1}`, `{"price_fen":"1"}`, `{"price_fen":1.5}`,
		`{"metric_commitments":[{"code":"x","value":1,"extra":true}]}`, `{"attachments":[{"data":"not base64"}]}`,
		`{"technical_proposal":"a\u0000b"}`, `{} {}`, `[]`, `null`, ``, `{"price_fen":1e400}`,
		`{"price_fen":9223372036854775808}`, `{"staffing_plan":"\ud800"}`, `{"attachments":null}`, `{"a":`,
	} {
		f.Add([]byte(s))
	}
	app := fiber.New()
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := decodeBid(app, body)
		if err != nil {
			if e, ok := apperr.As(err); !ok || e.Kind == apperr.Internal || e.Code == "" {
				t.Fatalf("DecodeStrict(%q) error = %v, want a client error with a code", body, err)
			}
			return
		}
		canonical, err := json.Marshal(req)
		if err != nil {
			t.Fatalf("json.Marshal(%+v) error = %v", req, err)
		}
		if bytes.Contains(canonical, []byte(`\u0000`)) {
			t.Fatalf("DecodeStrict(%q) accepted a NUL: %s", body, canonical)
		}
		var in, known any
		if err := json.Unmarshal(body, &in); err != nil {
			t.Fatalf("DecodeStrict accepted %q, which encoding/json refuses: %v", body, err)
		}
		if err := json.Unmarshal(canonical, &known); err != nil {
			t.Fatal(err)
		}
		onlyKnownKeys(t, "body", in, known)
		again, err := decodeBid(app, canonical)
		if err != nil {
			t.Fatalf("DecodeStrict(%s), the JSON of an accepted request, error = %v", canonical, err)
		}
		if diff := cmp.Diff(req, again); diff != "" {
			t.Fatalf("DecodeStrict(%q) then again from its JSON differs (-first +again):\n%s", body, diff)
		}
	})
}
