/*
 * Container networks (kernel/README.md "Networking"): bridges, network namespaces, veth
 * endpoints, and the nftables ruleset that sends containers' TCP off their subnet to the
 * egress listener and their UDP/53 to the DNS relay. The ruleset is one table
 * (`ip tabdock`) rewritten whole, in one nft transaction, after every change, so a removed
 * network leaves no rule behind.
 */
#include "agent.h"
#include "net.h"
#include <arpa/inet.h>
#include <sched.h>

#define NFT "/usr/sbin/nft"
#define NETNS_DIR "/run/netns"

struct bridge {
	int used;
	char name[16];
	struct in_addr net, gw;
	int prefix;
	int internal;
};

struct endpoint {
	int used;
	char ns[64];
	char ifname[16];
	char host[16];
	char bridge[16];
};

struct netns netnses[MAX_NETNS];
int dns_root_fd = -1, egress_fd = -1;
int link_up = 1;
static struct bridge bridges[MAX_BRIDGES];
static struct endpoint endpoints[MAX_ENDPOINTS];
static int root_ns_fd = -1;

static void write_sysctl(const char *path, const char *v)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, v, strlen(v)) < 0)
		logf_("sysctl %s: %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
}

void net_init(void)
{
	root_ns_fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	write_sysctl("/proc/sys/net/ipv4/ip_forward", "1");
	/* bridged frames stay out of the IP hooks: only routed traffic meets our rules */
	write_sysctl("/proc/sys/net/bridge/bridge-nf-call-iptables", "0");
	write_sysctl("/proc/sys/net/bridge/bridge-nf-call-ip6tables", "0");
	write_sysctl("/proc/sys/net/bridge/bridge-nf-call-arptables", "0");
}

static int valid_name(const char *s, size_t max)
{
	if (!s || !*s || strlen(s) > max || !strcmp(s, ".") || !strcmp(s, ".."))
		return 0;
	for (const char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-' ||
		      *p == '_' || *p == '.'))
			return 0;
	return 1;
}

/* "A.B.C.D/N" */
static int parse_cidr(const char *s, struct in_addr *ip, int *prefix)
{
	char buf[32];
	const char *slash = s ? strchr(s, '/') : NULL;
	if (!slash || (size_t)(slash - s) >= sizeof buf)
		return -1;
	memcpy(buf, s, (size_t)(slash - s));
	buf[slash - s] = 0;
	char *end;
	long n = strtol(slash + 1, &end, 10);
	if (*end || n < 0 || n > 32 || inet_pton(AF_INET, buf, ip) != 1)
		return -1;
	*prefix = (int)n;
	return 0;
}

static struct bridge *bridge_by_name(const char *name)
{
	for (int i = 0; i < MAX_BRIDGES; i++)
		if (bridges[i].used && !strcmp(bridges[i].name, name))
			return &bridges[i];
	return NULL;
}

static struct netns *netns_by_id(const char *id)
{
	for (int i = 0; i < MAX_NETNS; i++)
		if (netnses[i].used && !strcmp(netnses[i].id, id))
			return &netnses[i];
	return NULL;
}

/* ---------- the ruleset ---------- */

