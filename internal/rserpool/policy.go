package rserpool

import "fmt"

// PolicyType is a pool member selection policy code (RFC 5356 and RSPLIB's
// private range).
type PolicyType uint32

// Policy type codes as on the wire.
const (
	PolicyRoundRobin                             PolicyType = 0x00000001
	PolicyWeightedRoundRobin                     PolicyType = 0x00000002
	PolicyRandom                                 PolicyType = 0x00000003
	PolicyWeightedRandom                         PolicyType = 0x00000004
	PolicyPriority                               PolicyType = 0x00000005
	PolicyLeastUsed                              PolicyType = 0x40000001
	PolicyLeastUsedDegradation                   PolicyType = 0x40000002
	PolicyPriorityLeastUsed                      PolicyType = 0x40000003
	PolicyRandomizedLeastUsed                    PolicyType = 0x40000004
	PolicyRandomizedPriorityLeastUsed            PolicyType = 0xB0001001
	PolicyRandomizedLeastUsedDegradation         PolicyType = 0xB0001002
	PolicyPriorityLeastUsedDegradation           PolicyType = 0xB0001003
	PolicyRandomizedPriorityLeastUsedDegradation PolicyType = 0xB0001004
	PolicyWeightedRandomDPF                      PolicyType = 0xB0002001
	PolicyLeastUsedDPF                           PolicyType = 0xB0002002
	PolicyLeastUsedDegradationDPF                PolicyType = 0xB0002003
	PolicyPriorityLeastUsedDPF                   PolicyType = 0xB0002004
	PolicyPriorityLeastUsedDegradationDPF        PolicyType = 0xB0002005
)

// PolicyValueMax is the value that stands for 100 % in load-style fields.
const PolicyValueMax = 0xFFFFFFFF

var policyNames = map[PolicyType]string{
	PolicyRoundRobin:                             "RoundRobin",
	PolicyWeightedRoundRobin:                     "WeightedRoundRobin",
	PolicyRandom:                                 "Random",
	PolicyWeightedRandom:                         "WeightedRandom",
	PolicyPriority:                               "Priority",
	PolicyLeastUsed:                              "LeastUsed",
	PolicyLeastUsedDegradation:                   "LeastUsedDegradation",
	PolicyPriorityLeastUsed:                      "PriorityLeastUsed",
	PolicyRandomizedLeastUsed:                    "RandomizedLeastUsed",
	PolicyRandomizedPriorityLeastUsed:            "RandomizedPriorityLeastUsed",
	PolicyRandomizedLeastUsedDegradation:         "RandomizedLeastUsedDegradation",
	PolicyPriorityLeastUsedDegradation:           "PriorityLeastUsedDegradation",
	PolicyRandomizedPriorityLeastUsedDegradation: "RandomizedPriorityLeastUsedDegradation",
	PolicyWeightedRandomDPF:                      "WeightedRandomDPF",
	PolicyLeastUsedDPF:                           "LeastUsedDPF",
	PolicyLeastUsedDegradationDPF:                "LeastUsedDegradationDPF",
	PolicyPriorityLeastUsedDPF:                   "PriorityLeastUsedDPF",
	PolicyPriorityLeastUsedDegradationDPF:        "PriorityLeastUsedDegradationDPF",
}

// String returns RSPLIB's name of the policy.
func (t PolicyType) String() string {
	if n, ok := policyNames[t]; ok {
		return n
	}
	return fmt.Sprintf("Policy$%08x", uint32(t))
}

// Known reports whether the handlespace knows the policy type.
func (t PolicyType) Known() bool { _, ok := policyNames[t]; return ok }

// PolicyTypes lists every known policy type in code order.
func PolicyTypes() []PolicyType {
	return []PolicyType{
		PolicyRoundRobin, PolicyWeightedRoundRobin, PolicyRandom, PolicyWeightedRandom, PolicyPriority,
		PolicyLeastUsed, PolicyLeastUsedDegradation, PolicyPriorityLeastUsed, PolicyRandomizedLeastUsed,
		PolicyRandomizedPriorityLeastUsed, PolicyRandomizedLeastUsedDegradation,
		PolicyPriorityLeastUsedDegradation, PolicyRandomizedPriorityLeastUsedDegradation,
		PolicyWeightedRandomDPF, PolicyLeastUsedDPF, PolicyLeastUsedDegradationDPF,
		PolicyPriorityLeastUsedDPF, PolicyPriorityLeastUsedDegradationDPF,
	}
}

// PolicyByName looks a policy up by RSPLIB's name (exact match).
func PolicyByName(name string) (PolicyType, bool) {
	for t, n := range policyNames {
		if n == name {
			return t, true
		}
	}
	return 0, false
}

// PolicySettings are a PE's policy parameters (RSPLIB's PoolPolicySettings).
// Priority is kept in Weight, as RSPLIB does. Load-style values are fractions
// of PolicyValueMax; Distance is in milliseconds.
type PolicySettings struct {
	Type            PolicyType
	Weight          uint32
	Load            uint32
	LoadDegradation uint32
	LoadDPF         uint32
	WeightDPF       uint32
	Distance        uint32
}
