/*
 * tabdock agent wire protocol: the one definition on the guest side.
 * The host side (src/emulator/protocol.ts) mirrors these numbers; the format is
 * documented in src/emulator/README.md ("Control channel").
 *
 * Every frame: 12-byte header, little endian, then `len` payload bytes.
 *   0  u8  'T'        magic
 *   1  u8  'D'        magic
 *   2  u8  type       FRAME_*
 *   3  u8  flags      DATA: stream (1 stdout, 2 stderr; 0 socket); RES/OPENED: 0 ok, 1 error
 *   4  u32 id         request id (REQ/RES) or stream id (DATA/CREDIT/EXIT)
 *   8  u32 len        payload length, <= MAX_PAYLOAD
 */
#ifndef TABDOCK_PROTO_H
#define TABDOCK_PROTO_H

#define PROTO_VERSION 1
#define HDR_LEN 12
#define MAX_PAYLOAD 65536
/*
 * The bulk port: the virtio-console port the host announced without the console flag (a
 * plain vport: a read takes a whole buffer, a write sends up to 32 KiB in one). Host->guest
 * frames take it once the host has switched (fallback: the console port, hvc1); guest->host
 * frames take it after READY, which goes on hvc1. READY and ping say bulk=2 and out=2
 * (out=1: every guest->host frame on hvc1).
 */
#define BULK_PORT 2
#define CONTROL_PORT_NO 1
/* A write to a plain virtio port sends at most 32 KiB (one buffer): a DATA frame the agent
 * makes carries at most this, so that each is one write. */
#define LINK_WRITE_PAYLOAD (32768 - HDR_LEN)

enum frame_type {
	FRAME_REQ = 1,    /* host->guest: id=request id, payload = NUL-terminated fields */
	FRAME_RES = 2,    /* guest->host: id=request id, flags 0 ok / 1 error, fields */
	FRAME_DATA = 3,   /* both: id=stream. host->guest = stdin (empty = close stdin) */
	FRAME_CREDIT = 4, /* both: id=stream, u32 more bytes the peer may send on it */
	FRAME_EXIT = 5,   /* guest->host: id=stream, i32 status (code, or 128+signal) */
	FRAME_ACK = 6,    /* guest->host: u32 link bytes read since the last ACK */
	FRAME_READY = 7,  /* guest->host: agent started, fields version=, proto= */
	/* socket streams (DATA/CREDIT as above; an empty DATA is a FIN either way) */
	FRAME_OPEN = 8,   /* guest->host: id=new stream (bit 31 set), kind= src= sport= dst= dport= */
	FRAME_OPENED = 9, /* host->guest: id=that stream, flags 0 accepted / 1 refused (errno= message=) */
	FRAME_CLOSE = 10, /* both: id=stream, empty: abort or final release, nothing answers it */
	FRAME_DGRAM = 11, /* both: id 0, u8 nslen, ns, src ip[4], sport be16, dst ip[4], dport be16, data */
};

/* Each side may send this much DATA on a new stream before any CREDIT arrives. */
#define INITIAL_STREAM_CREDIT 65536

#endif