static int nft_apply(char *err, size_t errcap)
{
	static char rules[32768];
	size_t len = 0;
	int any = 0;
#define R(...) (len += (size_t)snprintf(rules + len, len < sizeof rules ? sizeof rules - len : 0, __VA_ARGS__))
	R("table ip tabdock\ndelete table ip tabdock\n");
	for (int i = 0; i < MAX_BRIDGES; i++)
		any |= bridges[i].used;
	if (any) {
		char a[INET_ADDRSTRLEN];
		R("table ip tabdock {\n set subnets { type ipv4_addr; flags interval; elements = { ");
		for (int i = 0, first = 1; i < MAX_BRIDGES; i++) {
			if (!bridges[i].used)
				continue;
			inet_ntop(AF_INET, &bridges[i].net, a, sizeof a);
			R("%s%s/%d", first ? "" : ", ", a, bridges[i].prefix);
			first = 0;
		}
		R(" } }\n set gateways { type ipv4_addr; elements = { ");
		for (int i = 0, first = 1; i < MAX_BRIDGES; i++) {
			if (!bridges[i].used)
				continue;
			inet_ntop(AF_INET, &bridges[i].gw, a, sizeof a);
			R("%s%s", first ? "" : ", ", a);
			first = 0;
		}
		R(" } }\n chain prerouting {\n  type nat hook prerouting priority dstnat; policy accept;\n");
		for (int i = 0; i < MAX_BRIDGES; i++) {
			struct bridge *b = &bridges[i];
			if (!b->used)
				continue;
			R("  iifname \"%s\" udp dport 53 redirect to :%d\n", b->name, DNS_PORT);
			if (b->internal || !link_up)
				continue;
			R("  iifname \"%s\" ip daddr @gateways meta l4proto tcp redirect to :%d\n", b->name, EGRESS_PORT);
			R("  iifname \"%s\" ip daddr != @subnets ip daddr != 127.0.0.0/8 meta l4proto tcp redirect to :%d\n",
			  b->name, EGRESS_PORT);
		}
		R(" }\n chain input {\n  type filter hook input priority filter; policy accept;\n");
		for (int i = 0; i < MAX_BRIDGES; i++) {
			struct bridge *b = &bridges[i];
			if (!b->used)
				continue;
			/* what was redirected, and replies to the guest's own connections (ingress connect) */
			R("  iifname \"%s\" ct status dnat accept\n", b->name);
			/* the gateway answers ping, as a Docker host's bridge address does */
			R("  iifname \"%s\" ip daddr @gateways icmp type echo-request accept\n", b->name);
			R("  iifname \"%s\" ct state established,related accept\n", b->name);
			/* egress down: TCP to a gateway meets a closed port (RST) rather than a drop (a hang) */
			if (!link_up && !b->internal)
				R("  iifname \"%s\" ip daddr @gateways meta l4proto tcp accept\n", b->name);
			R("  iifname \"%s\" drop\n", b->name);
		}
		R(" }\n chain forward {\n  type filter hook forward priority filter; policy accept;\n");
		for (int i = 0; i < MAX_BRIDGES; i++)
			if (bridges[i].used)
				R("  iifname \"%s\" oifname != \"%s\" drop\n", bridges[i].name, bridges[i].name);
		R(" }\n}\n");
	}
#undef R
	if (len >= sizeof rules) {
		snprintf(err, errcap, "too many networks for the ruleset");
		return -1;
	}
	mkdir("/run/tabdock", 0700);
	const char *path = "/run/tabdock/nft.rules";
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(err, errcap, "%s: %s", path, strerror(errno));
		return -1;
	}
	write_all(fd, (unsigned char *)rules, len);
	close(fd);
	const char *argv[] = { NFT, "-f", path, NULL };
	int st;
	if (run_capture(argv, err, errcap, &st) < 0 || exit_code(st) != 0) {
		if (!*err)
			snprintf(err, errcap, "nft exited %d", exit_code(st));
		return -1;
	}
	return 0;
}

/* The root-namespace listeners exist while any network does. */
static void listeners_sync(void)
{
	int any = 0;
	for (int i = 0; i < MAX_BRIDGES; i++)
		any |= bridges[i].used;
	if (!any) {
		close_fd(&egress_fd);
		close_fd(&dns_root_fd);
		return;
	}
	int one = 1;
	if (egress_fd < 0) {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(EGRESS_PORT) };
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
		if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(fd, 128) < 0) {
			logf_("egress listener: %s", strerror(errno));
			if (fd >= 0)
				close(fd);
		} else {
			egress_fd = fd;
		}
	}
	if (dns_root_fd < 0) {
		int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(DNS_PORT) };
		setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof one);
		if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
			logf_("dns relay: %s", strerror(errno));
			if (fd >= 0)
				close(fd);
		} else {
			dns_root_fd = fd;
		}
	}
}

static void endpoint_remove(struct endpoint *e)
{
	int r = nl_link_del(e->host); /* its peer in the namespace goes with it */
	if (r < 0 && r != -ENODEV)
		logf_("delete %s: %s", e->host, strerror(-r));
	e->used = 0;
}

/* ---------- requests ---------- */

