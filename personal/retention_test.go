package personal_test

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/candor-ledger/candor/domain"
	"github.com/candor-ledger/candor/eventstore"
	"github.com/candor-ledger/candor/keystore"
	"github.com/candor-ledger/candor/ledger"
	"github.com/candor-ledger/candor/personal"
)

// Retention: the subjects of an engagement closed with a retention period
// are listed once it has passed, and no longer once erased; an engagement
// still within its period, closed without one or still open is not.
func TestExpired(t *testing.T) {
	now := time.Date(2027, 3, 1, 12, 0, 0, 0, time.UTC)
	for name, open := range backends(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			b := open(t)
			keys, err := keystore.Open(ctx, filepath.Join(t.TempDir(), "keys.db"))
			if err != nil {
				t.Fatal(err)
			}
			defer keys.Close()
			svc, err := personal.NewService(ctx, b.store, keys)
			if err != nil {
				t.Fatal(err)
			}
			// Each engagement: two people, then (when closed is set) its closing.
			write := func(eng string, closed time.Time, days int64) {
				t.Helper()
				events := []domain.Event{
					&domain.StakeholderJoined{Header: domain.Header{EngagementID: eng, At: closed.AddDate(0, -6, 0)}, StakeholderID: "s-1", Party: domain.PartySupplier, Name: "Sam"},
					&domain.ExpertInvited{Header: domain.Header{EngagementID: eng, At: closed.AddDate(0, -6, 0)}, ExpertID: "x-1", Name: "Léa"},
				}
				if !closed.IsZero() {
					events = append(events, &domain.EngagementClosed{Header: domain.Header{EngagementID: eng, At: closed}, RetentionDays: days})
				}
				for _, ev := range events {
					typ, _, data, err := domain.Marshal(ev)
					if err != nil {
						t.Fatal(err)
					}
					id := uuid.Must(uuid.NewV7())
					if data, err = svc.Cipher().Seal(ctx, id, typ, data); err != nil {
						t.Fatal(err)
					}
					if _, err := b.store.Append(ctx, ledger.StreamName(eng), eventstore.Any(), eventstore.EventData{ID: id, Type: typ, Data: data}); err != nil {
						t.Fatal(err)
					}
				}
			}
			write("e-past", now.AddDate(-1, 0, -1), 365)   // ended yesterday
			write("e-today", now.AddDate(0, 0, -30), 30)   // ends right now
			write("e-within", now.AddDate(0, 0, -10), 365) // ends next year
			write("e-none", now.AddDate(-5, 0, 0), 0)      // closed without retention
			write("e-open", time.Time{}, 0)                // not closed
			write("e-later", now.AddDate(0, 0, -29), 30)   // ends tomorrow

			got, err := svc.Expired(ctx, now)
			if err != nil {
				t.Fatal(err)
			}
			var subjects []string
			for _, e := range got {
				subjects = append(subjects, e.Subject)
			}
			want := []string{"s-1@e-past", "x-1@e-past", "s-1@e-today", "x-1@e-today"}
			slices.Sort(want)
			slices.Sort(subjects)
			if !slices.Equal(subjects, want) {
				t.Fatalf("expired %v, want %v", subjects, want)
			}
			if e := got[0]; e.RetentionDays == 0 || !e.EndedAt.Equal(e.ClosedAt.AddDate(0, 0, int(e.RetentionDays))) || e.Reason() == "" {
				t.Errorf("expiry %+v", e)
			}
			for _, e := range got {
				if _, _, err := svc.Erase(ctx, e.Subject, e.Reason(), "cli"); err != nil {
					t.Fatal(err)
				}
			}
			if got, err := svc.Expired(ctx, now); err != nil || len(got) != 0 {
				t.Fatalf("after erasing them: %v %v", got, err)
			}
		})
	}
}
