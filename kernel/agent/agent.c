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
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "proto.h"

#define AGENT_VERSION "0.1.0"
#define CRUN "/usr/bin/crun"
#define MAX_PROCS 64
#define MAX_CONTAINERS 64
#define MAX_FIELDS 256
#define READ_CHUNK 16384
#define DRAIN_GRACE_MS 200

static int link_fd = -1;
static int sig_fd = -1;

/* ---------- small helpers ---------- */

static void logf_(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("tabdock-agent: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static void put_u32(unsigned char *p, uint32_t v)
{
	p[0] = v; p[1] = v >> 8; p[2] = v >> 16; p[3] = v >> 24;
}

static uint32_t get_u32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void write_all(int fd, const unsigned char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				struct pollfd pfd = { .fd = fd, .events = POLLOUT };
				poll(&pfd, 1, 100);
				continue;
			}
			logf_("link write failed: %s", strerror(errno));
			_exit(1);
		}
		p += w;
		n -= (size_t)w;
	}
}

static void send_frame(int type, int flags, uint32_t id, const void *payload, size_t len)
{
	static unsigned char buf[HDR_LEN + MAX_PAYLOAD];
	if (len > MAX_PAYLOAD)
		len = MAX_PAYLOAD;
	buf[0] = 'T'; buf[1] = 'D'; buf[2] = (unsigned char)type; buf[3] = (unsigned char)flags;
	put_u32(buf + 4, id);
	put_u32(buf + 8, (uint32_t)len);
	if (len)
		memcpy(buf + HDR_LEN, payload, len);
	write_all(link_fd, buf, HDR_LEN + len);
}

static void send_u32(int type, uint32_t id, uint32_t v)
{
	unsigned char p[4];
	put_u32(p, v);
	send_frame(type, 0, id, p, 4);
}

/* A reply under construction: NUL-terminated "key=value" fields. */
struct reply {
	char buf[MAX_PAYLOAD];
	size_t len;
};

static void rfield(struct reply *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(r->buf + r->len, sizeof r->buf - r->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n + 1 > sizeof r->buf - r->len)
		return; /* silently truncated: replies are small */
	r->len += (size_t)n + 1;
}

static void reply_ok(uint32_t id, struct reply *r)
{
	send_frame(FRAME_RES, 0, id, r ? r->buf : NULL, r ? r->len : 0);
}

static void reply_err(uint32_t id, int err, const char *fmt, ...)
{
	struct reply r = { .len = 0 };
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	rfield(&r, "errno=%d", err);
	rfield(&r, "message=%s", msg);
	send_frame(FRAME_RES, 1, id, r.buf, r.len);
}

/* ---------- request fields ---------- */

struct fields {
	const char *op;
	int n;
	const char *kv[MAX_FIELDS];
};

static const char *fget(const struct fields *f, const char *key)
{
	size_t kl = strlen(key);
	for (int i = 0; i < f->n; i++)
		if (strncmp(f->kv[i], key, kl) == 0 && f->kv[i][kl] == '=')
			return f->kv[i] + kl + 1;
	return NULL;
}

static long fnum(const struct fields *f, const char *key, long dflt)
{
	const char *v = fget(f, key);
	return v && *v ? strtol(v, NULL, 10) : dflt;
}

/* All values of a repeated key, in order, into out (NULL-terminated). */
static int flist(const struct fields *f, const char *key, const char **out, int max)
{
	size_t kl = strlen(key);
	int k = 0;
	for (int i = 0; i < f->n && k < max - 1; i++)
		if (strncmp(f->kv[i], key, kl) == 0 && f->kv[i][kl] == '=')
			out[k++] = f->kv[i] + kl + 1;
	out[k] = NULL;
	return k;
}

/* ---------- processes and containers ---------- */

enum kind { K_SPAWN, K_RUN, K_EXEC };

