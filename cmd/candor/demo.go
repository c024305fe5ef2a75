package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/candor-ledger/candor/auth"
	"github.com/candor-ledger/candor/demo"
	"github.com/candor-ledger/candor/eventstore"
	"github.com/candor-ledger/candor/ledger"
)

func init() { demoLoader = loadDemo }

// loadDemo tells the sample story into a new store and returns what prints
// what a newcomer needs to query it, once the server's address is known.
func loadDemo(ctx context.Context, store eventstore.Store, reg *auth.Registry, seal ledger.SealFunc) (func(w io.Writer, base string), error) {
	d, err := demo.Load(ctx, store, reg, time.Now(), demo.WithSeal(seal))
	if err != nil {
		return nil, err
	}
	return func(w io.Writer, base string) { printDemo(w, d, base) }, nil
}

// printDemo prints the demo's tokens and commands that answer, against
// the server at base (http://host:port).
func printDemo(w io.Writer, d demo.Demo, base string) {
	fmt.Fprintf(w, `Loaded the sample engagement %s (Maison Dupont online shop).
Tokens, shown only now:

  client   (Claire Martin, Maison Dupont)  %s
  supplier (Sam Moreau, Conseil & Co)      %s
  auditor                                  %s

Open %s in a browser and paste one of these tokens, or try:
  E=%s C=%s
  curl -H "Authorization: Bearer $C" %s/v1/engagements/$E/delay-register
  # the engagement as it stood before the delay was disclosed (two days after the due date):
  curl -H "Authorization: Bearer $C" "%s/v1/engagements/$E/milestones?as_of_position=%d"
  # the highlight report Claire acknowledged, frozen (red: the delay was disclosed late), as a printable page:
  curl -H "Authorization: Bearer $C" %s/v1/engagements/$E/highlight-reports/%s -H "Accept: text/html"

`, d.EngagementID, d.Client.Token, d.Supplier.Token, d.Auditor.Token,
		base, d.EngagementID, d.Client.Token, base, base, d.BeforeDisclosure, base, d.HighlightReportID)
}
