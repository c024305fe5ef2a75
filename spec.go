// Package candor holds what the whole module shares at its root: the OpenAPI
// contract, embedded so that the binary serves and validates against exactly
// the file that is reviewed and linted.
package candor

import _ "embed"

// OpenAPI is the content of openapi.yaml, the single source of truth for the
// HTTP contract.
//
//go:embed openapi.yaml
var OpenAPI []byte