struct proc {
	int used;
	enum kind kind;
	uint32_t sid;
	pid_t pid;
	int in_fd, out_fd, err_fd; /* pty: in_fd is a dup of the master, out_fd the master */
	int tty;
	int listen_fd; /* crun --console-socket listener until the pty master arrives */
	char sock_path[64];
	char pid_file[64];
	char cid[128];
	uint16_t rows, cols;
	uint32_t out_credit;
	unsigned char *inbuf;
	size_t inlen, incap;
	int in_eof;
	uint32_t in_written; /* bytes written to the child since the last CREDIT */
	int exited, status;
	long long exit_ms;
};

struct container {
	int used;
	char id[128];
	uint32_t sid;
	int running;
	int status;
};

static struct proc procs[MAX_PROCS];
static struct container containers[MAX_CONTAINERS];

static struct proc *proc_by_sid(uint32_t sid)
{
	for (int i = 0; i < MAX_PROCS; i++)
		if (procs[i].used && procs[i].sid == sid)
			return &procs[i];
	return NULL;
}

static struct container *container_by_id(const char *id)
{
	for (int i = 0; i < MAX_CONTAINERS; i++)
		if (containers[i].used && strcmp(containers[i].id, id) == 0)
			return &containers[i];
	return NULL;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void set_nonblock(int fd)
{
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

static void set_winsize(int fd, uint16_t rows, uint16_t cols)
{
	struct winsize ws = { .ws_row = rows, .ws_col = cols };
	if (fd >= 0 && rows && cols)
		ioctl(fd, TIOCSWINSZ, &ws);
}

/* Child side of fork(): undo what the agent blocks, then exec. */
static void child_reset_signals(void)
{
	sigset_t all;
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	signal(SIGPIPE, SIG_DFL);
}

static int mkdir_p(const char *path)
{
	char tmp[4096];
	snprintf(tmp, sizeof tmp, "%s", path);
	for (char *p = tmp + 1; *p; p++) {
		if (*p == '/') {
			*p = 0;
			if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
				return -1;
			*p = '/';
		}
	}
	if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
		return -1;
	return 0;
}

/* Run argv to completion, capturing stdout+stderr (for short crun commands). */
static int run_capture(const char *const argv[], char *out, size_t cap, int *status)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		child_reset_signals();
		int devnull = open("/dev/null", O_RDONLY);
		dup2(devnull, 0);
		dup2(p[1], 1);
		dup2(p[1], 2);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(p[1]);
	size_t len = 0;
	for (;;) {
		ssize_t n = read(p[0], out + len, cap - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		if (len >= cap - 1)
			len = cap - 1; /* keep reading into the last byte so the child never blocks */
	}
	out[len] = 0;
	close(p[0]);
	while (waitpid(pid, status, 0) < 0 && errno == EINTR)
		;
	return 0;
}

static int exit_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 255;
}

static int listen_console(struct proc *p)
{
	mkdir("/run/tabdock", 0700);
	snprintf(p->sock_path, sizeof p->sock_path, "/run/tabdock/console-%u.sock", p->sid);
	unlink(p->sock_path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", p->sock_path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(fd, 1) < 0) {
		close(fd);
		return -1;
	}
	p->listen_fd = fd;
	return 0;
}

/* crun connects to the console socket and sends the pty master with SCM_RIGHTS. */
static void accept_console(struct proc *p)
{
	int c = accept4(p->listen_fd, NULL, NULL, SOCK_CLOEXEC);
	if (c < 0)
		return;
	char dummy[256];
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = dummy, .iov_len = sizeof dummy };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf };
	ssize_t n;
	do
		n = recvmsg(c, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	struct cmsghdr *cm = n >= 0 ? CMSG_FIRSTHDR(&msg) : NULL;
	if (cm && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS) {
		int master;
		memcpy(&master, CMSG_DATA(cm), sizeof master);
		set_nonblock(master);
		set_winsize(master, p->rows, p->cols);
		p->out_fd = master;
		p->in_fd = fcntl(master, F_DUPFD_CLOEXEC, 0);
	} else {
		logf_("console socket for stream %u sent no fd", p->sid);
	}
	close(c);
	close_fd(&p->listen_fd);
	unlink(p->sock_path);
}

