/* ctl_events.c: `waferctl events [-f|--follow] [--since N]`: the events the
 * host keeps (GET /api/v1/events?follow=0), one line each, then exit; with
 * --follow, then every new one as it comes. --json prints each event's JSON
 * as it is. A line: SEQ TIME(UTC) TYPE SUBJECT key=value ... */
#include "ctl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct sse {
	char line[65536];
	size_t len;
	bool overlong;
};

static void print_value(const struct json_node *n)
{
	switch (n->type) {
	case JSON_STRING: printf("%s", n->str); break;
	case JSON_BOOL: printf("%s", n->bval ? "true" : "false"); break;
	case JSON_NULL: printf("null"); break;
	case JSON_NUMBER:
		if (n->is_int) printf("%lld", (long long)n->ival);
		else printf("%g", n->num);
		break;
	default: printf("{...}"); break;
	}
}

static void print_event(const char *json, size_t len)
{
	struct json_doc d;
	if (ctl.json) {
		printf("%.*s\n", (int)len, json);
		return;
	}
	if (json_parse(&d, json, len, NULL, NULL)) {
		printf("(not JSON) %.*s\n", (int)len, json);
		return;
	}
	const struct json_node *e = json_root(&d), *data = json_get(e, "data");
	const struct json_node *seq = json_get(e, "seq"), *t = json_get(e, "time_ms");
	char when[32] = "-";
	if (t && t->is_int) {
		time_t s = (time_t)(t->ival / 1000);
		struct tm tm;
		gmtime_r(&s, &tm);
		strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
	}
	const char *name = json_get_str(data, "name");
	const char *subject = name ? name : json_get_str(e, "vm") ? json_get_str(e, "vm") : "host";
	printf("%-6lld %s  %-15s %-16s", seq && seq->is_int ? (long long)seq->ival : 0LL, when,
	       ctl_str(e, "type"), subject);
	for (const struct json_node *c = data ? data->child : NULL; c; c = c->next) {
		if (!strcmp(c->key, "name"))
			continue;
		printf(" %s=", c->key);
		print_value(c);
	}
	printf("\n");
	fflush(stdout);
	json_doc_free(&d);
}

/* Server-sent events: "data: " lines carry the event; the rest (id:,
 * event:, comments, blank lines) frames them. */
static int sink(const char *data, size_t len, void *arg)
{
	struct sse *s = arg;
	for (size_t i = 0; i < len; i++) {
		if (data[i] != '\n') {
			if (s->len < sizeof s->line - 1)
				s->line[s->len++] = data[i];
			else
				s->overlong = true;
			continue;
		}
		s->line[s->len] = '\0';
		if (!s->overlong && !strncmp(s->line, "data: ", 6))
			print_event(s->line + 6, s->len - 6);
		s->len = 0;
		s->overlong = false;
	}
	return 0;
}

int ctl_cmd_events(int argc, char **argv)
{
	bool follow = false;
	const char *since = "0";
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-f") || !strcmp(argv[i], "--follow")) {
			follow = true;
		} else if (!strcmp(argv[i], "--since") && i + 1 < argc) {
			since = argv[++i];
			if (!*since || strspn(since, "0123456789") != strlen(since)) {
				fprintf(stderr, "waferctl: --since: '%s' is not an event sequence number\n", since);
				return 2;
			}
		} else {
			fprintf(stderr, "waferctl: events: unknown option '%s'\n"
					"usage: waferctl events [-f|--follow] [--since SEQ]\n", argv[i]);
			return 2;
		}
	}
	char path[96];
	snprintf(path, sizeof path, "/api/v1/events?since=%s&follow=%d", since, follow);
	if (follow)
		ctl.timeout_ms = 0;
	struct sse *s = calloc(1, sizeof *s);
	if (!s)
		return 1;
	int rc = ctl_stream_to(path, sink, s);
	free(s);
	return rc;
}
