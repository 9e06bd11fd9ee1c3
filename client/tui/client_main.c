/* client_main.c: ricochet-client, a terminal (ncurses) player.
 *
 * One loop: read keys (never blocking), service the relay connection, move
 * my avatar and send its state at --rate Hz, draw a frame at --fps in one
 * refresh, then poll(2) on the terminal and the socket until the next
 * deadline. What the client knows and does is client/tui/tui_model.h (pure,
 * given the time); the screen is client/tui/tui_draw.h; this file reads the
 * clock, waits, and wires them together.
 *
 * The terminal is restored on every exit path: normal quit, SIGINT/SIGTERM/
 * SIGHUP (handlers only set a flag), and errors (atexit). */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sys/clock.h"
#include "sys/log.h"
#include "sys/options.h"
#include "sys/signals.h"
#include "sys/keyfile.h"
#include "keys.h"
#include "tui_draw.h"
#include "tui_model.h"

#define PROG "ricochet-client"

/* --mode's choices: the mode table's names in enum order (filled in main),
 * so the chosen index is the enum proto_mode. */
static char mode_choices[256];

static const struct option_def option_defs[] = {
    { "host", OPTION_STRING, offsetof(struct tui_config, host), "127.0.0.1", 1, 256, NULL,
      "relay host (or a ricochet-netsim in front of it)", .short_name = 'c' },
    { "port", OPTION_INT, offsetof(struct tui_config, port), "7777", 1, 65535, NULL,
      "relay port", .short_name = 'p' },
    { "room", OPTION_STRING, offsetof(struct tui_config, room), "lobby", 1,
      PROTO_ROOM_MAX + 1, NULL, "room to join" },
    { "aoi", OPTION_DOUBLE, offsetof(struct tui_config, aoi), "0", 0, PROTO_AOI_MAX, NULL,
      "radius of interest, arena units, if I create the room: I see only those "
      "within it (0: everyone)" },
    { "name", OPTION_STRING, offsetof(struct tui_config, name), "", 0, PROTO_NAME_MAX + 1,
      NULL, "player name: 1-32 bytes of UTF-8 in any script (default: $USER or player)" },
    { "mode", OPTION_CHOICE, offsetof(struct tui_config, mode), "unsequenced", 0, 0,
      mode_choices, "delivery mode at start (keys 1/2/3 switch live)", .short_name = 'u',
      .short_value = "udp" },
    { "rate", OPTION_INT, offsetof(struct tui_config, rate), "20", 1, 120, NULL,
      "states sent per second (keys +/-)" },
    { "interp-delay-ms", OPTION_INT, offsetof(struct tui_config, interp_delay_ms), "100", 0,
      2000, NULL, "draw others this far in the past (keys [ ])" },
    { "extrap-ms", OPTION_INT, offsetof(struct tui_config, extrap_ms), "250", 0, 5000, NULL,
      "extrapolate past the newest state at most this long" },
    { "speed", OPTION_INT, offsetof(struct tui_config, speed), "25", 1, 200, NULL,
      "my speed, arena units per second (arena is 100x100)" },
    { "seed", OPTION_INT, offsetof(struct tui_config, seed), "0", 0, 2147483647, NULL,
      "seed for the start position (0: from the process id)" },
    { "timeout-ms", OPTION_INT, offsetof(struct tui_config, timeout_ms),
      OPTION_DEF(PROTO_TIMEOUT_MS), 100, 60000,
      NULL, "connect/join deadline and peer timeout" },
    { "fps", OPTION_INT, offsetof(struct tui_config, fps), "30", 5, 120, NULL,
      "frames drawn per second" },
    { "log-level", OPTION_CHOICE, offsetof(struct tui_config, log_level), "warn", 0, 0,
      "debug|info|warn|error|off", "log threshold (logs go to --log-file)" },
    { "log-file", OPTION_STRING, offsetof(struct tui_config, log_file), "", 0, 256, NULL,
      "append logs here while the screen is in use (default: discarded)" },
    { "retry", OPTION_BOOL, offsetof(struct tui_config, retry), "false", 0, 0, NULL,
      "reconnect by itself when the relay is lost (else: r reconnects, q quits)" },
    { "ticket", OPTION_STRING, offsetof(struct tui_config, ticket), "", 0, 1024, NULL,
      "join with a ticket (ricochet-ticket mint): @FILE holding one (inline, every user of "
      "the machine can read it in ps: a warning says so); the ticket says the room and the "
      "name (--room and --name are not used)" },
    { 0 }
};

static const char *const signals[] = {
    "SIGINT, SIGTERM, SIGHUP", "leave the room, restore the terminal and exit 0", NULL};

