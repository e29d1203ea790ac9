/* test_update.c: the agent's update logic without a host: the policy
 * decisions (state, board, version, force, length, space -> HTTP status and
 * message), init's status as health input, the commit decision, wafer.conf
 * and command-line keys, the GET rendering, and whole updates through
 * upd_run into a temporary folder standing in for the ESP: a good bundle is
 * written and tried; refused bundles never mount the ESP or leave files,
 * and the state file is untouched. */
#include "agent.h"
#include "update/update.h"
#include "update_slot.h"
#include "fsutil.h"
#include "wtest.h"

#include <mbedtls/ecp.h>
#include <mbedtls/pk.h>
#include <mbedtls/sha256.h>
#include <psa/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- pure policy ---- */

static void t_host_parse(void)
{
	struct upd_host h;
	upd_host_parse("BOOT_IMAGE=x wafer.slot=B wafer.boot=grub-bios quiet", &h);
	WT_EQ_INT(h.slot, 'B');
	WT_CHECK(h.has_state && h.fmt == AB_FMT_GRUBENV);
	WT_EQ_STR(upd_state_file(&h), "grub/grubenv");
	upd_host_parse("wafer.boot=u-boot wafer.slot=A\n", &h);
	WT_CHECK(h.slot == 'A' && h.has_state && h.fmt == AB_FMT_UBOOT);
	WT_EQ_STR(upd_state_file(&h), "uboot-ab.env");
	upd_host_parse("wafer.slot=pxe wafer.boot=pxe", &h);
	WT_CHECK(h.slot == 0 && !h.has_state);
	upd_host_parse("wafer.slot=A", &h);            /* no bootloader named: no state file */
	WT_CHECK(h.slot == 0 && !h.has_state);
	upd_host_parse("xwafer.slot=A wafer.boot=grub-uefi wafer.slot=AB", &h);
	WT_CHECK(h.slot == 0 && h.has_state);
}

static void t_check_state(void)
{
	struct upd_host h;
	struct ab_state s = { .committed = 'A' };
	char slot = 0, msg[300];
	upd_host_parse("wafer.slot=A wafer.boot=grub-bios", &h);
	WT_EQ_INT(upd_check_state(&h, &s, &slot, msg, sizeof msg), 0);
	WT_EQ_INT(slot, 'B');
	s.trying = 'B', s.tries_left = 3;            /* pending */
	WT_EQ_INT(upd_check_state(&h, &s, &slot, msg, sizeof msg), 409);
	WT_CHECK(strstr(msg, "being tried") != NULL);
	s.trying = 0, s.tries_left = 0, s.committed = 'B';  /* running A, committed B */
	WT_EQ_INT(upd_check_state(&h, &s, &slot, msg, sizeof msg), 409);
	WT_CHECK(strstr(msg, "not the committed slot") != NULL);
	upd_host_parse("wafer.slot=B wafer.boot=u-boot", &h);
	s.committed = 'A', s.trying = 'B', s.tries_left = 2; /* running the try */
	WT_EQ_INT(upd_check_state(&h, &s, &slot, msg, sizeof msg), 409);
	upd_host_parse("wafer.slot=pxe wafer.boot=pxe", &h);
	WT_EQ_INT(upd_check_state(&h, &s, &slot, msg, sizeof msg), 409);
	WT_CHECK(strstr(msg, "without a boot medium (pxe)") != NULL);
}

static void t_check_header(void)
{
	struct upd_info in;
	char msg[300];
	memset(&in, 0, sizeof in);
	strcpy(in.board, "x86_64");
	strcpy(in.version, "0.1.1");
	WT_EQ_INT(upd_check_header(&in, "x86_64", "0.1.0", false, msg, sizeof msg), 0);
	WT_EQ_INT(upd_check_header(&in, "arm64", "0.1.0", true, msg, sizeof msg), 422);
	WT_EQ_STR(msg, "bundle: for board 'x86_64', this host is 'arm64'");
	WT_EQ_INT(upd_check_header(&in, "x86_64", "0.1.1", false, msg, sizeof msg), 422);
	WT_CHECK(strstr(msg, "the same as the running version 0.1.1") != NULL);
	WT_EQ_INT(upd_check_header(&in, "x86_64", "0.1.1", true, msg, sizeof msg), 0);
	WT_EQ_INT(upd_check_header(&in, "x86_64", "0.10.0", false, msg, sizeof msg), 422);
	WT_CHECK(strstr(msg, "older than the running version 0.10.0") != NULL);
	WT_EQ_INT(upd_check_header(&in, "x86_64", "0.10.0", true, msg, sizeof msg), 0);
	strcpy(in.version, "0.1.1-rc1");
	WT_EQ_INT(upd_check_header(&in, "x86_64", "0.1.1", false, msg, sizeof msg), 422);
}