static struct proc *proc_alloc(uint32_t sid)
{
	for (int i = 0; i < MAX_PROCS; i++) {
		if (!procs[i].used) {
			struct proc *p = &procs[i];
			memset(p, 0, sizeof *p);
			p->used = 1;
			p->sid = sid;
			p->in_fd = p->out_fd = p->err_fd = p->listen_fd = -1;
			p->out_credit = INITIAL_STREAM_CREDIT;
			return p;
		}
	}
	return NULL;
}

static void proc_free(struct proc *p)
{
	close_fd(&p->in_fd);
	close_fd(&p->out_fd);
	close_fd(&p->err_fd);
	if (p->listen_fd >= 0) {
		close_fd(&p->listen_fd);
		unlink(p->sock_path);
	}
	if (p->pid_file[0])
		unlink(p->pid_file);
	free(p->inbuf);
	p->used = 0;
}

/*
 * Start argv as stream p. For K_RUN/K_EXEC with a tty, crun makes the pty inside the
 * container and hands us the master over --console-socket (argv must already carry it);
 * crun's own stderr stays a pipe so its errors reach the host as stderr.
 */
static int proc_start(struct proc *p, const char *const argv[], const char *const envp[])
{
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, err[2] = { -1, -1 };
	int master = -1;
	char *slave_name = NULL;

	if (p->tty && p->kind == K_SPAWN) {
		master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
		if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0)
			return errno;
		slave_name = ptsname(master);
		set_winsize(master, p->rows, p->cols);
	} else if (!p->tty) {
		if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0)
			return errno;
	}
	if (pipe2(err, O_CLOEXEC) < 0)
		return errno;

	pid_t pid = fork();
	if (pid < 0)
		return errno;
	if (pid == 0) {
		child_reset_signals();
		if (master >= 0) {
			setsid();
			int s = open(slave_name, O_RDWR);
			if (s < 0)
				_exit(126);
			ioctl(s, TIOCSCTTY, 0);
			dup2(s, 0); dup2(s, 1); dup2(s, 2);
		} else if (p->tty) {
			int devnull = open("/dev/null", O_RDWR);
			dup2(devnull, 0); dup2(devnull, 1); dup2(err[1], 2);
		} else {
			setsid();
			dup2(in[0], 0); dup2(out[1], 1); dup2(err[1], 2);
		}
		if (envp)
			execve(argv[0], (char *const *)argv, (char *const *)envp);
		else
			execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	p->pid = pid;
	close(err[1]);
	p->err_fd = err[0];
	set_nonblock(p->err_fd);
	if (master >= 0) {
		close_fd(&err[0]);
		p->err_fd = -1;
		p->out_fd = master;
		p->in_fd = fcntl(master, F_DUPFD_CLOEXEC, 0);
		set_nonblock(master);
	} else if (!p->tty) {
		close(in[0]);
		close(out[1]);
		p->in_fd = in[1];
		p->out_fd = out[0];
		set_nonblock(p->in_fd);
		set_nonblock(p->out_fd);
	}
	return 0;
}

/* ---------- requests ---------- */

static int stream_common(const struct fields *f, uint32_t id, struct proc **out, enum kind kind)
{
	uint32_t sid = (uint32_t)fnum(f, "sid", 0);
	if (sid == 0) {
		reply_err(id, EINVAL, "missing sid");
		return -1;
	}
	if (proc_by_sid(sid)) {
		reply_err(id, EEXIST, "stream %u is in use", sid);
		return -1;
	}
	struct proc *p = proc_alloc(sid);
	if (!p) {
		reply_err(id, EAGAIN, "too many processes");
		return -1;
	}
	p->kind = kind;
	p->tty = fnum(f, "tty", 0) != 0;
	p->rows = (uint16_t)fnum(f, "rows", 24);
	p->cols = (uint16_t)fnum(f, "cols", 80);
	*out = p;
	return 0;
}

