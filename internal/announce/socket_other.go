//go:build !linux

package announce

import "net"

// receiveOnlyJoinedGroups is Linux-specific; elsewhere the default is
// already to deliver only the groups a socket joined.
func receiveOnlyJoinedGroups(*net.UDPConn, bool) error { return nil }