void op_net_create(const struct fields *f, uint32_t id)
{
	const char *name = fget(f, "bridge"), *gw = fget(f, "gateway");
	struct in_addr net, gwa;
	int prefix;
	if (!valid_name(name, 15) || parse_cidr(fget(f, "subnet"), &net, &prefix) < 0 || !gw ||
	    inet_pton(AF_INET, gw, &gwa) != 1) {
		reply_err(id, EINVAL, "net-create needs bridge=NAME (up to 15 characters) subnet=A.B.C.D/N gateway=A.B.C.D");
		return;
	}
	uint32_t mask = prefix ? htonl(0xffffffffu << (32 - prefix)) : 0;
	net.s_addr &= mask;
	if ((gwa.s_addr & mask) != net.s_addr) {
		reply_err(id, EINVAL, "gateway %s is outside %s", gw, fget(f, "subnet"));
		return;
	}
	int internal = fnum(f, "internal", 0) != 0;
	struct bridge *b = bridge_by_name(name);
	if (b) {
		if (b->net.s_addr != net.s_addr || b->prefix != prefix || b->gw.s_addr != gwa.s_addr || b->internal != internal) {
			reply_err(id, EEXIST, "bridge %s exists with other settings", name);
			return;
		}
		reply_ok(id, NULL); /* idempotent */
		return;
	}
	for (int i = 0; i < MAX_BRIDGES && !b; i++)
		if (!bridges[i].used)
			b = &bridges[i];
	if (!b) {
		reply_err(id, ENOSPC, "too many networks (%d)", MAX_BRIDGES);
		return;
	}
	int r = nl_bridge_create(name);
	if (r < 0 && r != -EEXIST) {
		reply_err(id, -r, "create bridge %s: %s", name, strerror(-r));
		return;
	}
	if ((r = nl_addr_add(name, gwa, prefix)) < 0 && r != -EEXIST) {
		nl_link_del(name);
		reply_err(id, -r, "address %s/%d on %s: %s", gw, prefix, name, strerror(-r));
		return;
	}
	if ((r = nl_link_set(name, 1, -1)) < 0) {
		nl_link_del(name);
		reply_err(id, -r, "set %s up: %s", name, strerror(-r));
		return;
	}
	*b = (struct bridge){ .used = 1, .net = net, .gw = gwa, .prefix = prefix, .internal = internal };
	snprintf(b->name, sizeof b->name, "%s", name);
	char err[1024] = "";
	if (nft_apply(err, sizeof err) < 0) {
		b->used = 0;
		nl_link_del(name);
		char again[256] = "";
		nft_apply(again, sizeof again);
		reply_err(id, EIO, "nft: %s", err);
		return;
	}
	listeners_sync();
	reply_ok(id, NULL);
}

void op_net_remove(const struct fields *f, uint32_t id)
{
	const char *name = fget(f, "bridge");
	struct bridge *b = name ? bridge_by_name(name) : NULL;
	if (!b) {
		reply_err(id, ENOENT, "no network bridge %s", name ? name : "");
		return;
	}
	for (int i = 0; i < MAX_ENDPOINTS; i++)
		if (endpoints[i].used && !strcmp(endpoints[i].bridge, name))
			endpoint_remove(&endpoints[i]);
	int r = nl_link_del(name);
	b->used = 0;
	char err[1024] = "";
	int nr = nft_apply(err, sizeof err);
	listeners_sync();
	if (r < 0 && r != -ENODEV)
		reply_err(id, -r, "delete bridge %s: %s", name, strerror(-r));
	else if (nr < 0)
		reply_err(id, EIO, "nft: %s", err);
	else
		reply_ok(id, NULL);
}

static void netns_path(char *buf, size_t cap, const char *id)
{
	snprintf(buf, cap, "%s/%s", NETNS_DIR, id);
}

/* Docker's embedded DNS address, in the current network namespace: a socket, or -1 (errno). */
static int dns_socket_here(void)
{
	int one = 1;
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(53) };
	inet_pton(AF_INET, "127.0.0.11", &sa.sin_addr);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof one) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

