// Package e2e runs the real candor binary: its tests (crash, faults, bad
// input) start the server as a separate process, and this file is the
// harness they share with the load tool in bench/ (a nested module that
// imports it): build the binary, start it on a free loopback port with a
// fresh admin token, kill it, read its memory, and call the API.
//
// The harness only uses the standard library, so the main module gets no
// dependency from it.
package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// ErrNotReady is returned by Start when the server does not answer
// /readyz in time, or exits first.
var ErrNotReady = errors.New("e2e: server not ready")

// BuildBinary compiles ./cmd/candor of the module rooted at moduleRoot into
// dir and returns the binary's path. race adds -race.
func BuildBinary(ctx context.Context, moduleRoot, dir string, race bool) (string, error) {
	out := filepath.Join(dir, "candor")
	args := []string{"build", "-o", out}
	if race {
		args = append(args, "-race")
	}
	args = append(args, "./cmd/candor")
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = moduleRoot
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("e2e: go build ./cmd/candor: %w\n%s", err, b)
	}
	return out, nil
}

// ModuleRoot walks up from the working directory to the folder whose
// go.mod declares the candor module.
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && strings.Contains(string(b), "module github.com/candor-ledger/candor\n") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("e2e: no go.mod of github.com/candor-ledger/candor above the working directory")
		}
		dir = parent
	}
}

// NewAdminToken returns a fresh secret in the form the server expects for
// CANDOR_ADMIN_TOKEN: "cnd_" and 32 random bytes in unpadded base64url.
func NewAdminToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // never fails (crypto/rand documents it)
	return "cnd_" + base64.RawURLEncoding.EncodeToString(b)
}

// FreeAddr returns a loopback address whose port was free a moment ago.
func FreeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// ServerConfig says how to run the binary.
type ServerConfig struct {
	Binary     string
	DataDir    string
	Addr       string   // default: a free loopback port
	AdminToken string   // CANDOR_ADMIN_TOKEN; empty leaves it unset
	Env        []string // extra KEY=VALUE, after the harness's own
	// ReadyTimeout bounds the wait for /readyz (default 60s: a large store
	// may take a while to open).
	ReadyTimeout time.Duration
	// NoReadyWait returns as soon as /healthz answers (for tests of a
	// server that starts not ready).
	NoReadyWait bool
	// LogFile, when set, receives the process's stdout and stderr (the
	// process writes it directly) instead of the harness's memory: for
	// long loads, whose access logs would fill memory and whose reader
	// would share the load tool's CPU.
	LogFile string
}

// Server is a running candor process.
type Server struct {
	cfg    ServerConfig
	cmd    *exec.Cmd
	URL    string // http://host:port
	logs   *lockedBuffer
	done   chan struct{}
	waitMu sync.Mutex
	err    error
}

// lockedBuffer keeps everything the process printed.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Start runs the binary and waits until it is ready.
func Start(ctx context.Context, cfg ServerConfig) (*Server, error) {
	if cfg.Addr == "" {
		a, err := FreeAddr()
		if err != nil {
			return nil, err
		}
		cfg.Addr = a
	}
	if cfg.ReadyTimeout <= 0 {
		cfg.ReadyTimeout = 60 * time.Second
	}
	logs := &lockedBuffer{}
	cmd := exec.Command(cfg.Binary, "serve", "--addr", cfg.Addr, "--data", cfg.DataDir)
	cmd.Stdout, cmd.Stderr = logs, logs
	if cfg.LogFile != "" {
		f, err := os.OpenFile(cfg.LogFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return nil, fmt.Errorf("e2e: server log: %w", err)
		}
		defer f.Close() // the process keeps its own descriptor
		cmd.Stdout, cmd.Stderr = f, f
	}
	cmd.Env = append(os.Environ(), "CANDOR_ADDR="+cfg.Addr, "CANDOR_DATA_DIR="+cfg.DataDir)
	if cfg.AdminToken != "" {
		cmd.Env = append(cmd.Env, "CANDOR_ADMIN_TOKEN="+cfg.AdminToken)
	}
	cmd.Env = append(cmd.Env, cfg.Env...)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("e2e: start %s: %w", cfg.Binary, err)
	}
	s := &Server{cfg: cfg, cmd: cmd, URL: "http://" + cfg.Addr, logs: logs, done: make(chan struct{})}
	go func() {
		err := cmd.Wait()
		s.waitMu.Lock()
		s.err = err
		s.waitMu.Unlock()
		close(s.done)
	}()
	path := "/readyz"
	if cfg.NoReadyWait {
		path = "/healthz"
	}
	if err := s.waitFor(ctx, path, cfg.ReadyTimeout); err != nil {
		_ = s.Kill()
		return nil, fmt.Errorf("%w: %v\n--- server output ---\n%s", ErrNotReady, err, tail(s.Logs(), 4000))
	}
	return s, nil
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

