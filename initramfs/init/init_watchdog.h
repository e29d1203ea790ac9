/* init_watchdog.h: pets /dev/watchdog (if the hardware has one) so a hung
 * host is rebooted by the hardware. */
#ifndef INIT_WATCHDOG_H
#define INIT_WATCHDOG_H
/* Open and set the timeout (seconds); returns 1 if a watchdog is armed. */
int watchdog_open(int timeout_s);
void watchdog_pet(void);
/* On poweroff disarm it (magic close); on reboot keep it armed, so a hang
 * during reboot still resets the machine. */
void watchdog_close(int disarm);
#endif
