/* conn_pool.c: the agent's connection pools (conn_pool.h). */
#include "conn_pool.h"
#include "agent.h"
#include "api.h"
#include "wlog.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#define UNAUTH_SLOTS 4096 /* above any --max-unauth */
#define CERT_SLOTS 256

static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static struct conn *unauth[UNAUTH_SLOTS];
static int n_unauth, n_auth, n_dying, evicted_total;
static struct { char fp[96]; int conns, streams; } certs[CERT_SLOTS];

static int cert_slot(const char *fp, bool create)
{
	int free_slot = -1;
	for (int i = 0; i < CERT_SLOTS; i++) {
		if (certs[i].conns && !strcmp(certs[i].fp, fp))
			return i;
		if (!certs[i].conns && free_slot < 0)
			free_slot = i;
	}
	if (!create || free_slot < 0)
		return -1;
	snprintf(certs[free_slot].fp, sizeof certs[0].fp, "%s", fp);
	certs[free_slot].streams = 0;
	return free_slot;
}

static void unauth_remove(struct conn *c)
{
	for (int i = 0; i < n_unauth; i++)
		if (unauth[i] == c) {
			unauth[i] = unauth[--n_unauth];
			return;
		}
}

bool pool_accept(struct conn *c)
{
	static struct wlog_ratelimit rl = WLOG_RATELIMIT_INIT(10000, 3);
	int max = agent_cfg.lim.max_unauth < UNAUTH_SLOTS ? agent_cfg.lim.max_unauth : UNAUTH_SLOTS;
	bool ok = true;
	pthread_mutex_lock(&pool_lock);
	c->accepted_ms = wlog_now_ms();
	if (n_unauth >= max) {
		/* the oldest connection still in its handshake makes room */
		int old = 0;
		for (int i = 1; i < n_unauth; i++)
			if (unauth[i]->accepted_ms < unauth[old]->accepted_ms)
				old = i;
		struct conn *o = unauth[old];
		shutdown(o->fd, SHUT_RDWR);
		o->pool_state = POOL_EVICTED;
		unauth[old] = unauth[--n_unauth];
		n_dying++;
		evicted_total++;
		wlog_rl(&rl, WLOG_WARN, "server", "%s: evicted before authentication to make room for %s "
			"(%d connections waiting for a handshake)", o->peer, c->peer, max);
	}
	/* evicted threads take a moment to go: never more than twice the pool */
	if (n_dying > max)
		ok = false;
	else {
		unauth[n_unauth++] = c;
		c->pool_state = POOL_UNAUTH;
	}
	pthread_mutex_unlock(&pool_lock);
	return ok;
}

bool pool_authenticated(struct conn *c, char *why, unsigned long whylen)
{
	const struct agent_limits *l = &agent_cfg.lim;
	bool ok = false;
	pthread_mutex_lock(&pool_lock);
	if (c->pool_state != POOL_UNAUTH) { /* evicted while it finished */
		snprintf(why, whylen, "evicted before authentication");
		pthread_mutex_unlock(&pool_lock);
		return false;
	}
	unauth_remove(c);
	c->pool_state = POOL_NONE;
	int cap = l->max_conns + (c->role == ROLE_ADMIN ? CONN_ADMIN_RESERVE : 0);
	int s = cert_slot(c->fp, true);
	if (s < 0)
		snprintf(why, whylen, "too many different certificates connected");
	else if (n_auth >= cap)
		snprintf(why, whylen, "all %d connections for authenticated clients are in use", cap);
	else if (certs[s].conns >= l->conns_per_cert)
		snprintf(why, whylen, "certificate '%s' already holds %d connections", c->cn, certs[s].conns);
	else {
		certs[s].conns++;
		n_auth++;
		c->pool_state = POOL_AUTH;
		ok = true;
	}
	pthread_mutex_unlock(&pool_lock);
	return ok;
}

void pool_leave(struct conn *c)
{
	pthread_mutex_lock(&pool_lock);
	switch (c->pool_state) {
	case POOL_UNAUTH: unauth_remove(c); break;
	case POOL_EVICTED: n_dying--; break;
	case POOL_AUTH: {
		int s = cert_slot(c->fp, false);
		if (s >= 0) {
			certs[s].conns--;
			if (c->holds_stream)
				certs[s].streams--;
		}
		n_auth--;
		break;
	}
	case POOL_NONE: break;
	}
	c->pool_state = POOL_NONE;
	c->holds_stream = false;
	pthread_mutex_unlock(&pool_lock);
}

int pool_stream_hold(struct api_ctx *x)
{
	struct conn *c = x->c;
	int max = agent_cfg.lim.streams_per_cert, held = -1;
	pthread_mutex_lock(&pool_lock);
	int s = c->pool_state == POOL_AUTH ? cert_slot(c->fp, false) : -1;
	if (s >= 0 && !c->holds_stream && certs[s].streams < max) {
		certs[s].streams++;
		c->holds_stream = true;
		held = 0;
	} else if (s >= 0 && c->holds_stream) {
		held = 0;
	}
	pthread_mutex_unlock(&pool_lock);
	if (held) {
		x->retry_after_s = 10;
		api_error(x, 429, "too_many_streams", "certificate '%s' already has %d follow streams open (the limit)",
			  c->cn, max);
	}
	return held;
}

void pool_stream_release(struct conn *c)
{
	pthread_mutex_lock(&pool_lock);
	int s = c->holds_stream && c->pool_state == POOL_AUTH ? cert_slot(c->fp, false) : -1;
	if (s >= 0)
		certs[s].streams--;
	c->holds_stream = false;
	pthread_mutex_unlock(&pool_lock);
}

void pool_counts(int *u, int *a, int *e)
{
	pthread_mutex_lock(&pool_lock);
	*u = n_unauth;
	*a = n_auth;
	*e = evicted_total;
	pthread_mutex_unlock(&pool_lock);
}
