package config

import (
	"fmt"
	"strings"
	"time"

	"github.com/rserpool/rspregistrar/internal/rserpool"
)

// Facts are the start-up results the banner shows besides the
// configuration; the daemon fills them in after binding its sockets.
type Facts struct {
	ServerID rserpool.RegistrarID
	// ASAP and ENRP are the local SCTP endpoints as RSPLIB prints them: the
	// configured addresses (the wildcard for "auto") with the port actually
	// bound.
	ASAP, ENRP rserpool.Transport
	// StatsFileOpen tells whether -statsfile could be opened; RSPLIB prints
	// its line only then. (RSPLIB's "Action Log File" line never appears:
	// -actionlogfile is rejected.)
	StatsFileOpen bool
}

// Banner is the text RSPLIB prints on standard output before it enters its
// main loop, character for character (including its "Cylce" spelling). It
// ends with an empty line. The caller skips it with -quiet.
func Banner(c *Config, f Facts) string {
	var b strings.Builder
	line := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	ms := func(d time.Duration) int64 { return int64(d / time.Millisecond) }

	line("The rsplib Registrar - Version 1.00")
	line("===================================")
	line("")
	line("Server ID:              %s", f.ServerID)
	line("ASAP Address:           %s", f.ASAP)
	line("ENRP Address:           %s", f.ENRP)
	line("ASAP Announce Address:  %s", announceText(c.ASAPAnnounce))
	line("ENRP Announce Address:  %s", announceText(c.ENRPAnnounce))
	line("ASAP/ENRP Announce TTL: %d", c.AnnounceTTL)
	if c.CSP.Interval > 0 {
		line("CSP Report Address:     %s", c.CSP.Server)
		line("CSP Report Interval:    %dms", ms(c.CSP.Interval))
	}
	line("Auto-Close Timeout:     %ds", int64(c.AutoCloseTimeout/time.Second))
	line("Min Address Scope:      %s", scopeName(c.Core.MinAddressScope))
	if f.StatsFileOpen {
		// RSPLIB prints the interval as unsigned, so "not given" (-1)
		// shows as 4294967295.
		line("Statistics Interval:    %dms", uint32(c.Stats.Interval))
	}
	if c.Stats.ScalarFile != "" {
		line("Scalar File:            %s", c.Stats.ScalarFile)
		line("Object ID:              %s", c.Stats.ObjectName)
	}
	daemon := "off"
	if c.DaemonPIDFile != "" {
		daemon = c.DaemonPIDFile
	}
	line("Daemon Mode:            %s", daemon)
	line("")
	line("ASAP Parameters:")
	line("   Distance Step:                               %dms", c.Core.DistanceStep)
	line("   Max Bad PE Reports:                          %d", c.Core.MaxBadPEReports)
	line("   Server Announce Cycle:                       %dms", ms(c.Core.ServerAnnounceCycle))
	line("   Endpoint Monitoring SCTP Heartbeat Interval: %dms", ms(c.EndpointMonitoringHeartbeatInterval))
	line("   Endpoint Keep Alive Transmission Interval:   %dms", ms(c.Core.KeepAliveTransmissionInterval))
	line("   Endpoint Keep Alive Timeout Interval:        %dms", ms(c.Core.KeepAliveTimeoutInterval))
	line("   Max Increment:                               %d", c.Core.MaxIncrement)
	line("   Max Handle Resolution Items (MaxHResItems):  %d", c.Core.MaxHResItems)
	line("ENRP Parameters:")
	line("   Peer Heartbeat Cylce:                        %dms", ms(c.Core.PeerHeartbeatCycle))
	line("   Peer Max Time Last Heard:                    %dms", ms(c.Core.PeerMaxTimeLastHeard))
	line("   Peer Max Time No Response:                   %dms", ms(c.Core.PeerMaxTimeNoResponse))
	line("   Max Elements per Handle Table Request:       %d", c.Core.MaxElementsPerHTRequest)
	line("   Mentor Hunt Timeout:                         %dms", ms(c.Core.MentorDiscoveryTimeout))
	line("   Takeover Expiry Interval:                    %dms", ms(c.Core.TakeoverExpiryInterval))
	line("   Support for Takeover Suggestion:             %s", onOff(c.Core.SupportTakeoverSuggestion))
	line("Security Parameters:")
	line("   Max Handle Resolution Rate:                  %s", rateText(c.Core.MaxHRRate))
	line("   Max Endpoint Unreachable Rate:               %s", rateText(c.Core.MaxEURate))
	line("")
	return b.String()
}

// Farewell is what RSPLIB prints on standard output when it ends normally:
// an empty line and "Terminated!", nothing with -quiet.
func Farewell(c *Config) string {
	if c.Quiet {
		return ""
	}
	return "\nTerminated!\n"
}

func announceText(a Announce) string {
	if !a.Enabled {
		return "(none)"
	}
	return a.Transport().String()
}

func rateText(r float64) string {
	if r > 0 {
		return fmt.Sprintf("%1.2f requests/s", r)
	}
	return "unlimited"
}