static const char *const exit_status[] = {
    "0", "the player quit (q) or a signal stopped the client",
    "1", "the relay's address could not be used, or the terminal went away: one line on "
         "standard error says why (a lost relay is shown on the screen: r reconnects, q "
         "quits)",
    "2", "a bad option, value or config file, or no terminal, with one line on standard "
         "error",
    NULL};

static const struct options_example examples[] = {
    {"Join the lobby of a relay on another machine as ana:",
     "ricochet-client -c relay.lan -p 7777 --name ana"},
    {"Through a ricochet-netsim on port 7000, sending reliable:",
     "ricochet-client --port 7000 --mode reliable"},
    {0}};

/* The key bindings, filled from keys_help() (keys.c) before the page is
 * written, so the page lists exactly the keys the client reads. */
static const char *key_list[2 * 32 + 1];

static struct options_manual manual = {
    .description =
        "Steer your avatar in a 100x100 arena and watch the other members of the room move, "
        "each drawn --interp-delay-ms in the past between two states it sent (snapshot "
        "interpolation), or as raw arrivals. The table beside or below the arena shows, per "
        "player, the delivery mode its states arrive in, loss (overall and in the last "
        "5 seconds), reordering, jitter, one-way latency with its error bound, and how it is "
        "drawn (view: smooth, extrap past the newest state, STALE past --extrap-ms). "
        "Switch the mode you send in with 1, 2, 3 and feel the difference through a "
        "ricochet-netsim.\n"
        "\n"
        "The terminal is restored on every exit path. Without a terminal, use ricochet-bot.",
    .extra_title = "KEYS",
    .extra = key_list,
    .signals = signals,
    .exit_status = exit_status,
    .examples = examples,
    .config_example = "{\"host\": \"127.0.0.1\", \"port\": 7777, \"name\": \"ana\", "
                      "\"interp-delay-ms\": 150}",
    .see_also = "clients.md (what to look at), design.md (interpolation)",
};

static const struct options_program program = {
    .name = PROG,
    .summary = "terminal player: join a room, steer your avatar, watch the others move "
               "through the relay",
    .defs = option_defs,
    .manual = &manual,
};

static void fill_key_list(void)
{
    size_t n, k = 0;
    const struct keys_help_row *rows = keys_help(&n);
    for (size_t i = 0; i < n && k + 2 < sizeof key_list / sizeof key_list[0]; i++) {
        key_list[k++] = rows[i].keys;
        key_list[k++] = rows[i].what;
    }
    key_list[k] = NULL;
}

static volatile sig_atomic_t stop_signal; /* the signal that asked to stop */

/* --ticket T or @FILE: the ticket into cfg->ticket, its room and name into
 * cfg->room and cfg->name; exits 2 if it is not one ticket. */
static void read_ticket(struct tui_config *cfg)
{
    char texts[2][TICKET_TEXT_MAX + 1], err[512], pass[TICKET_PASS_TEXT_MAX + 1];
    struct ticket_claims claims;
    keyfile_warn_inline(PROG, cfg->ticket);
    int n = keyfile_read_tickets(cfg->ticket, texts, 2, err, sizeof err);
    if (n != 1)
        options_fail(PROG, "--ticket: %s", n < 0 ? err : "one ticket, not several");
    if (ticket_read(texts[0], &claims, pass, sizeof pass) != 0)
        options_fail(PROG, "--ticket: not a ticket (ricochet-ticket mint prints one)");
    snprintf(cfg->ticket, sizeof cfg->ticket, "%s", texts[0]);
    snprintf(cfg->room, sizeof cfg->room, "%s", claims.room);
    snprintf(cfg->name, sizeof cfg->name, "%s", claims.name);
}

/* Options, name and room; exits 2 on anything wrong (before touching the
 * terminal). Returns the seed; the player's name in name. */
static uint64_t configure(struct tui_config *cfg, char *name, size_t name_cap, int argc,
                          char **argv)
{
    uint64_t seed;
    proto_mode_choices(mode_choices, sizeof mode_choices, NULL);
    fill_key_list();
    options_parse_or_exit(&program, cfg, argc, argv);
    log_threshold = (enum log_level)cfg->log_level;
    seed = cfg->seed ? (uint64_t)cfg->seed : (uint64_t)getpid();
    if (cfg->ticket[0])
        read_ticket(cfg);
    char why[PROTO_TEXT_MAX + 1];
    if (cfg->name[0])
        snprintf(name, name_cap, "%s", cfg->name);
    else
        tui_model_default_name(name, name_cap, getenv("USER"), seed);
    if (!proto_name_check(name, PROTO_NAME_MAX, why, sizeof why))
        options_fail(PROG, "--name: %s", why);
    if (!proto_room_valid(cfg->room))
        options_fail(PROG, "--room '%s': use 1-%d of [A-Za-z0-9_.-]", cfg->room,
                     PROTO_ROOM_MAX);
    options_checked(&program);
    if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))
        options_fail(PROG, "needs a terminal (stdin and stdout must be a TTY); "
                     "for a headless player use ricochet-bot");
    return seed;
}

