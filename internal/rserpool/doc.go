// Package rserpool holds the small value types that every part of the
// registrar shares: registrar and pool element identifiers, pool handles,
// transport address blocks, pool policy settings, error causes and address
// scopes.
//
// The types live here, and not in the wire or handlespace packages, so that a
// decoded message can be stored in the handlespace and encoded again without
// conversions, and so that neither of those packages has to import the other.
package rserpool