static void t_check_length_space(void)
{
	struct upd_info in;
	char msg[300];
	bool rm;
	memset(&in, 0, sizeof in);
	in.size[0] = 1000, in.size[1] = 2000;
	WT_EQ_INT(upd_check_length(&in, UPD_PREAMBLE + 3000, msg, sizeof msg), 0);
	WT_EQ_INT(upd_check_length(&in, UPD_PREAMBLE + 2999, msg, sizeof msg), 400);
	WT_CHECK(strstr(msg, "bundle: truncated: 3383 of 3384 bytes") == msg);
	WT_EQ_INT(upd_check_length(&in, UPD_PREAMBLE + 3010, msg, sizeof msg), 400);
	WT_EQ_STR(msg, "bundle: 10 unexpected bytes after the end");
	/* 18.5 MB into 46 MiB holding two slots: only with the old files gone */
	uint64_t need = 18534787, avail = 9609216, old = 18534787;
	WT_EQ_INT(upd_check_space(need, avail, old, &rm, msg, sizeof msg), 0);
	WT_CHECK(rm);
	WT_EQ_INT(upd_check_space(need, 40u << 20, old, &rm, msg, sizeof msg), 0);
	WT_CHECK(!rm);
	WT_EQ_INT(upd_check_space(need, avail, 0, &rm, msg, sizeof msg), 507);
	WT_CHECK(strstr(msg, "not enough space on the boot partition") == msg);
}

static void t_health(void)
{
	char why[200];
	const char *ok = "ok\nversion=0.1.1\nservice.udhcpc=up pid=50 restarts=0\nservice.ntpd=up pid=51 restarts=1\n"
			 "service.wafer-agent=up pid=52 restarts=0\nservice.test-hook=down pid=0 restarts=0\n";
	WT_CHECK(upd_services_ok(ok, why, sizeof why));
	const char *flap = "service.udhcpc=down pid=0 restarts=4\nservice.wafer-agent=up pid=52 restarts=0\n";
	WT_CHECK(!upd_services_ok(flap, why, sizeof why));
	WT_EQ_STR(why, "service udhcpc is down after 4 restarts");
	WT_CHECK(!upd_services_ok("service.wafer-agent=down pid=0 restarts=0\n", why, sizeof why));
	WT_CHECK(!upd_services_ok("ok\nversion=1\n", why, sizeof why));
	WT_CHECK(!upd_services_ok("service.x=up\n", why, sizeof why));
	/* grace 120 s from ready at t=10 s */
	WT_EQ_INT(upd_health_decide(129999, 10000, 120, true, true), UPD_HEALTH_WAIT);
	WT_EQ_INT(upd_health_decide(130000, 10000, 120, true, true), UPD_HEALTH_COMMIT);
	WT_EQ_INT(upd_health_decide(500000, 10000, 120, false, true), UPD_HEALTH_WAIT);
	WT_EQ_INT(upd_health_decide(500000, 10000, 120, true, false), UPD_HEALTH_WAIT);
	WT_EQ_INT(upd_health_decide(10000, 10000, 0, true, true), UPD_HEALTH_COMMIT);
}

