/* test_vmmctl.c: lib/vmmctl against a scripted fake VMM on a Unix socket:
 * status and stats decoding, error responses, malformed responses, a peer
 * that closes or never answers (timeout), console streaming with bytes that
 * arrive together with the response line, and oversized console writes. */
#include "wtest.h"
#include "vmmctl.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static char path[108];
static const char *script[8];   /* one reply per request; NULL: close; "" : stay silent */
static int nscript;
static char last_req[512];

static void *server(void *arg)
{
	int ls = *(int *)arg;
	int fd = accept(ls, NULL, NULL);
	for (int i = 0; i < nscript && fd >= 0; i++) {
		char buf[512];
		ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);
		if (n <= 0)
			break;
		buf[n] = 0;
		snprintf(last_req, sizeof(last_req), "%s", buf);
		if (!script[i])
			break;
		if (!*script[i]) {
			usleep(400000);
			continue;
		}
		ssize_t w = send(fd, script[i], strlen(script[i]), MSG_NOSIGNAL);
		(void)w;
	}
	if (fd >= 0)
		close(fd);
	return NULL;
}

static pthread_t th;
static int ls;
static void start(int n, ...)
{
	va_list ap;
	va_start(ap, n);
	for (int i = 0; i < n; i++)
		script[i] = va_arg(ap, const char *);
	va_end(ap);
	nscript = n;
	snprintf(path, sizeof(path), "/tmp/vmmctl-test-%d.sock", (int)getpid());
	unlink(path);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	strcpy(sa.sun_path, path);
	ls = socket(AF_UNIX, SOCK_STREAM, 0);
	bind(ls, (struct sockaddr *)&sa, sizeof(sa));
	listen(ls, 1);
	pthread_create(&th, NULL, server, &ls);
}

static void finish(struct vmmctl *c)
{
	vmmctl_close(c);
	pthread_join(th, NULL);
	close(ls);
	unlink(path);
}

static void t_status(void)
{
	struct vmmctl c;
	struct vmmctl_status st;
	start(1, "{\"ok\":true,\"id\":\"vm1\",\"state\":\"running\",\"vcpus\":2,\"memory_mib\":256,"
		 "\"pid\":42,\"uptime_ms\":5,\"boot_ms\":null,\"exit_reason\":null,\"broken\":[\"rng0\"]}\n");
	WT_EQ_INT(vmmctl_connect(&c, path), 0);
	WT_EQ_INT(vmmctl_status(&c, &st), 0);
	WT_EQ_STR(st.id, "vm1");
	WT_EQ_STR(st.state, "running");
	WT_EQ_INT(st.vcpus, 2);
	WT_EQ_INT(st.boot_ms, -1);
	WT_EQ_INT(st.nbroken, 1);
	WT_EQ_STR(st.broken[0], "rng0");
	WT_EQ_STR(last_req, "{\"cmd\":\"status\"}\n");
	finish(&c);
}

static void t_stats(void)
{
	struct vmmctl c;
	struct vmmctl_stats st;
	start(1, "{\"ok\":true,\"vcpu_time_ns\":7,\"exits\":9,\"exits_io\":4,\"exits_mmio\":5,\"uptime_ms\":1,"
		 "\"boot_ms\":300,\"disks\":[{\"id\":\"d\",\"rd_bytes\":512,\"rd_ops\":1,\"broken\":false}],"
		 "\"nets\":[{\"id\":\"n\",\"tx_packets\":3,\"broken\":true}],"
		 "\"balloon\":{\"target_mib\":100,\"actual_mib\":120,\"guest\":{\"free_memory\":4096}},"
		 "\"console\":{\"bytes\":10,\"ring_size\":4096}}\n");
	WT_EQ_INT(vmmctl_connect(&c, path), 0);
	WT_EQ_INT(vmmctl_stats(&c, &st), 0);
	WT_EQ_INT(st.exits, 9);
	WT_EQ_INT(st.boot_ms, 300);
	WT_EQ_INT(st.ndisks, 1);
	WT_EQ_INT(st.disks[0].rd_bytes, 512);
	WT_EQ_INT(st.nnets, 1);
	WT_CHECK(st.nets[0].broken);
	WT_CHECK(st.has_balloon);
	WT_EQ_INT(st.balloon_actual_mib, 120);
	WT_EQ_INT(st.guest_free_memory, 4096);
	WT_EQ_INT(st.console_ring_size, 4096);
	finish(&c);
}

