/* test_fatcheck.c: fsck.fat's exit codes and output mapped to clean /
 * repaired / failed (with real fsck.fat 4.2 output), and fatcheck_run with
 * stand-in fsck.fat scripts: the arguments it passes, the second pass after
 * a repair, a missing program or device, a run that hangs, long output. */
#include "fatcheck.h"
#include "wtest.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char dir[64], dev[96], prog[96], args[96];

#define EXITED(c) ((c) << 8) /* a waitpid() status of a normal exit */

static const char out_repaired[] =
	"fsck.fat 4.2 (2021-01-31)\n"
	"There are differences between boot sector and its backup.\n"
	"This is mostly harmless. Differences: (offset:original/backup)\n"
	"  65:01/00\n"
	"  Not automatically fixing this.\n"
	"Reclaimed 4 unused clusters (2048 bytes) in 1 chain.\n"
	"Dirty bit is set. Fs was not properly unmounted and some data may be corrupt.\n"
	" Automatically removing dirty bit.\n"
	"Free cluster summary wrong (82958 vs. really 82954)\n"
	"  Auto-correcting.\n"
	"/dev/vda2: 4 files, 9772/92726 clusters\n";

static void t_classify_clean(void)
{
	struct fatcheck r;
	memset(&r, 0, sizeof r);
	WT_EQ_INT(fatcheck_classify("/dev/vda2", EXITED(0), false, 30000,
				    "fsck.fat 4.2 (2021-01-31)\n/dev/vda2: 3 files, 9768/92726 clusters\n", &r),
		  FATCHECK_CLEAN);
	WT_EQ_INT(r.exit_code, 0);
	WT_EQ_STR(r.summary, "3 files, 9768/92726 clusters");
	WT_EQ_STR(r.findings, "");
	WT_EQ_STR(r.msg, "/dev/vda2: clean (3 files, 9768/92726 clusters)");
}

static void t_classify_repaired(void)
{
	struct fatcheck r;
	memset(&r, 0, sizeof r);
	WT_EQ_INT(fatcheck_classify("/dev/vda2", EXITED(1), false, 30000, out_repaired, &r), FATCHECK_REPAIRED);
	WT_EQ_INT(r.exit_code, 1);
	WT_EQ_STR(r.summary, "4 files, 9772/92726 clusters");
	WT_CHECK(strstr(r.findings, "Reclaimed 4 unused clusters (2048 bytes) in 1 chain.; Dirty bit is set.") != NULL);
	WT_CHECK(strstr(r.findings, "may be corrupt. Automatically removing dirty bit.") != NULL);
	WT_CHECK(strstr(r.findings, "fsck.fat 4.2") == NULL);    /* the banner is not a finding */
	WT_CHECK(strstr(r.findings, "9772/92726") == NULL);      /* nor the summary */
	/* the summary first: log lines may be cut at their end */
	WT_CHECK(strncmp(r.msg, "/dev/vda2 repaired by fsck.fat (4 files, 9772/92726 clusters): There are differences", 84) == 0);
}

static void t_classify_failures(void)
{
	struct fatcheck r;
	/* die(): exit 1 without the summary line */
	memset(&r, 0, sizeof r);
	WT_EQ_INT(fatcheck_classify("/dev/sdb2", EXITED(1), false, 30000,
				    "fsck.fat 4.2 (2021-01-31)\nLogical sector size (46633 bytes) is not a multiple of the physical sector size.\n",
				    &r),
		  FATCHECK_FAILED);
	WT_CHECK(strstr(r.msg, "stopped before the end") != NULL);
	WT_CHECK(strstr(r.msg, "Logical sector size (46633 bytes)") != NULL);
	memset(&r, 0, sizeof r);
	WT_EQ_INT(fatcheck_classify("/dev/sdb2", EXITED(2), false, 30000, "Usage: fsck.fat [OPTIONS] DEVICE\n", &r),
		  FATCHECK_FAILED);
	WT_CHECK(strstr(r.msg, "usage error (volume not touched)") != NULL);
	memset(&r, 0, sizeof r);
	WT_EQ_INT(fatcheck_classify("/dev/sdb2", EXITED(6), false, 30000,
				    "fsck.fat 4.2 (2021-01-31)\nopen: No such file or directory\n", &r),
		  FATCHECK_FAILED);
	WT_CHECK(strstr(r.msg, "cannot open the device: open: No such file or directory") != NULL);
	memset(&r, 0, sizeof r);
	WT_EQ_INT(fatcheck_classify("/dev/sdb2", EXITED(3), false, 30000, "", &r), FATCHECK_FAILED);
	WT_CHECK(strstr(r.msg, "exit code 3: no message") != NULL);
	memset(&r, 0, sizeof r);
	WT_EQ_INT(fatcheck_classify("/dev/sdb2", SIGSEGV, false, 30000, "", &r), FATCHECK_FAILED);
	WT_EQ_INT(r.exit_code, -1);
	WT_CHECK(strstr(r.msg, "killed by signal 11") != NULL);
	memset(&r, 0, sizeof r);
	WT_EQ_INT(fatcheck_classify("/dev/sdb2", SIGKILL, true, 30000, "fsck.fat 4.2 (2021-01-31)\n", &r),
		  FATCHECK_FAILED);
	WT_CHECK(strstr(r.msg, "did not finish within 30.0 s") != NULL);
}

