package api

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/labstack/echo/v4"

	"github.com/candor-ledger/candor/auth"
)

// filterOptions are the kin-openapi options of request validation.
// Authentication already happened (see authenticate): the filter's own
// check only confirms that a principal was found.
func filterOptions() *openapi3filter.Options {
	return &openapi3filter.Options{
		MultiError:                        true,
		SkipSettingDefaults:               true, // defaults are applied by the handlers, explicitly
		RejectWhenRequestBodyNotSpecified: true,
		AuthenticationFunc: func(ctx context.Context, _ *openapi3filter.AuthenticationInput) error {
			if _, ok := ctx.Value(principalKey{}).(auth.Principal); ok {
				return nil
			}
			return auth.ErrUnauthenticated
		},
	}
}

type principalKey struct{}

// validateRequest checks parameters, content type and body against the
// contract before any handler runs.
func (s *Server) validateRequest(next echo.HandlerFunc) echo.HandlerFunc {
	opts := filterOptions()
	return func(c echo.Context) error {
		r := operation(c)
		if r == nil {
			return next(c)
		}
		req := c.Request()
		names, values := c.ParamNames(), c.ParamValues()
		params := make(map[string]string, len(names))
		for i, n := range names {
			params[n] = values[i]
		}
		ctx := req.Context()
		if p, ok := c.Get(ctxPrincipal).(auth.Principal); ok {
			ctx = context.WithValue(ctx, principalKey{}, p)
		}
		in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: r, Options: opts}
		if err := openapi3filter.ValidateRequest(ctx, in); err != nil {
			return validationProblem(err)
		}
		return next(c)
	}
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
		case re.RequestBody != nil && strings.HasPrefix(re.Reason, "header Content-Type has unexpected value"):
			raise(http.StatusUnsupportedMediaType, CodeUnsupportedMediaType, "the body must be application/json")
		case re.RequestBody != nil && errors.Is(re.Err, openapi3filter.ErrInvalidRequired):
			fields = append(fields, FieldError{Pointer: "", Detail: "a JSON body is required"})
		case re.RequestBody != nil && re.Reason == "failed to decode request body":
			raise(http.StatusBadRequest, CodeMalformedJSON, "the body is not valid JSON")
		case re.RequestBody != nil:
			ds := schemaDetails(re.Err)
			for _, d := range ds {
				fields = append(fields, FieldError{Pointer: d.pointer, Detail: d.detail})
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
	// An unknown property is reported on its object; point at the property.
	if se.SchemaField == "properties" && strings.HasPrefix(se.Reason, "property ") && strings.HasSuffix(se.Reason, " is unsupported") {
		if k, err := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(se.Reason, "property "), " is unsupported")); err == nil {
			path = append(path, k)
		}
	}
	return []schemaDetail{{pointer: jsonPointer(path), detail: se.Reason}}
}

// jsonPointer encodes path as an RFC 6901 pointer.
func jsonPointer(path []string) string {
	var b strings.Builder
	for _, p := range path {
		b.WriteByte('/')
		b.WriteString(strings.NewReplacer("~", "~0", "/", "~1").Replace(p))
	}
	return b.String()
}