static void t_save(void)
{
	struct vmmctl c;
	struct vmmctl_save sv;
	start(2, "{\"ok\":true,\"state_bytes\":18764,\"memory_bytes\":134217728,\"pages_written\":17908,"
		 "\"file_bytes\":134236492,\"ms\":1010}\n",
	      "{\"ok\":false,\"error\":\"pause the VM before saving it\"}\n");
	WT_EQ_INT(vmmctl_connect(&c, path), 0);
	WT_EQ_INT(vmmctl_save(&c, &sv), 0);
	WT_EQ_STR(last_req, "{\"cmd\":\"save\"}\n");
	WT_EQ_INT(sv.state_bytes, 18764);
	WT_EQ_INT(sv.memory_bytes, 134217728);
	WT_EQ_INT(sv.pages_written, 17908);
	WT_EQ_INT(sv.ms, 1010);
	WT_EQ_INT(vmmctl_save(&c, &sv), -1);
	WT_EQ_STR(c.err, "pause the VM before saving it");
	finish(&c);
}

static void t_errors(void)
{
	struct vmmctl c;
	start(3, "{\"ok\":false,\"error\":\"no balloon device\"}\n", "not json at all\n", NULL);
	WT_EQ_INT(vmmctl_connect(&c, path), 0);
	WT_EQ_INT(vmmctl_balloon(&c, 64), -1);
	WT_EQ_STR(c.err, "no balloon device");
	WT_CHECK(strstr(last_req, "\"target_mib\":64") != NULL);
	WT_EQ_INT(vmmctl_pause(&c), -1);
	WT_CHECK(strstr(c.err, "bad response") != NULL);
	WT_EQ_INT(vmmctl_resume(&c), -1);
	WT_CHECK(strstr(c.err, "closed") != NULL || strstr(c.err, "reset") != NULL || strstr(c.err, "pipe") != NULL);
	finish(&c);
	WT_EQ_INT(vmmctl_connect(&c, "/nonexistent/dir/sock"), -1);
	WT_CHECK(strstr(c.err, "connect") != NULL);
	vmmctl_close(&c);
}

static void t_timeout(void)
{
	struct vmmctl c;
	start(1, "");
	WT_EQ_INT(vmmctl_connect(&c, path), 0);
	c.timeout_ms = 100;
	WT_EQ_INT(vmmctl_stop(&c), -1);
	WT_CHECK(strstr(c.err, "timeout") != NULL);
	finish(&c);
}

static void t_console(void)
{
	struct vmmctl c;
	uint64_t off = 0, lost = 0;
	char buf[64];
	start(1, "{\"ok\":true,\"offset\":100,\"lost\":7}\nhello console");
	WT_EQ_INT(vmmctl_connect(&c, path), 0);
	WT_EQ_INT(vmmctl_console_open(&c, VMMCTL_FROM_START, false, false, &off, &lost), 0);
	WT_EQ_INT(off, 100);
	WT_EQ_INT(lost, 7);
	WT_CHECK(strstr(last_req, "\"from\":\"start\"") != NULL);
	size_t got = 0;
	ssize_t n;
	while ((n = vmmctl_console_read(&c, buf + got, sizeof(buf) - 1 - got)) > 0)
		got += (size_t)n;
	buf[got] = 0;
	WT_EQ_STR(buf, "hello console");
	WT_EQ_INT(n, 0);
	char big[5000];
	memset(big, 'a', sizeof(big));
	WT_EQ_INT(vmmctl_console_write(&c, big, sizeof(big)), -1);
	finish(&c);
}

WTEST_MAIN("vmm_vmmctl", WT_CASE(t_status), WT_CASE(t_stats), WT_CASE(t_save), WT_CASE(t_errors), WT_CASE(t_timeout),
	   WT_CASE(t_console))
