/*
 * Socket streams on the control channel (src/emulator/README.md "Socket streams"):
 * egress connections the TCP REDIRECT lands on the :EGRESS_PORT listener (OPEN with the
 * original destination from SO_ORIGINAL_DST, then OPENED from the host), ingress `connect`
 * requests, and the DNS relay sockets (DGRAM frames). Every socket is non-blocking and
 * polled from the main loop; host->guest bytes are bounded by the credit we grant, and we
 * read a socket only while the host has granted us credit.
 */
#include "agent.h"
#include "net.h"
#include <arpa/inet.h>
#include <linux/netfilter_ipv4.h>
#include <netinet/tcp.h>

enum ss_state { SS_PENDING, SS_CONNECTING, SS_LIVE };

struct ss {
	int used;
	uint32_t sid;
	int fd;
	enum ss_state state;
	uint32_t req;        /* the connect request answered when the connect completes */
	uint32_t out_credit; /* bytes we may still send the host */
	unsigned char *inbuf; /* host bytes not yet written to the socket */
	size_t inlen, incap;
	uint32_t in_written; /* written since our last CREDIT */
	int fin_in, shut_wr, fin_out;
};

static struct ss streams[MAX_SOCKSTREAMS];
static uint32_t next_open_sid;

static struct ss *ss_by_sid(uint32_t sid)
{
	for (int i = 0; i < MAX_SOCKSTREAMS; i++)
		if (streams[i].used && streams[i].sid == sid)
			return &streams[i];
	return NULL;
}

static struct ss *ss_alloc(uint32_t sid, int fd)
{
	for (int i = 0; i < MAX_SOCKSTREAMS; i++) {
		struct ss *s = &streams[i];
		if (!s->used) {
			memset(s, 0, sizeof *s);
			s->used = 1;
			s->sid = sid;
			s->fd = fd;
			s->out_credit = INITIAL_STREAM_CREDIT;
			return s;
		}
	}
	return NULL;
}

/* Close with RST (SO_LINGER 0): what the client of an aborted stream should see. */
static void close_rst(int fd)
{
	struct linger l = { .l_onoff = 1, .l_linger = 0 };
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
	close(fd);
}

static void ss_free(struct ss *s, int rst)
{
	if (s->fd >= 0) {
		if (rst)
			close_rst(s->fd);
		else
			close(s->fd);
	}
	free(s->inbuf);
	s->inbuf = NULL;
	s->used = 0;
}

/* Error or RST on our side: tell the host (CLOSE) and free. */
static void ss_abort(struct ss *s)
{
	send_frame(FRAME_CLOSE, 0, s->sid, NULL, 0);
	ss_free(s, 1);
}

/* Both FINs have passed: CLOSE, free. */
static void ss_maybe_done(struct ss *s)
{
	if (s->used && s->state == SS_LIVE && s->fin_out && s->shut_wr && s->inlen == 0) {
		send_frame(FRAME_CLOSE, 0, s->sid, NULL, 0);
		ss_free(s, 0);
	}
}

static void ss_grant(struct ss *s, int force)
{
	if (s->in_written >= SOCK_CREDIT_BATCH || (force && s->in_written > 0)) {
		send_u32(FRAME_CREDIT, s->sid, s->in_written);
		s->in_written = 0;
	}
}

/* Host->guest bytes into the socket, as far as it takes them now. */
static void ss_pump_in(struct ss *s)
{
	while (s->inlen > 0) {
		ssize_t n = write(s->fd, s->inbuf, s->inlen);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0) {
			ss_abort(s);
			return;
		}
		memmove(s->inbuf, s->inbuf + n, s->inlen - (size_t)n);
		s->inlen -= (size_t)n;
		s->in_written += (uint32_t)n;
	}
	ss_grant(s, s->inlen == 0);
	if (s->inlen == 0 && s->fin_in && !s->shut_wr) {
		shutdown(s->fd, SHUT_WR);
		s->shut_wr = 1;
	}
	ss_maybe_done(s);
}

/*
 * A socket is read only with a whole read's credit: the host grants 32 KiB batches, and a
 * read with the few bytes left over would be a frame of a few bytes. With less credit than
 * a read, more than a batch is in flight (INITIAL_STREAM_CREDIT - SOCK_READ_CHUNK >=
 * SOCK_CREDIT_BATCH), so the host's next CREDIT comes once it has delivered them.
 */
