/* Container networking in the agent: netlink.c, ops-net.c, sockstream.c (see kernel/README.md). */
#ifndef TABDOCK_NET_H
#define TABDOCK_NET_H
#include <netinet/in.h>

#define EGRESS_PORT 15001
#define DNS_PORT 15053
#define MAX_SOCKSTREAMS 256
#define MAX_NETNS 64
#define MAX_BRIDGES 32
#define MAX_ENDPOINTS 128
/* One read of a socket, within the stream's credit: a frame that is one write to the bulk port. */
#define SOCK_READ_CHUNK LINK_WRITE_PAYLOAD
/* Host->guest bytes written to a socket are given back as CREDIT in batches of this. */
#define SOCK_CREDIT_BATCH 32768

/* netlink.c */
int nl_ifindex(const char *name);
int nl_bridge_create(const char *name);
int nl_veth_create(const char *host, const char *peer, int nsfd, const unsigned char mac[6]);
int nl_link_set(const char *name, int up, int master);
int nl_link_del(const char *name);
int nl_addr_add(const char *name, struct in_addr ip, int prefix);
int nl_route_default(struct in_addr gw, const char *dev);

/* ops-net.c */
struct netns {
	int used;
	char id[64];
	int dns_fd; /* UDP 127.0.0.11:53 inside it, or -1 */
};
extern struct netns netnses[MAX_NETNS];
extern int dns_root_fd;    /* UDP :DNS_PORT in the root ns (the UDP/53 REDIRECT lands here) */
extern int egress_fd;      /* TCP :EGRESS_PORT in the root ns (the TCP REDIRECT lands here) */
extern int link_up;        /* net-link up= */
void op_net_create(const struct fields *f, uint32_t id);
void op_net_remove(const struct fields *f, uint32_t id);
void op_netns_create(const struct fields *f, uint32_t id);
void op_netns_delete(const struct fields *f, uint32_t id);
void op_netns_dns(const struct fields *f, uint32_t id);
void op_net_attach(const struct fields *f, uint32_t id);
void op_net_detach(const struct fields *f, uint32_t id);
void op_net_link(const struct fields *f, uint32_t id);
void net_init(void);

/* sockstream.c */
void op_connect(const struct fields *f, uint32_t id);
int sock_handle_frame(int type, int flags, uint32_t id, unsigned char *payload, uint32_t len);
int net_pollfds(struct pollfd *pfds, int max);
void net_poll_handle(const struct pollfd *pfds, int n);
void dns_recv(int fd, const char *ns);
#endif
