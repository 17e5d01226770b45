package main

import (
	"context"
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
	"syscall"
	"time"
)

// profile, with BENCH_PROFILE set, gives a process a pprof listener (call
// it before the process starts) and returns a function that starts a CPU
// profile of the next `seconds`, saved as bench-<name>-<step>.cpu.prof; the
// function it returns waits for the profile to be saved.
func (h *harness) profile(name string, cmd *exec.Cmd) func(step string, seconds int) (wait func()) {
	noop := func(string, int) func() { return func() {} }
	if os.Getenv("BENCH_PROFILE") == "" {
		return noop
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return noop
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd.Env = append(cmd.Env, "RELAYBOOK_DEBUG_PPROF_ADDR="+addr)
	return func(step string, seconds int) func() {
		file, endpoint := "bench-"+name+"-"+step+".cpu.prof", "profile"
		if os.Getenv("BENCH_PROFILE") == "trace" {
			// An execution trace instead: where goroutines wait
			// (go tool trace -pprof=net|sync|sched FILE).
			file, endpoint = "bench-"+name+"-"+step+".trace", "trace"
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
			time.Sleep(200 * time.Millisecond) // let the listener come up
			resp, err := http.Get(fmt.Sprintf("http://%s/debug/pprof/%s?seconds=%d", addr, endpoint, seconds))
			if err != nil {
				logf("profile %s: %v", name, err)
				return
			}
			defer resp.Body.Close()
			out, err := os.Create(file)
			if err != nil {
				return
			}
			defer out.Close()
			io.Copy(out, resp.Body)
			logf("saved %s", file)
		}()
		return func() { <-done }
	}
}

func stopProcess(p *exec.Cmd) {
	if p == nil || p.Process == nil || p.ProcessState != nil {
		return
	}
	p.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { p.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		p.Process.Kill()
		<-done
	}
}

// startWorker runs `relaybook worker` with the shipped defaults and returns
// its log file.
func (h *harness) startWorker() (*os.File, error) {
	logFile, err := os.Create(filepath.Join(h.dir, "worker.log"))
	if err != nil {
		return nil, err
	}
	h.worker = h.command(context.Background(), "worker")
	h.worker.Stderr = logFile
	h.profileWorker = h.profile("worker", h.worker)
	return logFile, h.worker.Start()
}

// startIdleWorker starts the worker when its throughput step is skipped and
// waits until it is ready, so the steps after it meet a running worker as
// they do in a full run.
func (h *harness) startIdleWorker(ctx context.Context) error {
	logFile, err := h.startWorker()
	if err != nil {
		return err
	}
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if b, _ := os.ReadFile(logFile.Name()); strings.Contains(string(b), "worker started") {
			time.Sleep(time.Second) // a running worker has settled
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("relaybook worker did not start (log: %s)", logFile.Name())
}

// peakRSSMB reads a process's high-water resident set size (VmHWM).
func peakRSSMB(pid int) (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			kb, err := strconv.Atoi(strings.Fields(line)[1])
			if err != nil {
				return 0, err
			}
			return float64(kb) / 1024, nil
		}
	}
	return 0, errors.New("no VmHWM in /proc status")
}

// startServe runs `relaybook serve` with the rate limit raised out of the
// way and waits until it answers.
func (h *harness) startServe(ctx context.Context) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	addr := ln.Addr().String()
	ln.Close()
	logFile, err := os.Create(filepath.Join(h.dir, "serve.log"))
	if err != nil {
		return err
	}
	h.serve = h.command(context.Background(), "serve", "--addr", addr)
	h.serve.Env = append(h.serve.Env, "RELAYBOOK_RATELIMIT_PER_MINUTE=1000000000")
	h.serve.Stderr = logFile
	h.profileServe = h.profile("serve", h.serve)
	if err := h.serve.Start(); err != nil {
		return err
	}
	h.apiBase = "http://" + addr
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := h.client.Get(h.apiBase + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("relaybook serve did not answer (log: %s)", logFile.Name())
}