static void op_spawn(const struct fields *f, uint32_t id)
{
	struct proc *p;
	const char *argv[MAX_FIELDS], *envp[MAX_FIELDS];
	if (stream_common(f, id, &p, K_SPAWN) < 0)
		return;
	if (flist(f, "arg", argv, MAX_FIELDS) == 0) {
		proc_free(p);
		reply_err(id, EINVAL, "spawn needs arg=");
		return;
	}
	int nenv = flist(f, "env", envp, MAX_FIELDS);
	int e = proc_start(p, argv, nenv ? envp : NULL);
	if (e) {
		proc_free(p);
		reply_err(id, e, "spawn %s: %s", argv[0], strerror(e));
		return;
	}
	struct reply r = { .len = 0 };
	rfield(&r, "pid=%d", p->pid);
	reply_ok(id, &r);
}

static void op_run(const struct fields *f, uint32_t id)
{
	struct proc *p;
	const char *cid = fget(f, "id"), *bundle = fget(f, "bundle");
	if (!cid || !*cid || !bundle || !*bundle) {
		reply_err(id, EINVAL, "run needs id= and bundle=");
		return;
	}
	struct container *c = container_by_id(cid);
	if (c && c->running) {
		reply_err(id, EEXIST, "container %s is running", cid);
		return;
	}
	if (stream_common(f, id, &p, K_RUN) < 0)
		return;
	snprintf(p->cid, sizeof p->cid, "%s", cid);
	/* the container's init pid, for stats without a `crun state` round trip */
	mkdir("/run/tabdock", 0700);
	snprintf(p->pid_file, sizeof p->pid_file, "/run/tabdock/run-%u.pid", p->sid);
	const char *argv[16];
	int a = 0;
	argv[a++] = CRUN;
	argv[a++] = "run";
	argv[a++] = "--pid-file";
	argv[a++] = p->pid_file;
	argv[a++] = "--bundle";
	argv[a++] = bundle;
	if (p->tty) {
		if (listen_console(p) < 0) {
			int e = errno;
			proc_free(p);
			reply_err(id, e, "console socket: %s", strerror(e));
			return;
		}
		argv[a++] = "--console-socket";
		argv[a++] = p->sock_path;
	}
	argv[a++] = cid;
	argv[a] = NULL;
	if (c) /* an exited container of the same name: crun refuses unless deleted */ {
		const char *del[] = { CRUN, "delete", "-f", cid, NULL };
		char out[512];
		int st;
		run_capture(del, out, sizeof out, &st);
		c->used = 0;
	}
	int e = proc_start(p, argv, NULL);
	if (e) {
		proc_free(p);
		reply_err(id, e, "crun run: %s", strerror(e));
		return;
	}
	for (int i = 0; i < MAX_CONTAINERS; i++) {
		if (!containers[i].used) {
			c = &containers[i];
			c->used = 1;
			snprintf(c->id, sizeof c->id, "%s", cid);
			c->sid = p->sid;
			c->running = 1;
			c->status = -1;
			break;
		}
	}
	struct reply r = { .len = 0 };
	rfield(&r, "pid=%d", p->pid);
	reply_ok(id, &r);
}

static void op_exec(const struct fields *f, uint32_t id)
{
	struct proc *p;
	const char *cid = fget(f, "id");
	const char *args[MAX_FIELDS], *envs[MAX_FIELDS];
	int nargs = flist(f, "arg", args, MAX_FIELDS);
	int nenv = flist(f, "env", envs, MAX_FIELDS);
	if (!cid || !*cid || nargs == 0) {
		reply_err(id, EINVAL, "exec needs id= and arg=");
		return;
	}
	if (stream_common(f, id, &p, K_EXEC) < 0)
		return;
	snprintf(p->cid, sizeof p->cid, "%s", cid);
	snprintf(p->pid_file, sizeof p->pid_file, "/run/tabdock/exec-%u.pid", p->sid);
	mkdir("/run/tabdock", 0700);
	static const char *argv[2 * MAX_FIELDS + 32];
	int a = 0;
	argv[a++] = CRUN;
	argv[a++] = "exec";
	argv[a++] = "--pid-file";
	argv[a++] = p->pid_file;
	if (p->tty) {
		if (listen_console(p) < 0) {
			int e = errno;
			proc_free(p);
			reply_err(id, e, "console socket: %s", strerror(e));
			return;
		}
		argv[a++] = "--tty";
		argv[a++] = "--console-socket";
		argv[a++] = p->sock_path;
	}
	const char *cwd = fget(f, "cwd"), *user = fget(f, "user");
	if (cwd && *cwd) { argv[a++] = "--cwd"; argv[a++] = cwd; }
	if (user && *user) { argv[a++] = "--user"; argv[a++] = user; }
	for (int i = 0; i < nenv && a < (int)(sizeof argv / sizeof *argv) - nargs - 4; i++) {
		argv[a++] = "--env";
		argv[a++] = envs[i];
	}
	argv[a++] = cid;
	for (int i = 0; i < nargs; i++)
		argv[a++] = args[i];
	argv[a] = NULL;
	int e = proc_start(p, argv, NULL);
	if (e) {
		proc_free(p);
		reply_err(id, e, "crun exec: %s", strerror(e));
		return;
	}
	struct reply r = { .len = 0 };
	rfield(&r, "pid=%d", p->pid);
	reply_ok(id, &r);
}

