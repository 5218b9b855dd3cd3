/*
 * tabdock guest agent: PID 1 of the guest after init's mounts. Talks to the host over
 * one virtio console port (a tty, /dev/hvc1) with the framed protocol of proto.h and
 * runs containers with crun.
 *
 * Why flow control of our own: v86 drops console bytes sent while the guest has no
 * receive buffer posted and cuts one send at the buffer size (4 KiB). The host therefore
 * keeps at most a few sends in flight and retires them when we ACK the bytes we read
 * (see README "Link flow control"); we never stop reading the link, because stdin for a
 * stream is bounded by that stream's credit, not by the link.
 * Guest->host bytes are never dropped (the host consumes synchronously), so output only
 * needs per-stream credit, which gives backpressure to a container that prints a lot.
 */
#include "agent.h"

static int sig_fd = -1;

void handle_frame(int type, int flags, uint32_t id, unsigned char *payload, uint32_t len)
{
	struct proc *p;
	if (type != FRAME_REQ && sock_handle_frame(type, flags, id, payload, len))
		return;
	switch (type) {
	case FRAME_REQ:
		handle_request(id, payload, len);
		break;
	case FRAME_DATA:
		p = proc_by_sid(id);
		if (!p) {
			break;
		}
		if (len == 0)
			p->in_eof = 1;
		else
			stdin_append(p, payload, len);
		pump_stdin(p);
		break;
	case FRAME_CREDIT:
		p = proc_by_sid(id);
		if (p && len >= 4)
			p->out_credit += get_u32(payload);
		break;
	default:
		logf_("ignoring frame type %d", type);
	}
}

/* ---------- main loop ---------- */

static unsigned char rx[2 * (HDR_LEN + MAX_PAYLOAD)];
static size_t rxlen;

void read_link(void)
{
	ssize_t n = read(link_fd, rx + rxlen, sizeof rx - rxlen);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		logf_("link read: %s", n < 0 ? strerror(errno) : "eof");
		usleep(100000);
		return;
	}
	rxlen += (size_t)n;
	size_t off = 0;
	while (rxlen - off >= HDR_LEN) {
		unsigned char *h = rx + off;
		if (h[0] != 'T' || h[1] != 'D') {
			logf_("bad frame magic %02x %02x; skipping a byte", h[0], h[1]);
			off++;
			continue;
		}
		uint32_t len = get_u32(h + 8);
		if (len > MAX_PAYLOAD) {
			logf_("frame too long (%u); skipping a byte", len);
			off++;
			continue;
		}
		if (rxlen - off < HDR_LEN + len)
			break;
		handle_frame(h[2], h[3], get_u32(h + 4), h + HDR_LEN, len);
		off += HDR_LEN + len;
	}
	memmove(rx, rx + off, rxlen - off);
	rxlen -= off;
	/* Tell the host how much of the link we consumed: it retires its sends by this. */
	send_u32(FRAME_ACK, 0, (uint32_t)n);
}

int main(int argc, char **argv)
{
	const char *dev = argc > 1 ? argv[1] : "/dev/hvc1";
	signal(SIGPIPE, SIG_IGN);
	/* with /usr/bin/crun read-only (tabdock-init), this lets crun skip its memfd re-exec */
	setenv("_LIBCONTAINER_CLONED_BINARY", "1", 1);
	setenv("PATH", "/usr/sbin:/usr/bin:/sbin:/bin", 1);
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sig_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);

	net_init();
	link_fd = open(dev, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (link_fd < 0) {
		logf_("open %s: %s", dev, strerror(errno));
		for (;;)
			pause();
	}
	struct termios t;
	if (tcgetattr(link_fd, &t) == 0) {
		cfmakeraw(&t);
		tcsetattr(link_fd, TCSANOW, &t);
	}
	tcflush(link_fd, TCIOFLUSH);

	struct utsname u;
	uname(&u);
	char ready[256];
	struct timespec boot;
	clock_gettime(CLOCK_BOOTTIME, &boot);
	int rl = snprintf(ready, sizeof ready, "version=%s%cproto=%d%ckernel=%s%cuptime_ms=%lld%c", AGENT_VERSION, 0,
			  PROTO_VERSION, 0, u.release, 0, (long long)boot.tv_sec * 1000 + boot.tv_nsec / 1000000, 0);
	send_frame(FRAME_READY, 0, 0, ready, (size_t)rl);

	enum { NET_FDS = MAX_SOCKSTREAMS + MAX_NETNS + 2 };
	struct pollfd pfds[2 + 4 * MAX_PROCS + NET_FDS];
	struct { struct proc *p; int which; } who[2 + 4 * MAX_PROCS];
	for (;;) {
		int n = 0, pending_exit = 0;
		pfds[n] = (struct pollfd){ .fd = link_fd, .events = POLLIN };
		who[n++].p = NULL;
		pfds[n] = (struct pollfd){ .fd = sig_fd, .events = POLLIN };
		who[n++].p = NULL;
		for (int i = 0; i < MAX_PROCS; i++) {
			struct proc *p = &procs[i];
			if (!p->used)
				continue;
			if (p->exited)
				pending_exit = 1;
			if (p->listen_fd >= 0) {
				pfds[n] = (struct pollfd){ .fd = p->listen_fd, .events = POLLIN };
				who[n].p = p; who[n++].which = 0;
			}
			if (p->out_fd >= 0 && p->out_credit > 0) {
				pfds[n] = (struct pollfd){ .fd = p->out_fd, .events = POLLIN };
				who[n].p = p; who[n++].which = 1;
			}
			if (p->err_fd >= 0 && p->out_credit > 0) {
				pfds[n] = (struct pollfd){ .fd = p->err_fd, .events = POLLIN };
				who[n].p = p; who[n++].which = 2;
			}
			if (p->in_fd >= 0 && (p->inlen > 0 || p->in_eof)) {
				pfds[n] = (struct pollfd){ .fd = p->in_fd, .events = POLLOUT };
				who[n].p = p; who[n++].which = 3;
			}
		}
		int nproc = n;
		n += net_pollfds(pfds + n, NET_FDS);
		int r = poll(pfds, (nfds_t)n, pending_exit ? 50 : -1);
		if (r < 0 && errno != EINTR) {
			logf_("poll: %s", strerror(errno));
			usleep(100000);
		}
		if (r > 0) {
			if (pfds[1].revents) {
				struct signalfd_siginfo si;
				while (read(sig_fd, &si, sizeof si) > 0)
					;
				reap();
			}
			for (int i = 2; i < nproc; i++) {
				struct proc *p = who[i].p;
				if (!pfds[i].revents || !p->used)
					continue;
				switch (who[i].which) {
				case 0: if (p->listen_fd >= 0) accept_console(p); break;
				case 1: pump_out(p, &p->out_fd, 1); break;
				case 2: pump_out(p, &p->err_fd, 2); break;
				case 3: pump_stdin(p); break;
				}
			}
			net_poll_handle(pfds + nproc, n - nproc);
			if (pfds[0].revents)
				read_link();
		}
		reap();
		for (int i = 0; i < MAX_PROCS; i++)
			if (procs[i].used)
				maybe_finish(&procs[i]);
	}
}
