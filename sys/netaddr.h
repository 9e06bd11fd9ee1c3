/* netaddr.h: an endpoint (IP address + port) of either family, IPv4 or
 * IPv6, and the few things every program does with one: resolve
 * "host" + port or "host:port" / "[v6]:port", print it as ip:port, compare,
 * hash, open a socket of its family.
 *
 * A union, not struct sockaddr_storage (128 bytes): the relay keeps one per
 * member and one per queued datagram, and 28 bytes hold both families. */
#ifndef RICOCHET_NETADDR_H
#define RICOCHET_NETADDR_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

union netaddr {
    struct sockaddr sa;
    struct sockaddr_in v4;
    struct sockaddr_in6 v6;
};

/* "[" INET6_ADDRSTRLEN "%" IFNAMSIZ "]:65535" and the NUL */
#define NETADDR_STR_MAX 72
/* netaddr_key: 16 address bytes and 2 port bytes at most */
#define NETADDR_KEY_MAX 18

/* Resolves host (a name, an IPv4 literal, or an IPv6 literal, bracketed or
 * not) with port into out. A name with addresses of both families gives
 * its IPv4 one (ENet and the defaults are IPv4; write ::1 for IPv6).
 * Returns 0, or -1 with a one-line message in err. */
int netaddr_resolve(const char *host, uint16_t port, union netaddr *out, char *err,
                    size_t err_cap);

/* The local address to bind: host as netaddr_resolve reads it, every IPv4
 * address (0.0.0.0) for NULL or "". Returns 0, or -1 with "bind address: ..." */
int netaddr_resolve_bind(const char *host, uint16_t port, union netaddr *out, char *err,
                         size_t err_cap);

/* Parses "host:port" or "[v6 address]:port" (port 0..65535) and resolves
 * it like netaddr_resolve. Returns 0, or -1 with a one-line message. */
int netaddr_parse_endpoint(const char *text, union netaddr *out, char *err, size_t err_cap);

/* Splits "host:port" or "[v6 address]:port" (port 0..65535) without
 * resolving: host gets the name or address (brackets removed; host_cap
 * bytes at most, NUL included). Returns 0, or -1 with a one-line message. */
int netaddr_split_endpoint(const char *text, char *host, size_t host_cap, uint16_t *port,
                           char *err, size_t err_cap);

/* Copies a kernel-filled address (recvfrom, getsockname) of len bytes; sa
 * may be out's own storage (then it checks the family and clears padding).
 * Returns 0, or -1 if it is neither IPv4 nor IPv6. */
int netaddr_from_sockaddr(union netaddr *out, const struct sockaddr *sa, socklen_t len);

/* sizeof the family's sockaddr (for bind, connect, sendto). */
socklen_t netaddr_len(const union netaddr *a);
uint16_t netaddr_port(const union netaddr *a);
void netaddr_set_port(union netaddr *a, uint16_t port);

/* "127.0.0.1:7777" or "[::1]:7777"; an IPv4-mapped IPv6 address (an IPv4
 * client of a dual-stack socket) prints as IPv4. Returns buf. */
const char *netaddr_format(const union netaddr *a, char *buf, size_t cap);

/* host (as the user wrote it) and port as one endpoint for messages:
 * "127.0.0.1:7777", "relay.lan:7777", "[::1]:7777" (brackets added to an
 * IPv6 address). Returns buf. */
const char *netaddr_host_port(const char *host, long port, char *buf, size_t cap);

/* Same family, address (and scope) and port. */
bool netaddr_equal(const union netaddr *a, const union netaddr *b);
/* Same family and address, any port. */
bool netaddr_same_host(const union netaddr *a, const union netaddr *b);
/* 127.0.0.0/8, ::1, or ::ffff:127.x.x.x. */
bool netaddr_is_loopback(const union netaddr *a);

/* The endpoint as bytes for hashing: the address (4 or 16 bytes) then the
 * port, both in network order. Returns the length (6 or 18). */
size_t netaddr_key(const union netaddr *a, uint8_t out[NETADDR_KEY_MAX]);

/* socket(a's family, SOCK_DGRAM | flags). An IPv6 socket is dual-stack
 * (IPV6_V6ONLY off), so bound to :: it also serves IPv4 clients.
 * Returns the descriptor or -1 (errno set). */
int netaddr_udp_socket(const union netaddr *a, int flags);

#endif
