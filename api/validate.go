package api

import (
	"context"
	"errors"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/labstack/echo/v4"

	"github.com/candor-ledger/candor/auth"
)

// filterOptions are the kin-openapi options of request validation, with
// the contract's own format validators (see LoadSpec: kin-openapi applies
// a document's formats only when told to).
//
// The contract's security requirements are enforced by authenticate (a
// valid bearer token for every operation whose security is not the
// explicit empty list), before validation; kin-openapi's own check could
// only confirm that a principal was found, at the cost of a copy of every
// request body, so the routes it is given have no requirement (see
// route.validated) and validateRequest asserts the principal instead.
// Should a requirement reach kin-openapi all the same, it fails closed.
func filterOptions(doc *openapi3.T) *openapi3filter.Options {
	return &openapi3filter.Options{
		MultiError:                        true,
		SkipSettingDefaults:               true, // defaults are applied by the handlers, explicitly
		RejectWhenRequestBodyNotSpecified: true,
		SchemaValidationOptions:           doc.GetSchemaValidationOptions(),
		AuthenticationFunc: func(context.Context, *openapi3filter.AuthenticationInput) error {
			return auth.ErrUnauthenticated
		},
	}
}

// hasQueryParameters reports whether operation r takes query parameters.
func hasQueryParameters(r *routers.Route) bool {
	for _, ps := range []openapi3.Parameters{r.PathItem.Parameters, r.Operation.Parameters} {
		for _, p := range ps {
			if p.Value != nil && p.Value.In == openapi3.ParameterInQuery {
				return true
			}
		}
	}
	return false
}

// withoutSecurity is the route given to kin-openapi: r with an operation
// that requires no authentication (see filterOptions).
func withoutSecurity(r *routers.Route) *routers.Route {
	op := *r.Operation
	op.Security = &openapi3.SecurityRequirements{}
	v := *r
	v.Operation = &op
	return &v
}

// validation is the input of one request's validation, pooled: kin-openapi
// keeps nothing of it once ValidateRequest returns and validationProblem
// has read the error.
type validation struct {
	in     openapi3filter.RequestValidationInput
	params map[string]string
}

var validations = sync.Pool{New: func() any { return &validation{params: map[string]string{}} }}

// validateRequest checks parameters, content type and body against the
// contract before any handler runs.
func (s *Server) validateRequest(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.(*request)
		if r.route == nil {
			return next(c)
		}
		if !r.route.public && !r.authenticated { // authenticate's invariant, see filterOptions
			return auth.ErrUnauthenticated
		}
		if err := s.validate(c, r.route); err != nil {
			return err
		}
		return next(c)
	}
}

func (s *Server) validate(c echo.Context, rt *route) error {
	v := validations.Get().(*validation)
	defer func() {
		clear(v.params)
		v.in = openapi3filter.RequestValidationInput{}
		validations.Put(v)
	}()
	values := c.ParamValues()
	for i, n := range c.ParamNames() {
		v.params[n] = values[i]
	}
	req := c.Request()
	v.in = openapi3filter.RequestValidationInput{Request: req, PathParams: v.params, Route: rt.validated, Options: s.filter}
	if rt.query {
		v.in.QueryParams = c.QueryParams() // parsed once, shared with the handler
	}
	if err := openapi3filter.ValidateRequest(req.Context(), &v.in); err != nil {
		return validationProblem(err)
	}
	return nil
}

