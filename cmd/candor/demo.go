package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/candor-ledger/candor/auth"
	"github.com/candor-ledger/candor/demo"
	"github.com/candor-ledger/candor/eventstore"
)

func init() { demoLoader = loadDemo }

// loadDemo tells the sample story into a new store and prints what a
// newcomer needs to query it.
func loadDemo(ctx context.Context, store eventstore.Store, reg *auth.Registry, stdout io.Writer) error {
	d, err := demo.Load(ctx, store, reg, time.Now())
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, `Loaded the sample engagement %s (Maison Dupont online shop).
Tokens, shown only now:

  client   (Claire Martin, Maison Dupont)  %s
  supplier (Sam Moreau, Conseil & Co)      %s
  auditor                                  %s

Open http://localhost:8080 in a browser and paste one of these tokens, or try:
  curl -H "Authorization: Bearer %s" http://localhost:8080/v1/engagements/%s

`, d.EngagementID, d.Client.Token, d.Supplier.Token, d.Auditor.Token, d.Client.Token, d.EngagementID)
	return nil
}
