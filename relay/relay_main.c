/* relay_main.c: ricochet-relay. Options, the one loop, signals, stats.
 *
 * --transport picks one entry of relay_transports (transport.h); the loop
 * only calls its operations. The loop: service the transport (wait at most
 * until the next tick; with --tick-ms, once states are held, read in
 * batches every 5 ms or at the tick's end; the transport fans them out),
 * then do the periodic work on a fixed tick: the transport's tick (plain
 * UDP's expiry), stats records. Signal
 * handlers only set flags; the loop acts on them within one tick: a signal
 * may cut the udp transport's poll() short, but ENet's enet_host_service
 * goes back to waiting after EINTR, so the 100 ms tick is what bounds the
 * reaction. */
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../proto/clock.h"
#include "../proto/log.h"
#include "../proto/options.h"
#include "../proto/signals.h"
#include "relay.h"
#include "transport.h"

#define TICK_US 100000 /* periodic work every 100 ms */
#define READ_EVERY_US 5000 /* with states held: read batches this often */
#define DRAIN_MS 500   /* at shutdown, at most this long for the goodbyes to be
                          acknowledged; over as soon as none is in flight */

struct relay_opts {
    char bind[64];
    long port;
    int transport; /* index into relay_transports */
    long max_clients;
    long max_rooms;
    long max_room_size;
    long max_per_address;
    long max_packet_size;
    long max_waiting_data;
    long timeout_ms;
    long max_queued_packets;
    long max_queued_bytes;
    long slow_reader_ms;
    long max_held_commands;
    long max_half_open;
    long rate_limit;
    long rate_burst;
    double kick_after;
    long max_strikes;
    long kick_ban_s;
    long name_max;
    long room_max;
    long tick_ms;
    double stats_interval;
    bool stats_json;
    int log_level;
};

#define O(f) offsetof(struct relay_opts, f)
static const struct option_def relay_options[] = {
    { "bind", OPTION_STRING, O(bind), "0.0.0.0", 1, sizeof(((struct relay_opts *)0)->bind),
      NULL, "local address to bind: IPv4, IPv6 with --transport udp (:: also serves IPv4), "
      "or a host name" },
    { "port", OPTION_INT, O(port), "7777", 0, 65535, NULL,
      "UDP port to bind; 0 picks a free one (see the 'listening on' line)" },
    { "transport", OPTION_CHOICE, O(transport), "enet", 0, 0, RELAY_TRANSPORT_CHOICES,
      "enet: ENet connections and channels; udp: one bare datagram socket" },
    { "max-clients", OPTION_INT, O(max_clients), "1024", 1, 4000, NULL,
      "connected clients; more are refused with server_full" },
    { "max-rooms", OPTION_INT, O(max_rooms), "256", 1, 4000, NULL,
      "live rooms; a join that would create more gets too_many_rooms" },
    { "max-room-size", OPTION_INT, O(max_room_size), "256", 1, PROTO_ROSTER_MAX, NULL,
      "members per room; more get room_full" },
    { "max-per-address", OPTION_INT, O(max_per_address), "16", 0, 4095, NULL,
      "clients from one IP address (ENet duplicatePeers); 0 = up to --max-clients" },
    { "max-packet-size", OPTION_INT, O(max_packet_size), "2048", 64, 65536, NULL,
      "largest datagram accepted from a client, bytes; longer: too_big" },
    { "max-waiting-data", OPTION_INT, O(max_waiting_data), "1048576", 4096, 268435456,
      NULL, "ENet: bytes one peer may have buffered awaiting reassembly or order" },
    { "timeout-ms", OPTION_INT, O(timeout_ms), "5000", 100, 600000, NULL,
      "a client silent (udp) or unacknowledging (enet) this long is dropped: timeout" },
    { "max-queued-packets", OPTION_INT, O(max_queued_packets), "1024", 0, 1000000, NULL,
      "ENet: packets queued to one client unacknowledged past which its unreliable "
      "states are dropped (slow_reader); 0 = no limit" },
    { "max-queued-bytes", OPTION_INT, O(max_queued_bytes), "262144", 0, 268435456, NULL,
      "ENet: the same bound in bytes; 0 = no limit" },
    { "slow-reader-ms", OPTION_INT, O(slow_reader_ms), "2000", 0, 600000, NULL,
      "ENet: a client over a queue bound this long (or at twice one) is closed: "
      "error slow_reader; 0 = never" },
    { "max-held-commands", OPTION_INT, O(max_held_commands), "1024", 0, 1000000, NULL,
      "ENet: commands one client may have held out of order; datagrams past it are "
      "refused (held_commands); 0 = no limit" },
    { "max-half-open", OPTION_INT, O(max_half_open), "0", 0, 4095, NULL,
      "ENet: handshakes in progress at once, at most (and 0 =) a quarter of the peer "
      "slots; past it a CONNECT takes the place of the oldest if that is 250 ms old and "
      "its address has none in progress (any, with --max-per-address 0), else it is "
      "refused (half_open)" },
    { "rate-limit", OPTION_INT, O(rate_limit), "180", 0, 1000000, NULL,
      "datagrams per second per client (token bucket); 0 = no limit" },
    { "rate-burst", OPTION_INT, O(rate_burst), "60", 1, 1000000, NULL,
      "token bucket depth: datagrams a client may send at once" },
    { "kick-after", OPTION_DOUBLE, O(kick_after), "2", 0, 3600, NULL,
      "seconds of sustained rate limiting before a kick; 0 = never kick" },
    { "max-strikes", OPTION_INT, O(max_strikes), "20", 0, 1000000, NULL,
      "invalid messages (forgiven at 1/s) before a kick; 0 = never kick" },
    { "kick-ban-s", OPTION_INT, O(kick_ban_s), "10", 0, 86400, NULL,
      "seconds a kicked client's IP address is refused (error kicked); 0 = off" },
    { "name-max", OPTION_INT, O(name_max), "32", 1, PROTO_NAME_MAX, NULL,
      "longest player name, bytes" },
    { "room-max", OPTION_INT, O(room_max), "32", 1, PROTO_ROOM_MAX, NULL,
      "longest room name, bytes" },
    { "tick-ms", OPTION_INT, O(tick_ms), "-1", -1, 1000, NULL,
      "hold states and fan them out once per tick of this many ms (adds up to that "
      "much latency, saves datagrams); 0 = forward each at once; -1 = 2 over enet, "
      "0 over udp (see README)" },
    { "stats-interval", OPTION_DOUBLE, O(stats_interval), "5", 0, 86400, NULL,
      "seconds between stats records on stdout; 0 = only at exit" },
    { "stats-json", OPTION_BOOL, O(stats_json), "false", 0, 0, NULL,
      "stats records as JSON lines on a terminal too (piped or redirected: always JSON)" },
    { "log-level", OPTION_CHOICE, O(log_level), "info", 0, 0,
      "debug|info|warn|error|off", "stderr log verbosity" },
    { 0 }
};
#undef O

