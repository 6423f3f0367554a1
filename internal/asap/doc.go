// Package asap holds the registrar-side rules of ASAP that are independent of
// the event loop: how many items a Handle Resolution returns, which addresses
// of a registration are kept, how a DPF distance is rounded, and RSPLIB's
// per-pool-user rate limiting of Handle Resolutions and Endpoint Unreachable
// reports.
//
// The registrar core (internal/registrar) applies these rules when it
// handles ASAP messages; nothing here does I/O or keeps a clock.
package asap
