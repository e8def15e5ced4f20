package app

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestMain removes the server binary that startProcess builds.
func TestMain(m *testing.M) {
	code := m.Run()
	if serverDir != "" {
		_ = os.RemoveAll(serverDir)
	}
	os.Exit(code)
}

var (
	buildOnce sync.Once
	serverDir string // holds the binary built from the module's main package
	serverBin string
	buildErr  error
)

// serverBinary builds the real command (the module root's main package,
// what `go run .` runs) once per test binary, so that tests can start
// server processes (several replicas, crash and restart) of exactly what
// is deployed.
func serverBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		serverDir, buildErr = os.MkdirTemp("", "sk-server-")
		if buildErr != nil {
			return
		}
		serverBin = filepath.Join(serverDir, "sicherkommunal")
		cmd := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-o", serverBin, "..")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return serverBin
}

// process is a server running in its own OS process.
type process struct {
	URL string
	cmd *exec.Cmd
}

// startProcess starts a server process on dbURL with an admin secret.
func startProcess(t *testing.T, dbURL, admin string) *process {
	t.Helper()
	cmd := exec.Command(serverBinary(t), "-listen", "127.0.0.1:0")
	cmd.Env = append(os.Environ(), "SK_DATABASE_URL="+dbURL, "SK_ADMIN_TOKEN="+admin, "SK_LOG_LEVEL=warn")
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