static void t_classify_long_findings(void)
{
	struct fatcheck r;
	size_t n = 20000;
	char *out = malloc(n + 100);
	out[0] = '\0';
	for (size_t used = 0; used + 40 < n;)
		used += (size_t)sprintf(out + used, "/A/FILE%05zu\n  Start cluster beyond limit.\n", used);
	strcat(out, "/dev/x: 9 files, 1/2 clusters\n");
	memset(&r, 0, sizeof r);
	WT_EQ_INT(fatcheck_classify("/dev/x", EXITED(1), false, 30000, out, &r), FATCHECK_REPAIRED);
	WT_CHECK(strlen(r.findings) < sizeof r.findings);
	WT_CHECK(strcmp(r.findings + strlen(r.findings) - 4, " ...") == 0);
	WT_EQ_STR(r.summary, "9 files, 1/2 clusters");
	free(out);
}

/* A stand-in fsck.fat: records its arguments, prints and exits as told. */
/* A line that does not fit after a finding of 1 or 2 bytes: the cut is
 * marked without reading before the buffer (a heap copy: ASan watches). */
static void t_append_short_then_long(void)
{
	char longline[64];
	memset(longline, 'x', sizeof longline);
	for (size_t used = 1; used <= 3; used++) {
		char *dst = malloc(16);
		WT_CHECK(dst != NULL);
		memset(dst, 'a', used);
		dst[used] = '\0';
		fatcheck_append(dst, 16, "; ", longline, sizeof longline);
		WT_CHECK(strlen(dst) == used + 4 && !strcmp(dst + used, " ..."));
		fatcheck_append(dst, 16, "; ", longline, sizeof longline); /* marked once */
		WT_CHECK(strlen(dst) == used + 4);
		free(dst);
	}
}

static void fake(const char *body)
{
	FILE *f = fopen(prog, "w");
	fprintf(f, "#!/bin/sh\necho \"$*\" >> %s\n%s\n", args, body);
	fclose(f);
	chmod(prog, 0755);
	unlink(args);
}

static void read_args(char *buf, size_t n)
{
	FILE *f = fopen(args, "r");
	size_t k = f ? fread(buf, 1, n - 1, f) : 0;
	buf[k] = '\0';
	if (f)
		fclose(f);
}

static void t_run_clean_args(void)
{
	struct fatcheck r;
	struct fatcheck_opts o = { .prog = prog };
	char a[300], want[300];
	fake("echo 'fsck.fat 4.2 (2021-01-31)'; echo \"$4: 2 files, 10/100 clusters\"; exit 0");
	WT_EQ_INT(fatcheck_run(dev, &o, &r), FATCHECK_CLEAN);
	read_args(a, sizeof a);
	snprintf(want, sizeof want, "-a -w %s\n", dev); /* one run: no second pass when clean */
	WT_EQ_STR(a, want);
	WT_EQ_STR(r.summary, "2 files, 10/100 clusters");
	WT_EQ_INT(r.exit_code, 0);
	WT_CHECK(r.ms >= 0 && r.ms < 5000);
}

static void t_run_repaired_then_verified(void)
{
	struct fatcheck r;
	struct fatcheck_opts o = { .prog = prog };
	char a[300], want[300];
	/* -a: a repair (exit 1 with the summary); -n: clean */
	fake("echo 'fsck.fat 4.2 (2021-01-31)'\n"
	     "if [ \"$1\" = -a ]; then echo 'Dirty bit is set. Fs was not properly unmounted and some data may be corrupt.';"
	     " echo ' Automatically removing dirty bit.'; echo \"$3: 2 files, 10/100 clusters\"; exit 1; fi\n"
	     "echo \"$2: 2 files, 10/100 clusters\"; exit 0");
	WT_EQ_INT(fatcheck_run(dev, &o, &r), FATCHECK_REPAIRED);
	read_args(a, sizeof a);
	snprintf(want, sizeof want, "-a -w %s\n-n %s\n", dev, dev);
	WT_EQ_STR(a, want);
	WT_CHECK(strstr(r.msg, "repaired by fsck.fat (2 files, 10/100 clusters): Dirty bit is set.") != NULL);
	WT_EQ_INT(r.exit_code, 1);
}

static void t_run_repair_not_enough(void)
{
	struct fatcheck r;
	struct fatcheck_opts o = { .prog = prog };
	fake("echo 'fsck.fat 4.2 (2021-01-31)'; echo '/A/X.BIN'; echo '  Cluster chain broken.';"
	     " echo \"$(eval echo \\${$#}): 2 files, 10/100 clusters\"; exit 1");
	WT_EQ_INT(fatcheck_run(dev, &o, &r), FATCHECK_FAILED);
	WT_CHECK(strstr(r.msg, "could not repair it") != NULL);
	WT_CHECK(strstr(r.msg, "a second pass still finds: /A/X.BIN Cluster chain broken.") != NULL);
}