#define SS_CAN_READ(s) ((s)->state == SS_LIVE && !(s)->fin_out && (s)->out_credit >= SOCK_READ_CHUNK)
/* the host grants in batches of 32 KiB (GRANT_BATCH in src/emulator/guest-socket.ts), ours too */
_Static_assert(INITIAL_STREAM_CREDIT - SOCK_READ_CHUNK >= SOCK_CREDIT_BATCH, "a stream short of a read's credit must have a grant coming");

/* One read within credit; the socket's EOF is our FIN (an empty DATA). */
static void ss_pump_out(struct ss *s)
{
	static unsigned char buf[SOCK_READ_CHUNK];
	if (!SS_CAN_READ(s))
		return;
	size_t want = s->out_credit < sizeof buf ? s->out_credit : sizeof buf;
	ssize_t n = read(s->fd, buf, want);
	if (n > 0) {
		send_frame(FRAME_DATA, 0, s->sid, buf, (size_t)n);
		s->out_credit -= (uint32_t)n;
		return;
	}
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n < 0) {
		ss_abort(s);
		return;
	}
	s->fin_out = 1;
	send_frame(FRAME_DATA, 0, s->sid, NULL, 0);
	ss_maybe_done(s);
}

static void ss_connected(struct ss *s)
{
	int err = 0;
	socklen_t el = sizeof err;
	if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0)
		err = errno;
	if (err) {
		reply_err(s->req, err, "connect: %s", strerror(err));
		ss_free(s, 0);
		return;
	}
	s->state = SS_LIVE;
	reply_ok(s->req, NULL);
}

/* connect sid= ip= port= : from the root namespace; RES when the connection is up. */
void op_connect(const struct fields *f, uint32_t id)
{
	uint32_t sid = (uint32_t)fnum(f, "sid", 0);
	const char *ip = fget(f, "ip");
	long port = fnum(f, "port", 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	if (!sid || (sid & 0x80000000u)) {
		reply_err(id, EINVAL, "connect needs sid= (below 2^31)");
		return;
	}
	if (!ip || inet_pton(AF_INET, ip, &sa.sin_addr) != 1 || port <= 0 || port > 65535) {
		reply_err(id, EINVAL, "connect needs ip=A.B.C.D and port=1..65535");
		return;
	}
	if (ss_by_sid(sid) || proc_by_sid(sid)) {
		reply_err(id, EEXIST, "stream %u is in use", sid);
		return;
	}
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		reply_err(id, errno, "socket: %s", strerror(errno));
		return;
	}
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	struct ss *s = ss_alloc(sid, fd);
	if (!s) {
		close(fd);
		reply_err(id, EAGAIN, "too many socket streams");
		return;
	}
	s->req = id;
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0) {
		s->state = SS_LIVE;
		reply_ok(id, NULL);
	} else if (errno == EINPROGRESS) {
		s->state = SS_CONNECTING;
	} else {
		int e = errno;
		ss_free(s, 0);
		reply_err(id, e, "connect %s:%ld: %s", ip, port, strerror(e));
	}
}

