/* tap.c: tap creation (TUNSETIFF + TUNSETPERSIST), bridge attachment
 * (SIOCBRADDIF) and link up (SIOCSIFFLAGS). */
#include "tap.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

static int tun_open(const char *name, struct ifreq *ifr)
{
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -1;
	memset(ifr, 0, sizeof *ifr);
	ifr->ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	snprintf(ifr->ifr_name, IFNAMSIZ, "%s", name);
	if (ioctl(fd, TUNSETIFF, ifr) < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

int tap_create(const char *name, const char *bridge, char *err, size_t errlen)
{
	struct ifreq ifr;
	unsigned br = if_nametoindex(bridge);
	if (!br) {
		snprintf(err, errlen, "network '%s' does not exist on this host", bridge);
		return -1;
	}
	int fd = tun_open(name, &ifr);
	if (fd < 0) {
		snprintf(err, errlen, "cannot create tap %s: %s", name, strerror(errno));
		return -1;
	}
	if (ioctl(fd, TUNSETPERSIST, 1) < 0) {
		snprintf(err, errlen, "tap %s: TUNSETPERSIST: %s", name, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	int rc = 0;
	struct ifreq br_req;
	memset(&br_req, 0, sizeof br_req);
	snprintf(br_req.ifr_name, IFNAMSIZ, "%s", bridge);
	br_req.ifr_ifindex = (int)if_nametoindex(name);
	if (ioctl(s, SIOCBRADDIF, &br_req) < 0 && errno != EBUSY) {
		snprintf(err, errlen, "cannot add tap %s to bridge %s: %s", name, bridge, strerror(errno));
		rc = -1;
	}
	memset(&ifr, 0, sizeof ifr);
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
	if (!rc && ioctl(s, SIOCGIFFLAGS, &ifr) == 0) {
		ifr.ifr_flags |= IFF_UP;
		if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0) {
			snprintf(err, errlen, "cannot bring tap %s up: %s", name, strerror(errno));
			rc = -1;
		}
	}
	close(s);
	if (rc)
		tap_delete(name);
	return rc;
}

void tap_delete(const char *name)
{
	struct ifreq ifr;
	if (!if_nametoindex(name))
		return;
	int fd = tun_open(name, &ifr);
	if (fd < 0)
		return;
	ioctl(fd, TUNSETPERSIST, 0);
	close(fd);
}

int tap_open(const char *name, char *err, size_t errlen)
{
	struct ifreq ifr;
	int fd = tun_open(name, &ifr);
	if (fd < 0)
		snprintf(err, errlen, "cannot open tap %s: %s", name, strerror(errno));
	return fd;
}
