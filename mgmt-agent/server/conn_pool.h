/* conn_pool.h: who may hold a connection to the agent, and for how long
 * (docs/security.md, "Connections"). Two pools:
 *   - before authentication: every connection until its TLS handshake is
 *     done, at most lim.max_unauth; a new one evicts the oldest (its socket
 *     is shut down), so idle or slow connections, from any address, even the
 *     manager's own behind NAT, cannot keep an authenticated client out; each
 *     has lim.handshake_ms to finish its handshake;
 *   - authenticated: at most lim.max_conns, plus CONN_ADMIN_RESERVE more that
 *     only admin certificates may use; per certificate at most
 *     lim.conns_per_cert connections, of which lim.streams_per_cert follow
 *     streams (events, logs, console).
 * Every function takes the pool's lock itself. */
#ifndef WAFER_CONN_POOL_H
#define WAFER_CONN_POOL_H
#include <stdbool.h>

#define CONN_ADMIN_RESERVE 8

struct conn;
struct api_ctx;

/* A new connection: false if even evicting cannot make room (then close it). */
bool pool_accept(struct conn *c);
/* Its handshake is done (c->verified, c->role, c->fp set): false if the
 * authenticated pool or its certificate's share is full (say 503, close). */
bool pool_authenticated(struct conn *c, char *why, unsigned long whylen);
/* The connection ends (any state). */
void pool_leave(struct conn *c);
/* A follow stream is about to start: 0, or -1 with 429 answered. Released by
 * pool_stream_release() when the request ends. */
int pool_stream_hold(struct api_ctx *x);
void pool_stream_release(struct conn *c);
/* For /metrics and tests. */
void pool_counts(int *unauth, int *auth, int *evicted_total);
#endif
