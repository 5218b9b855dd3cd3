/*
 * rtnetlink, just what the container networks need (busybox `ip` cannot create veth or
 * bridge devices): links (bridge, veth pair with its peer placed in a netns), masters,
 * up/down, addresses, a default route. Every call opens a NETLINK_ROUTE socket in the
 * agent's current network namespace (setns first to act inside a container's) and waits
 * for the kernel's ACK. Returns 0 or a negative errno.
 */
#include "agent.h"
#include <arpa/inet.h>
#include <net/if.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>

struct nlmsg {
	struct nlmsghdr *h;
	unsigned char buf[4096];
};

static void nl_begin(struct nlmsg *m, int type, int flags, const void *body, size_t blen)
{
	memset(m->buf, 0, sizeof m->buf);
	m->h = (struct nlmsghdr *)m->buf;
	m->h->nlmsg_type = (uint16_t)type;
	m->h->nlmsg_flags = (uint16_t)(NLM_F_REQUEST | NLM_F_ACK | flags);
	m->h->nlmsg_len = NLMSG_LENGTH(blen);
	memcpy(NLMSG_DATA(m->h), body, blen);
}

static struct rtattr *nl_attr(struct nlmsg *m, int type, const void *data, size_t len)
{
	struct rtattr *a = (struct rtattr *)(m->buf + NLMSG_ALIGN(m->h->nlmsg_len));
	if (NLMSG_ALIGN(m->h->nlmsg_len) + RTA_SPACE(len) > sizeof m->buf)
		return NULL;
	a->rta_type = (unsigned short)type;
	a->rta_len = (unsigned short)RTA_LENGTH(len);
	if (len)
		memcpy(RTA_DATA(a), data, len);
	m->h->nlmsg_len = NLMSG_ALIGN(m->h->nlmsg_len) + RTA_SPACE(len);
	return a;
}

static struct rtattr *nl_nest(struct nlmsg *m, int type)
{
	return nl_attr(m, type, NULL, 0);
}

static void nl_nest_end(struct nlmsg *m, struct rtattr *a)
{
	a->rta_len = (unsigned short)((m->buf + m->h->nlmsg_len) - (unsigned char *)a);
}

static void nl_str(struct nlmsg *m, int type, const char *s)
{
	nl_attr(m, type, s, strlen(s) + 1);
}

static void nl_u32(struct nlmsg *m, int type, uint32_t v)
{
	nl_attr(m, type, &v, sizeof v);
}

/* Send one request and wait for its ACK (an NLMSG_ERROR with error 0). */
static int nl_talk(struct nlmsg *m)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	m->h->nlmsg_seq = 1;
	int ret = -EIO;
	if (sendto(fd, m->h, m->h->nlmsg_len, 0, (struct sockaddr *)&sa, sizeof sa) < 0) {
		ret = -errno;
		goto out;
	}
	for (;;) {
		static unsigned char rbuf[8192];
		ssize_t n = recv(fd, rbuf, sizeof rbuf, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			ret = n < 0 ? -errno : -EIO;
			goto out;
		}
		for (struct nlmsghdr *h = (struct nlmsghdr *)rbuf; NLMSG_OK(h, (unsigned)n); h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_type == NLMSG_ERROR) {
				ret = ((struct nlmsgerr *)NLMSG_DATA(h))->error;
				goto out;
			}
		}
	}
out:
	close(fd);
	return ret;
}

int nl_ifindex(const char *name)
{
	int idx = (int)if_nametoindex(name);
	return idx > 0 ? idx : -ENODEV;
}

int nl_bridge_create(const char *name)
{
	struct nlmsg m;
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };
	nl_begin(&m, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, &ifi, sizeof ifi);
	nl_str(&m, IFLA_IFNAME, name);
	struct rtattr *li = nl_nest(&m, IFLA_LINKINFO);
	nl_str(&m, IFLA_INFO_KIND, "bridge");
	nl_nest_end(&m, li);
	return nl_talk(&m);
}

/* A veth pair: `host` here, `peer` created directly inside the netns nsfd with `mac`. */
int nl_veth_create(const char *host, const char *peer, int nsfd, const unsigned char mac[6])
{
	struct nlmsg m;
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };
	nl_begin(&m, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, &ifi, sizeof ifi);
	nl_str(&m, IFLA_IFNAME, host);
	struct rtattr *li = nl_nest(&m, IFLA_LINKINFO);
	nl_str(&m, IFLA_INFO_KIND, "veth");
	struct rtattr *data = nl_nest(&m, IFLA_INFO_DATA);
	struct rtattr *pe = nl_attr(&m, VETH_INFO_PEER, &ifi, sizeof ifi);
	nl_str(&m, IFLA_IFNAME, peer);
	nl_u32(&m, IFLA_NET_NS_FD, (uint32_t)nsfd);
	if (mac)
		nl_attr(&m, IFLA_ADDRESS, mac, 6);
	nl_nest_end(&m, pe);
	nl_nest_end(&m, data);
	nl_nest_end(&m, li);
	return nl_talk(&m);
}

/* Up or down, and (master >= 0) enslave to the bridge with that ifindex. */
int nl_link_set(const char *name, int up, int master)
{
	int idx = nl_ifindex(name);
	if (idx < 0)
		return idx;
	struct nlmsg m;
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_index = idx, .ifi_change = IFF_UP,
				 .ifi_flags = up ? IFF_UP : 0 };
	nl_begin(&m, RTM_NEWLINK, 0, &ifi, sizeof ifi);
	if (master >= 0)
		nl_u32(&m, IFLA_MASTER, (uint32_t)master);
	return nl_talk(&m);
}

int nl_link_del(const char *name)
{
	int idx = nl_ifindex(name);
	if (idx < 0)
		return idx;
	struct nlmsg m;
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_index = idx };
	nl_begin(&m, RTM_DELLINK, 0, &ifi, sizeof ifi);
	return nl_talk(&m);
}

int nl_addr_add(const char *name, struct in_addr ip, int prefix)
{
	int idx = nl_ifindex(name);
	if (idx < 0)
		return idx;
	struct nlmsg m;
	struct ifaddrmsg ifa = { .ifa_family = AF_INET, .ifa_prefixlen = (unsigned char)prefix,
				 .ifa_scope = RT_SCOPE_UNIVERSE, .ifa_index = (unsigned)idx };
	nl_begin(&m, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, &ifa, sizeof ifa);
	nl_attr(&m, IFA_LOCAL, &ip, 4);
	nl_attr(&m, IFA_ADDRESS, &ip, 4);
	if (prefix < 31) {
		struct in_addr brd = { .s_addr = ip.s_addr | htonl(prefix ? 0xffffffffu >> prefix : 0xffffffffu) };
		nl_attr(&m, IFA_BROADCAST, &brd, 4);
	}
	return nl_talk(&m);
}

int nl_route_default(struct in_addr gw, const char *dev)
{
	int idx = nl_ifindex(dev);
	if (idx < 0)
		return idx;
	struct nlmsg m;
	struct rtmsg rt = { .rtm_family = AF_INET, .rtm_table = RT_TABLE_MAIN, .rtm_protocol = RTPROT_BOOT,
			    .rtm_scope = RT_SCOPE_UNIVERSE, .rtm_type = RTN_UNICAST };
	nl_begin(&m, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, &rt, sizeof rt);
	nl_attr(&m, RTA_GATEWAY, &gw, 4);
	nl_u32(&m, RTA_OIF, (uint32_t)idx);
	return nl_talk(&m);
}