/* A container's connection the REDIRECT brought to the egress listener. */
static void egress_accept(void)
{
	for (;;) {
		struct sockaddr_in peer, orig;
		socklen_t pl = sizeof peer, ol = sizeof orig;
		int fd = accept4(egress_fd, (struct sockaddr *)&peer, &pl, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		if (!link_up || getsockopt(fd, SOL_IP, SO_ORIGINAL_DST, &orig, &ol) < 0) {
			close_rst(fd); /* reached directly, or egress is down: nothing to open */
			continue;
		}
		uint32_t sid;
		do
			sid = 0x80000000u | (next_open_sid++ & 0x7fffffffu);
		while (ss_by_sid(sid));
		struct ss *s = ss_alloc(sid, fd);
		if (!s) {
			logf_("too many socket streams: refusing a connection");
			close_rst(fd);
			continue;
		}
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		s->state = SS_PENDING;
		char src[INET_ADDRSTRLEN], dst[INET_ADDRSTRLEN];
		inet_ntop(AF_INET, &peer.sin_addr, src, sizeof src);
		inet_ntop(AF_INET, &orig.sin_addr, dst, sizeof dst);
		struct reply r = { .len = 0 };
		rfield(&r, "kind=tcp");
		rfield(&r, "src=%s", src);
		rfield(&r, "sport=%u", ntohs(peer.sin_port));
		rfield(&r, "dst=%s", dst);
		rfield(&r, "dport=%u", ntohs(orig.sin_port));
		send_frame(FRAME_OPEN, 0, sid, r.buf, r.len);
	}
}

/* A query on a DNS relay socket -> DGRAM (ns, src, sport, dst, dport, datagram). */
void dns_recv(int fd, const char *ns)
{
	static unsigned char frame[MAX_PAYLOAD];
	size_t nslen = strlen(ns), hdr = 1 + nslen + 12;
	for (;;) {
		struct sockaddr_in from;
		char cbuf[CMSG_SPACE(sizeof(struct in_pktinfo))];
		struct iovec iov = { .iov_base = frame + hdr, .iov_len = sizeof frame - hdr };
		struct msghdr msg = { .msg_name = &from, .msg_namelen = sizeof from, .msg_iov = &iov, .msg_iovlen = 1,
				      .msg_control = cbuf, .msg_controllen = sizeof cbuf };
		ssize_t n = recvmsg(fd, &msg, MSG_DONTWAIT);
		if (n < 0)
			return;
		struct in_addr dst = { 0 };
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
			if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO)
				dst = ((struct in_pktinfo *)CMSG_DATA(c))->ipi_addr;
		frame[0] = (unsigned char)nslen;
		memcpy(frame + 1, ns, nslen);
		unsigned char *p = frame + 1 + nslen;
		memcpy(p, &from.sin_addr, 4);
		memcpy(p + 4, &from.sin_port, 2);
		memcpy(p + 6, &dst, 4);
		/* the root relay got it through REDIRECT :53 -> DNS_PORT: report the port asked */
		uint16_t dport = htons(53);
		memcpy(p + 10, &dport, 2);
		send_frame(FRAME_DGRAM, 0, 0, frame, hdr + (size_t)n);
	}
}

/* host->guest DGRAM: a reply, sent from the socket that took the query. */
static void dgram_send(const unsigned char *p, uint32_t len)
{
	if (len < 1 || len < 1u + p[0] + 12)
		return;
	char ns[256];
	memcpy(ns, p + 1, p[0]);
	ns[p[0]] = 0;
	const unsigned char *a = p + 1 + p[0];
	int fd = -1;
	if (!ns[0]) {
		fd = dns_root_fd;
	} else {
		for (int i = 0; i < MAX_NETNS; i++)
			if (netnses[i].used && !strcmp(netnses[i].id, ns))
				fd = netnses[i].dns_fd;
	}
	if (fd < 0)
		return; /* the namespace or relay is gone: the client times out as it would */
	struct sockaddr_in to = { .sin_family = AF_INET };
	memcpy(&to.sin_addr, a + 6, 4);
	memcpy(&to.sin_port, a + 10, 2);
	char cbuf[CMSG_SPACE(sizeof(struct in_pktinfo))];
	memset(cbuf, 0, sizeof cbuf);
	struct iovec iov = { .iov_base = (void *)(a + 12), .iov_len = len - (1u + p[0] + 12) };
	struct msghdr msg = { .msg_name = &to, .msg_namelen = sizeof to, .msg_iov = &iov, .msg_iovlen = 1 };
	if (fd == dns_root_fd) {
		/* from the address the query was sent to, so conntrack undoes the REDIRECT */
		msg.msg_control = cbuf;
		msg.msg_controllen = sizeof cbuf;
		struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = IPPROTO_IP;
		c->cmsg_type = IP_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof(struct in_pktinfo));
		struct in_pktinfo pi = { 0 };
		memcpy(&pi.ipi_spec_dst, a, 4);
		memcpy(CMSG_DATA(c), &pi, sizeof pi);
	}
	if (sendmsg(fd, &msg, MSG_DONTWAIT) < 0)
		logf_("dns reply to %s: %s", inet_ntoa(to.sin_addr), strerror(errno));
}

