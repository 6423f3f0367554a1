package csp

import (
	"fmt"

	"github.com/rserpool/rspregistrar/internal/rserpool"
)

// ComponentID is CSP's 64-bit component identifier: the component group in
// the top 8 bits and the object (registrar ID, PE ID, ...) in the low 56.
type ComponentID uint64

// Group is the component group of a ComponentID.
type Group uint8

// Component groups (RSPLIB rserpool-csp.h).
const (
	GroupRegistrar   Group = 0x01
	GroupPoolElement Group = 0x02
	GroupPoolUser    Group = 0x03
)

const objectMask = 1<<56 - 1

// NewComponentID combines a group and an object number; object bits above
// the 56 that fit are dropped, as RSPLIB's CID_COMPOUND does.
func NewComponentID(g Group, object uint64) ComponentID {
	return ComponentID(uint64(g)<<56 | object&objectMask)
}

// RegistrarComponentID is the identifier under which a registrar reports and
// under which other registrars list it as an association partner.
func RegistrarComponentID(id rserpool.RegistrarID) ComponentID {
	return NewComponentID(GroupRegistrar, uint64(id))
}

// Group returns the component group.
func (c ComponentID) Group() Group { return Group(c >> 56) }

// Object returns the 56-bit object part. RSPLIB sends nothing when it is 0.
func (c ComponentID) Object() uint64 { return uint64(c) & objectMask }

// String formats the identifier as cspmonitor labels it, e.g. "PR $11111111".
func (c ComponentID) String() string {
	switch c.Group() {
	case GroupRegistrar:
		return fmt.Sprintf("PR $%08x", c.Object())
	case GroupPoolElement:
		return fmt.Sprintf("PE $%08x", c.Object())
	case GroupPoolUser:
		return fmt.Sprintf("PU $%014x", c.Object())
	}
	return fmt.Sprintf("ID $%14x", c.Object())
}
