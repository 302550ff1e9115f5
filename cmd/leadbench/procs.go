package main

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// clockTicks is USER_HZ, the unit of /proc CPU times; 100 on every Linux
// this runs on.
const clockTicks = 100

// monitor samples the daemon's memory and takes CPU snapshots of the
// parts of the system under test, all from /proc.
type monitor struct {
	pool    *pgxpool.Pool
	pid     int
	redis   []int
	done    chan struct{}
	stopped sync.WaitGroup

	mu      sync.Mutex
	peakRSS int64 // kB
}

func newMonitor(pool *pgxpool.Pool, pid int) *monitor {
	return &monitor{pool: pool, pid: pid, redis: pidsNamed("redis-server"), done: make(chan struct{})}
}

// sampleRSS reads the daemon's VmRSS every interval, in the background,
// until stop.
func (m *monitor) sampleRSS(ctx context.Context, interval time.Duration) {
	if m.pid == 0 {
		return
	}
	m.stopped.Add(1)
	go m.sample(ctx, interval)
}

func (m *monitor) sample(ctx context.Context, interval time.Duration) {
	defer m.stopped.Done()
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-m.done:
			return
		case <-t.C:
		}
		if kb := statusKB(m.pid, "VmRSS"); kb > 0 {
			m.mu.Lock()
			m.peakRSS = max(m.peakRSS, kb)
			m.mu.Unlock()
		}
		t.Reset(interval)
	}
}

func (m *monitor) stop() {
	close(m.done)
	m.stopped.Wait()
}

// rssReport is the daemon's memory: the peak sampled during the run, the
// kernel's high-water mark since the process started, and now.
type rssReport struct {
	peakKB, hwmKB, nowKB int64
}

func (m *monitor) rss() rssReport {
	if m.pid == 0 {
		return rssReport{}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return rssReport{peakKB: m.peakRSS, hwmKB: statusKB(m.pid, "VmHWM"), nowKB: statusKB(m.pid, "VmRSS")}
}

// cpuSnap is CPU time used so far, in ticks, by each part.
type cpuSnap struct {
	at                   time.Time
	machineBusy, machine int64 // all CPUs, from /proc/stat
	leadd, redis, self   int64
	postgres             map[int]int64 // by backend pid
}

// snapshot reads the CPU times now. The Postgres processes counted are
// the backends of this database and the server's own background
// processes, not other databases' sessions (tests may share the server).
func (m *monitor) snapshot(ctx context.Context) cpuSnap {
	s := cpuSnap{at: time.Now(), postgres: map[int]int64{}}
	s.machineBusy, s.machine = machineTicks()
	if m.pid != 0 {
		s.leadd = procTicks(strconv.Itoa(m.pid))
	}
	for _, pid := range m.redis {
		s.redis += procTicks(strconv.Itoa(pid))
	}
	s.self = procTicks("self")
	rows, err := m.pool.Query(ctx, `SELECT pid FROM pg_stat_activity
		WHERE datname = current_database() OR backend_type <> 'client backend'`)
	if err == nil {
		for rows.Next() {
			var pid int
			if rows.Scan(&pid) == nil {
				s.postgres[pid] = procTicks(strconv.Itoa(pid))
			}
		}
		rows.Close()
	}
	return s
}

// cpuUse is the CPU each part used over a span, in cores (1.0 = one core
// busy the whole span).
type cpuUse struct {
	wall                                           time.Duration
	leadd, postgres, redis, self, other, idle, all float64
	cores                                          int
}

func (s cpuSnap) since(prev cpuSnap) cpuUse {
	u := cpuUse{wall: s.at.Sub(prev.at), cores: cpuCount()}
	secs := u.wall.Seconds()
	if secs <= 0 {
		return u
	}
	cores := func(ticks int64) float64 { return float64(ticks) / clockTicks / secs }
	u.leadd, u.redis, u.self = cores(s.leadd-prev.leadd), cores(s.redis-prev.redis), cores(s.self-prev.self)
	var pg int64
	for pid, t := range s.postgres {
		pg += t - prev.postgres[pid] // a backend that started since counts from zero
	}
	u.postgres = cores(pg)
	// /proc/stat counts every CPU: its ticks over the span, shared out.
	if all := s.machine - prev.machine; all > 0 {
		busy := float64(s.machineBusy-prev.machineBusy) / float64(all) * float64(u.cores)
		u.all = busy
		u.idle = float64(u.cores) - busy
		u.other = max(0, busy-u.leadd-u.postgres-u.redis-u.self)
	}
	return u
}

// procTicks is utime + stime of a process (all its threads).
func procTicks(pid string) int64 {
	b, err := os.ReadFile(filepath.Join("/proc", pid, "stat"))
	if err != nil {
		return 0
	}
	// The command name may hold spaces; the fields after it do not.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return ut + st
}

// machineTicks is the busy and total ticks of all CPUs since boot.
func machineTicks() (busy, total int64) {
	f, err := os.Open("/proc/stat")
	if err != nil {
		return 0, 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	if !sc.Scan() {
		return 0, 0
	}
	fields := strings.Fields(sc.Text()) // cpu user nice system idle iowait irq softirq steal ...
	for i := 1; i < len(fields) && i <= 8; i++ {
		v, _ := strconv.ParseInt(fields[i], 10, 64)
		total += v
		if i != 4 && i != 5 {
			busy += v
		}
	}
	return busy, total
}

func cpuCount() int {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 1
	}
	n := 0
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "cpu") && len(line) > 3 && line[3] >= '0' && line[3] <= '9' {
			n++
		}
	}
	return max(n, 1)
}

// statusKB reads a kB field of /proc/PID/status (VmRSS, VmHWM).
func statusKB(pid int, field string) int64 {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "status"))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				v, _ := strconv.ParseInt(f[0], 10, 64)
				return v
			}
		}
	}
	return 0
}

// pidsNamed lists the processes whose command name is name.
func pidsNamed(name string) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var out []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "comm")); err == nil && strings.TrimSpace(string(b)) == name {
			out = append(out, pid)
		}
	}
	return out
}