static void t_conf(void)
{
	char v[64];
	const char *t = "# update_grace = 1\nhostname = x\r\n update_grace=30 \nupdate_grace = \"45\"\r\nupdate_grace_x = 9\n";
	WT_EQ_INT(conf_text_get(t, strlen(t), "update_grace", v, sizeof v), 1);
	WT_EQ_STR(v, "45");
	WT_EQ_INT(conf_text_get(t, strlen(t), "agent_x", v, sizeof v), 0);
	WT_EQ_INT(conf_cmdline_get("quiet wafer.update_grace=5 wafer.update_grace_x=1", "update_grace", v, sizeof v), 1);
	WT_EQ_STR(v, "5");
	WT_EQ_INT(conf_cmdline_get("xwafer.update_grace=5", "update_grace", v, sizeof v), 0);
}

/* ---- GET rendering ---- */

static void t_view_json(void)
{
	struct upd_view v;
	struct json_w w;
	struct json_doc d;
	size_t len;
	memset(&v, 0, sizeof v);
	upd_host_parse("wafer.slot=A wafer.boot=grub-bios", &v.host);
	strcpy(v.running_version, "0.1.0");
	v.state_ok = true;
	v.st.committed = 'A';
	v.st.attempted = 'B';
	strcpy(v.st.attempted_version, "0.1.1");
	v.slot_known[0] = true;
	strcpy(v.slot_version[0], "0.1.0");
	strcpy(v.last.result, "rolled-back");
	v.last.slot = 'B';
	strcpy(v.last.version, "0.1.1");
	strcpy(v.last.message, "update failed: version 0.1.1 did not become healthy, rolled back");
	v.grace_s = 120;
	v.committed_after_s = -1;
	json_w_init(&w);
	upd_view_json(&v, &w);
	char *s = json_w_finish(&w, &len);
	WT_EQ_INT(json_parse(&d, s, len, NULL, NULL), 0);
	const struct json_node *r = json_root(&d);
	WT_CHECK(json_is(json_get(r, "stateless"), JSON_BOOL) && !json_get(r, "stateless")->bval);
	WT_EQ_STR(json_get_str(r, "boot"), "grub-bios");
	WT_EQ_STR(json_get_str(r, "running_slot"), "A");
	WT_EQ_STR(json_get_str(r, "committed"), "A");
	WT_EQ_STR(json_get_str(r, "trying"), "");
	WT_EQ_STR(json_get_str(r, "outcome"), "rolled-back");
	WT_EQ_STR(json_get_str(json_get(json_get(r, "slots"), "A"), "version"), "0.1.0");
	WT_CHECK(json_is(json_get(json_get(json_get(r, "slots"), "B"), "version"), JSON_NULL));
	WT_EQ_STR(json_get_str(json_get(r, "last_update"), "result"), "rolled-back");
	WT_EQ_STR(json_get_str(json_get(r, "last_update"), "message"),
		  "update failed: version 0.1.1 did not become healthy, rolled back");
	WT_EQ_INT(json_get(json_get(r, "health"), "grace_s")->ival, 120);
	WT_CHECK(json_is(json_get(json_get(r, "health"), "committed_after_s"), JSON_NULL));
	json_doc_free(&d);
	free(s);
	/* stateless: steady, no slots, last_update null */
	memset(&v, 0, sizeof v);
	upd_host_parse("wafer.slot=pxe wafer.boot=pxe", &v.host);
	v.committed_after_s = 12.5;
	json_w_init(&w);
	upd_view_json(&v, &w);
	s = json_w_finish(&w, &len);
	WT_EQ_INT(json_parse(&d, s, len, NULL, NULL), 0);
	r = json_root(&d);
	WT_CHECK(json_get(r, "stateless")->bval);
	WT_EQ_STR(json_get_str(r, "outcome"), "steady");
	WT_CHECK(json_get(r, "slots") == NULL);
	WT_CHECK(json_is(json_get(r, "last_update"), JSON_NULL));
	json_doc_free(&d);
	free(s);
}

/* ---- whole updates into a fake ESP ---- */

static int test_rng(void *ctx, unsigned char *out, size_t n)
{
	uint64_t *s = ctx;
	for (size_t i = 0; i < n; i++) {
		*s ^= *s << 13, *s ^= *s >> 7, *s ^= *s << 17;
		out[i] = (unsigned char)(*s >> 24);
	}
	return 0;
}