// validationProblem turns what kin-openapi reports into one problem: 415
// for a wrong content type, 400 for unparseable JSON or a bad parameter,
// 422 for a body that does not match its schema, each offending place
// listed as a JSON pointer (body) or parameter name.
func validationProblem(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return mbe
	}
	var (
		status = http.StatusUnprocessableEntity
		code   = CodeValidationFailed
		detail = "the request body does not match its schema"
		fields []FieldError
	)
	// Worse statuses win: a wrong media type or a malformed request says
	// more than a schema mismatch.
	rank := map[int]int{http.StatusUnprocessableEntity: 0, http.StatusBadRequest: 1, http.StatusUnsupportedMediaType: 2, http.StatusUnauthorized: 3}
	raise := func(st int, c, d string) {
		if rank[st] > rank[status] {
			status, code, detail = st, c, d
		}
	}
	for _, e := range flatten(err) {
		var se *openapi3filter.SecurityRequirementsError
		if errors.As(e, &se) {
			raise(http.StatusUnauthorized, CodeUnauthenticated, "a valid bearer token is required")
			continue
		}
		var re *openapi3filter.RequestError
		if !errors.As(e, &re) {
			raise(http.StatusBadRequest, CodeInvalidParameter, "the request is malformed")
			continue
		}
		switch {
		case re.Parameter != nil:
			raise(http.StatusBadRequest, CodeInvalidParameter, "a parameter does not match its schema")
			name := re.Parameter.In + "." + re.Parameter.Name
			for _, d := range schemaDetails(re.Err) {
				fields = append(fields, FieldError{Parameter: name, Detail: d.detail})
			}
			if re.Err == nil || len(schemaDetails(re.Err)) == 0 {
				fields = append(fields, FieldError{Parameter: name, Detail: paramReason(re)})
			}
		case re.RequestBody != nil && re.Err == nil && re.Input != nil &&
			re.RequestBody.Content.Get(re.Input.Request.Header.Get(echo.HeaderContentType)) == nil:
			// kin-openapi's refusal of a media type its operation does not take
			// (the only body error without a cause).
			raise(http.StatusUnsupportedMediaType, CodeUnsupportedMediaType, "the body must be application/json")
		case re.RequestBody != nil && errors.Is(re.Err, openapi3filter.ErrInvalidRequired):
			fields = append(fields, FieldError{Pointer: "", Detail: "a JSON body is required"})
		case re.RequestBody != nil && errors.As(re.Err, new(*openapi3filter.ParseError)):
			var te *textError
			switch {
			case errors.As(re.Err, &te) && te.ijson:
				raise(http.StatusBadRequest, CodeMalformedJSON, "the body is not I-JSON (RFC 7493): UTF-8 text, no lone surrogate, no duplicate key")
			default:
				raise(http.StatusBadRequest, CodeMalformedJSON, "the body is not valid JSON")
			}
			if te != nil {
				fields = append(fields, FieldError{Pointer: te.pointer, Detail: te.detail})
			}
		case re.RequestBody != nil:
			ds := schemaDetails(re.Err)
			for _, d := range ds {
				if f := (FieldError{Pointer: d.pointer, Detail: d.detail}); !slices.Contains(fields, f) {
					fields = append(fields, f)
				}
			}
			if len(ds) == 0 {
				fields = append(fields, FieldError{Pointer: "", Detail: "the body does not match its schema"})
			}
		default:
			raise(http.StatusBadRequest, CodeInvalidParameter, "this request takes no body")
		}
	}
	p := newProblem(status, code, detail)
	if status == http.StatusBadRequest || status == http.StatusUnprocessableEntity {
		p.Errors = fields
	}
	return p
}

func paramReason(re *openapi3filter.RequestError) string {
	switch {
	case errors.Is(re.Err, openapi3filter.ErrInvalidRequired):
		return "required"
	case errors.Is(re.Err, openapi3filter.ErrInvalidEmptyValue):
		return "must not be empty"
	case re.Reason != "":
		return re.Reason
	}
	return "invalid value"
}

// flatten opens kin-openapi's MultiErrors.
func flatten(err error) []error {
	var me openapi3.MultiError
	if errors.As(err, &me) && isMulti(err) {
		var out []error
		for _, e := range me {
			out = append(out, flatten(e)...)
		}
		return out
	}
	return []error{err}
}

func isMulti(err error) bool {
	_, ok := err.(openapi3.MultiError)
	return ok
}

type schemaDetail struct{ pointer, detail string }

// schemaDetails lists the schema violations in err with the JSON pointer of
// each. The reasons kin-openapi gives never quote the offending value.
func schemaDetails(err error) []schemaDetail {
	if err == nil {
		return nil
	}
	if me, ok := err.(openapi3.MultiError); ok {
		var out []schemaDetail
		for _, e := range me {
			out = append(out, schemaDetails(e)...)
		}
		return out
	}
	var se *openapi3.SchemaError
	if !errors.As(err, &se) {
		return nil
	}
	path := se.JSONPointer()
	if se.SchemaField == "properties" {
		// Unknown properties (kin-openapi's only error of this field) are
		// reported one error each, on their object, which names none of
		// them but by text: point at each property the schema lacks
		// (validationProblem drops the repeats).
		obj, _ := se.Value.(map[string]any)
		var out []schemaDetail
		for _, k := range slices.Sorted(maps.Keys(obj)) {
			if _, known := se.Schema.Properties[k]; !known {
				out = append(out, schemaDetail{pointer: jsonPointer(append(slices.Clone(path), k)), detail: "not a property of this object"})
			}
		}
		return out
	}
	return []schemaDetail{{pointer: jsonPointer(path), detail: se.Reason}}
}

// jsonPointer encodes path, object keys and array indexes, as an RFC 6901
// pointer: "" for the whole body, "/opener/email", "/recipients/1",
// "/a~1b~0c" for the key "a/b~c".
func jsonPointer(path []string) string {
	var b strings.Builder
	for _, p := range path {
		b.WriteByte('/')
		b.WriteString(pointerEscaper.Replace(p))
	}
	return b.String()
}

var pointerEscaper = strings.NewReplacer("~", "~0", "/", "~1")

// fieldPointer is jsonPointer of a dot-separated path of keys and indexes
// that hold no dot (domain.Error's Field, encoding/json's
// UnmarshalTypeError.Field).
func fieldPointer(dotted string) string {
	if dotted == "" {
		return ""
	}
	return jsonPointer(strings.Split(dotted, "."))
}
