// Package wire encodes and decodes ASAP (RFC 5352) and ENRP (RFC 5353)
// messages and their parameters (RFC 5354) exactly as RSPLIB 3.x does.
//
// Encoding emits what RSPLIB's message creator emits, byte for byte, and
// refuses inputs that make RSPLIB processes abort (pool handles longer than 32
// bytes, non-SCTP transports with several addresses, policy types without a
// wire encoding, messages whose length does not fit the 16-bit length field).
// The Append* methods write into a caller-provided buffer so that the hot
// messages encode without allocating.
//
// Decoding reproduces RSPLIB's parser, including its quirks, because the
// registrar must answer a malformed message exactly as RSPLIB's registrar
// would: the same error cause, the same offending parameter echoed back, or
// silence. A failed decode returns a *DecodeError carrying everything needed
// to build that answer (see DecodeError.Reply). Where RSPLIB's parser would
// crash the process or read stale memory, the decoder picks a defined
// behaviour; those places are listed in docs/compatibility.md ("Wire format").
//
// The package does no I/O and knows nothing about the handlespace beyond the
// consistency checks RSPLIB's parser itself applies to a Handle Table
// Response.
package wire
