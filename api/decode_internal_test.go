package api

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/candor-ledger/candor/domain"
)

// TestDecodeBody decodes bodies straight into commands, as the handlers do
// after validation, so that what the contract would have refused first is
// still refused here, by a typed error, with the place it is at.
func TestDecodeBody(t *testing.T) {
	tests := []struct {
		name, body    string
		status        int
		code, pointer string
		amount        int64
	}{
		{name: "integer", body: `{"amount":1000}`, amount: 1000},
		{name: "exponent", body: `{"amount":1e3}`, amount: 1000},
		{name: "fraction of zero", body: `{"amount":1000.0}`, amount: 1000},
		{name: "signed exponent", body: `{"amount":-1.0e+3}`, amount: -1000},
		{name: "beyond a float's integers", body: `{"amount":9007199254740993}`, amount: 9007199254740993},
		{name: "empty", body: ` `},
		{name: "fraction", body: `{"amount":1.5}`, status: 422, code: CodeValidationFailed, pointer: "/amount"},
		{name: "inexact exponent", body: `{"amount":1e300}`, status: 422, code: CodeValidationFailed, pointer: "/amount"},
		{name: "string for integer", body: `{"amount":"1"}`, status: 422, code: CodeValidationFailed, pointer: "/amount"},
		{name: "number for string", body: `{"currency":1}`, status: 422, code: CodeValidationFailed, pointer: "/currency"},
		{name: "unknown member", body: `{"amount":1,"colour":"red"}`, status: 422, code: CodeValidationFailed, pointer: "/colour"},
		{name: "wrong case", body: `{"Amount":1}`, status: 422, code: CodeValidationFailed, pointer: "/Amount"},
		{name: "not a time", body: `{"occurred_at":"2026-02-30T00:00:00Z"}`, status: 422, code: CodeValidationFailed, pointer: "/occurred_at"},
		{name: "not JSON", body: `{"amount":`, status: 400, code: CodeMalformedJSON},
		{name: "two values", body: `{}{}`, status: 400, code: CodeMalformedJSON},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := echo.New().NewContext(httptest.NewRequest(http.MethodPost, "/", strings.NewReader(tt.body)), httptest.NewRecorder())
			var cmd domain.DiscloseCostImpact
			err := decodeBody(c, &cmd)
			if tt.status == 0 {
				if err != nil || cmd.Amount != tt.amount {
					t.Fatalf("amount %d, err %v; want %d", cmd.Amount, err, tt.amount)
				}
				return
			}
			var p *Problem
			if !errors.As(err, &p) || p.Status != tt.status || p.Code != tt.code {
				t.Fatalf("err %v, want %d %s", err, tt.status, tt.code)
			}
			if tt.pointer != "" && (len(p.Errors) != 1 || p.Errors[0].Pointer != tt.pointer) {
				t.Errorf("errors %+v, want pointer %q", p.Errors, tt.pointer)
			}
		})
	}
}
