/* Requests that start or steer processes: spawn, run, exec, kill, resize. */
#include "agent.h"

/* ---------- requests ---------- */

int stream_common(const struct fields *f, uint32_t id, struct proc **out, enum kind kind)
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

void op_spawn(const struct fields *f, uint32_t id)
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

void op_run(const struct fields *f, uint32_t id)
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

/* Writes len bytes to a new file of mode 0600 (replacing one of that name). */
static int write_file(const char *path, const char *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	while (len > 0) {
		ssize_t n = write(fd, data, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			int e = errno;
			close(fd);
			errno = e;
			return -1;
		}
		data += n;
		len -= (size_t)n;
	}
	return close(fd);
}

void op_exec(const struct fields *f, uint32_t id)
{
	struct proc *p;
	const char *cid = fget(f, "id");
	const char *args[MAX_FIELDS], *envs[MAX_FIELDS];
	int nargs = flist(f, "arg", args, MAX_FIELDS);
	int nenv = flist(f, "env", envs, MAX_FIELDS);
	/* process=: the whole OCI process (JSON on one line) for `crun exec --process`, which
	 * carries what crun 1.8's flags cannot (the user's supplementary groups); then the
	 * arg/env/cwd/user fields are not used. */
	const char *process = fget(f, "process");
	if (!cid || !*cid || (nargs == 0 && !(process && *process))) {
		reply_err(id, EINVAL, "exec needs id= and arg= or process=");
		return;
	}
	if (stream_common(f, id, &p, K_EXEC) < 0)
		return;
	snprintf(p->cid, sizeof p->cid, "%s", cid);
	snprintf(p->pid_file, sizeof p->pid_file, "/run/tabdock/exec-%u.pid", p->sid);
	mkdir("/run/tabdock", 0700);
	if (process && *process) {
		snprintf(p->process_file, sizeof p->process_file, "/run/tabdock/exec-%u.json", p->sid);
		if (write_file(p->process_file, process, strlen(process)) < 0) {
			int e = errno;
			proc_free(p);
			reply_err(id, e, "exec process file: %s", strerror(e));
			return;
		}
	}
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
	if (p->process_file[0]) {
		argv[a++] = "--process";
		argv[a++] = p->process_file;
		argv[a++] = cid;
	} else {
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
	}
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

int read_small(const char *path, char *buf, size_t cap)
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
pid_t container_pid(const char *cid)
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

void op_kill(const struct fields *f, uint32_t id)
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
	/* The container's init process, as `crun kill ID SIG` signals it, without a crun run
	 * (each one a fork+exec in the emulator, during which this loop waits): its pid is in
	 * the --pid-file of the `crun run` stream, whose exit this loop reaps (so the pid is
	 * still the container's while the stream has not exited). --all goes to crun. */
	struct container *c = fnum(f, "all", 0) ? NULL : container_by_id(cid);
	struct proc *rp = c && c->running ? proc_by_sid(c->sid) : NULL;
	char pbuf[32];
	if (rp && rp->kind == K_RUN && !rp->exited && rp->pid_file[0] && read_small(rp->pid_file, pbuf, sizeof pbuf) == 0) {
		pid_t target = (pid_t)strtol(pbuf, NULL, 10);
		if (target > 1) {
			if (kill(target, sig) < 0) {
				reply_err(id, errno, "kill %s: %s", cid, strerror(errno));
				return;
			}
			reply_ok(id, NULL);
			return;
		}
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

void op_resize(const struct fields *f, uint32_t id)
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
