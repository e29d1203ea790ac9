/* state.h: the VMM's saved-state stream (docs/vmm.md, "Saved state").
 *
 * A stream is a header naming the machine it was saved from, then
 * self-describing sections, then a checksum:
 *
 *   "WAFERVMS" (8)  format u32  header: machine section
 *   section: "SECT" u32, name (u8 length + bytes), instance u32, version u32,
 *            payload length u32, payload
 *   payload: fields, each: type u8, name (u8 length + bytes), length u32, value
 *   trailer: "SEND" u32, CRC-32 of everything before it u32
 *
 * All integers little-endian. What a section holds is described once, by a
 * table of fields (struct state_desc) that drives both save and load, so
 * they cannot drift: values are read from and written to the device's own
 * members one by one, never a raw copy of a struct. A loader accepts a
 * section version from min_version up to its own version; anything else,
 * another machine, a missing, unknown, repeated or wrongly sized field, a
 * truncated or damaged stream is refused with a message saying what and
 * where, and nothing is changed in the object being loaded. */
#ifndef VMM_STATE_H
#define VMM_STATE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STATE_FORMAT 1
#define STATE_NAME_MAX 48        /* section and field names */
#define STATE_DEVICES_MAX 1024   /* the machine's device list, as text */

enum state_type {
	ST_U8 = 1,
	ST_U16,
	ST_U32,
	ST_U64,
	ST_BOOL,
	ST_BYTES,   /* a fixed-size byte array member */
	ST_STR,     /* a char array member: up to size-1 bytes, no NUL inside */
};

struct state_field {
	const char *name;
	enum state_type type;
	size_t offset, size;     /* of the member in the object */
	uint32_t since;          /* the section version that added it (0: always there);
				  * loading an older section leaves the member as it was */
};

/* One field per member: STATE_FIELD(struct vq_state, ST_U16, size). */
#define STATE_FIELD(T, type, member) { #member, type, offsetof(T, member), sizeof(((T *)0)->member), 0 }
#define STATE_FIELD_SINCE(T, type, member, v) \
	{ #member, type, offsetof(T, member), sizeof(((T *)0)->member), v }

struct state_desc {
	const char *name;        /* section name: "virtio-blk", "vcpu", ... */
	uint32_t version;        /* what save writes */
	uint32_t min_version;    /* the oldest this loader still reads */
	const struct state_field *fields;
	size_t nfields;
};

/* The machine a stream belongs to; a stream loads only into the same one. */
struct state_machine {
	char arch[16];
	uint32_t vcpus;
	uint64_t memory_mib;
	char devices[STATE_DEVICES_MAX];   /* "virtio-blk:disk0,virtio-net:net0,..." */
};
extern const struct state_desc state_machine_desc;

/* Little-endian integers of width bytes (1..8), the one encoding of every
 * number in saved state. */
static inline void state_put_le(uint8_t *p, uint64_t v, unsigned width)
{
	for (unsigned i = 0; i < width; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint64_t state_get_le(const uint8_t *p, unsigned width)
{
	uint64_t v = 0;
	for (unsigned i = width; i-- > 0;)
		v = v << 8 | p[i];
	return v;
}

/* Writer: the stream grows in memory (device and vCPU state are small). */
struct state_w {
	uint8_t *buf;
	size_t len, cap;
	bool oom;
};
void state_w_init(struct state_w *w, const struct state_machine *m);
/* One section from obj, as d describes it. */
void state_w_section(struct state_w *w, const struct state_desc *d, uint32_t instance, const void *obj);
/* Append the trailer; the stream is w->buf, w->len. -1 when out of memory. */
int state_w_finish(struct state_w *w);
void state_w_free(struct state_w *w);

/* Reader over a whole stream in memory. */
struct state_r {
	const uint8_t *p;
	size_t len, pos;     /* pos: the next section */
	char err[200];
};
/* Check magic, format, trailer and checksum, then read the machine. 0, or
 * -1 with r->err. */
int state_r_open(struct state_r *r, const void *data, size_t len, struct state_machine *m);
/* -1 with r->err unless saved and current are the same machine. */
int state_r_machine_check(struct state_r *r, const struct state_machine *saved,
			  const struct state_machine *current);
/* The next section must be d's, instance `instance`: load it into obj
 * (untouched on error). 0, or -1 with r->err. */
int state_r_section(struct state_r *r, const struct state_desc *d, uint32_t instance, void *obj);
/* Name of the next section (for loops over optional sections); false at the end. */
bool state_r_peek(const struct state_r *r, char name[STATE_NAME_MAX + 1]);
/* Every section consumed? 0, or -1 with r->err. */
int state_r_close(struct state_r *r);
#endif
