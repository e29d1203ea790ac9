/* abstate_env.c: the two A/B state file formats (GRUB environment block and
 * U-Boot text environment): parse, serialise, get/set, load/store. */
#include "abstate.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"

#include "errbuf.h"

static int valid_key(const char *k, size_t n)
{
	if (n == 0 || n >= AB_KEY_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = k[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
		      c == '.' || c == '-'))
			return 0;
	}
	return 1;
}

static int valid_val(const char *v)
{
	if (strlen(v) >= AB_VAL_MAX)
		return 0;
	for (; *v; v++)
		if ((unsigned char)*v < 0x20 || *v == '\\' || *v == 0x7f)
			return 0;
	return 1;
}

const char *ab_env_get(const struct ab_env *e, const char *key)
{
	for (int i = 0; i < e->n; i++)
		if (strcmp(e->kv[i].key, key) == 0)
			return e->kv[i].val;
	return NULL;
}

int ab_env_set(struct ab_env *e, const char *key, const char *val)
{
	if (!valid_key(key, strlen(key)) || (val && !valid_val(val)))
		return -1;
	for (int i = 0; i < e->n; i++) {
		if (strcmp(e->kv[i].key, key) != 0)
			continue;
		if (val) {
			snprintf(e->kv[i].val, AB_VAL_MAX, "%s", val);
		} else {
			memmove(&e->kv[i], &e->kv[i + 1], (size_t)(e->n - i - 1) * sizeof e->kv[0]);
			e->n--;
		}
		return 0;
	}
	if (!val)
		return 0;
	if (e->n == AB_ENV_MAX)
		return -1;
	snprintf(e->kv[e->n].key, AB_KEY_MAX, "%s", key);
	snprintf(e->kv[e->n].val, AB_VAL_MAX, "%s", val);
	e->n++;
	return 0;
}

/* One "key=value" line (GRUB: backslash escapes in the value). */
static int parse_line(struct ab_env *e, const char *s, size_t n, int lineno, char *err, size_t errlen)
{
	const char *eq = memchr(s, '=', n);
	if (!eq || !valid_key(s, (size_t)(eq - s))) {
		seterr(err, errlen, "abstate: line %d: not a key=value line", lineno);
		return -1;
	}
	char key[AB_KEY_MAX], val[AB_VAL_MAX];
	size_t kl = (size_t)(eq - s), vl = 0;
	memcpy(key, s, kl);
	key[kl] = 0;
	for (const char *p = eq + 1; p < s + n; p++) {
		if (e->fmt == AB_FMT_GRUBENV && *p == '\\' && p + 1 < s + n)
			p++;
		if (vl + 1 >= AB_VAL_MAX) {
			seterr(err, errlen, "abstate: line %d: value of '%s' too long", lineno, key);
			return -1;
		}
		val[vl++] = *p;
	}
	val[vl] = 0;
	int i = 0;
	while (i < e->n && strcmp(e->kv[i].key, key) != 0)   /* a repeated key: the last one wins */
		i++;
	if (i == e->n) {
		if (e->n == AB_ENV_MAX) {
			seterr(err, errlen, "abstate: line %d: more than %d variables", lineno, AB_ENV_MAX);
			return -1;
		}
		e->n++;
	}
	memcpy(e->kv[i].key, key, kl + 1);
	memcpy(e->kv[i].val, val, vl + 1);
	return 0;
}

/* Line end; GRUB values may hold an escaped newline ("\\\n"). */
static size_t line_len(const struct ab_env *e, const char *s, size_t n)
{
	size_t i = 0;
	while (i < n && s[i] != '\n') {
		if (e->fmt == AB_FMT_GRUBENV && s[i] == '\\' && i + 1 < n)
			i++;
		i++;
	}
	return i;
}

