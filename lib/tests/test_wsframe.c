/* test_wsframe.c: WebSocket frames: the RFC 6455 examples, lengths at the
 * 7/16/64-bit boundaries, partial input, and hostile server frames (masked,
 * reserved bits, unknown opcodes, oversized or fragmented control frames,
 * huge declared lengths); the handshake accept key of RFC 6455 section 1.3. */
#include "ws_frame.h"
#include "wtest.h"

#include <stdlib.h>
#include <string.h>

static char err[128];

static void t_rfc_examples(void)
{
	/* RFC 6455 5.7: unmasked text "Hello", and a ping "Hello" */
	static const unsigned char hello[] = { 0x81, 0x05, 'H', 'e', 'l', 'l', 'o' };
	static const unsigned char ping[] = { 0x89, 0x05, 'H', 'e', 'l', 'l', 'o' };
	static const unsigned char frag[] = { 0x01, 0x03, 'H', 'e', 'l', 0x80, 0x02, 'l', 'o' };
	struct ws_frame f;
	WT_EQ_INT(ws_frame_parse(hello, sizeof hello, 1024, &f, err, sizeof err), 1);
	WT_EQ_INT(f.op, WS_OP_TEXT);
	WT_EQ_INT(f.len, 5);
	WT_EQ_INT(f.size, 7);
	WT_CHECK(f.fin && memcmp(f.payload, "Hello", 5) == 0);
	WT_EQ_INT(ws_frame_parse(ping, sizeof ping, 1024, &f, err, sizeof err), 1);
	WT_EQ_INT(f.op, WS_OP_PING);
	WT_EQ_INT(ws_frame_parse(frag, sizeof frag, 1024, &f, err, sizeof err), 1);
	WT_CHECK(!f.fin);
	WT_EQ_INT(f.size, 5);
	WT_EQ_INT(ws_frame_parse(frag + 5, 4, 1024, &f, err, sizeof err), 1);
	WT_EQ_INT(f.op, WS_OP_CONT);
	WT_CHECK(f.fin && f.len == 2);
	/* 5.7: the masked "Hello" a client sends, with mask 37 fa 21 3d */
	static const unsigned char mask[4] = { 0x37, 0xfa, 0x21, 0x3d };
	static const unsigned char want[] = { 0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58 };
	unsigned char out[32];
	WT_EQ_INT(ws_frame_build(WS_OP_TEXT, "Hello", 5, mask, out), sizeof want);
	WT_CHECK(memcmp(out, want, sizeof want) == 0);
}

static void t_accept_key(void)
{
	char a[64];
	WT_EQ_INT(ws_accept_key("dGhlIHNhbXBsZSBub25jZQ==", a), 0);
	WT_EQ_STR(a, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
	char longkey[100];
	memset(longkey, 'A', sizeof longkey - 1);
	longkey[sizeof longkey - 1] = '\0';
	WT_EQ_INT(ws_accept_key(longkey, a), -1);
}

/* Build a client frame of each boundary length; unmask it by parsing the
 * same bytes as a server frame after clearing the mask bit and key. */
static void t_lengths(void)
{
	static const size_t lens[] = { 0, 1, 125, 126, 127, 65535, 65536, 70000 };
	unsigned char *data = malloc(70000), *out = malloc(70000 + 14), *srv = malloc(70000 + 14);
	static const unsigned char zero[4] = { 0, 0, 0, 0 };
	WT_CHECK(data && out && srv);
	for (size_t i = 0; i < 70000; i++)
		data[i] = (unsigned char)(i * 7);
	for (size_t k = 0; k < sizeof lens / sizeof lens[0]; k++) {
		size_t n = ws_frame_build(WS_OP_BINARY, data, lens[k], zero, out);
		size_t hl = lens[k] < 126 ? 2 : lens[k] <= 65535 ? 4 : 10;
		WT_EQ_INT(n, hl + 4 + lens[k]);
		/* as a server frame: no mask bit, no key */
		memcpy(srv, out, hl);
		srv[1] &= 0x7f;
		memcpy(srv + hl, out + hl + 4, lens[k]);
		struct ws_frame f;
		WT_EQ_INT(ws_frame_parse(srv, hl + lens[k], 1 << 20, &f, err, sizeof err), 1);
		WT_EQ_INT(f.len, lens[k]);
		WT_CHECK(lens[k] == 0 || memcmp(f.payload, data, lens[k]) == 0);
		/* every shorter prefix asks for more bytes */
		int more = 1;
		for (size_t cut = 0; cut < hl + lens[k] && cut < 300; cut++)
			more &= ws_frame_parse(srv, cut, 1 << 20, &f, err, sizeof err) == 0;
		WT_CHECK(more);
	}
	free(data);
	free(out);
	free(srv);
}

static void t_hostile(void)
{
	static const struct { unsigned char b[12]; size_t n; const char *why; } bad[] = {
		{ { 0x82, 0x83, 1, 2, 3, 4, 'a', 'b', 'c' }, 9, "masked" },
		{ { 0xc2, 0x01, 'x' }, 3, "reserved" },
		{ { 0x92, 0x01, 'x' }, 3, "reserved" },
		{ { 0x83, 0x00 }, 2, "opcode" },
		{ { 0x8b, 0x00 }, 2, "opcode" },
		{ { 0x8f, 0x00 }, 2, "opcode" },
		{ { 0x89, 0x7e, 0x00, 0x7e }, 4, "control" },       /* 126-byte ping */
		{ { 0x08, 0x00 }, 2, "control" },                   /* fragmented close */
		{ { 0x82, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff }, 10, "too large" },
		{ { 0x82, 0x7f, 0, 0, 0, 1, 0, 0, 0, 0 }, 10, "too large" },
		{ { 0x82, 0x7e, 0x10, 0x01 }, 4, "too large" },     /* 4097 > max 4096 */
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct ws_frame f;
		err[0] = '\0';
		WT_EQ_INT(ws_frame_parse(bad[i].b, bad[i].n, 4096, &f, err, sizeof err), -1);
		WT_CHECK(strstr(err, bad[i].why) != NULL);
	}
	/* random bytes never crash and never claim more than they have */
	srand(5);
	unsigned char buf[64];
	for (int k = 0; k < 100000; k++) {
		size_t n = (size_t)(rand() % 64);
		for (size_t i = 0; i < n; i++)
			buf[i] = (unsigned char)rand();
		struct ws_frame f;
		if (ws_frame_parse(buf, n, 4096, &f, err, sizeof err) == 1)
			WT_CHECK(f.size <= n && f.payload + f.len <= buf + n);
	}
}

WTEST_MAIN("agent_wsframe", WT_CASE(t_rfc_examples), WT_CASE(t_accept_key), WT_CASE(t_lengths), WT_CASE(t_hostile))
