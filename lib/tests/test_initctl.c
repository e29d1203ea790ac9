/* test_initctl.c: initctl against a fake init on a temporary unix socket:
 * replies, errors, timeouts, log lines (split across reads, malformed). */
#include "initctl.h"
#include "wtest.h"
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static char sock_path[108];
static const char *reply_text;
static int reply_chunks;   /* send the reply a byte at a time */
static int listen_fd = -1;

static void *server(void *arg)
{
	(void)arg;
	int fd = accept(listen_fd, NULL, NULL);
	char req[128] = "";
	ssize_t n = recv(fd, req, sizeof req - 1, 0);
	(void)n;
	if (reply_text) {
		size_t len = strlen(reply_text);
		for (size_t i = 0; i < len; i += reply_chunks ? 1 : len)
			if (send(fd, reply_text + i, reply_chunks ? 1 : len, MSG_NOSIGNAL) < 0)
				break;
		close(fd);
	} else {
		usleep(300000); /* say nothing: the client must time out */
		close(fd);
	}
	return NULL;
}

static pthread_t serve(const char *text, int chunks)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sock_path, sizeof sock_path, "/tmp/wafer-initctl-%d.sock", (int)getpid());
	unlink(sock_path);
	strcpy(sa.sun_path, sock_path);
	listen_fd = socket(AF_UNIX, SOCK_STREAM, 0);
	bind(listen_fd, (struct sockaddr *)&sa, sizeof sa);
	listen(listen_fd, 1);
	reply_text = text;
	reply_chunks = chunks;
	pthread_t t;
	pthread_create(&t, NULL, server, NULL);
	return t;
}

static void done(pthread_t t)
{
	pthread_join(t, NULL);
	close(listen_fd);
	unlink(sock_path);
}

static void t_status(void)
{
	char out[512], v[64];
	pthread_t t = serve("ok\nversion=0.1.0\nslot=A\nservice.udhcpc=up pid=7 restarts=0\nproblem=no link on eth0\n", 1);
	WT_EQ_INT(initctl_status(sock_path, out, sizeof out), 0);
	done(t);
	WT_EQ_INT(initctl_kv(out, "slot", v, sizeof v), 0);
	WT_EQ_STR(v, "A");
	WT_EQ_INT(initctl_kv(out, "service.udhcpc", v, sizeof v), 0);
	WT_EQ_STR(v, "up pid=7 restarts=0");
	WT_EQ_INT(initctl_kv(out, "problem", v, 8), 0);
	WT_EQ_STR(v, "no link");
	WT_EQ_INT(initctl_kv(out, "missing", v, sizeof v), -ENOENT);
	WT_EQ_INT(initctl_kv(out, "versio", v, sizeof v), -ENOENT);
}

static void t_errors(void)
{
	char out[128];
	pthread_t t = serve("error no such service\n", 0);
	WT_EQ_INT(initctl_request(sock_path, "restart nope", out, sizeof out, 2000), -EPROTO);
	WT_EQ_STR(out, "no such service");
	done(t);
	t = serve("garbage\n", 0);
	WT_EQ_INT(initctl_request(sock_path, "status", out, sizeof out, 2000), -EBADMSG);
	done(t);
	t = serve(NULL, 0);
	WT_EQ_INT(initctl_request(sock_path, "status", out, sizeof out, 100), -ETIMEDOUT);
	done(t);
	WT_EQ_INT(initctl_request("/tmp/no-such-wafer-socket", "status", out, sizeof out, 100), -ENOENT);
	WT_EQ_INT(initctl_request(sock_path, "two\nlines", out, sizeof out, 100), -ENOENT); /* no server */
}

static void t_log_parse(void)
{
	struct initctl_logrec r;
	const char *ok = "42 1700000000123 30 udhcpc lease of 10.0.2.15 obtained";
	WT_EQ_INT(initctl_log_parse(ok, strlen(ok), &r), 0);
	WT_EQ_INT(r.seq, 42);
	WT_EQ_INT(r.time_ms, 1700000000123LL);
	WT_EQ_INT(r.prio, 30);
	WT_EQ_STR(r.tag, "udhcpc");
	WT_EQ_STR(r.msg, "lease of 10.0.2.15 obtained");
	const char *empty = "1 5 14 - ";
	WT_EQ_INT(initctl_log_parse(empty, strlen(empty), &r), 0);
	WT_EQ_STR(r.msg, "");
	static const char *const bad[] = { "", "x 1 2 t m", "1 2 t m", "1 2 3", "1 2 99999 t m",
					   "1 2 3 a-tag-that-is-far-too-long-for-the-field m",
					   "18446744073709551616 1 1 t m" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		WT_EQ_INT(initctl_log_parse(bad[i], strlen(bad[i]), &r), -EINVAL);
}

static void t_log_stream(void)
{
	struct initctl_log l;
	struct initctl_logrec r;
	pthread_t t = serve("1 100 6 kernel Linux version 6.12\nnot a record\n2 101 30 ntpd time set\n", 1);
	WT_EQ_INT(initctl_log_open(&l, sock_path, 0, 0), 0);
	WT_EQ_INT(initctl_log_next(&l, &r, 2000), 1);
	WT_EQ_STR(r.msg, "Linux version 6.12");
	WT_EQ_INT(initctl_log_next(&l, &r, 2000), 1);
	WT_EQ_STR(r.tag, "ntpd");
	WT_EQ_INT(r.seq, 2);
	WT_EQ_INT(initctl_log_next(&l, &r, 2000), 0);
	initctl_log_close(&l);
	done(t);
}

WTEST_MAIN("lib_initctl", WT_CASE(t_status), WT_CASE(t_errors), WT_CASE(t_log_parse), WT_CASE(t_log_stream))
