package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/candor-ledger/candor/eventstore"
	"github.com/candor-ledger/candor/internal/respcache"
)

// CachingReadModels is optionally implemented by Queries: the encoded
// responses of per-engagement read models that do not depend on the time
// of the request are then kept in memory, so a repeated GET costs no
// query and no encoding.
type CachingReadModels interface {
	// Position is the global position every serving read model has applied.
	Position() eventstore.Position
	// Epoch changes whenever the serving read models are replaced (a
	// rebuilt projection switched in), which may change any answer.
	Epoch() uint64
}

// responseCacheSize bounds the cached responses (a few KiB each).
const responseCacheSize = 4096

// responseCache holds encoded read-model responses. An entry answers a
// request while the engagement's stream is still at the revision the entry
// was computed at, and the read models are the same generation: a read
// model of one engagement changes only when that engagement's events are
// applied. Entries are stored only when the read models had applied the
// engagement's events up to that revision, so an entry is never older
// than its revision says.
type responseCache struct {
	rm      CachingReadModels
	entries *respcache.Cache
}

func newResponseCache(q Queries) *responseCache {
	rm, ok := q.(CachingReadModels)
	if !ok {
		return nil
	}
	entries, err := respcache.New(responseCacheSize)
	if err != nil {
		panic(err) // only for a size < 1
	}
	return &responseCache{rm: rm, entries: entries}
}

// respond answers a per-engagement read model from the cache, or from
// build (whose value it encodes and, when it may, keeps). A nil cache
// always builds.
func (s *Server) respond(c echo.Context, build func() (any, error)) error {
	rc := s.cache
	if rc == nil {
		v, err := build()
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, v)
	}
	engagementID := c.Param("engagement_id")
	rev, pos, err := s.ledger.Head(c.Request().Context(), engagementID)
	if err != nil {
		return err
	}
	key := respcache.Key{Op: operation(c).Operation.OperationID, Stream: engagementID, Query: c.Request().URL.RawQuery}
	version := respcache.Version{Revision: rev, Epoch: rc.rm.Epoch()}
	if body, ok := rc.entries.Get(key, version); ok {
		s.metrics.cacheHits.Inc()
		return c.JSONBlob(http.StatusOK, body)
	}
	s.metrics.cacheMisses.Inc()
	complete := rc.rm.Position() >= pos // read before the query: positions only grow
	v, err := build()
	if err != nil {
		return err
	}
	body, err := respcache.Encode(v) // as c.JSON would
	if err != nil {
		return err
	}
	if complete {
		rc.entries.Add(key, version, body)
	}
	return c.JSONBlob(http.StatusOK, body)
}
