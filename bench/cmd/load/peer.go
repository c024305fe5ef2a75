package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/labstack/echo/v4"

	"github.com/candor-ledger/candor/eventstore"
	"github.com/candor-ledger/candor/eventstore/sqlite"
	"github.com/candor-ledger/candor/ledger"
)

// The peers: plain Echo servers that take the write load's request
// (POST /v1/engagements/{id}/experts) the way a team without Candor might,
// so that the full stack can be compared with them. None authenticates,
// validates against the contract, or decides anything: each decodes the
// body as the API does and then does its one thing.
//
//	bare   stores nothing, answers 201
//	store  appends one event to Candor's embedded store (eventstore/sqlite)
//	pg     INSERTs one row into PostgreSQL, one transaction per request

const expertsRoute = "/v1/engagements/:engagement_id/experts"

// bareExpert is the body the write load sends, decoded the way the API
// decodes it (unknown fields refused).
type bareExpert struct {
	ExpertID  string `json:"expert_id"`
	Name      string `json:"name"`
	Email     string `json:"email,omitempty"`
	Expertise string `json:"expertise,omitempty"`
}

func newPeerEcho() *echo.Echo {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	return e
}

// decodeExpert decodes the body; on failure it has answered 422.
func decodeExpert(c echo.Context) (bareExpert, bool, error) {
	var x bareExpert
	dec := json.NewDecoder(c.Request().Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&x); err != nil || x.Name == "" {
		return x, false, c.JSON(http.StatusUnprocessableEntity, map[string]string{"code": "validation_failed"})
	}
	return x, true, nil
}

// bareHandler is the floor the full stack is compared with: an Echo route
// that decodes the same JSON and answers 201, with no authentication,
// validation, domain, store or fsync.
func bareHandler() http.Handler {
	e := newPeerEcho()
	e.POST(expertsRoute, func(c echo.Context) error {
		x, ok, err := decodeExpert(c)
		if !ok {
			return err
		}
		return c.JSON(http.StatusCreated, map[string]any{"engagement_id": c.Param("engagement_id"), "name": x.Name})
	})
	e.GET("/v1/engagements/:engagement_id*", func(c echo.Context) error {
		return c.JSON(http.StatusOK, map[string]string{"engagement_id": c.Param("engagement_id")})
	})
	return e
}

// expertInvited is what the store and pg peers keep of a request.
type expertInvited struct {
	EngagementID uuid.UUID `json:"engagement_id"`
	ExpertID     uuid.UUID `json:"expert_id"`
	Name         string    `json:"name"`
	Expertise    string    `json:"expertise,omitempty"`
}

// newInvitation decodes a request into the fact to keep; on failure it
// has answered 4xx.
func newInvitation(c echo.Context) (expertInvited, bool, error) {
	x, ok, err := decodeExpert(c)
	if !ok {
		return expertInvited{}, false, err
	}
	eng, perr := uuid.Parse(c.Param("engagement_id"))
	if perr != nil {
		return expertInvited{}, false, c.JSON(http.StatusBadRequest, map[string]string{"code": "invalid_engagement_id"})
	}
	return expertInvited{EngagementID: eng, ExpertID: uuid.Must(uuid.NewV7()), Name: x.Name, Expertise: x.Expertise}, true, nil
}

// storeHandler appends one expert.invited event per request to the
// engagement's stream, durable on return (the store's group commit), with
// no expected revision: nothing is decided, so nothing is checked.
func storeHandler(store eventstore.Store) http.Handler {
	e := newPeerEcho()
	e.POST(expertsRoute, func(c echo.Context) error {
		inv, ok, err := newInvitation(c)
		if !ok {
			return err
		}
		data, err := json.Marshal(inv)
		if err != nil {
			return err
		}
		res, err := store.Append(c.Request().Context(), ledger.StreamName(inv.EngagementID.String()), eventstore.Any(),
			eventstore.EventData{ID: uuid.Must(uuid.NewV7()), Type: "expert.invited", Data: data})
		if err != nil {
			return c.JSON(http.StatusServiceUnavailable, map[string]string{"code": "unavailable"})
		}
		return c.JSON(http.StatusCreated, map[string]any{"expert_id": inv.ExpertID, "position": res.Position})
	})
	return e
}

