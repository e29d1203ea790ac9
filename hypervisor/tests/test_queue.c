/* test_queue.c: virtqueue processing against hostile rings in a fake guest
 * memory buffer, plus the guest-physical translation and its bounds. */
#include "wtest.h"
#include "mem.h"
#include "virtio/queue.h"

#include <stdlib.h>
#include <string.h>

#define MEMSZ (1u << 20)
#define DESC 0x1000
#define AVAIL 0x2000
#define USED 0x3000
#define QS 16

static uint8_t *buf;
static struct guest_mem mem;
static struct virtq q;
static struct vq_chain ch;
static char err[160];

static void setup(void)
{
	if (!buf)
		buf = malloc(MEMSZ);
	memset(buf, 0, MEMSZ);
	mem_init_buffer(&mem, buf, MEMSZ);
	vq_reset(&q, 256);
	q.size = QS;
	q.desc_gpa = DESC;
	q.avail_gpa = AVAIL;
	q.used_gpa = USED;
	q.ready = true;
}

static void desc(int i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	uint8_t *d = buf + DESC + 16 * i;
	memcpy(d, &addr, 8); memcpy(d + 8, &len, 4); memcpy(d + 12, &flags, 2); memcpy(d + 14, &next, 2);
}

static void avail(uint16_t slot, uint16_t head, uint16_t idx)
{
	memcpy(buf + AVAIL + 4 + 2 * slot, &head, 2);
	memcpy(buf + AVAIL + 2, &idx, 2);
}

static void t_gpa_bounds(void)
{
	setup();
	WT_CHECK(vmm_gpa_ptr(&mem, 0, 1) == buf);
	WT_CHECK(vmm_gpa_ptr(&mem, MEMSZ - 1, 1) == buf + MEMSZ - 1);
	WT_CHECK(vmm_gpa_ptr(&mem, MEMSZ - 1, 2) == NULL);
	WT_CHECK(vmm_gpa_ptr(&mem, MEMSZ, 1) == NULL);
	WT_CHECK(vmm_gpa_ptr(&mem, UINT64_MAX, 2) == NULL);
	WT_CHECK(vmm_gpa_ptr(&mem, 16, UINT64_MAX) == NULL);
	WT_CHECK(vmm_gpa_ptr(&mem, MEM_HIGH_START, 1) == NULL);
	/* a 4 GiB guest: RAM up to the hole, the rest above 4 GiB */
	struct guest_mem big;
	mem_init_buffer(&big, (void *)0x1000, 4ULL << 30);
	WT_CHECK(vmm_gpa_ptr(&big, MEM_HOLE_START - 1, 1) != NULL);
	WT_CHECK(vmm_gpa_ptr(&big, MEM_HOLE_START - 1, 2) == NULL);
	WT_CHECK(vmm_gpa_ptr(&big, MEM_HOLE_START, 1) == NULL);
	WT_CHECK(vmm_gpa_ptr(&big, 0xfee00000, 4) == NULL);
	WT_CHECK(vmm_gpa_ptr(&big, MEM_HIGH_START, 1) == (uint8_t *)0x1000 + MEM_HOLE_START);
	WT_CHECK(vmm_gpa_ptr(&big, MEM_HIGH_START + (1ULL << 30) - 1, 1) != NULL);
	WT_CHECK(vmm_gpa_ptr(&big, MEM_HIGH_START + (1ULL << 30), 1) == NULL);
}

static void t_good_chain(void)
{
	setup();
	desc(0, 0x8000, 16, 1, 1);         /* readable, next */
	desc(1, 0x9000, 512, 1 | 2, 2);    /* writable */
	desc(2, 0xa000, 1, 2, 0);
	avail(0, 0, 1);
	WT_EQ_INT(vq_pop(&mem, &q, &ch, err, sizeof(err)), 1);
	WT_EQ_INT(ch.n_out, 1);
	WT_EQ_INT(ch.n_in, 2);
	WT_EQ_INT(ch.out_len, 16);
	WT_EQ_INT(ch.in_len, 513);
	WT_CHECK(ch.out[0].iov_base == buf + 0x8000);
	WT_EQ_INT(vq_pop(&mem, &q, &ch, err, sizeof(err)), 0);   /* empty now */
	WT_EQ_INT(vq_push(&mem, &q, 0, 513), 0);
	uint16_t used_idx;
	uint32_t id, len;
	memcpy(&used_idx, buf + USED + 2, 2);
	memcpy(&id, buf + USED + 4, 4);
	memcpy(&len, buf + USED + 8, 4);
	WT_EQ_INT(used_idx, 1);
	WT_EQ_INT(id, 0);
	WT_EQ_INT(len, 513);
}

static void t_loop(void)
{
	setup();
	desc(0, 0x8000, 16, 1, 1);
	desc(1, 0x8000, 16, 1, 0);        /* back to 0 */
	avail(0, 0, 1);
	WT_EQ_INT(vq_pop(&mem, &q, &ch, err, sizeof(err)), -1);
	WT_CHECK(strstr(err, "loop") != NULL);
	setup();
	desc(3, 0x8000, 16, 1, 3);        /* self loop */
	avail(0, 3, 1);
	WT_EQ_INT(vq_pop(&mem, &q, &ch, err, sizeof(err)), -1);
}

