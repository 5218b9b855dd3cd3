/* Requests about containers and the guest: list, delete, stats, mount, umount, time, ping; dispatch. */
#include "agent.h"

void op_list(uint32_t id)
{
	struct reply r = { .len = 0 };
	for (int i = 0; i < MAX_CONTAINERS; i++) {
		struct container *c = &containers[i];
		if (c->used)
			rfield(&r, "container=%s %u %s %d", c->id, c->sid, c->running ? "running" : "exited", c->status);
	}
	reply_ok(id, &r);
}

void op_delete(const struct fields *f, uint32_t id)
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

void op_stats(const struct fields *f, uint32_t id)
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
void op_mount(const struct fields *f, uint32_t id)
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

void op_umount(const struct fields *f, uint32_t id)
{
	const char *path = fget(f, "path");
	if (!path || umount2(path, fnum(f, "lazy", 0) ? MNT_DETACH : 0) < 0) {
		reply_err(id, path ? errno : EINVAL, "umount %s: %s", path ? path : "", strerror(errno));
		return;
	}
	reply_ok(id, NULL);
}

void op_time(const struct fields *f, uint32_t id)
{
	long long ms = strtoll(fget(f, "ms") ? fget(f, "ms") : "0", NULL, 10);
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000 };
	if (ms <= 0 || clock_settime(CLOCK_REALTIME, &ts) < 0) {
		reply_err(id, ms <= 0 ? EINVAL : errno, "settime failed");
		return;
	}
	reply_ok(id, NULL);
}

void op_ping(uint32_t id)
{
	struct utsname u;
	uname(&u);
	struct reply r = { .len = 0 };
	rfield(&r, "version=%s", AGENT_VERSION);
	rfield(&r, "proto=%d", PROTO_VERSION);
	rfield(&r, "kernel=%s", u.release);
	rfield(&r, "machine=%s", u.machine);
	rfield(&r, "bulk=%d", bulk_fd >= 0 ? BULK_PORT : 0);
	rfield(&r, "out=%d", link_out_fd == bulk_fd && bulk_fd >= 0 ? BULK_PORT : CONTROL_PORT_NO);
	reply_ok(id, &r);
}

void handle_request(uint32_t id, unsigned char *payload, uint32_t len)
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
	else if (!strcmp(op, "net-create")) op_net_create(&f, id);
	else if (!strcmp(op, "net-remove")) op_net_remove(&f, id);
	else if (!strcmp(op, "netns-create")) op_netns_create(&f, id);
	else if (!strcmp(op, "netns-delete")) op_netns_delete(&f, id);
	else if (!strcmp(op, "netns-dns")) op_netns_dns(&f, id);
	else if (!strcmp(op, "net-attach")) op_net_attach(&f, id);
	else if (!strcmp(op, "net-detach")) op_net_detach(&f, id);
	else if (!strcmp(op, "net-link")) op_net_link(&f, id);
	else if (!strcmp(op, "connect")) op_connect(&f, id);
	else reply_err(id, ENOSYS, "unknown request %s", op);
}