/* Keys, network, movement, sending and drawing: the work due now. Returns
 * false when the player quit. */
static bool do_due_work(struct tui_model *m)
{
    uint64_t now = clock_now_us();
    int ch;
    while ((ch = tui_screen_key()) >= 0)
        if (!tui_model_key(m, ch, now))
            return false;
    tui_model_service(m, now);
    now = clock_now_us();
    tui_model_advance(m, now);
    if (m->dirty || now >= m->next_draw_us) {
        tui_draw_frame(m, now);
        m->dirty = false;
        m->next_draw_us = now + 1000000ull / (uint64_t)m->cfg.fps;
    }
    return true;
}

/* Sleeps in poll(2) on the terminal and the socket until the next deadline.
 * Returns 0, or -1 with a message in err (poll failed, terminal gone). */
static int wait_input(const struct tui_model *m, char *err, size_t err_cap)
{
    struct pollfd pfd[2];
    int nfd = 0, wait_ms;
    uint64_t deadline = tui_model_next_deadline(m), now = clock_now_us();

    wait_ms = deadline > now ? (int)((deadline - now + 999) / 1000) : 0;
    pfd[nfd++] = (struct pollfd){ .fd = STDIN_FILENO, .events = POLLIN };
    if (m->c && m->conn != TUI_LOST && ricochet_fd(m->c) >= 0)
        pfd[nfd++] = (struct pollfd){ .fd = ricochet_fd(m->c), .events = POLLIN };
    if (poll(pfd, (nfds_t)nfd, wait_ms) < 0 && errno != EINTR) {
        snprintf(err, err_cap, "poll: %s", strerror(errno));
        return -1;
    }
    if (pfd[0].revents & (POLLHUP | POLLERR | POLLNVAL)) {
        snprintf(err, err_cap, "terminal closed");
        return -1;
    }
    return 0;
}

/* Until q, a signal, or an error. Returns the exit status (1: error in err). */
static int play(struct tui_model *m, uint64_t seed, char *err, size_t err_cap)
{
    tui_model_start(m, clock_now_us(), time(NULL), seed);
    while (!stop_signal) {
        if (!do_due_work(m))
            break;
        if (wait_input(m, err, err_cap) != 0)
            return 1;
    }
    return 0;
}

/* The summary printed after the screen is gone. */
static void print_farewell(const struct tui_model *m, int exit_code, const char *err)
{
    struct ricochet_distribution h = {0};
    double up = (double)(clock_now_us() - m->started_us) / 1e6;
    if (m->c)
        ricochet_rtt(m->c, &h, NULL);
    if (exit_code)
        fprintf(stderr, PROG ": error: %s\n", err);
    if (h.count)
        printf(PROG ": left room %s after %.1f s: sent %llu states, rtt p50 %.2f ms "
                    "p99 %.2f ms\n",
               m->cfg.room, up, (unsigned long long)m->states_sent,
               (double)h.p50_us / 1000.0, (double)h.p99_us / 1000.0);
    else
        printf(PROG ": left room %s after %.1f s: sent %llu states\n", m->cfg.room, up,
               (unsigned long long)m->states_sent);
    if (stop_signal)
        printf(PROG ": stopped by signal %d\n", (int)stop_signal);
}

int main(int argc, char **argv)
{
    static struct tui_config cfg;
    static struct tui_model model; /* large (the room's tables): not on the stack */
    char name[PROTO_NAME_MAX + 1], err[256] = "";
    uint64_t seed = configure(&cfg, name, sizeof name, argc, argv);
    int exit_code;

    tui_model_init(&model, &cfg, name, seed);
    if (tui_model_connect(&model, err, sizeof err) != 0) {
        fprintf(stderr, PROG ": error: %s\n", err);
        return 1;
    }
    signals_install(&stop_signal, NULL, NULL);
    signals_stop_on(SIGHUP);
    if (tui_screen_open(PROG, cfg.log_file) != 0) {
        tui_model_close(&model);
        return 1;
    }
    exit_code = play(&model, seed, err, sizeof err);
    tui_screen_close();
    print_farewell(&model, exit_code, err);
    tui_model_close(&model);
    return exit_code;
}
