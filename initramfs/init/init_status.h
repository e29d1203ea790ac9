/* init_status.h: the read-only status screen on every console, and the list
 * of problems it shows (bad config lines, no virtualization, no link...). */
#ifndef INIT_STATUS_H
#define INIT_STATUS_H

/* Set (or replace) the problem named key. */
void status_problem(const char *key, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void status_clear(const char *key);
/* In a child process: send problems to fd instead (see init_bgjob.c). */
void status_forward(int fd);
/* Compose the screen; redraw the consoles only if it changed (or force). */
void status_refresh(int force);
/* The composed text (for the control socket's status). */
const char *status_text(void);
/* Problems as "key: text" lines (for the control socket). */
int status_problems(char *out, unsigned long n);
#endif
