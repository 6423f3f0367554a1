package wire

import "github.com/rserpool/rspregistrar/internal/rserpool"

// The Pool Member Selection Policy parameter carries the policy type and
// then a fixed list of 32-bit values that depends on the type. This file
// is the one place that says which values, in which order (RFC 5356 for
// the standard types, RSPLIB's encoding for its own); the encoder, the
// decoder and the length computation all read it.

// policyField is one 32-bit value of a policy parameter.
type policyField uint8

const (
	fieldWeight policyField = iota
	fieldLoad
	fieldLoadDegradation
	fieldLoadDPF
	fieldWeightDPF
	fieldDistance
)

// in returns the settings' value that f names.
func (f policyField) in(p *rserpool.PolicySettings) *uint32 {
	switch f {
	case fieldWeight:
		return &p.Weight
	case fieldLoad:
		return &p.Load
	case fieldLoadDegradation:
		return &p.LoadDegradation
	case fieldLoadDPF:
		return &p.LoadDPF
	case fieldWeightDPF:
		return &p.WeightDPF
	default:
		return &p.Distance
	}
}

var (
	layoutNone     = []policyField{}
	layoutWeight   = []policyField{fieldWeight}
	layoutLoad     = []policyField{fieldLoad}
	layoutLoadDeg  = []policyField{fieldLoad, fieldLoadDegradation}
	layoutWRandDPF = []policyField{fieldWeight, fieldWeightDPF, fieldDistance}
	layoutLUDPF    = []policyField{fieldLoad, fieldLoadDPF, fieldDistance}
	layoutLUDDPF   = []policyField{fieldLoad, fieldLoadDegradation, fieldLoadDPF, fieldDistance}
)

// policyLayout returns the values that follow the type of a policy
// parameter of type t, in wire order; ok is false for types without a wire
// encoding (the PLU-DPF variants, unknown types). Priority policies keep
// the priority in Weight, as RSPLIB does.
func policyLayout(t rserpool.PolicyType) (fields []policyField, ok bool) {
	switch t {
	case rserpool.PolicyRoundRobin, rserpool.PolicyRandom:
		return layoutNone, true
	case rserpool.PolicyWeightedRoundRobin, rserpool.PolicyWeightedRandom, rserpool.PolicyPriority:
		return layoutWeight, true
	case rserpool.PolicyLeastUsed, rserpool.PolicyRandomizedLeastUsed:
		return layoutLoad, true
	case rserpool.PolicyLeastUsedDegradation, rserpool.PolicyPriorityLeastUsed,
		rserpool.PolicyRandomizedPriorityLeastUsed, rserpool.PolicyRandomizedLeastUsedDegradation,
		rserpool.PolicyPriorityLeastUsedDegradation, rserpool.PolicyRandomizedPriorityLeastUsedDegradation:
		return layoutLoadDeg, true
	case rserpool.PolicyWeightedRandomDPF:
		return layoutWRandDPF, true
	case rserpool.PolicyLeastUsedDPF:
		return layoutLUDPF, true
	case rserpool.PolicyLeastUsedDegradationDPF:
		return layoutLUDDPF, true
	}
	return nil, false
}

// policyWords is the number of 32-bit values after the policy type, or -1
// for types without a wire encoding.
func policyWords(t rserpool.PolicyType) int {
	fields, ok := policyLayout(t)
	if !ok {
		return -1
	}
	return len(fields)
}