func (s *Server) waitFor(ctx context.Context, path string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cl := &http.Client{Timeout: 2 * time.Second}
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+path, nil)
		resp, err := cl.Do(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-s.done:
			return fmt.Errorf("process exited: %v", s.ExitErr())
		case <-ctx.Done():
			return fmt.Errorf("no 200 from %s after %s (last error %v)", path, timeout, err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// WaitReady waits for /readyz to answer 200.
func (s *Server) WaitReady(ctx context.Context, timeout time.Duration) error {
	return s.waitFor(ctx, "/readyz", timeout)
}

// PID is the process id.
func (s *Server) PID() int { return s.cmd.Process.Pid }

// Addr is the host:port the server listens on.
func (s *Server) Addr() string { return s.cfg.Addr }

// Logs returns everything the process wrote to stdout and stderr so far.
func (s *Server) Logs() string {
	if s.cfg.LogFile != "" {
		b, err := os.ReadFile(s.cfg.LogFile)
		if err != nil {
			return fmt.Sprintf("(server log %s: %v)", s.cfg.LogFile, err)
		}
		return string(b)
	}
	return s.logs.String()
}

// Done is closed when the process has exited.
func (s *Server) Done() <-chan struct{} { return s.done }

// ExitErr is the process's exit error once Done is closed.
func (s *Server) ExitErr() error {
	s.waitMu.Lock()
	defer s.waitMu.Unlock()
	return s.err
}

// Kill sends SIGKILL (as kill -9 would) and waits for the process to go.
func (s *Server) Kill() error {
	select {
	case <-s.done:
		return nil
	default:
	}
	if err := s.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	<-s.done
	return nil
}

// Stop sends SIGTERM and waits for a graceful exit, killing the process if
// it takes longer than timeout. It returns the exit error of a process that
// did not exit cleanly.
func (s *Server) Stop(timeout time.Duration) error {
	select {
	case <-s.done:
		return s.ExitErr()
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
		return s.ExitErr()
	case <-time.After(timeout):
		_ = s.Kill()
		return fmt.Errorf("e2e: server did not stop within %s; killed", timeout)
	}
}

// RSS returns the resident set size of the process in bytes (VmRSS of
// /proc/PID/status).
func (s *Server) RSS() (int64, error) { return ProcessRSS(s.PID()) }

// ProcessRSS reads VmRSS of a process, in bytes.
func ProcessRSS(pid int) (int64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, err
	}
	return ParseVmRSS(string(b))
}

// ParseVmRSS extracts VmRSS, in bytes, from the text of /proc/PID/status.
func ParseVmRSS(status string) (int64, error) {
	for line := range strings.SplitSeq(status, "\n") {
		rest, ok := strings.CutPrefix(line, "VmRSS:")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) != 2 || f[1] != "kB" {
			return 0, fmt.Errorf("e2e: unexpected VmRSS line %q", line)
		}
		kb, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("e2e: VmRSS: %w", err)
		}
		return kb * 1024, nil
	}
	return 0, errors.New("e2e: no VmRSS line (process gone?)")
}

// Client calls the API. It retries a 429 after its Retry-After (bounded),
// so that set-up traffic does not trip over the per-token rate limit.
type Client struct {
	Base string
	HTTP *http.Client
	// Max429Retries bounds the retries of a rate-limited request (default 50).
	Max429Retries int
}

// NewClient returns a client of the server at base.
func NewClient(base string) *Client {
	return &Client{Base: base, HTTP: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		MaxIdleConnsPerHost: 64, MaxConnsPerHost: 0, IdleConnTimeout: 90 * time.Second,
	}}}
}

// Response is a read response.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into v.
func (r *Response) JSON(v any) error {
	if err := json.Unmarshal(r.Body, v); err != nil {
		return fmt.Errorf("e2e: decode %d response %q: %w", r.Status, tail(string(r.Body), 300), err)
	}
	return nil
}

// Request is one call. Body, when not nil, is sent as is if it is []byte
// or string, else encoded as JSON; ContentType defaults to
// application/json ("-" sends none).
type Request struct {
	Method, Path, Token string
	Body                any
	ContentType         string
	Header              http.Header
}