static int read_small(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, cap - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = 0;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = 0;
	return 0;
}

/* The container's init pid, from `crun state` (JSON; we only need "pid": N). */
static pid_t container_pid(const char *cid)
{
	const char *argv[] = { CRUN, "state", cid, NULL };
	static char out[8192];
	int st;
	if (run_capture(argv, out, sizeof out, &st) < 0 || exit_code(st) != 0)
		return -1;
	const char *p = strstr(out, "\"pid\"");
	if (!p)
		return -1;
	p = strchr(p, ':');
	return p ? (pid_t)strtol(p + 1, NULL, 10) : -1;
}

static void op_kill(const struct fields *f, uint32_t id)
{
	int sig = (int)fnum(f, "sig", SIGTERM);
	const char *cid = fget(f, "id");
	uint32_t sid = (uint32_t)fnum(f, "sid", 0);
	char sigs[16];
	snprintf(sigs, sizeof sigs, "%d", sig);
	if (sid) {
		struct proc *p = proc_by_sid(sid);
		if (!p) {
			reply_err(id, ESRCH, "no stream %u", sid);
			return;
		}
		if (p->kind == K_RUN) {
			cid = p->cid;
		} else {
			pid_t target = p->pid;
			char buf[32];
			if (p->kind == K_EXEC && read_small(p->pid_file, buf, sizeof buf) == 0)
				target = (pid_t)strtol(buf, NULL, 10);
			if (kill(p->kind == K_SPAWN ? -target : target, sig) < 0 && kill(target, sig) < 0) {
				reply_err(id, errno, "kill: %s", strerror(errno));
				return;
			}
			reply_ok(id, NULL);
			return;
		}
	}
	if (!cid || !*cid) {
		reply_err(id, EINVAL, "kill needs id= or sid=");
		return;
	}
	const char *argv[] = { CRUN, "kill", fnum(f, "all", 0) ? "--all" : cid, fnum(f, "all", 0) ? cid : sigs,
			       fnum(f, "all", 0) ? sigs : NULL, NULL };
	char out[1024];
	int st;
	if (run_capture(argv, out, sizeof out, &st) < 0 || exit_code(st) != 0) {
		reply_err(id, ESRCH, "crun kill %s: %s", cid, out);
		return;
	}
	reply_ok(id, NULL);
}

static void op_resize(const struct fields *f, uint32_t id)
{
	struct proc *p = proc_by_sid((uint32_t)fnum(f, "sid", 0));
	if (!p || !p->tty) {
		reply_err(id, ESRCH, "no tty stream %ld", fnum(f, "sid", 0));
		return;
	}
	p->rows = (uint16_t)fnum(f, "rows", p->rows);
	p->cols = (uint16_t)fnum(f, "cols", p->cols);
	set_winsize(p->out_fd, p->rows, p->cols);
	reply_ok(id, NULL);
}

static void op_list(uint32_t id)
{
	struct reply r = { .len = 0 };
	for (int i = 0; i < MAX_CONTAINERS; i++) {
		struct container *c = &containers[i];
		if (c->used)
			rfield(&r, "container=%s %u %s %d", c->id, c->sid, c->running ? "running" : "exited", c->status);
	}
	reply_ok(id, &r);
}

