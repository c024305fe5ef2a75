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
	"strings"
	"time"

	"github.com/labstack/echo/v4"
)

// bareExpert is the body the write load sends, decoded the way the API
// decodes it (unknown fields refused).
type bareExpert struct {
	ExpertID  string `json:"expert_id"`
	Name      string `json:"name"`
	Email     string `json:"email,omitempty"`
	Expertise string `json:"expertise,omitempty"`
}

// bareHandler is the floor the full stack is compared with: an Echo route
// that decodes the same JSON and answers 201, with no authentication,
// validation, domain, store or fsync.
func bareHandler() http.Handler {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.POST("/v1/engagements/:engagement_id/experts", func(c echo.Context) error {
		var x bareExpert
		dec := json.NewDecoder(c.Request().Body)
		dec.DisallowUnknownFields()
		if err := dec.Decode(&x); err != nil || x.Name == "" {
			return c.JSON(http.StatusUnprocessableEntity, map[string]string{"code": "validation_failed"})
		}
		return c.JSON(http.StatusCreated, map[string]any{"engagement_id": c.Param("engagement_id"), "name": x.Name})
	})
	e.GET("/v1/engagements/:engagement_id*", func(c echo.Context) error {
		return c.JSON(http.StatusOK, map[string]string{"engagement_id": c.Param("engagement_id")})
	})
	return e
}

// runBareServer serves the bare handler until ctx ends. It prints
// "listening on ADDR" once the listener is open.
func runBareServer(ctx context.Context, addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	fmt.Printf("listening on %s\n", ln.Addr())
	hs := &http.Server{Handler: bareHandler(), ReadHeaderTimeout: 10 * time.Second}
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

// bareProcess is the bare server running as a separate process (this same
// binary in bare-server mode), so that it gets its own Go runtime as the
// candor server does.
type bareProcess struct {
	cmd  *exec.Cmd
	addr string
}

func startBare(ctx context.Context) (*bareProcess, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, self, "bare-server", "-addr", "127.0.0.1:0")
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
		return nil, fmt.Errorf("bare server: %w", err)
	}
	addr, ok := strings.CutPrefix(strings.TrimSpace(line), "listening on ")
	if !ok {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return nil, fmt.Errorf("bare server said %q", line)
	}
	return &bareProcess{cmd: cmd, addr: addr}, nil
}

func (b *bareProcess) stop() {
	_ = b.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { _ = b.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = b.cmd.Process.Kill()
		<-done
	}
}
