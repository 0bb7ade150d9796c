package apitest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/chronicle-crm/chronicle/adapters/app"
)

// The contract is the served OpenAPI document, loaded once per test binary: every request a
// harness sends and every answer it receives is checked against it (see check), so a handler and
// the document cannot drift apart without an API test failing.
var contract struct {
	once   sync.Once
	router routers.Router
	err    error
}

func contractRouter() (routers.Router, error) {
	contract.once.Do(func() {
		raw, err := app.OpenAPI()
		if err != nil {
			contract.err = err
			return
		}
		loader := openapi3.NewLoader()
		doc, err := loader.LoadFromData(raw)
		if err != nil {
			contract.err = fmt.Errorf("load the OpenAPI document: %w", err)
			return
		}
		// (Examples are checked by the document's own tests: kin-openapi's example check treats a
		// schema without a type as refusing null, which JSON Schema 2020-12 does not.)
		if err := doc.Validate(loader.Context, openapi3.DisableExamplesValidation()); err != nil {
			contract.err = fmt.Errorf("the OpenAPI document is invalid: %w", err)
			return
		}
		doc.Servers = nil // "/" relative to whatever host the test server listens on
		contract.router, contract.err = gorillamux.NewRouter(doc)
	})
	return contract.router, contract.err
}

// binaryBody decodes the bodies of downloads (exports, templates) as opaque bytes.
var registerDecoders sync.Once

// Contract is what check found wrong with one exchange, or nil.
func Contract(req *http.Request, reqBody []byte, status int, header http.Header, body []byte) error {
	registerDecoders.Do(func() {
		for _, ct := range []string{"text/csv", "text/calendar", "application/x-ndjson", "application/zip", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "text/plain", "text/html"} {
			openapi3filter.RegisterBodyDecoder(ct, openapi3filter.FileBodyDecoder)
		}
	})
	router, err := contractRouter()
	if err != nil {
		return err
	}
	route, params, err := router.FindRoute(req)
	if err != nil {
		// A path or method the document does not have must be refused the way the router refuses it.
		if status == http.StatusNotFound || status == http.StatusMethodNotAllowed {
			return nil
		}
		return fmt.Errorf("%s %s is not in the document (%v) but answered %d", req.Method, req.URL.Path, err, status)
	}
	ctx := context.Background()
	in := &openapi3filter.RequestValidationInput{
		Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, MultiError: true},
	}
	var errs []error
	if reqBody != nil {
		req.Body = io.NopCloser(bytes.NewReader(reqBody))
	}
	// A request the document refuses must not succeed; one it accepts may still break a business
	// rule, so only the success of a refused request is drift.
	if err := openapi3filter.ValidateRequest(ctx, in); err != nil && status < 400 {
		errs = append(errs, fmt.Errorf("the request does not match the document, yet it answered %d: %w", status, err))
	}
	// "default" describes the failures no one plans for (500); every status a test sees is one the
	// operation names.
	if route.Operation.Responses.Status(status) == nil && status != http.StatusInternalServerError {
		errs = append(errs, fmt.Errorf("status %d is not among the operation's responses", status))
	}
	out := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in, Status: status, Header: header,
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	out.SetBodyBytes(body)
	if err := openapi3filter.ValidateResponse(ctx, out); err != nil {
		errs = append(errs, fmt.Errorf("the answer does not match the document: %w", err))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("contract: %s %s → %d: %w\nbody: %s", req.Method, req.URL.RequestURI(), status, err, clip(body))
	}
	return nil
}

func clip(b []byte) string {
	s := strings.ToValidUTF8(string(b), "?")
	if len(s) > 600 {
		return s[:600] + "…"
	}
	return s
}
