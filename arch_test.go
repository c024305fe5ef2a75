package candor_test

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/candor-ledger/candor"

// allowedImports are the exceptions to TestImportsPointInward's rules: the
// domain decodes its events with internal/flatjson, which imports nothing
// of ours either (a rule below).
var allowedImports = map[string][]string{"domain": {"internal/flatjson"}}

// TestImportsPointInward keeps the layers honest: the domain imports nothing
// of ours, the store knows nothing of the domain, and only cmd/ wires
// concrete backends.
func TestImportsPointInward(t *testing.T) {
	rules := []struct {
		dir       string   // package folder (and everything below it)
		forbidden []string // import prefixes (module-relative) it must not use
	}{
		{"domain", []string{""}}, // nothing of ours at all (but allowedImports)
		{"internal/flatjson", []string{""}},
		{"eventstore", []string{"domain", "api", "ledger", "projections", "auth", "cmd"}},
		{"ledger", []string{"api", "projections", "cmd", "eventstore/sqlite", "eventstore/esdb"}},
		{"projections", []string{"api", "cmd", "eventstore/sqlite", "eventstore/esdb"}},
		{"api", []string{"cmd", "eventstore/sqlite", "eventstore/esdb"}},
		// An auditor reads the verifier alone: nothing of ours.
		{"verifier", []string{""}},
		{"cmd/candor-verify", []string{"api", "auth", "domain", "eventstore", "ledger", "projections", "evidence", "internal", "cmd/candor"}},
	}
	for _, r := range rules {
		if _, err := os.Stat(r.dir); err != nil {
			continue // package not written yet
		}
		err := filepath.WalkDir(r.dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") {
				return err
			}
			// Tests may wire real backends (end-to-end tests); production code may not.
			if strings.HasSuffix(path, "_test.go") && r.dir != "domain" {
				return nil
			}
			f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
			if err != nil {
				return err
			}
			for _, imp := range f.Imports {
				p := strings.Trim(imp.Path.Value, `"`)
				if !strings.HasPrefix(p, module) {
					continue
				}
				rel := strings.TrimPrefix(strings.TrimPrefix(p, module), "/")
				if rel == r.dir || strings.HasPrefix(rel, r.dir+"/") || slices.Contains(allowedImports[r.dir], rel) {
					continue // itself and its own subpackages
				}
				for _, bad := range r.forbidden {
					if bad == "" || rel == bad || strings.HasPrefix(rel, bad+"/") {
						t.Errorf("%s imports %s: %s must not depend on %q", path, p, r.dir, bad)
					}
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// TestVerifierStandsAlone keeps the offline verifier readable in an
// afternoon: its package and its command import the standard library,
// golang.org/x/mod and (the command) the verifier package, nothing else.
func TestVerifierStandsAlone(t *testing.T) {
	for _, dir := range []string{"verifier", "cmd/candor-verify"} {
		if _, err := os.Stat(dir); err != nil {
			continue
		}
		err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return err
			}
			f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
			if err != nil {
				return err
			}
			for _, imp := range f.Imports {
				p := strings.Trim(imp.Path.Value, `"`)
				first, _, _ := strings.Cut(p, "/")
				switch {
				case !strings.Contains(first, "."): // the standard library
				case strings.HasPrefix(p, "golang.org/x/mod/"):
				case p == module+"/verifier":
				default:
					t.Errorf("%s imports %s: the verifier may use only the standard library and golang.org/x/mod", path, p)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}
