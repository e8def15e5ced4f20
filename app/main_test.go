package app

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestMain lets the test binary double as the server: with
// SK_TEST_SERVE=1 it runs the program instead of the tests, so that tests
// can start real server processes (several replicas, crash and restart)
// without building a separate binary.
func TestMain(m *testing.M) {
	if os.Getenv("SK_TEST_SERVE") == "1" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		if err := run(ctx, []string{"-listen", "127.0.0.1:0"}, os.Getenv, os.Stdout, os.Stderr); err != nil {
			fmt.Fprintln(os.Stderr, "error:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// process is a server running in its own OS process.
type process struct {
	URL string
	cmd *exec.Cmd
}

// startProcess starts a server process on dbURL with an admin secret.
func startProcess(t *testing.T, dbURL, admin string) *process {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "SK_TEST_SERVE=1", "SK_DATABASE_URL="+dbURL, "SK_ADMIN_TOKEN="+admin, "SK_LOG_LEVEL=warn")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &process{cmd: cmd}
	t.Cleanup(func() { p.kill() })
	addr := regexp.MustCompile(`on (http://127\.0\.0\.1:\d+)`)
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if m := addr.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
			}
		}
	}()
	select {
	case p.URL = <-found:
	case <-time.After(60 * time.Second):
		t.Fatalf("server process did not start: %s", stderr.String())
	}
	return p
}

// kill ends the process with SIGKILL: no shutdown, no flush.
func (p *process) kill() {
	if p.cmd.Process != nil && p.cmd.ProcessState == nil {
		_ = p.cmd.Process.Signal(syscall.SIGKILL)
		_ = p.cmd.Wait()
	}
}
