/* pm.c: ACPI fixed hardware (PM1a status/enable/control, PM timer), the
 * power button, S5 poweroff, reset via 0xcf9 and the i8042 reset line, the
 * boot-timer port, and ports Linux probes that we answer with "absent". */
#include "pm.h"
#include "state.h"
#include "acpi.h"

#include <string.h>
#include <time.h>

#define PM1_PWRBTN 0x0100
#define PM1_SCI_EN 0x0001
#define PM1_SLP_EN 0x2000

void pm_init(struct pm *p, void (*event)(void *, enum pm_event),
	     void (*set_sci)(void *, int), void *opaque)
{
	memset(p, 0, sizeof(*p));
	pthread_mutex_init(&p->lock, NULL);
	p->event = event;
	p->set_sci = set_sci;
	p->opaque = opaque;
	p->pm1_cnt = PM1_SCI_EN;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	p->tmr_base_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void pm_update_sci(struct pm *p)
{
	int level = (p->pm1_sts & p->pm1_en & PM1_PWRBTN) != 0;
	if (level != p->sci_level) {
		p->sci_level = level;
		p->set_sci(p->opaque, level);
	}
}

void pm_power_button(struct pm *p)
{
	pthread_mutex_lock(&p->lock);
	p->pm1_sts |= PM1_PWRBTN;
	pm_update_sci(p);
	pthread_mutex_unlock(&p->lock);
}

static uint32_t pm_timer(struct pm *p)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	uint64_t ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec - p->tmr_base_ns;
	return (uint32_t)((unsigned __int128)ns * 3579545 / 1000000000ull);
}

static void pm_write_byte(struct pm *p, unsigned r, uint8_t b)
{
	unsigned sh = 8 * (r & 1);
	if (r < 2)
		p->pm1_sts &= (uint16_t)~(b << sh);          /* write-1-to-clear */
	else if (r < 4)
		p->pm1_en = (uint16_t)((p->pm1_en & ~(0xff << sh)) | b << sh);
	else if (r < 6)
		p->pm1_cnt = (uint16_t)((p->pm1_cnt & ~(0xff << sh)) | b << sh);
}

void pm_acpi_io(void *opaque, uint64_t off, uint8_t *data, unsigned len, int is_write)
{
	struct pm *p = opaque;
	int poweroff = 0;
	pthread_mutex_lock(&p->lock);
	if (!is_write) {
		uint8_t regs[12];
		uint32_t t = pm_timer(p);
		memset(regs, 0, sizeof(regs));
		regs[0] = (uint8_t)p->pm1_sts; regs[1] = (uint8_t)(p->pm1_sts >> 8);
		regs[2] = (uint8_t)p->pm1_en;  regs[3] = (uint8_t)(p->pm1_en >> 8);
		regs[4] = (uint8_t)p->pm1_cnt; regs[5] = (uint8_t)(p->pm1_cnt >> 8);
		memcpy(regs + 8, &t, 4);
		memcpy(data, regs + off, len);
	} else {
		for (unsigned i = 0; i < len; i++)
			pm_write_byte(p, (unsigned)off + i, data[i]);
		if ((p->pm1_cnt & PM1_SLP_EN) && ((p->pm1_cnt >> 10) & 7) == ACPI_S5_TYP)
			poweroff = 1;
		p->pm1_cnt = (uint16_t)((p->pm1_cnt & ~PM1_SLP_EN) | PM1_SCI_EN);
		pm_update_sci(p);
	}
	pthread_mutex_unlock(&p->lock);
	if (poweroff)
		p->event(p->opaque, PM_EV_POWEROFF);
}

void pm_reset(void *opaque)
{
	struct pm *p = opaque;
	p->event(p->opaque, PM_EV_REBOOT);
}

void pm_i8042_io(void *opaque, uint64_t off, uint8_t *data, unsigned len, int is_write)
{
	struct pm *p = opaque;
	if (!is_write) {
		memset(data, 0xff, len);
		return;
	}
	if (off == 4 && data[0] == 0xfe)   /* port 0x64: pulse reset line */
		p->event(p->opaque, PM_EV_REBOOT);
}

void pm_boot_timer_io(void *opaque, uint64_t off, uint8_t *data, unsigned len, int is_write)
{
	struct pm *p = opaque;
	if (!is_write) {
		memset(data, 0xff, len);
		return;
	}
	if (off == 0 && data[0] == BOOT_TIMER_MAGIC)
		p->event(p->opaque, PM_EV_BOOT_DONE);
}

void pm_quiet_io(void *opaque, uint64_t off, uint8_t *data, unsigned len, int is_write)
{
	(void)opaque; (void)off;
	if (!is_write)
		memset(data, 0xff, len);
}

/* ---- saved state */

struct pm_state {
	uint16_t pm1_sts, pm1_en, pm1_cnt;
	uint64_t timer_ns;   /* time the PM timer has counted */
};
#define PS(type, m) STATE_FIELD(struct pm_state, type, m)
static const struct state_field pm_fields[] = {
	PS(ST_U16, pm1_sts), PS(ST_U16, pm1_en), PS(ST_U16, pm1_cnt), PS(ST_U64, timer_ns),
};
static const struct state_desc pm_desc = { "acpi-pm", 1, 1, pm_fields, 4 };

static uint64_t pm_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void pm_save(struct pm *p, struct state_w *w)
{
	struct pm_state s;
	pthread_mutex_lock(&p->lock);
	s.pm1_sts = p->pm1_sts;
	s.pm1_en = p->pm1_en;
	s.pm1_cnt = p->pm1_cnt;
	s.timer_ns = pm_now_ns() - p->tmr_base_ns;
	pthread_mutex_unlock(&p->lock);
	state_w_section(w, &pm_desc, 0, &s);
}

int pm_load(struct pm *p, struct state_r *r)
{
	struct pm_state s;
	if (state_r_section(r, &pm_desc, 0, &s))
		return -1;
	pthread_mutex_lock(&p->lock);
	p->pm1_sts = s.pm1_sts;
	p->pm1_en = s.pm1_en;
	p->pm1_cnt = s.pm1_cnt;
	uint64_t now = pm_now_ns();
	p->tmr_base_ns = s.timer_ns <= now ? now - s.timer_ns : 0;
	pm_update_sci(p);
	pthread_mutex_unlock(&p->lock);
	return 0;
}
