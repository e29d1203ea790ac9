/* init_ctl.h: the control socket /run/wafer/init.sock (protocol in
 * docs/init.md): status, reboot, poweroff, restart SERVICE. */
#ifndef INIT_CTL_H
#define INIT_CTL_H
#define INIT_SOCK "/run/wafer/init.sock"
int ctl_start(void);
/* Listening unix socket (init_logsrv.c); returns fd or -1. */
int unix_listen(const char *path, unsigned mode);
#endif