/* Frames of socket streams and datagrams; 0 when the id is not ours (a process stream). */
int sock_handle_frame(int type, int flags, uint32_t id, unsigned char *payload, uint32_t len)
{
	if (type == FRAME_DGRAM) {
		dgram_send(payload, len);
		return 1;
	}
	struct ss *s = ss_by_sid(id);
	if (!s)
		return type == FRAME_OPENED || type == FRAME_CLOSE; /* a stream already freed */
	switch (type) {
	case FRAME_DATA:
		if (len == 0) {
			s->fin_in = 1;
		} else if (s->fin_in || s->inlen + len > 2 * INITIAL_STREAM_CREDIT) {
			logf_("stream %u: host sent past its credit or after its FIN; aborting", s->sid);
			ss_abort(s);
			return 1;
		} else {
			if (s->inlen + len > s->incap) {
				size_t cap = s->incap ? s->incap : INITIAL_STREAM_CREDIT;
				while (cap < s->inlen + len)
					cap *= 2;
				unsigned char *nb = realloc(s->inbuf, cap);
				if (!nb) {
					ss_abort(s);
					return 1;
				}
				s->inbuf = nb;
				s->incap = cap;
			}
			memcpy(s->inbuf + s->inlen, payload, len);
			s->inlen += len;
		}
		if (s->state == SS_LIVE)
			ss_pump_in(s);
		return 1;
	case FRAME_CREDIT:
		if (len >= 4)
			s->out_credit += get_u32(payload);
		return 1;
	case FRAME_OPENED:
		if (s->state != SS_PENDING)
			return 1;
		if (flags == 0) {
			s->state = SS_LIVE;
			if (s->inlen || s->fin_in)
				ss_pump_in(s);
		} else {
			ss_free(s, 1); /* refused: the client sees a reset */
		}
		return 1;
	case FRAME_CLOSE:
		if (s->state == SS_CONNECTING)
			reply_err(s->req, ECONNABORTED, "connect aborted by the host");
		ss_free(s, 1);
		return 1;
	}
	return 0;
}

/* ---------- poll integration (main.c) ---------- */

static struct { int kind; void *p; } polled[MAX_SOCKSTREAMS + MAX_NETNS + 2];

int net_pollfds(struct pollfd *pfds, int max)
{
	int n = 0;
	if (egress_fd >= 0 && n < max) {
		pfds[n] = (struct pollfd){ .fd = egress_fd, .events = POLLIN };
		polled[n++].kind = 0;
	}
	if (dns_root_fd >= 0 && n < max) {
		pfds[n] = (struct pollfd){ .fd = dns_root_fd, .events = POLLIN };
		polled[n].kind = 1;
		polled[n++].p = NULL;
	}
	for (int i = 0; i < MAX_NETNS && n < max; i++) {
		if (!netnses[i].used || netnses[i].dns_fd < 0)
			continue;
		pfds[n] = (struct pollfd){ .fd = netnses[i].dns_fd, .events = POLLIN };
		polled[n].kind = 1;
		polled[n++].p = &netnses[i];
	}
	for (int i = 0; i < MAX_SOCKSTREAMS && n < max; i++) {
		struct ss *s = &streams[i];
		if (!s->used)
			continue;
		short ev = 0;
		if (s->state == SS_CONNECTING || (s->state == SS_LIVE && s->inlen > 0))
			ev |= POLLOUT;
		if (SS_CAN_READ(s))
			ev |= POLLIN;
		if (!ev)
			continue;
		pfds[n] = (struct pollfd){ .fd = s->fd, .events = ev };
		polled[n].kind = 2;
		polled[n++].p = s;
	}
	return n;
}

void net_poll_handle(const struct pollfd *pfds, int n)
{
	for (int i = 0; i < n; i++) {
		if (!pfds[i].revents)
			continue;
		switch (polled[i].kind) {
		case 0:
			if (egress_fd >= 0)
				egress_accept();
			break;
		case 1: {
			struct netns *ns = polled[i].p;
			if (!ns && dns_root_fd >= 0)
				dns_recv(dns_root_fd, "");
			else if (ns && ns->used && ns->dns_fd == pfds[i].fd)
				dns_recv(ns->dns_fd, ns->id);
			break;
		}
		case 2: {
			struct ss *s = polled[i].p;
			if (!s->used || s->fd != pfds[i].fd)
				break;
			if (s->state == SS_CONNECTING) {
				ss_connected(s);
				break;
			}
			if (pfds[i].revents & (POLLIN | POLLHUP | POLLERR))
				ss_pump_out(s);
			if (s->used && s->inlen > 0 && (pfds[i].revents & (POLLOUT | POLLERR | POLLHUP)))
				ss_pump_in(s);
			break;
		}
		}
	}
}
