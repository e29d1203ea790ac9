/* init_bgjob.h: boot work that runs in a child process while init goes on
 * (loading the VM drivers, growing and mounting /data). Problems the child
 * reports reach the status screen when it is reaped. */
#ifndef INIT_BGJOB_H
#define INIT_BGJOB_H
#include <sys/types.h>

/* Run work() in a child (inline if fork fails); done() runs in init once the
 * child has exited. name is for the log. */
void bgjob_start(const char *name, void (*work)(void), void (*done)(void));
/* Called for every reaped non-service child; returns 1 if it was a job. */
int bgjob_reaped(pid_t pid, int status);
#endif
