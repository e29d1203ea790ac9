/* audit.h: seccomp kill records through the kernel audit subsystem. The
 * agent switches auditing on (AUDIT_SET enabled=1, plus a "task,never" rule
 * so no process pays for syscall auditing); a SECCOMP_RET_KILL_PROCESS then
 * leaves "audit: type=1326 ... pid=N ... syscall=M" in the kernel log, which
 * init's log ring holds. */
#ifndef WAFER_AUDIT_H
#define WAFER_AUDIT_H
#include <stddef.h>
#include <sys/types.h>

/* Enable seccomp audit records; 0 or -1 with err. */
int audit_enable(char *err, size_t errlen);
/* The syscall number of the seccomp kill of pid from the log ring, waiting
 * up to wait_ms for the record; -1 if none. */
long audit_seccomp_syscall(pid_t pid, int wait_ms);
/* Parse one kernel log message: the syscall of a type=1326 record of pid,
 * or -1. */
long audit_parse_seccomp(const char *msg, pid_t pid);
#endif
