package sandboxtest

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// SCTPCounters reads the kernel's SCTP MIB counters (/proc/net/sctp/snmp).
func SCTPCounters() (map[string]int, error) {
	b, err := os.ReadFile("/proc/net/sctp/snmp")
	if err != nil {
		return nil, err
	}
	return parseCounters(string(b)), nil
}

func parseCounters(text string) map[string]int {
	out := map[string]int{}
	for _, line := range strings.Split(text, "\n") {
		if f := strings.Fields(line); len(f) == 2 {
			out[f[0]], _ = strconv.Atoi(f[1])
		}
	}
	return out
}

// LossCounters are the SCTP counters that tell of losses and the timers
// that repair them: a retransmission timeout costs at least RTO.min (1 s).
var LossCounters = []string{"SctpT1InitExpireds", "SctpT1CookieExpireds", "SctpT3RtxExpireds",
	"SctpT3Retransmits", "SctpFastRetransmits", "SctpInPktDiscards", "SctpInDataChunkDiscards"}

// CounterDelta lists the loss counters that moved from before to after.
func CounterDelta(before, after map[string]int) string {
	var out []string
	for _, k := range LossCounters {
		if d := after[k] - before[k]; d != 0 {
			out = append(out, fmt.Sprintf("%s+%d", strings.TrimPrefix(k, "Sctp"), d))
		}
	}
	if len(out) == 0 {
		return "no timer expiries or discards"
	}
	return strings.Join(out, " ")
}

// CPUTimes reads the machine's CPU time in clock ticks from /proc/stat:
// busy (user, nice, system, irq, softirq, steal) and idle (idle, iowait).
func CPUTimes() (busy, idle uint64, err error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0, err
	}
	return parseCPUTimes(string(b))
}

func parseCPUTimes(text string) (busy, idle uint64, err error) {
	line, _, _ := strings.Cut(text, "\n")
	f := strings.Fields(line)
	if len(f) < 5 || f[0] != "cpu" {
		return 0, 0, fmt.Errorf("/proc/stat: unexpected first line %q", line)
	}
	for i, s := range f[1:] {
		if i >= 8 { // guest times are in user already
			break
		}
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return 0, 0, fmt.Errorf("/proc/stat: %w", err)
		}
		if i == 3 || i == 4 {
			idle += v
		} else {
			busy += v
		}
	}
	return busy, idle, nil
}

// SCTPAssoc is one line of /proc/net/sctp/assocs.
type SCTPAssoc struct {
	LocalPort, RemotePort int
	TxQueue, RxQueue      int // bytes queued to send and to be read
	Retransmits           int // RTXC: chunks retransmitted
	RcvBuf                int // the socket's SO_RCVBUF
}

// SCTPAssocs reads the kernel's table of SCTP associations.
func SCTPAssocs() ([]SCTPAssoc, error) {
	b, err := os.ReadFile("/proc/net/sctp/assocs")
	if err != nil {
		return nil, err
	}
	return parseAssocs(string(b)), nil
}

func parseAssocs(text string) []SCTPAssoc {
	lines := strings.Split(text, "\n")
	var out []SCTPAssoc
	for _, line := range lines[1:] {
		f := strings.Fields(line)
		// 13 fixed fields, the local addresses, "<->", the remote
		// addresses, then 11 fixed fields (HBINT ... rcvbuf).
		if len(f) < 13+1+11 {
			continue
		}
		num := func(s string) int { v, _ := strconv.Atoi(s); return v }
		out = append(out, SCTPAssoc{LocalPort: num(f[11]), RemotePort: num(f[12]),
			TxQueue: num(f[7]), RxQueue: num(f[8]), Retransmits: num(f[len(f)-5]), RcvBuf: num(f[len(f)-1])})
	}
	return out
}

// ProcessStat is what /proc/self/stat says of this process's costs.
type ProcessStat struct {
	CPU         uint64 // user and system time, clock ticks
	MinorFaults uint64
}

// SelfStat reads /proc/self/stat.
func SelfStat() (ProcessStat, error) {
	b, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return ProcessStat{}, err
	}
	return parseStat(string(b))
}

func parseStat(s string) (ProcessStat, error) {
	var err error
	// The command name may hold spaces; the fields after it are fixed:
	// state, ppid, pgrp, session, tty, tpgid, flags, minflt, cminflt,
	// majflt, cmajflt, utime, stime.
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return ProcessStat{}, fmt.Errorf("/proc/self/stat: %d fields", len(f))
	}
	var v [3]uint64
	for i, k := range []int{7, 11, 12} {
		if v[i], err = strconv.ParseUint(f[k], 10, 64); err != nil {
			return ProcessStat{}, fmt.Errorf("/proc/self/stat: %w", err)
		}
	}
	return ProcessStat{CPU: v[1] + v[2], MinorFaults: v[0]}, nil
}

// SoftnetDrops is how many received packets the kernel dropped because a
// CPU's input queue was full (net.core.netdev_max_backlog), over all
// CPUs: the second column of /proc/net/softnet_stat. Loopback traffic
// passes that queue.
func SoftnetDrops() (uint64, error) {
	b, err := os.ReadFile("/proc/net/softnet_stat")
	if err != nil {
		return 0, err
	}
	return parseSoftnet(string(b))
}

func parseSoftnet(text string) (uint64, error) {
	var n uint64
	for _, line := range strings.Split(text, "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		v, err := strconv.ParseUint(f[1], 16, 64)
		if err != nil {
			return 0, fmt.Errorf("/proc/net/softnet_stat: %w", err)
		}
		n += v
	}
	return n, nil
}
