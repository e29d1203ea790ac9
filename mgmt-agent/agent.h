/* agent.h: wafer-agent's process-wide configuration and state, shared by the
 * server, the handlers and the VM supervisor. */
#ifndef WAFER_AGENT_H
#define WAFER_AGENT_H
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct agent_limits {
	int max_conns;            /* authenticated connections (admins: 8 more; conn_pool.h) */
	int max_unauth;           /* connections before authentication (oldest evicted) */
	int conns_per_cert;       /* authenticated connections per client certificate */
	int streams_per_cert;     /* follow streams per client certificate */
	int handshake_ms;         /* TLS handshake deadline */
	int request_ms;           /* deadline to receive head + (small) body */
	int idle_ms;              /* keep-alive idle timeout */
	int io_ms;                /* inactivity limit while streaming a body or a response */
	int max_head;             /* request line + headers, bytes */
};

struct agent_config {
	int port;
	const char *listen_addr;  /* NULL: all addresses (IPv6 dual stack, else IPv4) */
	const char *config_dir;   /* /config */
	const char *data_dir;     /* /data */
	const char *run_dir;      /* /run/wafer */
	const char *vmm_path;     /* /usr/bin/wafer-vmm */
	const char *init_sock;    /* <run_dir>/init.sock */
	const char *log_sock;     /* <run_dir>/log.sock */
	const char *log_in_sock;  /* <run_dir>/log-in.sock */
	const char *etc_dir;      /* /etc/wafer (version, manifest, PXE trust) */
	const char *cmdline;      /* /proc/cmdline (wafer.slot=, wafer.boot=, wafer.<key>=) */
	const char *esp_dir;      /* NULL: mount the boot medium's ESP for updates;
	                           * else use this folder as the ESP (tests) */
	bool no_autostart;
	struct agent_limits lim;
};

extern struct agent_config agent_cfg;
extern uint64_t agent_start_ms;

/* Paths derived from the configuration. */
void agent_path(char *out, size_t outlen, const char *base, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* init's control socket: agent_cfg.init_sock, or <run_dir>/init.sock built
 * in buf. */
const char *agent_init_sock(char *buf, size_t n);

/* Counters for /metrics (atomic updates). */
struct agent_stats {
	uint64_t conns_total, conns_rejected, handshake_failures, requests_total;
	uint64_t responses[6];    /* 1xx..5xx by first digit */
	int conns_active;
};
extern struct agent_stats agent_stats;
/* Replies that must go out before the agent exits: a reboot or poweroff
 * asked of init makes init stop the agent at once, maybe before the
 * handler has written its answer. The handler counts itself in (atomic)
 * before it asks init and out once it has answered; at SIGTERM the agent
 * waits for them (up to 5 s) before it exits. */
extern int agent_replies_pending;
/* Version of the running build (/etc/wafer/version, else the compiled one). */
const char *agent_version(void);
/* Rewrite <run_dir>/status/agent (fingerprint, enrollment, token, api_url). */
void agent_status_write(void);

/* agent_conf.c: the agent's wafer.conf keys (agent_*, update_*). */
/* Value of key in wafer.conf text (last line wins, quotes stripped). 1 found, 0 not. */
int conf_text_get(const char *text, size_t len, const char *key, char *out, size_t n);
/* Value of wafer.<key>= on a kernel command line. 1 found, 0 not. */
int conf_cmdline_get(const char *cmdline, const char *key, char *out, size_t n);
/* An integer key: command line over <config_dir>/wafer.conf over def; a bad
 * value is logged and def used. */
int agent_conf_int(const char *key, int def, int min, int max);
#endif