static volatile sig_atomic_t stop_requested;
static volatile sig_atomic_t stats_requested;

/* A positive value below one millisecond would round to 0, which means
 * "never" for both options: refuse it rather than silently switch off. */
static void check_not_tiny(const char *name, double seconds)
{
    if (seconds > 0 && seconds < 0.001)
        options_fail("ricochet-relay", "--%s: %g is too small: use 0 (off) or at least 0.001",
                     name, seconds);
}

/* Where the stats records go: JSON lines for programs (stdout piped or
 * redirected, or --stats-json), one readable line for a person at a
 * terminal, with rates since the previous record. */
struct stats_out {
    bool json;
    uint64_t start_us;       /* the relay's start, for uptime */
    struct relay_stats prev; /* counters at the previous record */
    uint64_t prev_us;        /* and when */
};

static void print_stats(const struct relay *r, struct stats_out *so, bool final)
{
    char line[4096];
    uint64_t now = clock_now_us();
    double uptime = (double)(now - so->start_us) / 1e6;
    int n;
    if (so->json)
        n = relay_stats_json(r, line, sizeof line, uptime, final);
    else if (final)
        n = relay_stats_text(r, NULL, uptime, line, sizeof line, uptime, true);
    else
        n = relay_stats_text(r, &so->prev, (double)(now - so->prev_us) / 1e6, line,
                             sizeof line, uptime, false);
    so->prev = *relay_stats(r);
    so->prev_us = now;
    if (n > 0) {
        fputs(line, stdout);
        fflush(stdout);
    }
}

/* The transport's and the core's settings from the options. */
static void configure(const struct relay_opts *o, const struct relay_transport_ops *ops,
                      struct relay_net_config *ncfg, struct relay_config *rcfg)
{
    *ncfg = (struct relay_net_config){
        .bind = o->bind,
        .port = (uint16_t)o->port,
        .peer_cap = (uint32_t)o->max_clients + RELAY_SPARE_PEERS,
        .max_per_address = (uint32_t)o->max_per_address,
        .max_packet_size = (size_t)o->max_packet_size,
        .max_waiting_data = (size_t)o->max_waiting_data,
        .timeout_ms = (uint32_t)o->timeout_ms,
        .max_queued_packets = (uint32_t)o->max_queued_packets,
        .max_queued_bytes = (size_t)o->max_queued_bytes,
        .slow_reader_ms = (uint32_t)o->slow_reader_ms,
        .max_held_commands = (uint32_t)o->max_held_commands,
        .max_half_open = (uint32_t)o->max_half_open,
    };
    relay_default_config(rcfg);
    rcfg->peer_cap = ncfg->peer_cap;
    rcfg->max_clients = (uint32_t)o->max_clients;
    rcfg->max_rooms = (uint32_t)o->max_rooms;
    rcfg->max_room_size = (uint32_t)o->max_room_size;
    rcfg->name_max = (uint32_t)o->name_max;
    rcfg->room_max = (uint32_t)o->room_max;
    rcfg->max_packet_size = (size_t)o->max_packet_size;
    rcfg->rate_limit = (uint32_t)o->rate_limit;
    rcfg->rate_burst = (uint32_t)o->rate_burst;
    rcfg->kick_after_ms = (uint32_t)(o->kick_after * 1000.0 + 0.5);
    rcfg->max_strikes = (uint32_t)o->max_strikes;
    rcfg->kick_ban_ms = (uint32_t)o->kick_ban_s * 1000u;
    long tick_ms = o->tick_ms >= 0 ? o->tick_ms : (long)ops->default_tick_ms;
    rcfg->tick_us = (uint32_t)tick_ms * 1000u;
}

