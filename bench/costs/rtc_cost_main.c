/* rtc_cost_main.c: rtc-cost, what one WebRTC session costs the relay's
 * webrtc modules (relay/webrtc/rtc_host.h): memory per session, and CPU
 * per message in and out on the unordered channel.
 *
 * Two processes over 127.0.0.1. The child is the relay side: one UDP
 * socket, an rtc_host, a control socket to the parent. The parent runs
 * --peers clients (rtc/rtc_peer.h), each on a socket of its own,
 * sends the child their offers, waits until every client has both
 * channels open, then has each client send --messages messages of --size
 * bytes up, and the child send as many down to each. The child measures
 * itself between phases (getrusage, the C library's heap in use, VmRSS),
 * so the figures are the relay side's alone (rtc_cost_relay.c: the child;
 * rtc_cost_clients.c: the clients and the report). Not installed; run it
 * as `make bench-webrtc` does. */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sys/options.h"
#include "rtc_cost_clients.h"
#include "rtc_cost_relay.h"

#define PROG RTC_COST_PROG

static const struct option_def option_defs[] = {
    {"peers", OPTION_UINT, offsetof(struct rtc_cost_options, peers), "100", 1,
     RTC_COST_PEERS_MAX, NULL, "clients, each a session of its own", sizeof(unsigned), 0, 'n',
     NULL, NULL},
    {"messages", OPTION_UINT, offsetof(struct rtc_cost_options, messages), "200", 1, 100000,
     NULL, "messages each client sends up, and the relay side sends down to each",
     sizeof(unsigned), 0, 'm', NULL, NULL},
    {"size", OPTION_UINT, offsetof(struct rtc_cost_options, size), "40", 1, 1100, NULL,
     "bytes of a message (a state is 40)", sizeof(unsigned), 0, 's', NULL, NULL},
    {"json", OPTION_BOOL, offsetof(struct rtc_cost_options, json), "false", 0, 0, NULL,
     "one JSON object instead of the table", 0, 0, 'J', NULL, NULL},
    {"floor", OPTION_DOUBLE, offsetof(struct rtc_cost_options, floor), "0", 0, 1e9, NULL,
     "the machine's floor measured in the same run, datagrams a second (bench/machine.sh): "
     "the JSON object carries it, as floor_dgrams_per_s and floor_us_per_dgram; 0: not measured"},
    {0},
};

static const struct options_program program = {
    .name = PROG,
    .summary = "What a WebRTC session costs the relay's webrtc modules: memory per session, "
               "CPU per message in and out, measured in the relay side's own process.",
    .defs = option_defs,
};

int main(int argc, char **argv)
{
    struct rtc_cost_options o;
    options_parse_or_exit(&program, &o, argc, argv);
    options_checked(&program);
    struct rlimit rl = {.rlim_cur = 4096, .rlim_max = 4096};
    if (o.peers + 64 > 1024 && setrlimit(RLIMIT_NOFILE, &rl) < 0)
        options_fail(PROG, "--peers %u needs more descriptors: %s", o.peers, strerror(errno));
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) < 0)
        options_fail(PROG, "socketpair: %s", strerror(errno));
    pid_t pid = fork();
    if (pid < 0)
        options_fail(PROG, "fork: %s", strerror(errno));
    if (pid == 0) {
        close(sv[0]);
        _exit(rtc_cost_relay_side(sv[1], o.size));
    }
    close(sv[1]);
    int rc = rtc_cost_clients_side(sv[0], &o);
    int status = 0;
    waitpid(pid, &status, 0);
    return rc ? rc : WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}