void op_netns_create(const struct fields *f, uint32_t id)
{
	const char *nsid = fget(f, "id");
	if (!valid_name(nsid, 63)) {
		reply_err(id, EINVAL, "netns-create needs id= (letters, digits, - _ ., up to 63)");
		return;
	}
	if (netns_by_id(nsid)) {
		reply_err(id, EEXIST, "network namespace %s exists", nsid);
		return;
	}
	struct netns *ns = NULL;
	for (int i = 0; i < MAX_NETNS && !ns; i++)
		if (!netnses[i].used)
			ns = &netnses[i];
	if (!ns) {
		reply_err(id, ENOSPC, "too many network namespaces (%d)", MAX_NETNS);
		return;
	}
	char path[128];
	netns_path(path, sizeof path, nsid);
	mkdir_p(NETNS_DIR);
	int fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
	if (fd < 0) {
		reply_err(id, errno, "create %s: %s", path, strerror(errno));
		return;
	}
	close(fd);
	int dns_fd = -1, e = 0;
	const char *what = "";
	if (unshare(CLONE_NEWNET) < 0) {
		e = errno, what = "unshare";
		unlink(path);
		reply_err(id, e, "%s: %s", what, strerror(e));
		return;
	}
	int r = nl_link_set("lo", 1, -1);
	if (r < 0)
		e = -r, what = "lo up";
	else if (mount("/proc/self/ns/net", path, NULL, MS_BIND, NULL) < 0)
		e = errno, what = "bind mount";
	if (!e && fnum(f, "dns", 0)) {
		dns_fd = dns_socket_here();
		if (dns_fd < 0) {
			e = errno, what = "dns socket 127.0.0.11:53";
			umount2(path, MNT_DETACH);
		}
	}
	if (setns(root_ns_fd, CLONE_NEWNET) < 0)
		logf_("setns back to the root namespace: %s", strerror(errno));
	if (e) {
		unlink(path);
		reply_err(id, e, "%s: %s", what, strerror(e));
		return;
	}
	*ns = (struct netns){ .used = 1, .dns_fd = dns_fd };
	snprintf(ns->id, sizeof ns->id, "%s", nsid);
	struct reply rp = { .len = 0 };
	rfield(&rp, "path=%s", path);
	reply_ok(id, &rp);
}

/* The embedded DNS socket for a namespace made without one (a container connected to its
 * first user network while running); nothing to do when it has one. */
void op_netns_dns(const struct fields *f, uint32_t id)
{
	const char *nsid = fget(f, "id");
	struct netns *ns = nsid ? netns_by_id(nsid) : NULL;
	if (!ns) {
		reply_err(id, ENOENT, "no network namespace %s", nsid ? nsid : "");
		return;
	}
	if (ns->dns_fd >= 0) {
		reply_ok(id, NULL);
		return;
	}
	char path[128];
	netns_path(path, sizeof path, nsid);
	int nfd = open(path, O_RDONLY | O_CLOEXEC);
	if (nfd < 0) {
		reply_err(id, errno, "open %s: %s", path, strerror(errno));
		return;
	}
	int e = 0, fd = -1;
	const char *what = "setns";
	if (setns(nfd, CLONE_NEWNET) < 0)
		e = errno;
	else if ((fd = dns_socket_here()) < 0)
		e = errno, what = "dns socket 127.0.0.11:53";
	close(nfd);
	if (setns(root_ns_fd, CLONE_NEWNET) < 0)
		logf_("setns back to the root namespace: %s", strerror(errno));
	if (e) {
		reply_err(id, e, "%s: %s", what, strerror(e));
		return;
	}
	ns->dns_fd = fd;
	reply_ok(id, NULL);
}

void op_netns_delete(const struct fields *f, uint32_t id)
{
	const char *nsid = fget(f, "id");
	struct netns *ns = nsid ? netns_by_id(nsid) : NULL;
	if (!ns) {
		reply_err(id, ENOENT, "no network namespace %s", nsid ? nsid : "");
		return;
	}
	close_fd(&ns->dns_fd);
	for (int i = 0; i < MAX_ENDPOINTS; i++)
		if (endpoints[i].used && !strcmp(endpoints[i].ns, nsid))
			endpoint_remove(&endpoints[i]);
	char path[128];
	netns_path(path, sizeof path, nsid);
	ns->used = 0;
	if (umount2(path, MNT_DETACH) < 0 && errno != EINVAL)
		logf_("umount %s: %s", path, strerror(errno));
	if (unlink(path) < 0) {
		reply_err(id, errno, "remove %s: %s", path, strerror(errno));
		return;
	}
	reply_ok(id, NULL);
}

static int parse_mac(const char *s, unsigned char mac[6])
{
	unsigned v[6];
	if (!s || sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 6 || strlen(s) != 17)
		return -1;
	for (int i = 0; i < 6; i++)
		mac[i] = (unsigned char)v[i];
	return (mac[0] & 1) ? -1 : 0; /* no multicast address */
}