/* How long the next service may wait: until the held states' tick ends or
 * the periodic work is due. With states held, it sleeps in slices instead
 * and returns 0 (see below). */
static int service_wait_ms(const struct relay *r, uint64_t next_tick)
{
    uint64_t now = clock_now_us();
    uint64_t due = relay_tick_due(r);
    uint64_t wake = due < next_tick ? due : next_tick;
    int wait_ms = now >= wake ? 0 : (int)((wake - now + 999) / 1000);
    if (due != UINT64_MAX && wait_ms > 0) {
        /* States are held until the tick ends anyway: read what came
         * in batches, every READ_EVERY_US at most, rather than waking
         * for each datagram (ENet walks every peer per service). Not a
         * whole long tick: the socket buffer would overflow. */
        uint64_t until = now + READ_EVERY_US < wake ? now + READ_EVERY_US : wake;
        clock_sleep_until_us(until);
        wait_ms = 0;
    }
    return wait_ms;
}

/* The one loop, until a signal asks to stop or the transport fails (1). */
static int run(const struct relay_transport_ops *ops, void *t, struct relay *r,
               struct stats_out *so, double stats_interval)
{
    uint64_t start = so->start_us;
    uint64_t next_tick = start + TICK_US;
    uint64_t stats_every = (uint64_t)(stats_interval * 1e6);
    uint64_t next_stats = stats_every ? start + stats_every : UINT64_MAX;
    while (!stop_requested) {
        if (ops->service(t, r, service_wait_ms(r, next_tick)) < 0)
            return 1;
        uint64_t now = clock_now_us();
        if (now >= next_tick) {
            ops->tick(t, r);
            next_tick += TICK_US;
            if (next_tick <= now) /* we fell behind: do not catch up in a burst */
                next_tick = now + TICK_US;
        }
        if (now >= next_stats) {
            print_stats(r, so, false);
            next_stats += stats_every;
            if (next_stats <= now)
                next_stats = now + stats_every;
        }
        if (stats_requested) {
            stats_requested = 0;
            print_stats(r, so, false);
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct relay_opts o;
    memset(&o, 0, sizeof o);
    options_parse_or_exit(relay_options, &o, argc, argv, "ricochet-relay",
                          "ricochet relay: rooms of clients, each client's state "
                          "datagrams forwarded to the others.");
    check_not_tiny("kick-after", o.kick_after);
    check_not_tiny("stats-interval", o.stats_interval);
    log_threshold = (enum log_level)o.log_level;
    const struct relay_transport_ops *ops = relay_transports[o.transport];
    struct relay_net_config ncfg;
    struct relay_config rcfg;
    configure(&o, ops, &ncfg, &rcfg);

    char err[256];
    void *t = ops->create(&ncfg, err, sizeof err);
    if (!t) {
        fprintf(stderr, "ricochet-relay: error: %s\n", err);
        return 1;
    }
    struct relay_transport tp = ops->core(t);
    struct relay *r = relay_create(&rcfg, &tp);
    if (!r) {
        fprintf(stderr, "ricochet-relay: error: out of memory\n");
        ops->destroy(t);
        return 1;
    }
    signals_install(&stop_requested, &stats_requested, NULL);

    /* Scripts and tests parse the port from this line: always print it. */
    if (log_threshold <= LOG_INFO)
        log_info("listening on %s (%s)", ops->address(t), ops->name);
    else
        fprintf(stderr, "listening on %s (%s)\n", ops->address(t), ops->name);

    uint64_t start = clock_now_us();
    struct stats_out so = {.json = o.stats_json || !isatty(STDOUT_FILENO), .start_us = start,
                           .prev_us = start};
    int rc = run(ops, t, r, &so, o.stats_interval);
    if (stop_requested)
        log_info("relay: stopping: telling %u clients", (unsigned)relay_clients(r));
    relay_shutdown(r, clock_now_us());
    ops->drain(t, r, DRAIN_MS);
    print_stats(r, &so, true);
    relay_destroy(r);
    ops->destroy(t);
    return rc;
}
