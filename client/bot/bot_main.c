/* bot_main.c: ricochet-bot, headless players.
 *
 * Runs --count bots in one process through the swarm driver (swarm.h),
 * each its own client (own ENet peer or own UDP socket), all waited on
 * with one ppoll(2). Each bot moves along a
 * Lissajous curve drawn from --seed and sends its state at --rate Hz. Send
 * times are the *intended* times start + k/rate, so a stalled loop shows up
 * as latency instead of hiding it (coordinated omission). At the end: who
 * saw whom, delivery, loss, duplicates, reordering, latency and jitter, per
 * bot and per mode; --json for one machine-readable object. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "sys/clock.h"
#include "sys/netaddr.h"
#include "sys/signals.h"
#include "bot_options.h"
#include "bot_report.h"
#include "bot_run.h"

static volatile sig_atomic_t stop_requested;

int main(int argc, char **argv)
{
    struct bot_options o;
    bot_options_parse(&o, argc, argv);

    struct bot_run sw = {.stop = &stop_requested, .o = &o, .seed = (uint64_t)o.seed,
                         .n = (size_t)o.count};
    if (sw.seed == 0)
        sw.seed = (clock_now_us() ^ (uint64_t)time(NULL)) % 2147483647u + 1;
    signals_install(&stop_requested, NULL, NULL);

    int rc = 1;
    if (bot_run_alloc(&sw) == 0) {
        char mode_name[32], relay[NETADDR_STR_MAX + 256];
        fprintf(stderr, BOT_PROG ": %zu bot%s -> %s room %s, mode %s, %.1f Hz, seed %llu\n",
                sw.n, sw.n == 1 ? "" : "s", netaddr_host_port(o.host, o.port, relay, sizeof relay),
                o.room, bot_mode_choice_name(&o, mode_name, sizeof mode_name), o.rate,
                (unsigned long long)sw.seed);
        if (bot_run_connect(&sw) == 0 && bot_run_join(&sw) == 0) {
            bot_run_send(&sw);
            rc = bot_report(&sw);
        }
    }
    bot_run_free(&sw);
    free(o.tickets);
    return rc;
}