int ab_env_parse(struct ab_env *e, enum ab_format fmt, const char *buf, size_t len, char *err, size_t errlen)
{
	memset(e, 0, sizeof *e);
	e->fmt = fmt;
	size_t pos = 0, hl = strlen(AB_GRUBENV_HEAD);
	if (fmt == AB_FMT_GRUBENV) {
		if (len != AB_GRUBENV_SIZE || memcmp(buf, AB_GRUBENV_HEAD, hl) != 0) {
			seterr(err, errlen, "abstate: not a GRUB environment block (%zu bytes, need %d with the header)",
			       len, AB_GRUBENV_SIZE);
			return -1;
		}
		pos = hl;
	}
	const char *nul = memchr(buf, 0, len);   /* U-Boot's export may end in NUL */
	if (nul) {
		if (fmt == AB_FMT_GRUBENV) {
			seterr(err, errlen, "abstate: NUL byte in the GRUB environment block");
			return -1;
		}
		len = (size_t)(nul - buf);
	}
	for (int lineno = fmt == AB_FMT_GRUBENV ? 2 : 1; pos < len; lineno++) {
		size_t n = line_len(e, buf + pos, len - pos);
		const char *s = buf + pos;
		while (n && s[n - 1] == '\r' && fmt == AB_FMT_UBOOT)
			n--;
		if (n > 0 && s[0] != '#' && parse_line(e, s, n, lineno, err, errlen))
			return -1;
		pos += line_len(e, buf + pos, len - pos) + 1;
	}
	return 0;
}

long ab_env_format(const struct ab_env *e, char *out, size_t cap, char *err, size_t errlen)
{
	size_t pos = 0, hl = strlen(AB_GRUBENV_HEAD);
	size_t need = e->fmt == AB_FMT_GRUBENV ? AB_GRUBENV_SIZE : 1;
	if (cap < need) {
		seterr(err, errlen, "abstate: output buffer too small");
		return -1;
	}
	if (e->fmt == AB_FMT_GRUBENV) {
		memcpy(out, AB_GRUBENV_HEAD, hl);
		pos = hl;
	}
	size_t limit = e->fmt == AB_FMT_GRUBENV ? AB_GRUBENV_SIZE : cap;
	for (int i = 0; i < e->n; i++) {
		size_t kl = strlen(e->kv[i].key);
		const char *v = e->kv[i].val;
		if (pos + kl + 2 * strlen(v) + 2 > limit) {
			seterr(err, errlen, "abstate: variables do not fit in %zu bytes", limit);
			return -1;
		}
		memcpy(out + pos, e->kv[i].key, kl);
		pos += kl;
		out[pos++] = '=';
		for (; *v; v++) {   /* GRUB escapes backslash and newline */
			if (e->fmt == AB_FMT_GRUBENV && (*v == '\\' || *v == '\n'))
				out[pos++] = '\\';
			out[pos++] = *v;
		}
		out[pos++] = '\n';
	}
	if (e->fmt == AB_FMT_GRUBENV) {
		memset(out + pos, '#', AB_GRUBENV_SIZE - pos);
		pos = AB_GRUBENV_SIZE;
	}
	return (long)pos;
}

int ab_file_load(const char *path, enum ab_format fmt, struct ab_env *e, char *err, size_t errlen)
{
	char *data = NULL;
	size_t len = 0;
	int rc = fs_read_file(path, 64 * 1024, &data, &len);
	if (rc) {
		seterr(err, errlen, "abstate: %s: %s", path, strerror(-rc));
		return -1;
	}
	char sub[160];
	rc = ab_env_parse(e, fmt, data, len, sub, sizeof sub);
	free(data);
	if (rc)
		seterr(err, errlen, "%s: %s", path, sub);
	return rc;
}

/* GRUB's block keeps its place on the disk: overwrite the 1024 bytes. */
static int store_in_place(const char *path, const char *buf, size_t len, char *err, size_t errlen)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		seterr(err, errlen, "abstate: %s: %s", path, strerror(errno));
		return -1;
	}
	off_t size = lseek(fd, 0, SEEK_END);
	int rc = size != (off_t)len ? -EINVAL : lseek(fd, 0, SEEK_SET) < 0 ? -errno : fs_write_all(fd, buf, len);
	if (!rc && fsync(fd) != 0)
		rc = -errno;
	close(fd);
	if (rc)
		seterr(err, errlen, "abstate: %s: %s", path,
		       rc == -EINVAL ? "not a 1024-byte GRUB environment block" : strerror(-rc));
	return rc ? -1 : 0;
}

int ab_file_store(const char *path, const struct ab_env *e, char *err, size_t errlen)
{
	char buf[AB_ENV_MAX * (AB_KEY_MAX + AB_VAL_MAX + 2) + AB_GRUBENV_SIZE];
	long n = ab_env_format(e, buf, sizeof buf, err, errlen);
	if (n < 0)
		return -1;
	if (e->fmt == AB_FMT_GRUBENV)
		return store_in_place(path, buf, (size_t)n, err, errlen);
	int rc = fs_write_atomic(path, buf, (size_t)n, 0644);
	if (rc) {
		seterr(err, errlen, "abstate: %s: %s", path, strerror(-rc));
		return -1;
	}
	return 0;
}
