/* h_images.c: images on the datastore (<data>/wafer/images/<name>):
 * PUT streams the body to a temporary file (never held in memory), checks an
 * optional SHA-256 (?sha256= or X-Content-SHA256), fsyncs and renames; GET
 * lists; DELETE refuses images a VM uses. */
#include "agent.h"
#include "server/api.h"
#include "server/events.h"
#include "fsutil.h"
#include "tasks.h"
#include "vms/vm.h"
#include "wlog.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <mbedtls/sha256.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void image_path(const char *name, char *out, size_t n)
{
	agent_path(out, n, agent_cfg.data_dir, "wafer/images/%s", name);
}

void h_images_list(struct api_ctx *x)
{
	char dir[512];
	struct json_w w;
	agent_path(dir, sizeof dir, agent_cfg.data_dir, "wafer/images");
	DIR *d = opendir(dir);
	struct dirent *e;
	json_w_init(&w);
	json_w_obj_begin(&w);
	json_w_key(&w, "images");
	json_w_arr_begin(&w);
	while (d && (e = readdir(d))) {
		struct stat st;
		char p[768];
		if (e->d_name[0] == '.' || !route_valid_name(e->d_name))
			continue;
		snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
		if (stat(p, &st) < 0 || !S_ISREG(st.st_mode))
			continue;
		json_w_obj_begin(&w);
		json_w_kstr(&w, "name", e->d_name);
		json_w_kuint(&w, "size", (uint64_t)st.st_size);
		json_w_kint(&w, "mtime", (int64_t)st.st_mtime);
		json_w_obj_end(&w);
	}
	if (d)
		closedir(d);
	json_w_arr_end(&w);
	json_w_obj_end(&w);
	api_reply_w(x, 200, &w);
}

static int want_sha(struct api_ctx *x, char out[65])
{
	char q[80] = "";
	const char *h = http_header(x->req, "x-content-sha256");
	if (http_query_param(x->req, "sha256", q, sizeof q) == 1)
		h = q;
	out[0] = '\0';
	if (!h)
		return 0;
	if (strlen(h) != 64 || strspn(h, "0123456789abcdefABCDEF") != 64)
		return -1;
	for (int i = 0; i < 64; i++)
		out[i] = (char)(h[i] >= 'A' && h[i] <= 'F' ? h[i] + 32 : h[i]);
	out[64] = '\0';
	return 0;
}

void h_image_put(struct api_ctx *x)
{
	const char *name = route_param(x->m, "name");
	char path[512], tmp[600], want[65], got[65], user[WAFER_NAME_SIZE];
	if (want_sha(x, want)) {
		api_error(x, 400, "bad_request", "sha256 must be 64 hex digits");
		return;
	}
	if (vm_image_in_use(name, user, sizeof user)) {
		api_error(x, 409, "conflict", "image '%s' is used by VM '%s' and cannot be replaced", name, user);
		return;
	}
	image_path(name, path, sizeof path);
	snprintf(tmp, sizeof tmp, "%s.upload.%lx", path, (unsigned long)pthread_self());
	/* the temporary name starts with the image name; hide it from listings */
	char *slash = strrchr(tmp, '/');
	char tmp2[620];
	snprintf(tmp2, sizeof tmp2, "%.*s/.%s", (int)(slash - tmp), tmp, slash + 1);
	int fd = open(tmp2, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		api_error(x, 500, "storage", "cannot create %s: %s", tmp2, strerror(errno));
		return;
	}
	unsigned task = task_begin("image.upload", name, x->req->chunked ? 0 : x->req->content_length);
	mbedtls_sha256_context sha;
	mbedtls_sha256_init(&sha);
	mbedtls_sha256_starts(&sha, 0);
	char *buf = malloc(65536);
	uint64_t total = 0;
	int rc = buf ? 0 : -ENOMEM;
	x->c->deadline_ms = 0; /* big uploads: only the inactivity limit applies */
	while (rc == 0) {
		int n = api_body_read(x, buf, 65536);
		if (n < 0) {
			rc = -EIO;
			break;
		}
		if (n == 0)
			break;
		mbedtls_sha256_update(&sha, (unsigned char *)buf, (size_t)n);
		rc = fs_write_all(fd, buf, (size_t)n);
		total += (uint64_t)n;
		if ((total & ((1u << 22) - 1)) < (uint64_t)n)
			task_progress(task, total);
	}
	free(buf);
	unsigned char h[32];
	mbedtls_sha256_finish(&sha, h);
	mbedtls_sha256_free(&sha);
	for (int i = 0; i < 32; i++)
		snprintf(got + 2 * i, 3, "%02x", h[i]);
	task_progress(task, total);
	if (rc == 0 && fsync(fd) < 0)
		rc = -errno;
	close(fd);
	if (rc == 0 && want[0] && strcmp(want, got) != 0) {
		unlink(tmp2);
		task_end(task, "sha256 mismatch");
		api_error(x, 400, "checksum_mismatch", "SHA-256 of the upload is %s, expected %s; image not stored", got, want);
		return;
	}
	if (rc == 0 && rename(tmp2, path) < 0)
		rc = -errno;
	if (rc) {
		unlink(tmp2);
		task_end(task, rc == -EIO ? "upload interrupted" : strerror(-rc));
		if (!x->status)
			api_error(x, rc == -ENOSPC ? 507 : 500, "storage", "image not stored: %s", strerror(-rc));
		return;
	}
	fs_fsync_parent(path);
	task_end(task, NULL);
	struct json_w ev;
	events_data(&ev);
	json_w_kstr(&ev, "name", name);
	json_w_kuint(&ev, "size", total);
	events_post("image.uploaded", NULL, &ev);
	wlog(WLOG_INFO, "image", "%s: %llu bytes, sha256 %s (by %s)", name, (unsigned long long)total, got, x->c->cn);
	struct json_w w;
	json_w_init(&w);
	json_w_obj_begin(&w);
	json_w_kstr(&w, "name", name);
	json_w_kuint(&w, "size", total);
	json_w_kstr(&w, "sha256", got);
	json_w_kuint(&w, "task", task);
	json_w_obj_end(&w);
	api_reply_w(x, 201, &w);
}

void h_image_delete(struct api_ctx *x)
{
	const char *name = route_param(x->m, "name");
	char path[512], user[WAFER_NAME_SIZE];
	if (vm_image_in_use(name, user, sizeof user)) {
		api_error(x, 409, "conflict", "image '%s' is used by VM '%s'", name, user);
		return;
	}
	image_path(name, path, sizeof path);
	if (unlink(path) < 0) {
		if (errno == ENOENT)
			api_error(x, 404, "not_found", "no image '%s'", name);
		else
			api_error(x, 500, "storage", "cannot remove %s: %s", path, strerror(errno));
		return;
	}
	fs_fsync_parent(path);
	events_post_str("image.deleted", NULL, "name", name);
	api_reply(x, 204, "application/json", "", 0, NULL);
}