static void op_delete(const struct fields *f, uint32_t id)
{
	const char *cid = fget(f, "id");
	if (!cid || !*cid) {
		reply_err(id, EINVAL, "delete needs id=");
		return;
	}
	/* `crun run` in the foreground deletes its container when it exits: an exited
	 * container we ran is only our record, so deleting it just drops the record. */
	struct container *c = container_by_id(cid);
	if (c && !c->running) {
		c->used = 0;
		reply_ok(id, NULL);
		return;
	}
	if (c && c->running && !fnum(f, "force", 0)) {
		reply_err(id, EBUSY, "container %s is running; stop it or delete with force", cid);
		return;
	}
	const char *argv[] = { CRUN, "delete", fnum(f, "force", 0) ? "-f" : cid, fnum(f, "force", 0) ? cid : NULL, NULL };
	char out[1024];
	int st;
	if (run_capture(argv, out, sizeof out, &st) < 0 || exit_code(st) != 0) {
		reply_err(id, c ? EBUSY : ESRCH, "crun delete %s: %s", cid, out);
		return;
	}
	reply_ok(id, NULL);
}

static void op_stats(const struct fields *f, uint32_t id)
{
	const char *cid = fget(f, "id");
	pid_t pid = -1;
	struct container *c = cid ? container_by_id(cid) : NULL;
	struct proc *rp = c && c->running ? proc_by_sid(c->sid) : NULL;
	char pbuf[32];
	if (rp && rp->pid_file[0] && read_small(rp->pid_file, pbuf, sizeof pbuf) == 0)
		pid = (pid_t)strtol(pbuf, NULL, 10);
	if (pid <= 0 && cid)
		pid = container_pid(cid);
	if (pid <= 0) {
		reply_err(id, ESRCH, "container %s is not running", cid ? cid : "");
		return;
	}
	char path[512], buf[4096], cg[1024] = "";
	snprintf(path, sizeof path, "/proc/%d/cgroup", pid);
	if (read_small(path, buf, sizeof buf) == 0) {
		char *p = strstr(buf, "0::");
		if (p)
			snprintf(cg, sizeof cg, "%s", p + 3);
		char *nl = strchr(cg, '\n');
		if (nl)
			*nl = 0;
	}
	struct reply r = { .len = 0 };
	rfield(&r, "pid=%d", pid);
	rfield(&r, "cgroup=%s", cg);
	static const char *files[] = { "memory.current", "memory.max", "memory.peak", "pids.current", "pids.max" };
	for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
		snprintf(path, sizeof path, "/sys/fs/cgroup%s/%s", cg, files[i]);
		if (read_small(path, buf, sizeof buf) == 0)
			rfield(&r, "%s=%s", files[i], buf);
	}
	snprintf(path, sizeof path, "/sys/fs/cgroup%s/cpu.stat", cg);
	if (read_small(path, buf, sizeof buf) == 0) {
		char *u = strstr(buf, "usage_usec ");
		if (u)
			rfield(&r, "cpu.usage_usec=%lld", strtoll(u + 11, NULL, 10));
	}
	reply_ok(id, &r);
}

/* mount -t 9p -o trans=virtio,version=9p2000.L,aname=X,msize=N host9p PATH */
static void op_mount(const struct fields *f, uint32_t id)
{
	const char *path = fget(f, "path"), *aname = fget(f, "aname"), *tag = fget(f, "tag");
	const char *extra = fget(f, "options");
	long msize = fnum(f, "msize", 512 * 1024);
	if (!path || !*path) {
		reply_err(id, EINVAL, "mount needs path=");
		return;
	}
	if (mkdir_p(path) < 0) {
		reply_err(id, errno, "mkdir %s: %s", path, strerror(errno));
		return;
	}
	char opts[1024];
	snprintf(opts, sizeof opts, "trans=virtio,version=9p2000.L,msize=%ld%s%s%s%s", msize,
		 aname && *aname ? ",aname=" : "", aname && *aname ? aname : "", extra && *extra ? "," : "",
		 extra && *extra ? extra : "");
	if (mount(tag && *tag ? tag : "host9p", path, "9p", fnum(f, "ro", 0) ? MS_RDONLY : 0, opts) < 0) {
		reply_err(id, errno, "mount 9p at %s (%s): %s", path, opts, strerror(errno));
		return;
	}
	reply_ok(id, NULL);
}

