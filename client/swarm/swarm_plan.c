/* swarm_plan.c: what a swarm's config gives each client (swarm_plan.h). */
#include "swarm_plan.h"
#include "sys/netaddr.h"

#include <math.h>

/* Client i's mode under mixed: the mode table's in_mixed modes in turn. */
static enum proto_mode mixed_mode(size_t i)
{
    enum proto_mode modes[PROTO_MODE_COUNT];
    size_t n = 0;
    for (int k = 0; k < PROTO_MODE_COUNT; k++)
        if (proto_mode_info((enum proto_mode)k)->in_mixed)
            modes[n++] = (enum proto_mode)k;
    return modes[i % n];
}

enum proto_mode swarm_plan_mode(const struct swarm_config *cfg, size_t i)
{
    return cfg->mixed ? mixed_mode(i) : cfg->mode;
}

size_t swarm_plan_room(const struct swarm_config *cfg, size_t i)
{
    if (i >= cfg->clients)
        return SIZE_MAX;
    return cfg->room_size ? (cfg->first + i) / cfg->room_size : 0;
}

size_t swarm_plan_room_members(const struct swarm_config *cfg, size_t i)
{
    if (i >= cfg->clients)
        return 0;
    size_t k = cfg->room_size;
    if (k == 0)
        return cfg->clients;
    size_t first = swarm_plan_room(cfg, i) * k, end = cfg->first + cfg->clients;
    return end - first < k ? end - first : k;
}

uint64_t swarm_plan_period(double rate_hz)
{
    if (!(rate_hz > 0))
        return 0;
    uint64_t p = (uint64_t)llround(1e6 / rate_hz);
    return p ? p : 1;
}

bool swarm_plan_on_hub(const struct swarm_config *cfg, size_t per_host, bool udp_ok, size_t i)
{
    enum proto_mode m = swarm_plan_mode(cfg, i);
    return per_host > 1 && cfg->transport == RICOCHET_TRANSPORT_DEFAULT &&
           (proto_mode_info(m)->enet || (udp_ok && m == PROTO_MODE_UDP && !cfg->mixed));
}

bool swarm_plan_udp_hubs(const struct swarm_config *cfg)
{
    union netaddr a;
    char why[128];
    return cfg->udp_hubs && cfg->host && !cfg->n_ports &&
           netaddr_resolve(cfg->host, cfg->port, &a, why, sizeof why) == 0 &&
           a.sa.sa_family == AF_INET && netaddr_is_loopback(&a);
}

/* One per hub, one per other client; a WebRTC client's are its epoll set,
 * its UDP socket, its offer's TCP connection for a while, and its key log;
 * a QUIC client's its epoll set, its UDP socket (two while it moves) and
 * its key log. */
size_t swarm_plan_sockets(const struct swarm_config *cfg, size_t per_host, bool udp_ok)
{
    size_t n = 0;
    for (size_t i = 0; i < cfg->clients; i++)
        n += !swarm_plan_on_hub(cfg, per_host, udp_ok, i) || i % per_host == 0;
    return cfg->transport != RICOCHET_TRANSPORT_DEFAULT ? n * 4 : n;
}

const char *swarm_plan_pin(const struct swarm_config *cfg, char out[CLIENT_PIN_HEX + 1])
{
    return cfg->pin && client_pin_parse(cfg->pin, out) == 0 ? out : NULL;
}
