/* ctl_upload.c: one way for waferctl to send a file as a request body (image
 * uploads, update bundles): streamed in 64 KiB pieces, never held whole, with
 * a progress bar on a terminal and a "sent N%" line per 10% otherwise, then
 * the JSON answer. */
#include "ctl.h"

#include <errno.h>
#include <fcntl.h>
#include <mbedtls/sha256.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

void ctl_progress(uint64_t done, uint64_t total, time_t start)
{
	double el = difftime(time(NULL), start);
	int pct = total ? (int)(done * 100 / total) : 100;
	int bar = pct / 4;
	fprintf(stderr, "\r[%-25.*s] %3d%% %llu/%llu MiB %.1f MiB/s ", bar, "#########################",
		pct, (unsigned long long)(done >> 20), (unsigned long long)(total >> 20),
		el > 0 ? (double)done / 1048576.0 / el : 0.0);
}

int ctl_upload(const char *method, const char *path, int fd, uint64_t total, const char *after,
	       struct json_doc *d, char **resp, size_t *len)
{
	static char buf[65536];
	struct ctl_conn c;
	*resp = NULL;
	if (ctl_connect(&c) || ctl_send(&c, method, path, "application/octet-stream", NULL, (size_t)total,
					 "Connection: close\r\n")) {
		fprintf(stderr, "waferctl: %s\n", c.err);
		ctl_close(&c);
		return -1;
	}
	uint64_t done = 0;
	time_t start = time(NULL), last = 0;
	int tty = isatty(2), last_pct = -1;
	ssize_t n;
	while ((n = read(fd, buf, sizeof buf)) > 0) {
		if (ctl_write(&c, buf, (size_t)n))
			break;   /* the host refused early: its answer says why */
		done += (uint64_t)n;
		int pct = total ? (int)(done * 100 / total) : 100;
		if (tty && time(NULL) != last) {
			last = time(NULL);
			ctl_progress(done, total, start);
		} else if (!tty && pct / 10 != last_pct / 10) {
			last_pct = pct;
			fprintf(stderr, "waferctl: sent %d%% (%llu of %llu bytes)\n", pct, (unsigned long long)done,
				(unsigned long long)total);
		}
	}
	if (tty) {
		ctl_progress(done, total, start);
		fputc('\n', stderr);
		if (after)
			fprintf(stderr, "waferctl: %s\n", after);
	}
	if (ctl_response(&c) < 0 || ctl_body_all(&c, resp, len)) {
		fprintf(stderr, "waferctl: %s failed after %llu bytes: %s\n", method, (unsigned long long)done, c.err);
		ctl_close(&c);
		free(*resp);
		*resp = NULL;
		return -1;
	}
	int status = c.status;
	ctl_close(&c);
	if (json_parse(d, *resp, *len, NULL, NULL) != 0) {
		fprintf(stderr, "waferctl: HTTP %d (the answer is not JSON)\n", status);
		free(*resp);
		*resp = NULL;
		return -1;
	}
	return status;
}

int ctl_file_sha256(int fd, char hex[65])
{
	static unsigned char buf[65536];
	unsigned char h[32];
	mbedtls_sha256_context sha;
	ssize_t n;
	mbedtls_sha256_init(&sha);
	mbedtls_sha256_starts(&sha, 0);
	while ((n = read(fd, buf, sizeof buf)) > 0)
		mbedtls_sha256_update(&sha, buf, (size_t)n);
	mbedtls_sha256_finish(&sha, h);
	mbedtls_sha256_free(&sha);
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", h[i]);
	return n < 0 || lseek(fd, 0, SEEK_SET) < 0 ? -1 : 0;
}

int ctl_image_upload(const char *name, const char *file, char hex[65], uint64_t *size)
{
	struct stat st;
	char path[256];
	int fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0 || ctl_file_sha256(fd, hex) < 0) {
		fprintf(stderr, "waferctl: %s: %s\n", file, strerror(errno));
		if (fd >= 0)
			close(fd);
		return 1;
	}
	/* hashed first, so the host verifies what it received */
	snprintf(path, sizeof path, "/api/v1/images/%s?sha256=%s", name, hex);
	struct json_doc d;
	char *resp;
	size_t len;
	int rc = 0, status = ctl_upload("PUT", path, fd, (uint64_t)st.st_size, NULL, &d, &resp, &len);
	close(fd);
	if (status < 0)
		return 1;
	if (status >= 300)
		rc = ctl_print_error(status, &d);
	else if (ctl.json)
		fwrite(resp, 1, len, stdout);
	json_doc_free(&d);
	free(resp);
	*size = (uint64_t)st.st_size;
	return rc;
}
