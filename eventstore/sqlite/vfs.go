package sqlite

import (
	"net/url"
	"strings"

	"github.com/candor-ledger/candor/internal/walgather"
)

// walVFS is the name of the VFS of the write connection: the operating
// system's, with the appends to the write-ahead log gathered into one write
// per commit (see internal/walgather). The write connection runs with
// synchronous=FULL, so every commit is synced, gathered bytes first,
// before other connections (or a recovery after kill -9) may read it.
const walVFS = "candor-wal"

func init() { walgather.Register(walVFS, walgather.Options{ZeroFill: 1 << 20}) }

// withVFS returns path (a file name or a "file:" URI) as a URI that opens
// it with the VFS named name, unless it names a VFS already.
func withVFS(path, name string) string {
	if !strings.HasPrefix(path, "file:") {
		uri := "file:"
		if strings.HasPrefix(path, "/") {
			uri += "//" // an empty authority: the path may start with "//"
		}
		return uri + (&url.URL{Path: path}).EscapedPath() + "?vfs=" + name
	}
	uri, fragment, hasFragment := strings.Cut(path, "#")
	_, query, hasQuery := strings.Cut(uri, "?")
	if params, err := url.ParseQuery(query); err == nil && params.Has("vfs") {
		return path
	}
	switch {
	case !hasQuery:
		uri += "?"
	case query != "" && !strings.HasSuffix(query, "&"):
		uri += "&"
	}
	uri += "vfs=" + name
	if hasFragment {
		uri += "#" + fragment
	}
	return uri
}
