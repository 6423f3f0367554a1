package sandboxtest

import (
	"reflect"
	"testing"
)

func TestParseKernelTables(t *testing.T) {
	assocs := " ASSOC     SOCK   STY SST ST HBKT ASSOC-ID TX_QUEUE RX_QUEUE UID INODE LPORT RPORT LADDRS <-> RADDRS HBINT INS OUTS MAXRT T1X T2X RTXC wmema wmemq sndbuf rcvbuf\n" +
		"ffff8881 ffff8882 2   10  3  0       5        0     2080     0 1234  4400 33001  198.18.0.1 <-> *198.18.0.2 \t    1000    10    10   10    0    0       17        1     0   212992   425984\n" +
		"ffff8883 ffff8884 2   10  3  0       6      512        0     0 1235 33001  4400  198.18.0.2 198.18.0.3 <-> *198.18.0.1 \t    1000    10    10   10    0    0        0        1     0   212992   212992\n" +
		"short line\n"
	if got, want := parseAssocs(assocs), []SCTPAssoc{
		{LocalPort: 4400, RemotePort: 33001, RxQueue: 2080, Retransmits: 17, RcvBuf: 425984},
		{LocalPort: 33001, RemotePort: 4400, TxQueue: 512, RcvBuf: 212992},
	}; !reflect.DeepEqual(got, want) {
		t.Errorf("assocs:\n got %+v\nwant %+v", got, want)
	}

	if got := parseCounters("SctpCurrEstab   \t40\nSctpT3RtxExpireds 7\nbroken\n"); got["SctpCurrEstab"] != 40 || got["SctpT3RtxExpireds"] != 7 || len(got) != 2 {
		t.Errorf("counters: %v", got)
	}
	if d := CounterDelta(map[string]int{"SctpT3RtxExpireds": 1}, map[string]int{"SctpT3RtxExpireds": 4, "SctpCurrEstab": 9}); d != "T3RtxExpireds+3" {
		t.Errorf("delta %q", d)
	}

	busy, idle, err := parseCPUTimes("cpu  10 1 5 100 4 2 3 0 7 0\ncpu0 10 1 5 100 4 2 3 0 7 0\n")
	if err != nil || busy != 21 || idle != 104 {
		t.Errorf("cpu: busy %d idle %d, %v; want 21 and 104", busy, idle, err)
	}
	if _, _, err := parseCPUTimes("intr 1 2 3\n"); err == nil {
		t.Error("a /proc/stat without a cpu line was accepted")
	}

	st, err := parseStat("42 (a (b) c) S 1 42 42 0 -1 4194304 97 0 3 0 11 22 0 0 20 0 1 0\n")
	if err != nil || st != (ProcessStat{CPU: 33, MinorFaults: 97}) {
		t.Errorf("stat: %+v, %v", st, err)
	}
	if _, err := parseStat("42 (x) S 1 2\n"); err == nil {
		t.Error("a short stat line was accepted")
	}

	n, err := parseSoftnet("00000023 00000010 00000000\n00004164 0000000a 00000000\n")
	if err != nil || n != 26 {
		t.Errorf("softnet: %d, %v; want 26", n, err)
	}
	if _, err := parseSoftnet("00000023 zz\n"); err == nil {
		t.Error("a broken softnet line was accepted")
	}
}
