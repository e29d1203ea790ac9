/* pm.h: platform ports: ACPI PM1 event/control blocks and PM timer, the
 * i8042 stub (reset line), the boot-timer port, and quietly ignored legacy
 * ports (POST 0x80, RTC, absent serial ports). */
#ifndef VMM_PM_H
#define VMM_PM_H
#include <pthread.h>
#include <stdint.h>

#define BOOT_TIMER_PORT 0x3f0
#define BOOT_TIMER_MAGIC 123

enum pm_event { PM_EV_POWEROFF, PM_EV_REBOOT, PM_EV_BOOT_DONE };

struct pm {
	pthread_mutex_t lock;
	uint16_t pm1_sts, pm1_en, pm1_cnt;
	int sci_level;
	uint64_t tmr_base_ns;
	void (*event)(void *opaque, enum pm_event ev);
	void (*set_sci)(void *opaque, int level);
	void *opaque;
};

void pm_init(struct pm *p, void (*event)(void *, enum pm_event),
	     void (*set_sci)(void *, int), void *opaque);
/* Press the fixed-feature power button (raises SCI when enabled). */
void pm_power_button(struct pm *p);
void pm_acpi_io(void *opaque, uint64_t off, uint8_t *data, unsigned len, int is_write);
void pm_i8042_io(void *opaque, uint64_t off, uint8_t *data, unsigned len, int is_write);
void pm_boot_timer_io(void *opaque, uint64_t off, uint8_t *data, unsigned len, int is_write);
void pm_reset(void *opaque);
/* Saved state (section "acpi-pm"): PM1 registers and the PM timer's count,
 * which carries on from there after a load. */
struct state_w;
struct state_r;
void pm_save(struct pm *p, struct state_w *w);
int pm_load(struct pm *p, struct state_r *r);   /* 0xcf9 reset control (pci_bus reset_cb) */
void pm_quiet_io(void *opaque, uint64_t off, uint8_t *data, unsigned len, int is_write);
#endif