enum { KSIZE = 7000, ISIZE = 150001 };
static mbedtls_pk_context key, other;
static unsigned char pub[512], otherpub[512];
static uint8_t *kernel, *initrd;
static char esp[64];

struct bundle { uint8_t *p; size_t len; };

static void make_key(mbedtls_pk_context *pk, uint64_t seed, unsigned char *pem, size_t cap)
{
	mbedtls_pk_init(pk);
	WT_EQ_INT(mbedtls_pk_setup(pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)), 0);
	WT_EQ_INT(mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(*pk), test_rng, &seed), 0);
	WT_EQ_INT(mbedtls_pk_write_pubkey_pem(pk, pem, cap), 0);
}

static struct bundle make_bundle(mbedtls_pk_context *k, const unsigned char *pem, const char *board,
				 const char *version)
{
	struct upd_info in;
	uint8_t hdr[UPD_HEADER_SIZE];
	char err[200];
	uint64_t seed = 5;
	struct bundle b = { malloc(UPD_PREAMBLE + KSIZE + ISIZE), UPD_PREAMBLE + KSIZE + ISIZE };
	memset(&in, 0, sizeof in);
	snprintf(in.board, sizeof in.board, "%s", board);
	snprintf(in.version, sizeof in.version, "%s", version);
	in.size[0] = KSIZE;
	in.size[1] = ISIZE;
	mbedtls_sha256(kernel, KSIZE, in.sha256[0], 0);
	mbedtls_sha256(initrd, ISIZE, in.sha256[1], 0);
	WT_EQ_INT(upd_key_id(pem, strlen((const char *)pem) + 1, in.key_id, err, sizeof err), 0);
	WT_EQ_INT(upd_header_encode(&in, hdr, err, sizeof err), 0);
	memcpy(b.p, hdr, UPD_HEADER_SIZE);
	WT_EQ_INT(upd_sign_header(hdr, k, test_rng, &seed, b.p + UPD_HEADER_SIZE, err, sizeof err), 0);
	memcpy(b.p + UPD_PREAMBLE, kernel, KSIZE);
	memcpy(b.p + UPD_PREAMBLE + KSIZE, initrd, ISIZE);
	return b;
}

struct feed { const uint8_t *p; size_t len, pos; int mounts, umounts; };

static int feed_read(void *ctx, void *buf, size_t len)
{
	struct feed *f = ctx;
	size_t n = f->len - f->pos < len ? f->len - f->pos : len;
	if (n > 9000)
		n = 9000;  /* odd chunks across the part boundaries */
	memcpy(buf, f->p + f->pos, n);
	f->pos += n;
	return (int)n;
}

static int fake_mount(void *ctx, char *dir, size_t n, char *err, size_t errlen)
{
	struct feed *f = ctx;
	(void)err, (void)errlen;
	f->mounts++;
	snprintf(dir, n, "%s", esp);
	return 0;
}

static void fake_umount(void *ctx)
{
	((struct feed *)ctx)->umounts++;
}

static char *read_str(const char *rel)
{
	char p[256], *b = NULL;
	snprintf(p, sizeof p, "%s/%s", esp, rel);
	if (fs_read_file(p, 1 << 20, &b, NULL))
		return NULL;
	return b;
}

static void put(const char *rel, const char *text)
{
	char p[256];
	snprintf(p, sizeof p, "%s/%s", esp, rel);
	WT_EQ_INT(fs_write_atomic(p, text, strlen(text), 0644), 0);
}

/* A fresh fake ESP: grubenv committed=A (or the given state), slots holding 0.1.0. */
static void fresh_esp(const char *committed, const char *trying, const char *tries)
{
	char p[256], out[AB_GRUBENV_SIZE], err[200];
	struct ab_env e;
	memset(&e, 0, sizeof e);
	e.fmt = AB_FMT_GRUBENV;
	ab_env_set(&e, "committed", committed);
	if (trying)
		ab_env_set(&e, "trying", trying), ab_env_set(&e, "tries_left", tries);
	WT_EQ_INT(ab_env_format(&e, out, sizeof out, err, sizeof err), AB_GRUBENV_SIZE);
	for (const char *d = "grub\0A\0B\0"; *d; d += strlen(d) + 1) {
		snprintf(p, sizeof p, "%s/%s", esp, d);
		mkdir(p, 0755);
	}
	snprintf(p, sizeof p, "%s/grub/grubenv", esp);
	WT_EQ_INT(fs_write_atomic(p, out, AB_GRUBENV_SIZE, 0644), 0);
	put("A/version", "0.1.0\n");
	put("B/version", "0.1.0\n");
	put("B/vmlinuz", "old kernel");
	put("B/initramfs.img", "old initramfs");
}

