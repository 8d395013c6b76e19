// Package e1 frames and deframes E1 (ITU-T G.704/G.706) and T1 (SF/D4 and
// ESF) spans.
//
// The deframers take the raw serial bitstream of a span as bytes, bit 1 of
// each octet first (the most significant bit), starting anywhere: at any byte
// and any bit offset, not necessarily on a frame boundary. They hunt for
// frame alignment at every bit position, keep it with the G.706 (E1) or
// T1.403 (T1) state machines, check CRC-4 / CRC-6, extract CAS and robbed-bit
// signalling, watch for alarms, and hand every aligned frame's timeslot
// octets to a FrameHandler together with its frame number, the span's TDM
// clock.
//
// The framers produce such a bitstream from timeslot octets. They exist for
// the switch simulator and for tests, and have error injection hooks (bad
// FAS, bad CRC, far-end error E-bits, RAI, AIS, LOS, yellow, signalling).
//
// Neither framers nor deframers are safe for concurrent use; use one per span.
package e1
