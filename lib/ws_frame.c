/* ws_frame.c: WebSocket frame encoding/decoding (RFC 6455 section 5) and the
 * handshake's accept key, with no I/O so that hostile frames can be tested. */
#include "ws_frame.h"

#include <mbedtls/base64.h>
#include <mbedtls/sha1.h>
#include <stdio.h>
#include <string.h>

static int refuse(char *err, size_t errlen, const char *why)
{
	snprintf(err, errlen, "%s", why);
	return -1;
}

int ws_frame_parse(const unsigned char *b, size_t n, size_t max, struct ws_frame *f,
		   char *err, size_t errlen)
{
	size_t hl = 2;
	uint64_t len;
	if (n < 2)
		return 0;
	int op = b[0] & 0x0f;
	if (b[0] & 0x70)
		return refuse(err, errlen, "reserved bits set in a frame");
	if (b[1] & 0x80)
		return refuse(err, errlen, "the server sent a masked frame");
	if ((op > WS_OP_BINARY && op < WS_OP_CLOSE) || op > WS_OP_PONG)
		return refuse(err, errlen, "unknown frame opcode");
	len = b[1] & 0x7f;
	if (len == 126) {
		if (n < 4)
			return 0;
		len = (uint64_t)b[2] << 8 | b[3];
		hl = 4;
	} else if (len == 127) {
		if (n < 10)
			return 0;
		len = 0;
		for (int i = 0; i < 8; i++)
			len = len << 8 | b[2 + i];
		hl = 10;
	}
	if (op >= WS_OP_CLOSE && (len > 125 || !(b[0] & 0x80)))
		return refuse(err, errlen, "control frame too long or fragmented");
	if (len > max)
		return refuse(err, errlen, "frame payload too large");
	if (n - hl < len)
		return 0;
	f->op = op;
	f->fin = (b[0] & 0x80) != 0;
	f->payload = b + hl;
	f->len = (size_t)len;
	f->size = hl + (size_t)len;
	return 1;
}

size_t ws_frame_build(int op, const void *data, size_t len, const unsigned char mask[4],
		      unsigned char *out)
{
	size_t hl = 2;
	out[0] = (unsigned char)(0x80 | (op & 0x0f));
	if (len < 126) {
		out[1] = (unsigned char)(0x80 | len);
	} else if (len <= 0xffff) {
		out[1] = 0x80 | 126;
		out[2] = (unsigned char)(len >> 8);
		out[3] = (unsigned char)len;
		hl = 4;
	} else {
		out[1] = 0x80 | 127;
		for (int i = 0; i < 8; i++)
			out[2 + i] = (unsigned char)((uint64_t)len >> (56 - 8 * i));
		hl = 10;
	}
	memcpy(out + hl, mask, 4);
	for (size_t i = 0; i < len; i++)
		out[hl + 4 + i] = ((const unsigned char *)data)[i] ^ mask[i & 3];
	return hl + 4 + len;
}

int ws_accept_key(const char *key, char out[64])
{
	static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
	char cat[128];
	unsigned char h[20];
	size_t olen;
	if (strlen(key) > 60)
		return -1;
	int n = snprintf(cat, sizeof cat, "%s%s", key, guid);
	if (mbedtls_sha1((unsigned char *)cat, (size_t)n, h))
		return -1;
	return mbedtls_base64_encode((unsigned char *)out, 64, &olen, h, 20) ? -1 : 0;
}