// Do sends one request.
func (c *Client) Do(ctx context.Context, r Request) (*Response, error) {
	var body []byte
	switch b := r.Body.(type) {
	case nil:
	case []byte:
		body = b
	case string:
		body = []byte(b)
	default:
		var err error
		if body, err = json.Marshal(b); err != nil {
			return nil, err
		}
	}
	maxRetries := c.Max429Retries
	if maxRetries == 0 {
		maxRetries = 50
	}
	for attempt := 0; ; attempt++ {
		var rd io.Reader
		if r.Body != nil {
			rd = bytes.NewReader(body)
		}
		req, err := http.NewRequestWithContext(ctx, r.Method, c.Base+r.Path, rd)
		if err != nil {
			return nil, err
		}
		for k, v := range r.Header {
			req.Header[k] = v
		}
		if r.Body != nil {
			switch ct := r.ContentType; ct {
			case "":
				req.Header.Set("Content-Type", "application/json")
			case "-": // none at all
			default:
				req.Header.Set("Content-Type", ct)
			}
		}
		if r.Token != "" {
			req.Header.Set("Authorization", "Bearer "+r.Token)
		}
		resp, err := c.HTTP.Do(req)
		if err != nil {
			return nil, err
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return nil, err
		}
		if resp.StatusCode == http.StatusTooManyRequests && attempt < maxRetries {
			wait := time.Second
			if n, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && n >= 0 {
				wait = time.Duration(n)*time.Second + 10*time.Millisecond
			}
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(wait):
			}
			continue
		}
		return &Response{Status: resp.StatusCode, Header: resp.Header, Body: b}, nil
	}
}

// expect sends r and fails unless the status is want.
func (c *Client) expect(ctx context.Context, r Request, want int, v any) (*Response, error) {
	resp, err := c.Do(ctx, r)
	if err != nil {
		return nil, err
	}
	if resp.Status != want {
		return resp, fmt.Errorf("e2e: %s %s: status %d, want %d: %s", r.Method, r.Path, resp.Status, want, tail(string(resp.Body), 500))
	}
	if v != nil {
		return resp, resp.JSON(v)
	}
	return resp, nil
}

// CreatePrincipal creates a principal (as admin) and returns its id.
func (c *Client) CreatePrincipal(ctx context.Context, adminToken, name, role string) (string, error) {
	var out struct {
		ID string `json:"id"`
	}
	_, err := c.expect(ctx, Request{Method: http.MethodPost, Path: "/v1/principals", Token: adminToken,
		Body: map[string]string{"name": name, "role": role}}, http.StatusCreated, &out)
	return out.ID, err
}

// IssueToken issues a token to a principal (as admin) and returns its
// secret.
func (c *Client) IssueToken(ctx context.Context, adminToken, principalID, label string) (string, error) {
	var out struct {
		Token string `json:"token"`
	}
	_, err := c.expect(ctx, Request{Method: http.MethodPost, Path: "/v1/principals/" + principalID + "/tokens", Token: adminToken,
		Body: map[string]string{"label": label}}, http.StatusCreated, &out)
	return out.Token, err
}

// NewMember creates a member principal and issues it a token.
func (c *Client) NewMember(ctx context.Context, adminToken, name string) (principalID, token string, err error) {
	if principalID, err = c.CreatePrincipal(ctx, adminToken, name, "member"); err != nil {
		return "", "", err
	}
	token, err = c.IssueToken(ctx, adminToken, principalID, "e2e")
	return principalID, token, err
}

// OpenEngagementBody is the body of a minimal engagement opened by a
// supplier-side stakeholder (who may then invite experts).
func OpenEngagementBody(title string) map[string]any {
	return map[string]any{
		"title":         title,
		"client_name":   "Client Co",
		"supplier_name": "Supplier Co",
		"opener":        map[string]any{"party": "supplier", "name": "Opener " + title},
	}
}

// WriteResult is the body of every write response.
type WriteResult struct {
	Events []struct {
		ID       string `json:"id"`
		Type     string `json:"type"`
		Revision uint64 `json:"revision"`
		Position uint64 `json:"position"`
	} `json:"events"`
	Revision uint64 `json:"revision"`
	Position uint64 `json:"position"`
}

// OpenEngagement opens an engagement with OpenEngagementBody and returns
// its id (the last segment of Location).
func (c *Client) OpenEngagement(ctx context.Context, token, title string) (string, error) {
	resp, err := c.expect(ctx, Request{Method: http.MethodPost, Path: "/v1/engagements", Token: token,
		Body: OpenEngagementBody(title)}, http.StatusCreated, nil)
	if err != nil {
		return "", err
	}
	loc := resp.Header.Get("Location")
	if i := strings.LastIndexByte(loc, '/'); i >= 0 && i < len(loc)-1 {
		return loc[i+1:], nil
	}
	return "", fmt.Errorf("e2e: open engagement: no id in Location %q", loc)
}
