/* ctl.h: waferctl internals: connection settings, the HTTPS client (mutual
 * TLS, host certificate pinned by SHA-256 fingerprint or verified against a
 * CA file), response handling, and the command entry points. */
#ifndef WAFER_CTL_H
#define WAFER_CTL_H
#include "http_parse.h"
#include "json.h"

#include <mbedtls/net_sockets.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct ctl_opts {
	const char *host;         /* host[:port] */
	const char *cert, *key;   /* client certificate and key (PEM files) */
	const char *ca;           /* verify the host against this CA/cert file */
	const char *fingerprint;  /* or pin its SHA-256 fingerprint */
	bool insecure;            /* neither: accept any host cert (enroll only) */
	bool json;                /* raw JSON output */
	int timeout_ms;
	bool timeout_set;         /* --timeout given (fleet's default is shorter) */
};
extern struct ctl_opts ctl;

/* The settings file (ctl_context.c): settings without a context, contexts
 * ([NAME] sections, one host each) and the current one. */
#define CTL_KEYS 5            /* host, cert, key, ca, fingerprint */
#define CTL_CONTEXTS_MAX 64
struct ctl_ctx { char *name; char *v[CTL_KEYS]; };
struct ctl_config {
	char *path, *current;
	char *top[CTL_KEYS];
	struct ctl_ctx ctx[CTL_CONTEXTS_MAX];
	int n;
};
extern struct ctl_config ctl_cfg;
extern const char *ctl_context_name;   /* --context or WAFER_CONTEXT, else NULL */
/* Load path into ctl_cfg (a missing file is empty unless must). 0 or -1. */
int ctl_config_load(const char *path, bool must);
struct ctl_ctx *ctl_context_find(const char *name);
/* Add or replace context name and write the file; 0 or -1 (said why). */
int ctl_context_save(const char *name, const char *const vals[CTL_KEYS], bool make_current);
int ctl_cmd_context(int argc, char **argv);
/* vm create NAME [flags] | --spec FILE (argv[0] "vm", argv[1] "create"). */
int ctl_vm_create(int argc, char **argv);
/* fleet status|vms|place (ctl_fleet.c), update (ctl_fleet_update.c) */
int ctl_cmd_fleet(int argc, char **argv);
int ctl_fleet_update(int argc, char **argv);
/* Connect the next requests to context c's host with its settings. */
void ctl_fleet_use(const struct ctl_ctx *c);

struct ctl_conn {
	mbedtls_net_context net;
	mbedtls_ssl_context ssl;
	mbedtls_ssl_config conf;
	mbedtls_x509_crt crt, ca;
	mbedtls_pk_context key;
	char err[256];
	/* response */
	int status;
	bool chunked, has_length;
	uint64_t left;
	struct http_chunked ch;
	bool done;
	char buf[16384];
	size_t blen, bpos;
};

int ctl_connect(struct ctl_conn *c);
void ctl_close(struct ctl_conn *c);
/* Send a request; body may be NULL. extra: additional header lines. */
int ctl_send(struct ctl_conn *c, const char *method, const char *path, const char *ctype,
	     const void *body, size_t len, const char *extra);
int ctl_write(struct ctl_conn *c, const void *data, size_t len);
/* Read the response head (status, framing). */
int ctl_response(struct ctl_conn *c);
/* Read body bytes: >0, 0 at end, -1 on error. */
int ctl_body_read(struct ctl_conn *c, void *buf, size_t len);
/* Whole body (malloc'd, NUL-terminated). */
int ctl_body_all(struct ctl_conn *c, char **out, size_t *len);

/* One request → parsed JSON. Returns the HTTP status (error responses are
 * printed and return the status too), or -1 on connection failure. */
int ctl_call(const char *method, const char *path, const char *body, struct json_doc *doc);
/* ctl_call printing nothing: a connection failure (-1) or a 2xx answer that
 * is not JSON leaves its reason in why (else why is ""). */
int ctl_call_quiet(const char *method, const char *path, const char *body, struct json_doc *doc, char *why,
		   size_t whylen);
