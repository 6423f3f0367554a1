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
	out := map[string]int{}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) == 2 {
			out[f[0]], _ = strconv.Atoi(f[1])
		}
	}
	return out, nil
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
	line, _, _ := strings.Cut(string(b), "\n")
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