static void t_bad_addresses(void)
{
	setup();
	desc(0, MEMSZ - 8, 16, 0, 0);     /* straddles the end of RAM */
	avail(0, 0, 1);
	WT_EQ_INT(vq_pop(&mem, &q, &ch, err, sizeof(err)), -1);
	WT_CHECK(strstr(err, "outside guest memory") != NULL);
	setup();
	desc(0, UINT64_MAX - 4, 16, 0, 0); /* wraps around */
	avail(0, 0, 1);
	WT_EQ_INT(vq_pop(&mem, &q, &ch, err, sizeof(err)), -1);
	setup();
	desc(0, 0x8000, 0xffffffffu, 2, 0); /* 4 GiB buffer */
	avail(0, 0, 1);
	WT_EQ_INT(vq_pop(&mem, &q, &ch, err, sizeof(err)), -1);
}

static void t_bad_indices(void)
{
	setup();
	avail(0, QS, 1);                  /* head out of range */
	WT_EQ_INT(vq_pop(&mem, &q, &ch, err, sizeof(err)), -1);
	WT_CHECK(strstr(err, "head") != NULL);
	setup();
	desc(0, 0x8000, 16, 1, 200);      /* next out of range */
	avail(0, 0, 1);
	WT_EQ_INT(vq_pop(&mem, &q, &ch, err, sizeof(err)), -1);
	setup();
	avail(0, 0, 1000);                /* avail idx jumps past the queue size */
	WT_EQ_INT(vq_pop(&mem, &q, &ch, err, sizeof(err)), -1);
	WT_CHECK(strstr(err, "jumped") != NULL);
}

static void t_order_and_indirect(void)
{
	setup();
	desc(0, 0x8000, 16, 1 | 2, 1);    /* writable then readable: invalid */
	desc(1, 0x9000, 16, 0, 0);
	avail(0, 0, 1);
	WT_EQ_INT(vq_pop(&mem, &q, &ch, err, sizeof(err)), -1);
	setup();
	desc(0, 0x8000, 16, 4, 0);        /* indirect not negotiated */
	avail(0, 0, 1);
	WT_EQ_INT(vq_pop(&mem, &q, &ch, err, sizeof(err)), -1);
	WT_CHECK(strstr(err, "indirect") != NULL);
}

static void t_oversized_chain(void)
{
	setup();
	q.size = 256;
	for (int i = 0; i < 255; i++)
		desc(i, 0x8000, VQ_MAX_CHAIN_BYTES / 200, 1, (uint16_t)(i + 1));
	desc(255, 0x8000, 16, 0, 0);
	avail(0, 0, 1);
	WT_EQ_INT(vq_pop(&mem, &q, &ch, err, sizeof(err)), -1);
	WT_CHECK(strstr(err, "longer than") != NULL);
}

static void t_validate(void)
{
	setup();
	WT_EQ_INT(vq_validate(&mem, &q, err, sizeof(err)), 0);
	q.size = 3;
	WT_EQ_INT(vq_validate(&mem, &q, err, sizeof(err)), -1);
	q.size = 512;
	WT_EQ_INT(vq_validate(&mem, &q, err, sizeof(err)), -1);
	setup();
	q.used_gpa = MEMSZ - 8;
	WT_EQ_INT(vq_validate(&mem, &q, err, sizeof(err)), -1);
	setup();
	q.desc_gpa = DESC + 8;
	WT_EQ_INT(vq_validate(&mem, &q, err, sizeof(err)), -1);
}

static void t_random_rings(void)
{
	/* garbage everywhere: every pop either succeeds within bounds or fails */
	srand(1234);
	for (int round = 0; round < 2000; round++) {
		setup();
		for (int i = DESC; i < USED + 0x200; i++)
			buf[i] = (uint8_t)rand();
		for (int k = 0; k < 4; k++) {
			int r = vq_pop(&mem, &q, &ch, err, sizeof(err));
			if (r <= 0)
				break;
			for (unsigned i = 0; i < ch.n_out; i++)
				WT_CHECK(ch.out[i].iov_len == 0 ||
					 ((uint8_t *)ch.out[i].iov_base >= buf &&
					  (uint8_t *)ch.out[i].iov_base + ch.out[i].iov_len <= buf + MEMSZ));
			vq_push(&mem, &q, ch.head, 0);
		}
	}
}

static void t_iov_copy(void)
{
	char a[4] = "abc", b[8] = "defghij";
	struct iovec iov[2] = { { a, 3 }, { b, 7 } };
	char out[16] = { 0 };
	WT_EQ_INT(iov_copy_from(iov, 2, 2, out, 4), 4);
	WT_EQ_STR(out, "cdef");
	WT_EQ_INT(iov_copy_from(iov, 2, 9, out, 10), 1);
	WT_EQ_INT(iov_copy_to(iov, 2, 3, "XY", 2), 2);
	WT_CHECK(b[0] == 'X' && b[1] == 'Y');
}

WTEST_MAIN("vmm_queue", WT_CASE(t_gpa_bounds), WT_CASE(t_good_chain), WT_CASE(t_loop),
	   WT_CASE(t_bad_addresses), WT_CASE(t_bad_indices), WT_CASE(t_order_and_indirect),
	   WT_CASE(t_oversized_chain), WT_CASE(t_validate), WT_CASE(t_random_rings),
	   WT_CASE(t_iov_copy))
