package main

import (
	"bytes"
	"os"
	"strconv"
	"sync"
	"time"
)

// clockTicks is USER_HZ, the unit of the CPU times in /proc/<pid>/stat (100 on
// every Linux architecture Go supports).
const clockTicks = 100

var pageSize = int64(os.Getpagesize())

// procStat is what the sampler reads of one process.
type procStat struct {
	ppid  int
	cpu   int64 // utime+stime+cutime+cstime, clock ticks (includes reaped children)
	self  int64 // utime+stime
	start int64 // starttime, clock ticks since boot
	rss   int64 // bytes
}

func readStat(pid int) (procStat, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return procStat{}, false
	}
	// comm (field 2) is in parentheses and may contain anything: parse after the last ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return procStat{}, false
	}
	f := bytes.Fields(b[i+1:])
	// f[0] is field 3 (state): field k is f[k-3].
	if len(f) < 22 {
		return procStat{}, false
	}
	num := func(k int) int64 { v, _ := strconv.ParseInt(string(f[k-3]), 10, 64); return v }
	return procStat{
		ppid:  int(num(4)),
		cpu:   num(14) + num(15) + num(16) + num(17),
		self:  num(14) + num(15),
		start: num(22),
		rss:   num(24) * pageSize,
	}, true
}

// treeSample is the process tree of one root at one instant.
type treeSample struct {
	at     time.Time
	broker int64 // ticks: CPU of the broker process (its own)
	cpu    int64 // ticks, whole tree
	rss    int64 // bytes, whole tree
	pids   map[int]procStat
}

// sampleTree reads every process and keeps root and its descendants.
func sampleTree(root, broker int) treeSample {
	s := treeSample{at: time.Now(), pids: map[int]procStat{}}
	d, err := os.Open("/proc")
	if err != nil {
		return s
	}
	names, _ := d.Readdirnames(-1)
	d.Close()
	all := make(map[int]procStat, len(names))
	for _, n := range names {
		pid, err := strconv.Atoi(n)
		if err != nil {
			continue
		}
		if st, ok := readStat(pid); ok {
			all[pid] = st
		}
	}
	var in func(pid, depth int) bool
	in = func(pid, depth int) bool {
		for ; depth < 64; depth++ {
			if pid == root {
				return true
			}
			st, ok := all[pid]
			if !ok || st.ppid <= 1 {
				return false
			}
			pid = st.ppid
		}
		return false
	}
	s.broker = all[broker].self
	for pid, st := range all {
		if in(pid, 0) {
			s.pids[pid] = st
			s.cpu += st.cpu
			s.rss += st.rss
		}
	}
	return s
}

// sampler samples a process tree every interval until stopped.
type sampler struct {
	root     int
	broker   int
	interval time.Duration

	mu      sync.Mutex
	cpu     int64         // ticks, highest seen (the tree's total is monotonic)
	peakRSS int64         // bytes, sum over the tree
	procRSS map[int]int64 // bytes, peak per process
	nprocs  int           // most processes seen at once
	history []cpuPoint
	stop    chan struct{}
	done    chan struct{}
}

type cpuPoint struct {
	at          time.Time
	cpu, broker int64
}

func startSampler(root, broker int, interval time.Duration) *sampler {
	s := &sampler{root: root, broker: broker, interval: interval, procRSS: map[int]int64{}, stop: make(chan struct{}), done: make(chan struct{})}
	s.sample()
	go func() {
		defer close(s.done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-s.stop:
				return
			case <-t.C:
				s.sample()
			}
		}
	}()
	return s
}

func (s *sampler) sample() {
	ts := sampleTree(s.root, s.broker)
	s.mu.Lock()
	defer s.mu.Unlock()
	if ts.cpu > s.cpu {
		s.cpu = ts.cpu
	}
	s.history = append(s.history, cpuPoint{ts.at, s.cpu, ts.broker})
	if ts.rss > s.peakRSS {
		s.peakRSS = ts.rss
	}
	if len(ts.pids) > s.nprocs {
		s.nprocs = len(ts.pids)
	}
	for pid, st := range ts.pids {
		if st.rss > s.procRSS[pid] {
			s.procRSS[pid] = st.rss
		}
	}
}

// cpuNow samples once more and returns the tree's CPU time so far.
func (s *sampler) cpuNow() time.Duration {
	s.sample()
	s.mu.Lock()
	defer s.mu.Unlock()
	return time.Duration(s.cpu) * time.Second / clockTicks
}

// cpuAt returns the CPU time of the tree and of the broker at the last sample
// taken before t.
func (s *sampler) cpuAt(t time.Time) (tree, broker time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var p cpuPoint
	for _, h := range s.history {
		if h.at.After(t) {
			break
		}
		p = h
	}
	return time.Duration(p.cpu) * time.Second / clockTicks, time.Duration(p.broker) * time.Second / clockTicks
}

func (s *sampler) close() {
	close(s.stop)
	<-s.done
}

// peaks returns the tree's peak RSS, the root's, and the highest of any other
// process (a worker when the root is a launcher; 0 when there is none).
func (s *sampler) peaks() (tree, root, child int64, nprocs int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for pid, r := range s.procRSS {
		if pid == s.root {
			root = r
		} else if r > child {
			child = r
		}
	}
	return s.peakRSS, root, child, s.nprocs
}

// brokerPid finds the RabbitMQ server (beam.smp) so that the broker's CPU can
// be reported beside the agent's; 0 when not found. rabbitmqctl runs a
// beam.smp too (an escript): the oldest beam.smp that is not one is the server.
func brokerPid() int {
	d, err := os.Open("/proc")
	if err != nil {
		return 0
	}
	names, _ := d.Readdirnames(-1)
	d.Close()
	best, bestStart := 0, int64(-1)
	for _, n := range names {
		pid, err := strconv.Atoi(n)
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + n + "/comm")
		if err != nil || string(bytes.TrimSpace(b)) != "beam.smp" {
			continue
		}
		cmdline, err := os.ReadFile("/proc/" + n + "/cmdline")
		if err != nil || bytes.Contains(cmdline, []byte("escript")) {
			continue
		}
		st, ok := readStat(pid)
		if ok && (bestStart < 0 || st.start < bestStart) {
			best, bestStart = pid, st.start
		}
	}
	return best
}
