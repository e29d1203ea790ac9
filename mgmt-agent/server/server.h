/* server.h: the HTTPS listener. One thread per connection (bounded by
 * max_conns and max_conns_per_ip); every read and write has a deadline, so a
 * slow or silent client holds only its own thread, and not for long. */
#ifndef WAFER_SERVER_H
#define WAFER_SERVER_H
#include <stddef.h>
/* Bind and listen; returns the socket or -1 with err set. */
int server_listen(char *err, size_t errlen);
/* Accept loop; returns when *stop becomes non-zero. */
void server_run(int lfd, volatile int *stop);
#endif