static size_t body_short;   /* the body ends this many bytes before Content-Length */

static void run(struct upd_job *j, struct feed *f, const struct bundle *b, size_t len, const char *running,
		bool force)
{
	memset(j, 0, sizeof *j);
	memset(f, 0, sizeof *f);
	f->p = b->p;
	f->len = len - body_short;
	upd_host_parse("wafer.slot=A wafer.boot=grub-bios", &j->host);
	j->cached.committed = 'A';
	j->pub = pub;
	j->publen = strlen((const char *)pub) + 1;
	j->board = "x86_64";
	j->running_version = running;
	j->force = force;
	j->content_length = len;
	j->mount = fake_mount;
	j->umount = fake_umount;
	j->mctx = f;
	j->read = feed_read;
	j->rctx = f;
	upd_run(j);
}

static int exists(const char *rel)
{
	char p[256];
	snprintf(p, sizeof p, "%s/%s", esp, rel);
	return access(p, F_OK) == 0;
}

static void expect_refused(struct upd_job *j, struct feed *f, int status, const char *msg_part)
{
	char *env = read_str("grub/grubenv"), *old = read_str("B/vmlinuz");
	WT_EQ_INT(j->status, status);
	if (!strstr(j->msg, msg_part))
		fprintf(stderr, "message: %s\n", j->msg);
	WT_CHECK(strstr(j->msg, msg_part) != NULL);
	WT_CHECK(!exists("B/vmlinuz.new") && !exists("B/initramfs.img.new"));
	WT_CHECK(env && strstr(env, "committed=A\n") && !strstr(env, "trying="));
	WT_CHECK(f->mounts == f->umounts);
	free(env);
	free(old);
}

static void t_run_good(void)
{
	struct upd_job j;
	struct feed f;
	struct bundle b = make_bundle(&key, pub, "x86_64", "0.1.1");
	fresh_esp("A", NULL, NULL);
	run(&j, &f, &b, b.len, "0.1.0", false);
	if (j.status != 200)
		fprintf(stderr, "message: %s\n", j.msg);
	WT_EQ_INT(j.status, 200);
	WT_EQ_INT(j.slot, 'B');
	WT_EQ_STR(j.version, "0.1.1");
	WT_EQ_STR(j.previous_version, "0.1.0");
	WT_EQ_INT(j.bytes, b.len);
	WT_CHECK(f.mounts == 1 && f.umounts == 1);
	WT_CHECK(j.touched && !j.removed_old);   /* a temporary folder has room */
	char *v = read_str("B/version"), *env = read_str("grub/grubenv"), *k = read_str("B/vmlinuz");
	WT_EQ_STR(v, "0.1.1\n");
	WT_CHECK(env && strstr(env, "trying=B\n") && strstr(env, "tries_left=3\n") &&
		 strstr(env, "attempted=B\n") && strstr(env, "attempted_version=0.1.1\n") &&
		 strstr(env, "committed=A\n"));
	WT_CHECK(k && memcmp(k, kernel, 100) == 0);
	WT_CHECK(j.st.trying == 'B' && j.st.tries_left == 3);
	WT_CHECK(!exists("B/vmlinuz.new"));
	free(v), free(env), free(k);
	/* the same version again: 422 without force, 200 with it */
	fresh_esp("A", NULL, NULL);
	run(&j, &f, &b, b.len, "0.1.1", false);
	expect_refused(&j, &f, 422, "force=1");
	WT_EQ_INT(f.mounts, 0);
	run(&j, &f, &b, b.len, "0.1.1", true);
	WT_EQ_INT(j.status, 200);
	free(b.p);
}

