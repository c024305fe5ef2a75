package api_test

import (
	"context"
	"testing"

	"github.com/candor-ledger/candor/api"
	"github.com/candor-ledger/candor/eventstore"
	"github.com/candor-ledger/candor/projections"
)

// stateReadModels reports a lag and a run state as told.
type stateReadModels struct {
	lag        projections.Lag
	restarting bool
}

func (f *stateReadModels) WaitFor(context.Context, eventstore.Position) error { return nil }
func (f *stateReadModels) Lag(context.Context) (projections.Lag, error)       { return f.lag, nil }
func (f *stateReadModels) Restarting() bool                                   { return f.restarting }

// TestReadinessTellsTheReadModelsState: /readyz says when the read models
// are behind (a read waiting for a write would time out) or restarting
// after a failure, instead of "ok"; neither makes the server unready.
func TestReadinessTellsTheReadModelsState(t *testing.T) {
	serving := func() []projections.ProjectionStatus {
		var ps []projections.ProjectionStatus
		for _, n := range projections.Names() {
			ps = append(ps, projections.ProjectionStatus{Name: n, Serving: true})
		}
		return ps
	}
	for _, tc := range []struct {
		name string
		rm   stateReadModels
		want string
	}{
		{"caught up", stateReadModels{lag: projections.Lag{Projections: serving()}}, "ok"},
		{"a little behind", stateReadModels{lag: projections.Lag{Behind: 3, Seconds: 0.2, Projections: serving()}}, "ok"},
		{"behind", stateReadModels{lag: projections.Lag{Behind: 900, Seconds: 40, Projections: serving()}}, "behind"},
		{"restarting", stateReadModels{lag: projections.Lag{Projections: serving()}, restarting: true}, "restarting"},
		{"building", stateReadModels{lag: projections.Lag{}}, "building"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := startServerWith(t, testConfig(), &tc.rm)
			var rd api.Readiness
			must(t, ts.get("", "/readyz"), 200).json(t, &rd)
			if got := rd.Checks["projections"]; got != tc.want || rd.Status != "ready" {
				t.Errorf("status %q, projections %q; want ready, %q", rd.Status, got, tc.want)
			}
		})
	}
}
