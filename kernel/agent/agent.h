/* Shared declarations of the guest agent (what it is: main.c). */
#ifndef TABDOCK_AGENT_H
#define TABDOCK_AGENT_H
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

struct reply {
	char buf[MAX_PAYLOAD];
	size_t len;
};

struct fields {
	const char *op;
	int n;
	const char *kv[MAX_FIELDS];
};

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
	char process_file[64]; /* exec's process.json (crun exec --process), removed with the stream */
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


extern int link_fd;
extern int bulk_fd; /* the bulk port (both ways once READY is out), -1 without one */
extern int link_out_fd;  /* guest->host frames: hvc1 until READY is out, then the bulk port */
extern struct proc procs[MAX_PROCS];
extern struct container containers[MAX_CONTAINERS];

void logf_(const char *fmt, ...);
void put_u32(unsigned char *p, uint32_t v);
uint32_t get_u32(const unsigned char *p);
long long now_ms(void);
void write_all(int fd, const unsigned char *p, size_t n);
void send_frame(int type, int flags, uint32_t id, const void *payload, size_t len);
void send_u32(int type, uint32_t id, uint32_t v);
void rfield(struct reply *r, const char *fmt, ...);
void reply_ok(uint32_t id, struct reply *r);
void reply_err(uint32_t id, int err, const char *fmt, ...);
const char *fget(const struct fields *f, const char *key);
long fnum(const struct fields *f, const char *key, long dflt);
int flist(const struct fields *f, const char *key, const char **out, int max);
struct proc *proc_by_sid(uint32_t sid);
struct container *container_by_id(const char *id);
void close_fd(int *fd);
void set_nonblock(int fd);
void set_winsize(int fd, uint16_t rows, uint16_t cols);
void child_reset_signals(void);
int mkdir_p(const char *path);
int run_capture(const char *const argv[], char *out, size_t cap, int *status);
int exit_code(int status);
int listen_console(struct proc *p);
void accept_console(struct proc *p);
struct proc *proc_alloc(uint32_t sid);
void proc_free(struct proc *p);
int proc_start(struct proc *p, const char *const argv[], const char *const envp[]);
int stream_common(const struct fields *f, uint32_t id, struct proc **out, enum kind kind);
void op_spawn(const struct fields *f, uint32_t id);
void op_run(const struct fields *f, uint32_t id);
void op_exec(const struct fields *f, uint32_t id);
int read_small(const char *path, char *buf, size_t cap);
pid_t container_pid(const char *cid);
void op_kill(const struct fields *f, uint32_t id);
void op_resize(const struct fields *f, uint32_t id);
void op_list(uint32_t id);
void op_delete(const struct fields *f, uint32_t id);
void op_stats(const struct fields *f, uint32_t id);
void op_mount(const struct fields *f, uint32_t id);
void op_umount(const struct fields *f, uint32_t id);
void op_time(const struct fields *f, uint32_t id);
void op_ping(uint32_t id);
void handle_request(uint32_t id, unsigned char *payload, uint32_t len);
void stdin_append(struct proc *p, const unsigned char *d, uint32_t n);
void pump_stdin(struct proc *p);
ssize_t pump_out(struct proc *p, int *fd, int stream);
void reap(void);
int readable_now(int fd);
void maybe_finish(struct proc *p);
void handle_frame(int type, int flags, uint32_t id, unsigned char *payload, uint32_t len);
void read_link(void);
void read_bulk(void);

#include "net.h"

#endif
