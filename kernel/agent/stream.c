/* Stream data: stdin into processes, output out within credit, reaping, EXIT. */
#include "agent.h"

/* ---------- streams ---------- */

void stdin_append(struct proc *p, const unsigned char *d, uint32_t n)
{
	if (p->in_fd < 0) { /* child closed its stdin: give the credit back, drop the bytes */
		send_u32(FRAME_CREDIT, p->sid, n);
		return;
	}
	if (p->inlen + n > p->incap) {
		size_t cap = p->incap ? p->incap : 65536;
		while (cap < p->inlen + n)
			cap *= 2;
		unsigned char *nb = realloc(p->inbuf, cap);
		if (!nb) {
			logf_("out of memory for stdin of stream %u", p->sid);
			return;
		}
		p->inbuf = nb;
		p->incap = cap;
	}
	memcpy(p->inbuf + p->inlen, d, n);
	p->inlen += n;
}

void pump_stdin(struct proc *p)
{
	while (p->inlen > 0 && p->in_fd >= 0) {
		ssize_t n = write(p->in_fd, p->inbuf, p->inlen);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0) { /* EPIPE and friends: nobody reads stdin any more */
			p->in_written += (uint32_t)p->inlen;
			p->inlen = 0;
			if (!p->tty)
				close_fd(&p->in_fd);
			break;
		}
		memmove(p->inbuf, p->inbuf + n, p->inlen - (size_t)n);
		p->inlen -= (size_t)n;
		p->in_written += (uint32_t)n;
	}
	if (p->in_written >= 16384 || (p->inlen == 0 && p->in_written > 0)) {
		send_u32(FRAME_CREDIT, p->sid, p->in_written);
		p->in_written = 0;
	}
	if (p->inlen == 0 && p->in_eof) {
		p->in_eof = 0;
		if (p->tty) { /* a pty has no half-close: send the EOF character instead */
			struct termios t;
			if (tcgetattr(p->in_fd, &t) == 0 && write(p->in_fd, &t.c_cc[VEOF], 1) < 0)
				logf_("eof to pty of stream %u: %s", p->sid, strerror(errno));
		} else {
			close_fd(&p->in_fd);
		}
	}
}

/* Read one chunk of output within credit. Returns bytes sent, 0 if nothing (or EOF). */
ssize_t pump_out(struct proc *p, int *fd, int stream)
{
	static unsigned char buf[READ_CHUNK];
	if (*fd < 0 || p->out_credit == 0)
		return 0;
	size_t want = p->out_credit < READ_CHUNK ? p->out_credit : READ_CHUNK;
	ssize_t n = read(*fd, buf, want);
	if (n > 0) {
		send_frame(FRAME_DATA, stream, p->sid, buf, (size_t)n);
		p->out_credit -= (uint32_t)n;
		return n;
	}
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	/* EOF, or EIO from a pty master whose slave side is gone */
	close_fd(fd);
	if (p->tty && fd == &p->out_fd)
		close_fd(&p->in_fd);
	return 0;
}

void reap(void)
{
	int st;
	pid_t pid;
	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		for (int i = 0; i < MAX_PROCS; i++) {
			struct proc *p = &procs[i];
			if (!p->used || p->pid != pid || p->exited)
				continue;
			p->exited = 1;
			p->status = exit_code(st);
			p->exit_ms = now_ms();
			if (p->kind == K_RUN) {
				struct container *c = container_by_id(p->cid);
				if (c && c->sid == p->sid) {
					c->running = 0;
					c->status = p->status;
				}
			}
		}
		/* anything else is an orphan reparented to us (we are PID 1): just reaped */
	}
}

int readable_now(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	return fd >= 0 && poll(&pfd, 1, 0) > 0;
}

/* A stream ends (EXIT frame) after its process exited and its output is drained. */
void maybe_finish(struct proc *p)
{
	if (!p->exited)
		return;
	if (p->listen_fd >= 0) {
		accept_console(p); /* crun may have connected just before exiting */
		close_fd(&p->listen_fd);
	}
	while (p->out_credit > 0 && (pump_out(p, &p->out_fd, 1) > 0 || pump_out(p, &p->err_fd, 2) > 0))
		;
	int open_fds = (p->out_fd >= 0) + (p->err_fd >= 0);
	if (open_fds) {
		/* Background processes may hold the pipe or pty open forever: after a grace
		 * period, end the stream once nothing is readable right now. */
		if (now_ms() - p->exit_ms < DRAIN_GRACE_MS || p->out_credit == 0)
			return;
		if (readable_now(p->out_fd) || readable_now(p->err_fd))
			return;
	}
	unsigned char st[4];
	put_u32(st, (uint32_t)p->status);
	send_frame(FRAME_EXIT, 0, p->sid, st, 4);
	proc_free(p);
}