static void t_run_refused(void)
{
	struct upd_job j;
	struct feed f;
	struct bundle b = make_bundle(&key, pub, "x86_64", "0.2.0");
	fresh_esp("A", NULL, NULL);
	/* bad signature: nothing mounted */
	b.p[UPD_HEADER_SIZE + 10] ^= 1;
	run(&j, &f, &b, b.len, "0.1.0", false);
	expect_refused(&j, &f, 400, "bundle: ");
	WT_EQ_INT(f.mounts, 0);
	b.p[UPD_HEADER_SIZE + 10] ^= 1;
	/* signed by another key */
	struct bundle o = make_bundle(&other, otherpub, "x86_64", "0.2.0");
	run(&j, &f, &o, o.len, "0.1.0", false);
	expect_refused(&j, &f, 400, "signed by another key");
	WT_EQ_INT(f.mounts, 0);
	free(o.p);
	/* another board: 422, nothing mounted */
	struct bundle a = make_bundle(&key, pub, "arm64", "0.2.0");
	run(&j, &f, &a, a.len, "0.1.0", false);
	expect_refused(&j, &f, 422, "for board 'arm64', this host is 'x86_64'");
	WT_EQ_INT(f.mounts, 0);
	free(a.p);
	/* older version */
	run(&j, &f, &b, b.len, "1.0.0", false);
	expect_refused(&j, &f, 422, "older than the running version 1.0.0");
	WT_EQ_INT(f.mounts, 0);
	/* truncated body: refused at the header (Content-Length), never mounted */
	run(&j, &f, &b, b.len - 5000, "0.1.0", false);
	expect_refused(&j, &f, 400, "bundle: truncated");
	WT_EQ_INT(f.mounts, 0);
	/* a body that ends early although Content-Length was right: the reader
	 * says truncated; the partial .new files are removed */
	body_short = 5000;
	run(&j, &f, &b, b.len, "0.1.0", false);
	body_short = 0;
	expect_refused(&j, &f, 400, "bundle: truncated");
	WT_EQ_INT(f.mounts, 1);
	/* corrupted initramfs: written, detected at its end, .new removed */
	b.p[b.len - 7] ^= 0x40;
	run(&j, &f, &b, b.len, "0.1.0", false);
	expect_refused(&j, &f, 400, "initramfs.img does not match");
	WT_EQ_INT(f.mounts, 1);
	b.p[b.len - 7] ^= 0x40;
	/* a try pending on the medium (the cached state said steady): 409 */
	fresh_esp("A", "B", "3");
	run(&j, &f, &b, b.len, "0.1.0", false);
	WT_EQ_INT(j.status, 409);
	WT_CHECK(strstr(j.msg, "being tried") != NULL);
	WT_CHECK(!exists("B/vmlinuz.new") && f.mounts == f.umounts);
	free(b.p);
}

static void setup(void)
{
	uint64_t seed = 3;
	kernel = malloc(KSIZE);
	initrd = malloc(ISIZE);
	test_rng(&seed, kernel, KSIZE);
	test_rng(&seed, initrd, ISIZE);
	psa_crypto_init();
	make_key(&key, 0xabcdef, pub, sizeof pub);
	make_key(&other, 0x123456, otherpub, sizeof otherpub);
	snprintf(esp, sizeof esp, "/tmp/wafer-test-esp.XXXXXX");
	WT_CHECK(mkdtemp(esp) != NULL);
}

static void teardown(void)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", esp);
	WT_EQ_INT(system(cmd), 0);
	mbedtls_pk_free(&key);
	mbedtls_pk_free(&other);
	free(kernel);
	free(initrd);
	mbedtls_psa_crypto_free();
}

WTEST_MAIN("agent_update", WT_CASE(t_host_parse), WT_CASE(t_check_state), WT_CASE(t_check_header),
	   WT_CASE(t_check_length_space), WT_CASE(t_health), WT_CASE(t_conf), WT_CASE(t_view_json), WT_CASE(setup),
	   WT_CASE(t_run_good), WT_CASE(t_run_refused), WT_CASE(teardown))