void op_net_attach(const struct fields *f, uint32_t id)
{
	const char *nsid = fget(f, "id"), *brname = fget(f, "bridge"), *ifname = fget(f, "ifname");
	const char *gw = fget(f, "gateway");
	struct in_addr ip, gwa = { 0 };
	int prefix, dflt = fnum(f, "default", 0) != 0;
	unsigned char mac[6];
	if (!nsid || !netns_by_id(nsid)) {
		reply_err(id, ENOENT, "no network namespace %s", nsid ? nsid : "");
		return;
	}
	if (!brname || !bridge_by_name(brname)) {
		reply_err(id, ENOENT, "no network bridge %s", brname ? brname : "");
		return;
	}
	if (!valid_name(ifname, 15) || parse_cidr(fget(f, "ip"), &ip, &prefix) < 0 || parse_mac(fget(f, "mac"), mac) < 0 ||
	    (gw && *gw && inet_pton(AF_INET, gw, &gwa) != 1) || (dflt && !gwa.s_addr)) {
		reply_err(id, EINVAL, "net-attach needs ifname= ip=A.B.C.D/N mac=xx:xx:xx:xx:xx:xx and gateway= with default=1");
		return;
	}
	struct endpoint *ep = NULL;
	for (int i = 0; i < MAX_ENDPOINTS && !ep; i++)
		if (!endpoints[i].used)
			ep = &endpoints[i];
	if (!ep) {
		reply_err(id, ENOSPC, "too many endpoints (%d)", MAX_ENDPOINTS);
		return;
	}
	char path[128], host[16];
	netns_path(path, sizeof path, nsid);
	int nsfd = open(path, O_RDONLY | O_CLOEXEC);
	if (nsfd < 0) {
		reply_err(id, errno, "open %s: %s", path, strerror(errno));
		return;
	}
	int r;
	do {
		unsigned char rnd[4];
		int rf = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
		if (rf < 0 || read(rf, rnd, 4) != 4)
			memcpy(rnd, &(long long){ now_ms() }, 4);
		if (rf >= 0)
			close(rf);
		snprintf(host, sizeof host, "veth%07x", (unsigned)(get_u32(rnd) & 0xfffffff));
		r = nl_veth_create(host, ifname, nsfd, mac);
	} while (r == -EEXIST && nl_ifindex(host) > 0);
	const char *what = "create veth";
	if (r == 0) {
		what = "enslave and up";
		r = nl_link_set(host, 1, nl_ifindex(brname));
	}
	if (r == 0) {
		if (setns(nsfd, CLONE_NEWNET) < 0) {
			r = -errno, what = "setns";
		} else {
			what = "address";
			r = nl_addr_add(ifname, ip, prefix);
			if (r == 0)
				what = "up", r = nl_link_set(ifname, 1, -1);
			if (r == 0 && dflt)
				what = "default route", r = nl_route_default(gwa, ifname);
			if (setns(root_ns_fd, CLONE_NEWNET) < 0)
				logf_("setns back to the root namespace: %s", strerror(errno));
		}
	}
	close(nsfd);
	if (r < 0) {
		nl_link_del(host);
		reply_err(id, -r, "net-attach %s %s: %s: %s", nsid, ifname, what, strerror(-r));
		return;
	}
	*ep = (struct endpoint){ .used = 1 };
	snprintf(ep->ns, sizeof ep->ns, "%s", nsid);
	snprintf(ep->ifname, sizeof ep->ifname, "%s", ifname);
	snprintf(ep->host, sizeof ep->host, "%s", host);
	snprintf(ep->bridge, sizeof ep->bridge, "%s", brname);
	struct reply rp = { .len = 0 };
	rfield(&rp, "veth=%s", host);
	reply_ok(id, &rp);
}

void op_net_detach(const struct fields *f, uint32_t id)
{
	const char *nsid = fget(f, "id"), *ifname = fget(f, "ifname");
	for (int i = 0; i < MAX_ENDPOINTS; i++) {
		struct endpoint *e = &endpoints[i];
		if (e->used && nsid && ifname && !strcmp(e->ns, nsid) && !strcmp(e->ifname, ifname)) {
			endpoint_remove(e);
			reply_ok(id, NULL);
			return;
		}
	}
	reply_err(id, ENOENT, "no endpoint %s in network namespace %s", ifname ? ifname : "", nsid ? nsid : "");
}

void op_net_link(const struct fields *f, uint32_t id)
{
	const char *up = fget(f, "up");
	if (!up || (strcmp(up, "0") && strcmp(up, "1"))) {
		reply_err(id, EINVAL, "net-link needs up=1 or up=0");
		return;
	}
	link_up = up[0] == '1';
	char err[1024] = "";
	if (nft_apply(err, sizeof err) < 0) {
		reply_err(id, EIO, "nft: %s", err);
		return;
	}
	reply_ok(id, NULL);
}
