/* The control channel: frames out to the host, replies, request fields (proto.h). */
#include "agent.h"

int link_fd = -1;
int link_out_fd = -1; /* where frames go: link_fd until READY is out, then the bulk port if there is one */

/* ---------- small helpers ---------- */

void logf_(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("tabdock-agent: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

void put_u32(unsigned char *p, uint32_t v)
{
	p[0] = v; p[1] = v >> 8; p[2] = v >> 16; p[3] = v >> 24;
}

uint32_t get_u32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void write_all(int fd, const unsigned char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			/* a bulk-port write allocates its buffer (up to 32 KiB): short of memory, try again */
			if (errno == ENOMEM) {
				usleep(10000);
				continue;
			}
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

void send_frame(int type, int flags, uint32_t id, const void *payload, size_t len)
{
	static unsigned char buf[HDR_LEN + MAX_PAYLOAD];
	if (len > MAX_PAYLOAD)
		len = MAX_PAYLOAD;
	buf[0] = 'T'; buf[1] = 'D'; buf[2] = (unsigned char)type; buf[3] = (unsigned char)flags;
	put_u32(buf + 4, id);
	put_u32(buf + 8, (uint32_t)len);
	if (len)
		memcpy(buf + HDR_LEN, payload, len);
	write_all(link_out_fd >= 0 ? link_out_fd : link_fd, buf, HDR_LEN + len);
}

void send_u32(int type, uint32_t id, uint32_t v)
{
	unsigned char p[4];
	put_u32(p, v);
	send_frame(type, 0, id, p, 4);
}

/* A reply under construction: NUL-terminated "key=value" fields. */

void rfield(struct reply *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(r->buf + r->len, sizeof r->buf - r->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n + 1 > sizeof r->buf - r->len)
		return; /* silently truncated: replies are small */
	r->len += (size_t)n + 1;
}

void reply_ok(uint32_t id, struct reply *r)
{
	send_frame(FRAME_RES, 0, id, r ? r->buf : NULL, r ? r->len : 0);
}

void reply_err(uint32_t id, int err, const char *fmt, ...)
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


const char *fget(const struct fields *f, const char *key)
{
	size_t kl = strlen(key);
	for (int i = 0; i < f->n; i++)
		if (strncmp(f->kv[i], key, kl) == 0 && f->kv[i][kl] == '=')
			return f->kv[i] + kl + 1;
	return NULL;
}

long fnum(const struct fields *f, const char *key, long dflt)
{
	const char *v = fget(f, key);
	return v && *v ? strtol(v, NULL, 10) : dflt;
}

/* All values of a repeated key, in order, into out (NULL-terminated). */
int flist(const struct fields *f, const char *key, const char **out, int max)
{
	size_t kl = strlen(key);
	int k = 0;
	for (int i = 0; i < f->n && k < max - 1; i++)
		if (strncmp(f->kv[i], key, kl) == 0 && f->kv[i][kl] == '=')
			out[k++] = f->kv[i] + kl + 1;
	out[k] = NULL;
	return k;
}
