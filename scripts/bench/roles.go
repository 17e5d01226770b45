package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"runtime/debug"
	"strings"
	"time"
)

// The bench runs its receiver and its load generators as child processes:
// the same program run again with a role as its first argument (main and,
// for the smoke test, TestMain dispatch on it).

// roleMain runs the role args name, if they name one.
func roleMain(args []string) (isRole bool, err error) {
	if len(args) == 0 || (args[0] != "receiver" && args[0] != "loadgen") {
		return false, nil
	}
	// The same GC target as relaybook's servers (internal/cli/gc.go): the
	// children share the two cores with what they measure.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	if args[0] == "receiver" {
		return true, receiverMain()
	}
	return true, loadgenMain(args[1:])
}

// child is this program run again in a role.
func child(ctx context.Context, role string, args ...string) (*exec.Cmd, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, exe, append([]string{role}, args...)...)
	cmd.Stderr = os.Stderr
	return cmd, nil
}

// receiverProc is the bench's handle on the receiver process.
type receiverProc struct {
	cmd    *exec.Cmd
	addr   string
	client *http.Client
}

func startReceiver() (*receiverProc, error) {
	cmd, err := child(context.Background(), "receiver")
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	addr, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		return nil, fmt.Errorf("receiver did not start: %w", err)
	}
	return &receiverProc{cmd: cmd, addr: strings.TrimSpace(addr), client: &http.Client{Timeout: 30 * time.Second}}, nil
}

func (rc *receiverProc) url(path string) string { return "http://" + rc.addr + path }

func (rc *receiverProc) get(ctx context.Context, path string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rc.url(path), nil)
	if err != nil {
		return err
	}
	return rc.do(req, out)
}

func (rc *receiverProc) do(req *http.Request, out any) error {
	resp, err := rc.client.Do(req)
	if err != nil {
		return fmt.Errorf("receiver: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("receiver: %s", resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

// arrivals returns when each contact arrived, the zero time for one that
// has not.
func (rc *receiverProc) arrivals(ctx context.Context, ids []string) ([]time.Time, error) {
	body, err := json.Marshal(ids)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, rc.url("/_bench/arrivals"), bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	var ns []int64
	if err := rc.do(req, &ns); err != nil {
		return nil, err
	}
	return unixTimes(ns), nil
}

func (rc *receiverProc) fanoutTimes(ctx context.Context) ([]time.Time, error) {
	var ns []int64
	err := rc.get(ctx, "/_bench/fanout", &ns)
	return unixTimes(ns), err
}

// count is how many requests a path has received.
func (rc *receiverProc) count(ctx context.Context, path string) (int64, error) {
	var n int64
	err := rc.get(ctx, "/_bench/count?path="+url.QueryEscape(path), &n)
	return n, err
}

func unixTimes(ns []int64) []time.Time {
	out := make([]time.Time, len(ns))
	for i, n := range ns {
		if n > 0 {
			out[i] = time.Unix(0, n)
		}
	}
	return out
}

// loadgen runs a load generator process against f's book and decodes
// what it prints into out.
func (h *harness) loadgen(ctx context.Context, f *fixture, out any, args ...string) error {
	cmd, err := child(ctx, "loadgen", append([]string{"-api", h.apiBase, "-book", f.book.ID}, args...)...)
	if err != nil {
		return err
	}
	defer func() {
		if cmd.ProcessState != nil {
			h.loadgenCPU = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
		}
	}()
	cmd.Env = append(os.Environ(), "BENCH_LOADGEN_KEY="+f.key)
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("loadgen %s: %w", strings.Join(args, " "), err)
	}
	return json.Unmarshal(stdout.Bytes(), out)
}
