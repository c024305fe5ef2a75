package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/candor-ledger/candor/e2e"
)

// postgres is a throwaway PostgreSQL server for the peers scenario: a
// cluster made by initdb in a temporary directory, served on a loopback
// port only (no Unix socket), durable as shipped (fsync and
// synchronous_commit on, checked once it is up). stop shuts it down and
// removes the directory.
type postgres struct {
	dir     string
	dsn     string
	version string
	cmd     *exec.Cmd
	log     *os.File
	exited  chan struct{}
}

// pgBinDir finds the directory of Debian's PostgreSQL binaries,
// /usr/lib/postgresql/<major>/bin, the highest major version if several.
func pgBinDir() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	dirs = slices.DeleteFunc(dirs, func(d string) bool {
		_, err := os.Stat(filepath.Join(d, "initdb"))
		return err != nil
	})
	if len(dirs) == 0 {
		return "", errors.New("PostgreSQL is not installed (Debian: apt-get install postgresql)")
	}
	major := func(d string) int { n, _ := strconv.Atoi(filepath.Base(filepath.Dir(d))); return n }
	slices.SortFunc(dirs, func(a, b string) int { return major(a) - major(b) })
	return dirs[len(dirs)-1], nil
}

// pgCredential is who runs initdb and postgres: the current user, or, when
// that is root (which postgres refuses to run as), the postgres user that
// Debian's package creates.
func pgCredential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("running as root, and no postgres user to run PostgreSQL as: %w", err)
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err1 != nil || err2 != nil {
		return nil, fmt.Errorf("postgres user: uid %q, gid %q", u.Uid, u.Gid)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

// startPostgres makes a cluster in a new directory under parent (""
// for the system's temporary directory) with the binaries of binDir (""
// to find them) and starts it with conns connections allowed besides a few
// spare ones.
func startPostgres(ctx context.Context, binDir, parent string, conns int) (_ *postgres, err error) {
	if binDir == "" {
		if binDir, err = pgBinDir(); err != nil {
			return nil, err
		}
	}
	cred, err := pgCredential()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp(parent, "candor-load-pg-")
	if err != nil {
		return nil, err
	}
	p := &postgres{dir: dir, exited: make(chan struct{})}
	defer func() {
		if err != nil {
			p.stop()
		}
	}()
	if cred != nil {
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			return nil, err
		}
	}
	if p.log, err = os.Create(filepath.Join(dir, "postgres.log")); err != nil {
		return nil, err
	}
	data := filepath.Join(dir, "data")
	// --no-sync: initdb's own files need no fsync for a cluster that lives
	// as long as one run; the server's durability settings are its own.
	initdb := exec.CommandContext(ctx, filepath.Join(binDir, "initdb"), "-D", data, "-U", "candor",
		"--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync", "--no-instructions")
	// Run from a directory the postgres user may enter (ours may be
	// root's own).
	initdb.Dir, initdb.SysProcAttr = dir, &syscall.SysProcAttr{Credential: cred}
	if out, err := initdb.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("initdb: %w\n%s", err, out)
	}
	addr, err := e2e.FreeAddr()
	if err != nil {
		return nil, err
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	p.cmd = exec.Command(filepath.Join(binDir, "postgres"), "-D", data,
		"-c", "listen_addresses="+host, "-c", "port="+port, "-c", "unix_socket_directories=",
		"-c", "fsync=on", "-c", "synchronous_commit=on", "-c", "full_page_writes=on",
		"-c", fmt.Sprintf("max_connections=%d", conns+10))
	p.cmd.Dir, p.cmd.SysProcAttr = dir, &syscall.SysProcAttr{Credential: cred}
	p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	go func() { _ = p.cmd.Wait(); close(p.exited) }()
	p.dsn = fmt.Sprintf("postgres://candor@%s:%s/postgres?sslmode=disable", host, port)
	if err := p.waitReady(ctx, time.Minute); err != nil {
		return nil, fmt.Errorf("%w\n--- postgres.log ---\n%s", err, lastLines(p.logs(), 20))
	}
	return p, nil
}

// waitReady polls until the server answers, then checks that it is as
// durable as the comparison says.
func (p *postgres) waitReady(ctx context.Context, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		conn, err := pgx.Connect(ctx, p.dsn)
		if err == nil {
			defer conn.Close(ctx)
			return p.checkSettings(ctx, conn)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("postgres not ready after %v: %w", limit, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-p.exited:
			return fmt.Errorf("postgres exited: %v", p.cmd.ProcessState)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func (p *postgres) checkSettings(ctx context.Context, conn *pgx.Conn) error {
	if err := conn.QueryRow(ctx, "SHOW server_version").Scan(&p.version); err != nil {
		return err
	}
	for _, name := range []string{"fsync", "synchronous_commit"} {
		var v string
		if err := conn.QueryRow(ctx, "SHOW "+name).Scan(&v); err != nil {
			return err
		}
		if v != "on" {
			return fmt.Errorf("postgres: %s is %q, want on", name, v)
		}
	}
	return nil
}

// pid is the postmaster's: its process tree is the whole server.
func (p *postgres) pid() int { return p.cmd.Process.Pid }

func (p *postgres) logs() string {
	b, _ := os.ReadFile(filepath.Join(p.dir, "postgres.log"))
	return string(b)
}

// stop shuts the server down (fast shutdown: sessions aborted, a
// checkpoint written), kills it if that takes over a minute, and removes
// its directory.
func (p *postgres) stop() {
	if p.cmd != nil && p.cmd.Process != nil {
		_ = p.cmd.Process.Signal(os.Interrupt)
		select {
		case <-p.exited:
		case <-time.After(time.Minute):
			logf("postgres: no exit a minute after SIGINT; killing it")
			_ = p.cmd.Process.Kill()
			<-p.exited
		}
	}
	if p.log != nil {
		_ = p.log.Close()
	}
	if err := os.RemoveAll(p.dir); err != nil {
		logf("postgres: remove %s: %v", p.dir, err)
	}
}
