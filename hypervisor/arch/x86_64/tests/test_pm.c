/* test_pm.c: the ACPI PM block's saved state: PM1 registers and a raised
 * SCI come back in a new block, and the PM timer carries on from the saved
 * count instead of starting again at zero. */
#include "pm.h"
#include "state.h"
#include "wtest.h"

#include <string.h>
#include <time.h>

static int sci;
static void ev(void *o, enum pm_event e) { (void)o; (void)e; }
static void set_sci(void *o, int l) { (void)o; sci = l; }

static uint32_t rd(struct pm *p, unsigned off, unsigned len)
{
	uint8_t b[4] = { 0 };
	pm_acpi_io(p, off, b, len, 0);
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static void t_saved_state(void)
{
	static struct pm a, b;
	pm_init(&a, ev, set_sci, NULL);
	uint8_t en[2] = { 0x00, 0x01 };                 /* PM1_EN: power button */
	pm_acpi_io(&a, 2, en, 2, 1);
	pm_power_button(&a);
	WT_EQ_INT(sci, 1);
	struct timespec ts = { 0, 50 * 1000 * 1000 };
	nanosleep(&ts, NULL);                             /* the timer counts 50 ms */
	uint32_t ticks = rd(&a, 8, 4);
	WT_CHECK(ticks >= 3579545 / 20);
	struct state_machine m = { "x86_64", 1, 1, "" }, mm;
	struct state_w w;
	state_w_init(&w, &m);
	pm_save(&a, &w);
	WT_EQ_INT(state_w_finish(&w), 0);

	sci = 0;
	pm_init(&b, ev, set_sci, NULL);
	WT_CHECK(rd(&b, 8, 4) < ticks);                   /* a new block starts at zero */
	struct state_r r;
	WT_EQ_INT(state_r_open(&r, w.buf, w.len, &mm), 0);
	WT_EQ_INT(pm_load(&b, &r), 0);
	WT_EQ_INT(rd(&b, 0, 2), rd(&a, 0, 2));           /* status: the button */
	WT_EQ_INT(rd(&b, 2, 2), 0x0100);
	WT_EQ_INT(rd(&b, 4, 2), rd(&a, 4, 2));
	WT_EQ_INT(sci, 1);                                /* the SCI is raised again */
	WT_CHECK(rd(&b, 8, 4) >= ticks);                  /* and the timer carries on */
	state_w_free(&w);

	/* a damaged section is refused, the block left as it was */
	state_w_init(&w, &m);
	state_w_finish(&w);
	WT_EQ_INT(state_r_open(&r, w.buf, w.len, &mm), 0);
	WT_EQ_INT(pm_load(&b, &r), -1);
	WT_CHECK(strstr(r.err, "acpi-pm") != NULL);
	WT_EQ_INT(rd(&b, 2, 2), 0x0100);
	state_w_free(&w);
}

WTEST_MAIN("vmm_pm", WT_CASE(t_saved_state))