/* ctl_call for callers that only go on after a success: returns the 2xx
 * status with *doc to free, or -1 with the error printed and *doc freed. */
int ctl_call_ok(const char *method, const char *path, const char *body, struct json_doc *doc);
/* A string member of o, or "-" when it is missing or empty (for tables). */
const char *ctl_str(const struct json_node *o, const char *k);
/* One request, the response body printed as it is; returns the exit code. */
int ctl_call_print(const char *method, const char *path, const char *body);
/* A response head already read that is an error: print its JSON error (or
 * "WHAT HTTP N" when the body is none), close c; returns exit code 1. */
int ctl_answer_error(struct ctl_conn *c, const char *what);
/* Print an API error body / a connection error; returns exit code 1. */
int ctl_print_error(int status, const struct json_doc *doc);
/* A VM or image name given on the command line within the limit of
 * wafer_contract.h: 1, or 0 with a usage error printed (exit 2). */
int ctl_name_ok(const char *kind, const char *name);

/* tables; the terminal's width (COLUMNS, else the tty's, else 80 on a
 * tty), 0 when stdout is no terminal and COLUMNS is unset (no limit) */
int ctl_columns(void);
struct ctl_table;
struct ctl_table *ctl_table_new(int ncols, const char *const *headers);
void ctl_table_row(struct ctl_table *t, const char *const *cells);
void ctl_table_print(struct ctl_table *t);

/* commands: return the exit code */
int ctl_cmd_host(int argc, char **argv);
int ctl_cmd_logs(int argc, char **argv);
int ctl_cmd_events(int argc, char **argv);
int ctl_cmd_enroll(int argc, char **argv);
int ctl_cmd_image(int argc, char **argv);
int ctl_cmd_vm(int argc, char **argv);
int ctl_cmd_raw(int argc, char **argv);
int ctl_cmd_pki(int argc, char **argv);
/* vm move VM --to CONTEXT (ctl_move.c) */
int ctl_vm_move(int argc, char **argv);
/* snapshot list|names VM | create|revert|rm VM NAME (ctl_snapshot.c) */
int ctl_cmd_snapshot(int argc, char **argv);
/* completion bash (ctl_completion.c) */
int ctl_cmd_completion(int argc, char **argv);
/* The names of GET PATH's ARRAY, one a line (in_spec: VMs, whose name is
 * spec.name). Returns the exit code. */
int ctl_print_names(const char *path, const char *array, bool in_spec);
/* host update FILE [--force] [--reboot] | host update-status (ctl_update.c) */
int ctl_cmd_update(int argc, char **argv);
/* An upload's progress bar on stderr: "[####   ]  42% 7/18 MiB 3.1 MiB/s". */
void ctl_progress(uint64_t done, uint64_t total, time_t start);
/* Send fd's TOTAL bytes as the body of METHOD PATH with progress on stderr
 * (AFTER, if set, is printed on a terminal once the last byte went). Returns
 * the HTTP status with the answer parsed into d (json_doc_free it) and its
 * text in *resp (free it); -1 after printing why there is no answer. */
int ctl_upload(const char *method, const char *path, int fd, uint64_t total, const char *after,
	       struct json_doc *d, char **resp, size_t *len);
/* The SHA-256 of fd's contents in hex (fd rewound): 0 or -1 (errno). */
int ctl_file_sha256(int fd, char hex[65]);
/* PUT FILE as image NAME with ?sha256= so the host verifies it, progress on
 * stderr: 0 (hex and size set), or 1 after printing why. */
int ctl_image_upload(const char *name, const char *file, char hex[65], uint64_t *size);
/* Stream a GET's body to stdout (logs, console), or to sink (events); a
 * sink returning non-zero ends the stream. */
int ctl_stream(const char *path);
int ctl_stream_to(const char *path, int (*sink)(const char *data, size_t len, void *arg), void *arg);
/* The interactive WebSocket console of a VM (ctl_console.c). */
int ctl_console_interactive(const char *vm);
#endif
