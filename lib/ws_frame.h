/* ws_frame.h: WebSocket (RFC 6455) frame encoding and decoding without I/O,
 * for waferctl's interactive console client (ctl_console.c). */
#ifndef WAFER_WS_FRAME_H
#define WAFER_WS_FRAME_H
#include <stddef.h>
#include <stdint.h>

#define WS_OP_CONT 0
#define WS_OP_TEXT 1
#define WS_OP_BINARY 2
#define WS_OP_CLOSE 8
#define WS_OP_PING 9
#define WS_OP_PONG 10

struct ws_frame {
	int op;
	int fin;
	const unsigned char *payload; /* points into the parsed buffer (unmasked) */
	size_t len;
	size_t size;                  /* header + payload bytes consumed */
};

/* Parse one server→client frame (never masked) from b[0..n). Returns 1 with
 * *f filled, 0 if more bytes are needed, -1 for a frame to refuse (masked,
 * reserved bits, unknown opcode, payload over max, fragmented control
 * frame), with the reason in err. */
int ws_frame_parse(const unsigned char *b, size_t n, size_t max, struct ws_frame *f,
		   char *err, size_t errlen);

/* Encode a client→server frame (FIN, masked with mask[4]) into out, which
 * must hold len + 14 bytes. Returns the frame's size. */
size_t ws_frame_build(int op, const void *data, size_t len, const unsigned char mask[4],
		      unsigned char *out);

/* Sec-WebSocket-Accept for a Sec-WebSocket-Key (base64 of SHA-1 of key+GUID). */
int ws_accept_key(const char *key, char out[64]);
#endif
