/* router.h: the route table type and path matching ("/api/v1/vms/{id}/start").
 * Parameters match one path segment of [A-Za-z0-9._-], starting with an
 * alphanumeric character, at most WAFER_NAME_MAX bytes. */
#ifndef WAFER_ROUTER_H
#define WAFER_ROUTER_H
#include "wafer_contract.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum role { ROLE_NONE = 0, ROLE_READER = 1, ROLE_ADMIN = 2 };

struct api_ctx;
typedef void (*route_fn)(struct api_ctx *ctx);

#define ROUTE_STREAM_BODY UINT64_MAX   /* max_body: handler streams the body itself */

struct route {
	const char *method;
	const char *pattern;
	route_fn fn;
	enum role role;       /* minimum role; ROLE_NONE: no client certificate needed */
	uint64_t max_body;    /* bytes; 0: no body accepted */
	bool body_required;   /* a request without a framed body is 411; else it has
			       * an empty one (RFC 9112, 6.3: curl -X POST sends none) */
};

#define ROUTE_MAX_PARAMS 4

struct route_match {
	const struct route *route;
	int nparams;
	char names[ROUTE_MAX_PARAMS][16];
	char values[ROUTE_MAX_PARAMS][WAFER_NAME_SIZE];
	char allow[96];       /* for 405: the methods the path supports */
	char msg[128];        /* for 400/404 */
};

/* Returns 200 (m->route set), 404, 405 (m->allow set) or 400 (bad parameter). */
int router_match(const struct route *tbl, size_t n, const char *method,
		 const char *path, struct route_match *m);
const char *route_param(const struct route_match *m, const char *name);
/* 1 if s is a valid parameter value (the rule above). */
int route_valid_name(const char *s);

extern const struct route api_routes[];
extern const size_t api_nroutes;
#endif
