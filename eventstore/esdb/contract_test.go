package esdb_test

import (
	"context"
	"os"
	"testing"

	"github.com/candor-ledger/candor/eventstore"
	"github.com/candor-ledger/candor/eventstore/esdb"
	"github.com/candor-ledger/candor/eventstore/esdb/esdbstandin"
	"github.com/candor-ledger/candor/eventstore/eventstoretest"
)

// realServerEnv names the variable holding a connection string to a real
// EventStoreDB for the contract suite.
const realServerEnv = "CANDOR_TEST_EVENTSTOREDB"

func TestContract(t *testing.T) {
	t.Run("StandIn", func(t *testing.T) {
		eventstoretest.Run(t, func(t *testing.T) eventstore.Store {
			srv := esdbstandin.StartT(t)
			s, err := esdb.Open(context.Background(), srv.ConnString())
			if err != nil {
				t.Fatalf("open adapter over the stand-in: %v", err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		})
	})
	t.Run("EventStoreDB", func(t *testing.T) {
		conn := os.Getenv(realServerEnv)
		if conn == "" {
			t.Skipf("%s is not set: no real EventStoreDB to run the contract against", realServerEnv)
		}
		eventstoretest.Run(t, func(t *testing.T) eventstore.Store {
			s, err := esdb.Open(context.Background(), conn)
			if err != nil {
				t.Fatalf("open adapter over %s: %v", conn, err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		})
	})
}
