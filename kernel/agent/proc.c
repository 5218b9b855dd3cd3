/* Process table, starting processes (pipes, a pty, or crun's --console-socket). */
#include "agent.h"

struct proc procs[MAX_PROCS];
struct container containers[MAX_CONTAINERS];

struct proc *proc_by_sid(uint32_t sid)
{
	for (int i = 0; i < MAX_PROCS; i++)
		if (procs[i].used && procs[i].sid == sid)
			return &procs[i];
	return NULL;
}

struct container *container_by_id(const char *id)
{
	for (int i = 0; i < MAX_CONTAINERS; i++)
		if (containers[i].used && strcmp(containers[i].id, id) == 0)
			return &containers[i];
	return NULL;
}

void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

void set_nonblock(int fd)
{
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

void set_winsize(int fd, uint16_t rows, uint16_t cols)
{
	struct winsize ws = { .ws_row = rows, .ws_col = cols };
	if (fd >= 0 && rows && cols)
		ioctl(fd, TIOCSWINSZ, &ws);
}

/* Child side of fork(): undo what the agent blocks, then exec. */
void child_reset_signals(void)
{
	sigset_t all;
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	signal(SIGPIPE, SIG_DFL);
}

int mkdir_p(const char *path)
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
int run_capture(const char *const argv[], char *out, size_t cap, int *status)
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

int exit_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 255;
}

int listen_console(struct proc *p)
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
void accept_console(struct proc *p)
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

struct proc *proc_alloc(uint32_t sid)
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

void proc_free(struct proc *p)
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
	if (p->process_file[0])
		unlink(p->process_file);
	free(p->inbuf);
	p->used = 0;
}

/*
 * Start argv as stream p. For K_RUN/K_EXEC with a tty, crun makes the pty inside the
 * container and hands us the master over --console-socket (argv must already carry it);
 * crun's own stderr stays a pipe so its errors reach the host as stderr.
 */
int proc_start(struct proc *p, const char *const argv[], const char *const envp[])
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
