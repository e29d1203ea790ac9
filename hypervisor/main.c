/* main.c: wafer-vmm entry: parse the command line, build the VM, start the
 * vCPUs, then run the main poll loop (control socket, virtio-net receive,
 * console followers, signals, shutdown deadline) until the VM exits. */
#include "config.h"
#include "control.h"
#include "log.h"
#include "machine.h"
#include "sandbox.h"
#include "savefile.h"
#include "virtio/devices.h"
#include "vm.h"
#include "wafer_contract.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

static struct vm the_vm;
static struct control the_ctl;

#define MAIN_MAX_FDS (3 + CFG_MAX_NETS + 1 + CTL_MAX_CLIENTS)

static int main_signals(void)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);   /* vCPU kick: unblocked in vCPU threads only */
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	sigdelset(&set, SIGUSR1);
	return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

static int main_check_deadline(struct vm *vm)
{
	pthread_mutex_lock(&vm->lock);
	int expired = vm->shutdown_deadline_ns && vm->state != VM_PAUSED &&
		      vm_now_ns() > vm->shutdown_deadline_ns;
	pthread_mutex_unlock(&vm->lock);
	if (expired) {
		vmm_log("guest did not power off within the shutdown timeout");
		vm_request_exit(vm, VMEXIT_SHUTDOWN_TIMEOUT);
	}
	return expired;
}

static enum vm_exit main_exit_reason(struct vm *vm)
{
	pthread_mutex_lock(&vm->lock);
	enum vm_exit e = vm->exit_reason;
	pthread_mutex_unlock(&vm->lock);
	return e;
}

static void main_loop(struct vm *vm, struct control *ctl, int sigfd)
{
	struct pollfd fds[MAIN_MAX_FDS];
	int dev_of[MAIN_MAX_FDS];
	while (main_exit_reason(vm) == VMEXIT_NONE) {
		int n = 0;
		fds[n++] = (struct pollfd){ .fd = sigfd, .events = POLLIN };
		fds[n++] = (struct pollfd){ .fd = vm->event_fd, .events = POLLIN };
		int dev_first = n;
		for (int i = 0; i < vm->ndevices && n < MAIN_MAX_FDS; i++) {
			const struct device_kind *k = vm->devices[i].kind;
			int fd = k->poll_fd ? k->poll_fd(&vm->devices[i]) : -1;
			if (fd >= 0) {
				dev_of[n] = i;
				fds[n++] = (struct pollfd){ .fd = fd, .events = POLLIN };
			}
		}
		int ctl_first = n;
		n += control_fill_pollfds(ctl, fds + n, MAIN_MAX_FDS - n);
		__atomic_store_n(&vm->console_wake, ctl->followers > 0, __ATOMIC_RELEASE);
		control_pump_console(ctl);   /* output that arrived before re-arming */
		int r = poll(fds, (nfds_t)n, 500);
		if (r < 0 && errno != EINTR)
			break;
		if (fds[0].revents & POLLIN) {
			struct signalfd_siginfo si;
			if (read(sigfd, &si, sizeof(si)) == sizeof(si)) {
				vmm_log("signal %u received", si.ssi_signo);
				vm_request_exit(vm, VMEXIT_SIGNAL);
			}
		}
		if (fds[1].revents & POLLIN) {
			uint64_t v;
			ssize_t rr = read(vm->event_fd, &v, sizeof(v));
			(void)rr;
		}
		for (int k = dev_first; k < ctl_first; k++)
			if (fds[k].revents & (POLLIN | POLLERR | POLLHUP))
				vm->devices[dev_of[k]].kind->poll_in(&vm->devices[dev_of[k]]);
		control_handle(ctl, fds + ctl_first, n - ctl_first);
		control_pump_console(ctl);
		main_check_deadline(vm);
	}
}

int main(int argc, char **argv)
{
	struct vm *vm = &the_vm;
	struct vmm_config cfg;
	char err[512];
	vm->start_ns = vm_now_ns();
	int r = config_parse(&cfg, argc, argv, err, sizeof(err));
	if (r == 1) {
		fputs(config_usage, stdout);
		return 0;
	}
	if (r < 0) {
		fprintf(stderr, "wafer-vmm: %s\n%s", err, config_usage);
		return VMM_EXIT_USAGE;
	}
	log_set_id(cfg.id);
	/* the files named on the command line, opened before the sandbox */
	if (cfg.state_path && (cfg.state_fd = open(cfg.state_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0) {
		vmm_log("setup failed: --state %s: %s", cfg.state_path, strerror(errno));
		return VMM_EXIT_SETUP;
	}
	if (cfg.restore_path && (cfg.restore_fd = open(cfg.restore_path, O_RDONLY | O_CLOEXEC)) < 0) {
		vmm_log("restore refused: %s: %s", cfg.restore_path, strerror(errno));
		return VMM_EXIT_RESTORE;
	}
	int sigfd = main_signals();
	if (sigfd < 0 || vm_create(vm, &cfg, err, sizeof(err)) < 0 ||
	    control_init(&the_ctl, vm, err, sizeof(err)) < 0 || machine_setup(vm, err, sizeof(err)) < 0) {
		vmm_log("setup failed: %s", sigfd < 0 ? "signalfd" : err);
		if (the_ctl.path)
			unlink(the_ctl.path);
		return VMM_EXIT_SETUP;
	}
	if (cfg.restore_fd >= 0) {
		struct savefile_stats st;
		if (savefile_restore(vm, cfg.restore_fd, &st, err, sizeof(err)) < 0) {
			vmm_log("restore refused: %s", err);
			if (the_ctl.path)
				unlink(the_ctl.path);
			return VMM_EXIT_RESTORE;
		}
		close(cfg.restore_fd);
		vmm_log("restored: %llu bytes of state, %llu MiB of memory, in %llu ms",
			(unsigned long long)st.state_bytes, (unsigned long long)(st.memory_bytes >> 20),
			(unsigned long long)st.ms);
	}
	if (vcpu_start_all(vm, err, sizeof(err)) < 0 || sandbox_main_enter(vm, err, sizeof(err)) < 0) {
		vmm_log("setup failed: %s", err);
		if (the_ctl.path)
			unlink(the_ctl.path);
		return VMM_EXIT_SETUP;
	}
	vmm_log("started: %d vCPUs, %llu MiB%s, kernel %s%s", cfg.vcpus,
		(unsigned long long)cfg.memory_mib, vm->mem.hugetlb ? " (hugetlb)" : "", cfg.boot.kernel,
		cfg.restore_fd >= 0 ? " (restored)" : "");
	main_loop(vm, &the_ctl, sigfd);
	vcpu_stop_all(vm);
	pthread_mutex_lock(&vm->lock);
	vm->state = VM_STOPPED;
	pthread_mutex_unlock(&vm->lock);
	enum vm_exit e = main_exit_reason(vm);
	control_pump_console(&the_ctl);
	control_close(&the_ctl);
	vmm_log("exit: %s", vm_exit_name(e));
	/* the agent learns why from this file, not from log text (a reattached
	 * VMM is init's child, so its wait status never reaches the agent) */
	if (cfg.exit_fd >= 0 && dprintf(cfg.exit_fd, "%d %s\n", vm_exit_code(e), vm_exit_name(e)) < 0)
		vmm_log("exit: cannot write the exit file: %s", strerror(errno));
	return vm_exit_code(e);
}