// pgSchema is the peer's table, with the index on the engagement a team
// would add to list an engagement's experts.
const pgSchema = `CREATE TABLE IF NOT EXISTS experts (
	id            uuid PRIMARY KEY,
	engagement_id uuid NOT NULL,
	name          text NOT NULL,
	expertise     text NOT NULL,
	invited_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS experts_engagement ON experts (engagement_id)`

// pgHandler INSERTs one row per request in a transaction of its own
// (BEGIN, INSERT, COMMIT), answered once PostgreSQL committed it.
func pgHandler(pool *pgxpool.Pool) http.Handler {
	e := newPeerEcho()
	e.POST(expertsRoute, func(c echo.Context) error {
		inv, ok, err := newInvitation(c)
		if !ok {
			return err
		}
		ctx := c.Request().Context()
		err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
			_, err := tx.Exec(ctx, "INSERT INTO experts (id, engagement_id, name, expertise) VALUES ($1, $2, $3, $4)",
				pgtype.UUID{Bytes: inv.ExpertID, Valid: true}, pgtype.UUID{Bytes: inv.EngagementID, Valid: true}, inv.Name, inv.Expertise)
			return err
		})
		if err != nil {
			return c.JSON(http.StatusServiceUnavailable, map[string]string{"code": "unavailable"})
		}
		return c.JSON(http.StatusCreated, map[string]any{"expert_id": inv.ExpertID})
	})
	return e
}

// openPG opens a pool of conns connections to dsn, all made before the
// load starts, and creates the peer's table.
func openPG(ctx context.Context, dsn string, conns int) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, err
	}
	// One connection per load connection: with pgxpool's default (the
	// number of CPUs) requests would queue for a connection, and
	// PostgreSQL could not flush the WAL of more than that many commits at
	// once.
	cfg.MaxConns = int32(conns)
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if _, err := pool.Exec(ctx, pgSchema); err != nil {
		pool.Close()
		return nil, fmt.Errorf("create table: %w", err)
	}
	// Connect them all now, not during the first round.
	held := make([]*pgxpool.Conn, 0, conns)
	defer func() {
		for _, c := range held {
			c.Release()
		}
	}()
	for range conns {
		c, err := pool.Acquire(ctx)
		if err != nil {
			pool.Close()
			return nil, err
		}
		held = append(held, c)
	}
	return pool, nil
}

// peerConfig is what "load peer-server" is given.
type peerConfig struct {
	kind  string // bare, store, pg
	addr  string
	data  string // store: data directory (events.db)
	dsn   string // pg
	conns int    // pg: pool size
}

// runPeerServer serves one peer until ctx ends. It prints
// "listening on ADDR" once the listener is open.
func runPeerServer(ctx context.Context, c peerConfig) error {
	var h http.Handler
	switch c.kind {
	case "bare":
		h = bareHandler()
	case "store":
		store, err := sqlite.Open(ctx, filepath.Join(c.data, "events.db"))
		if err != nil {
			return err
		}
		defer store.Close()
		h = storeHandler(store)
	case "pg":
		pool, err := openPG(ctx, c.dsn, c.conns)
		if err != nil {
			return err
		}
		defer pool.Close()
		h = pgHandler(pool)
	default:
		return fmt.Errorf("unknown peer %q (bare, store, pg)", c.kind)
	}
	ln, err := net.Listen("tcp", c.addr)
	if err != nil {
		return err
	}
	fmt.Printf("listening on %s\n", ln.Addr())
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = hs.Shutdown(sctx)
	}()
	if err := hs.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// peerProcess is a peer running as a separate process (this same binary in
// peer-server mode), so that it gets its own Go runtime as the candor
// server does.
type peerProcess struct {
	cmd  *exec.Cmd
	addr string
}

// startPeer starts "load peer-server -kind KIND args...".
func startPeer(ctx context.Context, kind string, args ...string) (*peerProcess, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, self, append([]string{"peer-server", "-kind", kind, "-addr", "127.0.0.1:0"}, args...)...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return nil, fmt.Errorf("%s peer: %w", kind, err)
	}
	addr, ok := strings.CutPrefix(strings.TrimSpace(line), "listening on ")
	if !ok {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return nil, fmt.Errorf("%s peer said %q", kind, line)
	}
	return &peerProcess{cmd: cmd, addr: addr}, nil
}

func (p *peerProcess) url() string { return "http://" + p.addr }
func (p *peerProcess) pid() int    { return p.cmd.Process.Pid }

func (p *peerProcess) stop() {
	_ = p.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { _ = p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
		<-done
	}
}
