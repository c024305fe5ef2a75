package projections

import (
	"context"
	"database/sql"
	"strings"
	"sync"
)

// stmtCache prepares each read query once and reuses it: parsing SQL costs
// more than running these small indexed lookups. Query strings name a
// generation's table, so a new generation gets new statements; those of a
// dropped table are closed with it (forget).
type stmtCache struct {
	db *sql.DB
	mu sync.RWMutex
	m  map[string]*sql.Stmt
}

func (c *stmtCache) get(ctx context.Context, query string) (*sql.Stmt, error) {
	c.mu.RLock()
	st, ok := c.m[query]
	c.mu.RUnlock()
	if ok {
		return st, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if st, ok := c.m[query]; ok {
		return st, nil
	}
	st, err := c.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if c.m == nil {
		c.m = map[string]*sql.Stmt{}
	}
	c.m[query] = st
	return st, nil
}

// QueryContext and QueryRowContext make the cache a querier.
func (c *stmtCache) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := c.get(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

func (c *stmtCache) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := c.get(ctx, query)
	if err != nil {
		// Let the error surface through Row.Scan, as database/sql does.
		return c.db.QueryRowContext(ctx, query, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

// closeAll closes every statement, at Close.
func (c *stmtCache) closeAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for q, st := range c.m {
		_ = st.Close()
		delete(c.m, q)
	}
}

// forget closes the statements that read table, which is about to be
// dropped. Statements of other tables stay open: a query may be between
// taking one from the cache and running it.
func (c *stmtCache) forget(table string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for q, st := range c.m {
		if mentions(q, table) {
			_ = st.Close()
			delete(c.m, q)
		}
	}
}

// mentions reports whether query names table as a whole identifier, so
// that p_timeline_g1 does not match p_timeline_g12.
func mentions(query, table string) bool {
	for i := 0; ; {
		j := strings.Index(query[i:], table)
		if j < 0 {
			return false
		}
		start, end := i+j, i+j+len(table)
		if (start == 0 || !identByte(query[start-1])) && (end == len(query) || !identByte(query[end])) {
			return true
		}
		i = start + 1
	}
}

func identByte(b byte) bool {
	return b == '_' || b >= '0' && b <= '9' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z'
}
