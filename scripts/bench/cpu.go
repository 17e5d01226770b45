package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// CPU per delivery is measured, not throughput alone, because on shared
// machines a rate moves with the hour while the CPU a delivery costs moves
// much less. The cost is summed over every process a delivery involves:
// relaybook (serve and worker), PostgreSQL, redis-server and the receiver,
// plus, for ceiling B, the bench process that hosts its Asynq server.

// clockTicks is USER_HZ, the unit of utime and stime in /proc/<pid>/stat:
// 100 on every Linux the bench runs on (getconf CLK_TCK).
const clockTicks = 100

// procCPU returns a process's user+system CPU time so far.
func procCPU(pid int) (time.Duration, bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, false
	}
	// The command name, field 2, is in parentheses and may hold spaces;
	// utime and stime are fields 14 and 15, so 12th and 13th after it.
	s := string(b)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(fields) < 13 {
		return 0, false
	}
	ut, err1 := strconv.ParseUint(fields[11], 10, 64)
	st, err2 := strconv.ParseUint(fields[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return time.Duration(ut+st) * time.Second / clockTicks, true
}

// postgresPIDs lists the PostgreSQL server's processes that work for the
// bench: the postmaster and its background processes (checkpointer, WAL
// writer, …), and the backends and autovacuum workers of the bench's own
// database. Backends of other databases are left out: on these machines
// other sessions' tests use the same server, and their CPU is not a
// delivery's.
func postgresPIDs() []int {
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	var pids []int
	for _, dir := range dirs {
		comm, err := os.ReadFile(dir + "/comm")
		if err != nil || strings.TrimSpace(string(comm)) != "postgres" {
			continue
		}
		cmdline, err := os.ReadFile(dir + "/cmdline")
		if err != nil || !postgresProcessForBench(string(cmdline)) {
			continue
		}
		if pid, err := strconv.Atoi(filepath.Base(dir)); err == nil {
			pids = append(pids, pid)
		}
	}
	return pids
}

// postgresProcessForBench reads a postgres process's title, such as
// "postgres: 15/main: postgres relaybook_bench 127.0.0.1(40312) idle".
func postgresProcessForBench(cmdline string) bool {
	title, ok := strings.CutPrefix(strings.ReplaceAll(cmdline, "\x00", " "), "postgres: ")
	if !ok {
		return true // the postmaster
	}
	if i := strings.Index(title, ": "); i >= 0 && !strings.Contains(title[:i], " ") {
		title = title[i+2:] // the cluster name Debian puts first
	}
	f := strings.Fields(title)
	switch {
	case strings.HasPrefix(title, "autovacuum worker"):
		return slices.Contains(f, benchDatabase)
	case len(f) >= 3 && (strings.Contains(f[2], "(") || f[2] == "[local]"):
		return f[1] == benchDatabase // a client backend: user, database, host
	}
	return true
}

// cpuMeter measures the CPU a set of processes spends between start and
// stop. The set is listed again at stop, so processes started in between
// (a worker and its PostgreSQL backends) count from zero; processes that
// exit in between are lost, which the bench avoids by keeping its
// processes up.
type cpuMeter struct {
	list  func() map[int]string // pid → group
	start map[int]time.Duration
}

func startCPU(list func() map[int]string) *cpuMeter {
	m := &cpuMeter{list: list, start: map[int]time.Duration{}}
	for pid := range list() {
		if t, ok := procCPU(pid); ok {
			m.start[pid] = t
		}
	}
	return m
}

// stop returns the CPU spent by group and in total.
func (m *cpuMeter) stop() (byGroup map[string]time.Duration, total time.Duration) {
	byGroup = map[string]time.Duration{}
	for pid, group := range m.list() {
		if t, ok := procCPU(pid); ok {
			d := t - m.start[pid]
			byGroup[group] += d
			total += d
		}
	}
	return byGroup, total
}

// processes lists what a delivery involves: relaybook's processes, the
// receiver, redis-server and PostgreSQL, and the bench itself if withSelf.
func (h *harness) processes(withSelf bool) func() map[int]string {
	return func() map[int]string {
		out := map[int]string{}
		for _, p := range h.running() {
			out[p.pid] = p.group
		}
		if h.redisPID > 0 {
			out[h.redisPID] = "redis"
		}
		for _, pid := range postgresPIDs() {
			out[pid] = "postgres"
		}
		if withSelf {
			out[os.Getpid()] = "bench (Asynq server)"
		}
		return out
	}
}

// perDelivery formats a CPU breakdown per delivery for the log.
func perDelivery(byGroup map[string]time.Duration, n int) string {
	groups := make([]string, 0, len(byGroup))
	for g := range byGroup {
		groups = append(groups, g)
	}
	slices.Sort(groups)
	parts := make([]string, len(groups))
	for i, g := range groups {
		parts[i] = fmt.Sprintf("%s %.0f", g, usPer(byGroup[g], n))
	}
	return strings.Join(parts, ", ")
}

// usPer is CPU-µs per item.
func usPer(d time.Duration, n int) float64 {
	return float64(d.Microseconds()) / float64(max(1, n))
}
