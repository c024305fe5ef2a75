package api

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"unicode/utf8"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/go-json-experiment/json/jsontext"
)

// Request bodies are I-JSON (RFC 7493): UTF-8 text, no lone surrogate
// escape, no duplicate key in any object. encoding/json, and so
// kin-openapi's decoder and decodeBody, would instead replace invalid text
// by U+FFFD and keep the last of duplicate keys: what was stored would not
// be what was sent, and what was validated not what was meant.
//
// The check sits in kin-openapi's decoder of application/json (and of
// every +json type, which falls back to it), so it runs once per body,
// before the schema is validated, and only where a body is JSON. The
// registry of decoders is global: the check applies to everything in the
// process that decodes JSON bodies with kin-openapi (the tests' response
// validation included).
func init() {
	openapi3filter.RegisterBodyDecoder("application/json", strictJSONDecoder)
}

func strictJSONDecoder(body io.Reader, h http.Header, schema *openapi3.SchemaRef, enc openapi3filter.EncodingFn) (any, error) {
	data, err := io.ReadAll(body)
	if err != nil {
		return nil, err
	}
	if err := checkIJSON(data); err != nil {
		return nil, &openapi3filter.ParseError{Kind: openapi3filter.KindInvalidFormat, Cause: err}
	}
	return openapi3filter.JSONBodyDecoder(bytes.NewReader(data), h, schema, enc)
}

// textError says where and why a body is not I-JSON.
type textError struct {
	pointer string // RFC 6901, into the body
	detail  string
	ijson   bool // the body is JSON, but not I-JSON
}

func (e *textError) Error() string {
	return "api: body is not I-JSON at " + e.pointer + ": " + e.detail
}

// checkIJSON returns nil when data is one I-JSON value, else a *textError.
func checkIJSON(data []byte) error {
	if jsontext.Value(data).IsValid() { // the common case, on pooled buffers
		return nil
	}
	dec := jsontext.NewDecoder(bytes.NewReader(data))
	_, err := dec.ReadValue()
	if err == nil { // then what follows the value is wrong
		return &textError{detail: "the body has data after its JSON value"}
	}
	var se *jsontext.SyntacticError
	if !errors.As(err, &se) {
		return &textError{detail: "the body is not valid JSON"}
	}
	te := &textError{pointer: string(se.JSONPointer)}
	lax := jsontext.Value(data).IsValid(jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true))
	switch {
	case errors.Is(se.Err, jsontext.ErrDuplicateName):
		te.detail, te.ijson = "duplicate key", true
	case lax && !utf8.Valid(data):
		te.detail, te.ijson = "invalid UTF-8", true
	case lax:
		// Only the escapes can be wrong: a \uD800-\uDFFF escape without
		// the other half of its surrogate pair.
		te.detail, te.ijson = "lone surrogate escape", true
	case errors.Is(se.Err, io.ErrUnexpectedEOF):
		te.detail = "the body ends inside this value"
	default:
		te.detail = "not valid JSON here"
	}
	return te
}
