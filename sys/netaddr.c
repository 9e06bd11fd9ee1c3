/* netaddr.c: endpoints of either IP family (see netaddr.h). */
#include "netaddr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A name may give several addresses: the first IPv4 one, else the first
 * IPv6 one. */
static const struct addrinfo *pick_address(const struct addrinfo *res)
{
    for (const struct addrinfo *r = res; r; r = r->ai_next)
        if (r->ai_family == AF_INET)
            return r;
    for (const struct addrinfo *r = res; r; r = r->ai_next)
        if (r->ai_family == AF_INET6)
            return r;
    return NULL;
}

int netaddr_resolve(const char *host, uint16_t port, union netaddr *out, char *err,
                    size_t err_cap)
{
    char name[256];
    size_t len = host ? strlen(host) : 0;

    /* "[::1]" as people write it next to a port. */
    if (len >= 2 && host[0] == '[' && host[len - 1] == ']') {
        host++;
        len -= 2;
    }
    if (len == 0 || len >= sizeof name) {
        snprintf(err, err_cap, "bad host name '%s'", host ? host : "");
        return -1;
    }
    memcpy(name, host, len);
    name[len] = '\0';
    /* Anything with a colon is an IPv6 literal: never ask DNS about it. */
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_DGRAM,
                             .ai_flags = strchr(name, ':') ? AI_NUMERICHOST : 0};
    struct addrinfo *res = NULL;
    int gai = getaddrinfo(name, NULL, &hints, &res);
    const struct addrinfo *pick = gai == 0 ? pick_address(res) : NULL;
    if (!pick) {
        snprintf(err, err_cap, "cannot resolve '%s': %s", name,
                 gai ? gai_strerror(gai) : "no IPv4 or IPv6 address");
        freeaddrinfo(res);
        return -1;
    }
    netaddr_from_sockaddr(out, pick->ai_addr, pick->ai_addrlen);
    netaddr_set_port(out, port);
    freeaddrinfo(res);
    return 0;
}

int netaddr_resolve_bind(const char *host, uint16_t port, union netaddr *out, char *err,
                         size_t err_cap)
{
    char why[200];
    if (netaddr_resolve(host && *host ? host : "0.0.0.0", port, out, why, sizeof why) == 0)
        return 0;
    snprintf(err, err_cap, "bind address: %s", why);
    return -1;
}

int netaddr_split_endpoint(const char *text, char *host, size_t host_cap, uint16_t *port,
                           char *err, size_t err_cap)
{
    const char *colon, *host_start = text, *host_end;

    if (text[0] == '[') {
        host_end = strchr(text, ']');
        if (!host_end || host_end[1] != ':') {
            snprintf(err, err_cap, "'%s': expected [IPv6 address]:PORT", text);
            return -1;
        }
        host_start = text + 1;
        colon = host_end + 1;
    } else {
        colon = strrchr(text, ':');
        if (colon && memchr(text, ':', (size_t)(colon - text))) {
            snprintf(err, err_cap, "'%s': write an IPv6 address in brackets, [ADDR]:PORT",
                     text);
            return -1;
        }
        host_end = colon;
    }
    if (!colon || host_end == host_start || (size_t)(host_end - host_start) >= host_cap) {
        snprintf(err, err_cap, "'%s': expected HOST:PORT", text);
        return -1;
    }
    char *end;
    errno = 0;
    long p = strtol(colon + 1, &end, 10);
    if (errno || end == colon + 1 || *end || p < 0 || p > 65535) {
        snprintf(err, err_cap, "'%s': the port must be 0 to 65535", text);
        return -1;
    }
    memcpy(host, host_start, (size_t)(host_end - host_start));
    host[host_end - host_start] = '\0';
    *port = (uint16_t)p;
    return 0;
}

int netaddr_parse_endpoint(const char *text, union netaddr *out, char *err, size_t err_cap)
{
    char host[256];
    uint16_t port;
    if (netaddr_split_endpoint(text, host, sizeof host, &port, err, err_cap) != 0)
        return -1;
    return netaddr_resolve(host, port, out, err, err_cap);
}

