/* init_console.h: the consoles (tty1 + serial) init writes its banner and the
 * status screen to, and the console input that is read and thrown away. */
#ifndef INIT_CONSOLE_H
#define INIT_CONSOLE_H
#include <stddef.h>

#define CONSOLE_MAX 4

/* Open every active console (/sys/class/tty/console/active; tty0 -> tty1),
 * falling back to /dev/console. Puts them in raw, no-echo, no-signal mode. */
void console_open_all(void);
/* Write to every console (best effort, never blocks for long). */
void console_write(const char *buf, size_t len);
void console_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* File descriptors to poll for input (which is read and discarded). */
int console_fds(int *fds, int max);
/* Read and discard pending input on fd. */
void console_drain(int fd);
/* Names of the consoles opened, e.g. "tty1 ttyS0" (for the log). */
const char *console_names(void);
#endif
