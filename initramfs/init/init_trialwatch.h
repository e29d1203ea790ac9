/* init_trialwatch.h: the trial watchdog. On a boot whose A/B state says the
 * running slot is being tried, init gives the new system update_trial_timeout
 * seconds (from kernel start) to be committed by the agent; if the state
 * still shows a trial then, init sets tries_left=0 and reboots, so the
 * bootloader goes back to the committed slot (docs/updates.md). */
#ifndef INIT_TRIALWATCH_H
#define INIT_TRIALWATCH_H

/* At boot (medium found, config read): read the state (ESP mounted
 * read-only for the read) and arm the deadline on a trial boot. */
void trialwatch_boot(void);
/* From the event loop, about once a second: every 30 s, and at the
 * deadline, re-read the state; end the trial and ask for a reboot. */
void trialwatch_tick(void);
/* One line for the status screen and init.sock's status ("" when no trial). */
const char *trialwatch_text(void);
#endif