static void op_umount(const struct fields *f, uint32_t id)
{
	const char *path = fget(f, "path");
	if (!path || umount2(path, fnum(f, "lazy", 0) ? MNT_DETACH : 0) < 0) {
		reply_err(id, path ? errno : EINVAL, "umount %s: %s", path ? path : "", strerror(errno));
		return;
	}
	reply_ok(id, NULL);
}

static void op_time(const struct fields *f, uint32_t id)
{
	long long ms = strtoll(fget(f, "ms") ? fget(f, "ms") : "0", NULL, 10);
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000 };
	if (ms <= 0 || clock_settime(CLOCK_REALTIME, &ts) < 0) {
		reply_err(id, ms <= 0 ? EINVAL : errno, "settime failed");
		return;
	}
	reply_ok(id, NULL);
}

static void op_ping(uint32_t id)
{
	struct utsname u;
	uname(&u);
	struct reply r = { .len = 0 };
	rfield(&r, "version=%s", AGENT_VERSION);
	rfield(&r, "proto=%d", PROTO_VERSION);
	rfield(&r, "kernel=%s", u.release);
	rfield(&r, "machine=%s", u.machine);
	reply_ok(id, &r);
}

static void handle_request(uint32_t id, unsigned char *payload, uint32_t len)
{
	struct fields f = { .op = NULL, .n = 0 };
	/* fields are NUL-terminated; the last one must be too */
	if (len == 0 || payload[len - 1] != 0) {
		reply_err(id, EINVAL, "malformed request");
		return;
	}
	char *s = (char *)payload, *end = (char *)payload + len;
	f.op = s;
	s += strlen(s) + 1;
	while (s < end && f.n < MAX_FIELDS) {
		f.kv[f.n++] = s;
		s += strlen(s) + 1;
	}
	const char *op = f.op;
	if (!strcmp(op, "ping")) op_ping(id);
	else if (!strcmp(op, "spawn")) op_spawn(&f, id);
	else if (!strcmp(op, "run")) op_run(&f, id);
	else if (!strcmp(op, "exec")) op_exec(&f, id);
	else if (!strcmp(op, "kill")) op_kill(&f, id);
	else if (!strcmp(op, "resize")) op_resize(&f, id);
	else if (!strcmp(op, "list")) op_list(id);
	else if (!strcmp(op, "delete")) op_delete(&f, id);
	else if (!strcmp(op, "stats")) op_stats(&f, id);
	else if (!strcmp(op, "mount")) op_mount(&f, id);
	else if (!strcmp(op, "umount")) op_umount(&f, id);
	else if (!strcmp(op, "time")) op_time(&f, id);
	else if (!strcmp(op, "sync")) { sync(); reply_ok(id, NULL); }
	else reply_err(id, ENOSYS, "unknown request %s", op);
}

/* ---------- streams ---------- */

static void stdin_append(struct proc *p, const unsigned char *d, uint32_t n)
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

static void pump_stdin(struct proc *p)
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
static ssize_t pump_out(struct proc *p, int *fd, int stream)
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

static void reap(void)
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

static int readable_now(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	return fd >= 0 && poll(&pfd, 1, 0) > 0;
}

/* A stream ends (EXIT frame) after its process exited and its output is drained. */
static void maybe_finish(struct proc *p)
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

static void handle_frame(int type, uint32_t id, unsigned char *payload, uint32_t len)
{
	struct proc *p;
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

static void read_link(void)
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
		handle_frame(h[2], get_u32(h + 4), h + HDR_LEN, len);
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

	struct pollfd pfds[2 + 4 * MAX_PROCS];
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
			for (int i = 2; i < n; i++) {
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
			if (pfds[0].revents)
				read_link();
		}
		reap();
		for (int i = 0; i < MAX_PROCS; i++)
			if (procs[i].used)
				maybe_finish(&procs[i]);
	}
}
