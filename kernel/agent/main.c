/*
 * tabdock guest agent: PID 1 of the guest after init's mounts. Talks to the host with the
 * framed protocol of proto.h and runs containers with crun. Frames to the host go out on
 * a virtio console port (a tty, /dev/hvc1); frames from the host come in on the bulk port
 * (/dev/vportNp2, a plain virtio port read a buffer at a time) or, as a fallback, on hvc1.
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

/*
 * Host->guest bytes arrive on two ports: the console port (hvc1, a tty: hvc_console
 * takes 16 bytes per pull and n_tty handles every byte, ~55 guest instructions a byte)
 * and, when the host set it up, a non-console virtio port (/dev/vportNp2: each read()
 * copies one whole 4 KiB receive buffer). The host sends on one of them at a time and
 * switches only with nothing unacknowledged, so frames never interleave across the two;
 * each port still keeps its own partial frame. Both count toward the same ACK total.
 */
struct link_rx {
	int fd;
	size_t len;
	unsigned char buf[2 * (HDR_LEN + MAX_PAYLOAD)];
};
/* zero-initialised (bss: the buffers take no room in the binary); fds set in main */
static struct link_rx console_rx, bulk_rx;
int bulk_fd = -1;

static size_t parse_frames(struct link_rx *l)
{
	size_t off = 0;
	while (l->len - off >= HDR_LEN) {
		unsigned char *h = l->buf + off;
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
		if (l->len - off < HDR_LEN + len)
			break;
		handle_frame(h[2], h[3], get_u32(h + 4), h + HDR_LEN, len);
		off += HDR_LEN + len;
	}
	memmove(l->buf, l->buf + off, l->len - off);
	l->len -= off;
	return off;
}

/* Read what the port has (up to max_reads reads: the bulk port gives one buffer a read), then one ACK. */
static void read_port(struct link_rx *l, int max_reads)
{
	uint32_t total = 0;
	for (int i = 0; i < max_reads; i++) {
		ssize_t n = read(l->fd, l->buf + l->len, sizeof l->buf - l->len);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			break;
		if (n <= 0) {
			logf_("link read: %s", n < 0 ? strerror(errno) : "eof");
			if (!total)
				usleep(100000);
			break;
		}
		l->len += (size_t)n;
		total += (uint32_t)n;
		parse_frames(l);
	}
	/* Tell the host how much of the link we consumed: it retires its sends by this. */
	if (total)
		send_u32(FRAME_ACK, 0, total);
}

void read_link(void)
{
	read_port(&console_rx, 1);
}

void read_bulk(void)
{
	read_port(&bulk_rx, 16);
}

/*
 * The bulk port: the virtio-console port the host announced without the console flag
 * (v86 port 2), so Linux made it a plain char device, vport<dev>p2. Its receive buffers
 * are posted from the start, but data that arrives while nobody has it open is dropped,
 * so it is opened before READY.
 */
static int open_bulk_port(void)
{
	char path[64];
	/* <dev> is the virtio device index: the console is one of the first few virtio devices */
	for (int dev = 0; dev < 16; dev++) {
		snprintf(path, sizeof path, "/dev/vport%dp%d", dev, BULK_PORT);
		int fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
		if (fd >= 0)
			return fd;
	}
	return -1;
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
	console_rx.fd = link_fd;
	bulk_fd = bulk_rx.fd = open_bulk_port();
	if (bulk_fd < 0)
		logf_("no bulk port (/dev/vport*p%d): host->guest bytes only on %s", BULK_PORT, dev);

	struct utsname u;
	uname(&u);
	char ready[256];
	struct timespec boot;
	clock_gettime(CLOCK_BOOTTIME, &boot);
	int rl = snprintf(ready, sizeof ready, "version=%s%cproto=%d%ckernel=%s%cuptime_ms=%lld%cbulk=%d%cout=%d%c", AGENT_VERSION, 0,
			  PROTO_VERSION, 0, u.release, 0, (long long)boot.tv_sec * 1000 + boot.tv_nsec / 1000000, 0,
			  bulk_fd >= 0 ? BULK_PORT : 0, 0, bulk_fd >= 0 ? BULK_PORT : CONTROL_PORT_NO, 0);
	send_frame(FRAME_READY, 0, 0, ready, (size_t)rl);
	/*
	 * Every later guest->host frame goes on the bulk port too: a write there is one
	 * virtio buffer of up to 32 KiB, where hvc1 pushes 4 KiB a kick through the tty layers
	 * (and khvcd for what does not fit). READY said out=2; what READY wrote on hvc1 is
	 * with the host before the first byte on the bulk port (tcdrain), so the host's two
	 * decoders, one a port, never see a frame cut between them.
	 */
	if (bulk_fd >= 0) {
		tcdrain(link_fd);
		link_out_fd = bulk_fd;
	}

	enum { NET_FDS = MAX_SOCKSTREAMS + MAX_NETNS + 2 };
	struct pollfd pfds[3 + 4 * MAX_PROCS + NET_FDS];
	struct { struct proc *p; int which; } who[3 + 4 * MAX_PROCS];
	for (;;) {
		int n = 0, pending_exit = 0;
		pfds[n] = (struct pollfd){ .fd = link_fd, .events = POLLIN };
		who[n++].p = NULL;
		pfds[n] = (struct pollfd){ .fd = sig_fd, .events = POLLIN };
		who[n++].p = NULL;
		/* fd -1 when there is no bulk port: poll skips it */
		pfds[n] = (struct pollfd){ .fd = bulk_fd, .events = POLLIN };
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
			for (int i = 3; i < nproc; i++) {
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
			if (pfds[2].revents)
				read_bulk();
		}
		reap();
		for (int i = 0; i < MAX_PROCS; i++)
			if (procs[i].used)
				maybe_finish(&procs[i]);
	}
}