int netaddr_from_sockaddr(union netaddr *out, const struct sockaddr *sa, socklen_t len)
{
    union netaddr a; /* sa may point into out (recvfrom straight into a netaddr) */
    memset(&a, 0, sizeof a);
    if (sa->sa_family == AF_INET && len >= (socklen_t)sizeof a.v4)
        memcpy(&a.v4, sa, sizeof a.v4);
    else if (sa->sa_family == AF_INET6 && len >= (socklen_t)sizeof a.v6)
        memcpy(&a.v6, sa, sizeof a.v6);
    else
        return -1;
    *out = a;
    return 0;
}

socklen_t netaddr_len(const union netaddr *a)
{
    return a->sa.sa_family == AF_INET6 ? sizeof a->v6 : sizeof a->v4;
}

uint16_t netaddr_port(const union netaddr *a)
{
    return ntohs(a->sa.sa_family == AF_INET6 ? a->v6.sin6_port : a->v4.sin_port);
}

void netaddr_set_port(union netaddr *a, uint16_t port)
{
    if (a->sa.sa_family == AF_INET6)
        a->v6.sin6_port = htons(port);
    else
        a->v4.sin_port = htons(port);
}

const char *netaddr_format(const union netaddr *a, char *buf, size_t cap)
{
    char ip[INET6_ADDRSTRLEN] = "?";
    if (a->sa.sa_family == AF_INET6 && IN6_IS_ADDR_V4MAPPED(&a->v6.sin6_addr)) {
        inet_ntop(AF_INET, a->v6.sin6_addr.s6_addr + 12, ip, sizeof ip);
        snprintf(buf, cap, "%s:%u", ip, (unsigned)netaddr_port(a));
    } else if (a->sa.sa_family == AF_INET6) {
        inet_ntop(AF_INET6, &a->v6.sin6_addr, ip, sizeof ip);
        if (a->v6.sin6_scope_id)
            snprintf(buf, cap, "[%s%%%u]:%u", ip, (unsigned)a->v6.sin6_scope_id,
                     (unsigned)netaddr_port(a));
        else
            snprintf(buf, cap, "[%s]:%u", ip, (unsigned)netaddr_port(a));
    } else {
        inet_ntop(AF_INET, &a->v4.sin_addr, ip, sizeof ip);
        snprintf(buf, cap, "%s:%u", ip, (unsigned)netaddr_port(a));
    }
    return buf;
}

const char *netaddr_host_port(const char *host, long port, char *buf, size_t cap)
{
    bool bare_v6 = strchr(host, ':') && host[0] != '[';
    snprintf(buf, cap, bare_v6 ? "[%s]:%ld" : "%s:%ld", host, port);
    return buf;
}

bool netaddr_same_host(const union netaddr *a, const union netaddr *b)
{
    if (a->sa.sa_family != b->sa.sa_family)
        return false;
    if (a->sa.sa_family == AF_INET6)
        return memcmp(&a->v6.sin6_addr, &b->v6.sin6_addr, 16) == 0 &&
               a->v6.sin6_scope_id == b->v6.sin6_scope_id;
    return a->v4.sin_addr.s_addr == b->v4.sin_addr.s_addr;
}

bool netaddr_equal(const union netaddr *a, const union netaddr *b)
{
    return netaddr_same_host(a, b) && netaddr_port(a) == netaddr_port(b);
}

bool netaddr_is_loopback(const union netaddr *a)
{
    if (a->sa.sa_family == AF_INET6) {
        const struct in6_addr *in = &a->v6.sin6_addr;
        return IN6_IS_ADDR_LOOPBACK(in) || (IN6_IS_ADDR_V4MAPPED(in) && in->s6_addr[12] == 127);
    }
    return a->sa.sa_family == AF_INET && (ntohl(a->v4.sin_addr.s_addr) >> 24) == 127;
}

size_t netaddr_key(const union netaddr *a, uint8_t out[NETADDR_KEY_MAX])
{
    if (a->sa.sa_family == AF_INET6) {
        memcpy(out, &a->v6.sin6_addr, 16);
        memcpy(out + 16, &a->v6.sin6_port, 2);
        return 18;
    }
    memcpy(out, &a->v4.sin_addr, 4);
    memcpy(out + 4, &a->v4.sin_port, 2);
    return 6;
}

int netaddr_udp_socket(const union netaddr *a, int flags)
{
    int fd = socket(a->sa.sa_family, SOCK_DGRAM | flags, 0);
    if (fd >= 0 && a->sa.sa_family == AF_INET6) {
        int off = 0;
        /* Best effort: Linux's default already, unless net.ipv6.bindv6only. */
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off);
    }
    return fd;
}