static void t_run_missing(void)
{
	struct fatcheck r;
	struct fatcheck_opts o = { .prog = "/nonexistent/fsck.fat" };
	WT_EQ_INT(fatcheck_run(dev, &o, &r), FATCHECK_FAILED);
	WT_CHECK(strstr(r.msg, "fsck.fat not available (/nonexistent/fsck.fat: No such file or directory)") != NULL);
	WT_EQ_INT(r.exit_code, -1);
	/* a device that is not there: fsck.fat is not even started */
	fake("exit 0");
	o.prog = prog;
	char nodev[128];
	snprintf(nodev, sizeof nodev, "%s/no-such-dev", dir);
	WT_EQ_INT(fatcheck_run(nodev, &o, &r), FATCHECK_FAILED);
	WT_CHECK(strstr(r.msg, "cannot open it: No such file or directory") != NULL);
	WT_CHECK(access(args, F_OK) != 0);
	WT_EQ_INT(fatcheck_run("", &o, &r), FATCHECK_FAILED);
	WT_EQ_INT(fatcheck_run(NULL, &o, &r), FATCHECK_FAILED);
	/* not executable */
	chmod(prog, 0644);
	WT_EQ_INT(fatcheck_run(dev, &o, &r), FATCHECK_FAILED);
	WT_CHECK(strstr(r.msg, "Permission denied") != NULL);
}

/* A stand-in that never finishes is killed at the timeout, well before 3 s. */
static void expect_killed(const char *script, const char *msg)
{
	struct fatcheck r;
	struct fatcheck_opts o = { .prog = prog, .timeout_ms = 300 };
	struct timespec a, b;
	fake(script);
	clock_gettime(CLOCK_MONOTONIC, &a);
	WT_EQ_INT(fatcheck_run(dev, &o, &r), FATCHECK_FAILED);
	clock_gettime(CLOCK_MONOTONIC, &b);
	WT_CHECK(b.tv_sec - a.tv_sec < 3);
	WT_CHECK(strstr(r.msg, msg) != NULL);
}

static void t_run_timeout(void)
{
	expect_killed("echo 'fsck.fat 4.2 (2021-01-31)'; exec sleep 20", "did not finish within 0.3 s (killed)");
	/* a child that closes its output but keeps running is killed as well */
	expect_killed("exec >/dev/null 2>&1; exec sleep 20", "(killed)");
}

static void t_run_long_output(void)
{
	struct fatcheck r;
	struct fatcheck_opts o = { .prog = prog };
	/* 100 KB of findings: the summary at the end still counts */
	fake("i=0; while [ $i -lt 4000 ]; do echo \"/B/FILE$i.BIN\"; echo '  Start cluster beyond limit.'; i=$((i+1)); done;"
	     " echo \"$3: 7 files, 1/2 clusters\"; [ \"$1\" = -n ] && exit 0; exit 1");
	WT_EQ_INT(fatcheck_run(dev, &o, &r), FATCHECK_REPAIRED); /* the -n pass exits 0: its exit code counts */
	WT_EQ_STR(r.summary, "7 files, 1/2 clusters");
	WT_CHECK(strncmp(r.findings, "/B/FILE0.BIN Start cluster beyond limit.; /B/FILE1.BIN", 54) == 0);
	WT_CHECK(strcmp(r.findings + strlen(r.findings) - 4, " ...") == 0);
}

static void t_setup(void)
{
	snprintf(dir, sizeof dir, "/tmp/wafer-fatcheck.XXXXXX");
	WT_CHECK(mkdtemp(dir) != NULL);
	snprintf(dev, sizeof dev, "%s/dev.img", dir);
	snprintf(prog, sizeof prog, "%s/fsck.fat", dir);
	snprintf(args, sizeof args, "%s/args", dir);
	FILE *f = fopen(dev, "w");
	WT_CHECK(f != NULL);
	if (f)
		fclose(f);
	WT_EQ_STR(fatcheck_result_name(FATCHECK_REPAIRED), "repaired");
	WT_EQ_STR(fatcheck_result_name(FATCHECK_BUSY), "busy");
}

static void t_cleanup(void)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	WT_EQ_INT(system(cmd), 0);
}

WTEST_MAIN("lib_fatcheck", WT_CASE(t_setup), WT_CASE(t_classify_clean), WT_CASE(t_classify_repaired),
	   WT_CASE(t_classify_failures), WT_CASE(t_classify_long_findings), WT_CASE(t_append_short_then_long), WT_CASE(t_run_clean_args),
	   WT_CASE(t_run_repaired_then_verified), WT_CASE(t_run_repair_not_enough), WT_CASE(t_run_missing),
	   WT_CASE(t_run_timeout), WT_CASE(t_run_long_output), WT_CASE(t_cleanup))
