package api

import (
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
)

// Page is the body of every list response. NextCursor is null on the last
// page.
type Page[T any] struct {
	Items      []T     `json:"items"`
	NextCursor *string `json:"next_cursor"`
}

const (
	defaultLimit = 50
	maxLimit     = 200
	cursorPrefix = "c1:" // version of the cursor format
)

// pageReq is a parsed limit and cursor. After is what the cursor encodes:
// an offset, a revision or a position, depending on the list.
type pageReq struct {
	Limit int
	After uint64
}

// parsePage reads limit and cursor. The contract already bounds limit; the
// cursor is opaque to clients, so a forged one is a bad parameter.
func parsePage(c echo.Context) (pageReq, error) {
	p := pageReq{Limit: defaultLimit}
	if v := c.QueryParam("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxLimit {
			return p, badParam("query.limit", "must be an integer from 1 to 200")
		}
		p.Limit = n
	}
	if v := c.QueryParam("cursor"); v != "" {
		n, ok := decodeCursor(v)
		if !ok {
			return p, badParam("query.cursor", "not a cursor returned by this API")
		}
		p.After = n
	}
	return p, nil
}

func badParam(name, detail string) *Problem {
	p := newProblem(http.StatusBadRequest, CodeInvalidParameter, "a parameter is invalid")
	p.Errors = []FieldError{{Parameter: name, Detail: detail}}
	return p
}

func encodeCursor(n uint64) *string {
	s := base64.RawURLEncoding.EncodeToString([]byte(cursorPrefix + strconv.FormatUint(n, 10)))
	return &s
}

func decodeCursor(s string) (uint64, bool) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return 0, false
	}
	v, ok := strings.CutPrefix(string(b), cursorPrefix)
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseUint(v, 10, 64)
	return n, err == nil
}

// paginate returns the page of items starting at the cursor's offset.
func paginate[T any](items []T, p pageReq) Page[T] {
	out := Page[T]{Items: []T{}}
	if p.After >= uint64(len(items)) {
		return out
	}
	end := min(uint64(len(items)), p.After+uint64(p.Limit))
	out.Items = items[p.After:end]
	if end < uint64(len(items)) {
		out.NextCursor = encodeCursor(end)
	}
	return out
}
