/* client_main.c: ricochet-client, a terminal (ncurses) player.
 *
 * One loop: read keys (never blocking), service the relay connection, move
 * my avatar and send its state at --rate Hz, draw a frame at --fps in one
 * refresh, then poll(2) on the terminal and the socket until the next
 * deadline. Remote players are drawn --interp-delay-ms in the past through
 * the interpolation buffer (client/interp.h); `i` shows raw arrivals instead
 * and `g` adds a ghost at the last raw position.
 *
 * The terminal is restored on every exit path: normal quit, SIGINT/SIGTERM/
 * SIGHUP (handlers only set a flag), and errors (atexit). While curses owns
 * the screen, stderr goes to --log-file or /dev/null so logs cannot scribble
 * over it. */
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curses.h>

#include "../proto/clock.h"
#include "../proto/control.h"
#include "../proto/log.h"
#include "../proto/options.h"
#include "../proto/rng.h"
#include "../proto/signals.h"
#include "client.h"
#include "interp.h"
#include "keys.h"

#define PROG "ricochet-client"
#define MAX_REMOTES PROTO_ROSTER_MAX
#define MSG_CAP 64            /* lines kept in the message area */
#define MSG_LEN 160
#define RETRY_US 2000000ull   /* --retry: wait between reconnect attempts */
#define SNAP_US 1000000ull    /* recent-loss snapshot period */
#define SNAPS 6               /* recent loss covers SNAPS-1 periods */
#define DELAY_STEP_MS 25
#define SIDEBAR_MIN_COLS 110  /* wide terminals get a side panel */
#define SIDEBAR_W 66

struct tui_config {
    char host[256];
    long port;
    char room[PROTO_ROOM_MAX + 1];
    char name[PROTO_NAME_MAX + 1];
    int mode;               /* enum proto_mode */
    long rate;              /* states per second */
    long interp_delay_ms;
    long extrap_ms;
    long speed;             /* arena units per second */
    long seed;
    long timeout_ms;
    long fps;
    int log_level;          /* enum log_level */
    char log_file[256];
    bool retry;
};

/* --mode's choices: the mode table's names in enum order (filled in main),
 * so the chosen index is the enum proto_mode. */
static char mode_choices[256];

static const struct option_def option_defs[] = {
    { "host", OPTION_STRING, offsetof(struct tui_config, host), "127.0.0.1", 1, 256, NULL,
      "relay host (or a ricochet-netsim in front of it)" },
    { "port", OPTION_INT, offsetof(struct tui_config, port), "7777", 1, 65535, NULL,
      "relay port" },
    { "room", OPTION_STRING, offsetof(struct tui_config, room), "lobby", 1,
      PROTO_ROOM_MAX + 1, NULL, "room to join" },
    { "name", OPTION_STRING, offsetof(struct tui_config, name), "", 0, PROTO_NAME_MAX + 1,
      NULL, "player name [A-Za-z0-9_.-] (default: $USER or player)" },
    { "mode", OPTION_CHOICE, offsetof(struct tui_config, mode), "unsequenced", 0, 0,
      mode_choices, "delivery mode at start (keys 1/2/3 switch live)" },
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
    { "timeout-ms", OPTION_INT, offsetof(struct tui_config, timeout_ms), "5000", 100, 60000,
      NULL, "connect/join deadline and peer timeout" },
    { "fps", OPTION_INT, offsetof(struct tui_config, fps), "30", 5, 120, NULL,
      "frames drawn per second" },
    { "log-level", OPTION_CHOICE, offsetof(struct tui_config, log_level), "warn", 0, 0,
      "debug|info|warn|error|off", "log threshold (logs go to --log-file)" },
    { "log-file", OPTION_STRING, offsetof(struct tui_config, log_file), "", 0, 256, NULL,
      "append logs here while the screen is in use (default: discarded)" },
    { "retry", OPTION_BOOL, offsetof(struct tui_config, retry), "false", 0, 0, NULL,
      "reconnect by itself when the relay is lost (else: r reconnects, q quits)" },
    { 0 }
};

enum conn_state { CONN_CONNECTING, CONN_JOINED, CONN_LOST };

struct remote {
    bool used;
    uint32_t id;
    struct interp_buffer ib;
    bool seen_mode;
    enum proto_mode arrived_as; /* how its last state was delivered */
    uint64_t snap_expected[SNAPS], snap_received[SNAPS];
    int snaps;                  /* snapshots taken (saturates at SNAPS) */
    int snap_head;
};

struct message {
    char text[MSG_LEN];
    int color; /* 0: default */
};

struct app {
    struct tui_config cfg;
    char name[PROTO_NAME_MAX + 1];
    struct client *c;
    enum conn_state conn;
    char lost_reason[PROTO_TEXT_MAX + PROTO_CODE_MAX + 8];
    uint64_t retry_at_us;
    int attempts;
    enum proto_mode mode;
    int rate;
    uint64_t delay_us;
    bool interp_on, ghost_on, help_on, chatting;
    struct keys_line line;

    float x, y;      /* my position, arena units */
    int dir_x, dir_y; /* -1, 0, +1 */
    uint64_t last_move_us, next_send_us, next_draw_us, next_snap_us;
    uint64_t states_sent, started_us;

    bool have_rtt;
    double rtt_last_ms, rtt_avg_ms;
    bool have_echo;
    float echo_x, echo_y; /* my own state as the relay sent it back */

    struct remote remotes[MAX_REMOTES];
    struct message msgs[MSG_CAP];
    size_t n_msgs; /* total ever added; ring index = n % MSG_CAP */
    bool colors;
    bool dirty;    /* draw now, not at the next frame tick */
};

static volatile sig_atomic_t stop_signal; /* the signal that asked to stop */
static bool curses_on;
static int saved_stderr = -1;

/* Gives the terminal and stderr back; safe to call more than once. */
static void restore_terminal(void)
{
    if (curses_on) {
        endwin();
        curses_on = false;
    }
    if (saved_stderr >= 0) {
        fflush(stderr);
        dup2(saved_stderr, STDERR_FILENO);
        close(saved_stderr);
        saved_stderr = -1;
    }
}

/* Sends stderr to the log file (or /dev/null) while curses owns the screen. */
static int redirect_stderr(const char *log_file)
{
    int fd;
    if (log_file[0])
        fd = open(log_file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    else
        fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (fd < 0) {
        fprintf(stderr, PROG ": error: cannot open %s: %s\n",
                log_file[0] ? log_file : "/dev/null", strerror(errno));
        return -1;
    }
    fflush(stderr);
    saved_stderr = dup(STDERR_FILENO);
    if (saved_stderr < 0 || dup2(fd, STDERR_FILENO) < 0) {
        fprintf(stderr, PROG ": error: cannot redirect stderr: %s\n", strerror(errno));
        close(fd);
        return -1;
    }
    close(fd);
    return 0;
}

/* ---- messages ---- */

static void add_msg(struct app *a, int color, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void add_msg(struct app *a, int color, const char *fmt, ...)
{
    struct message *m = &a->msgs[a->n_msgs % MSG_CAP];
    char stamp[16];
    time_t now = time(NULL);
    struct tm tm;
    va_list ap;
    size_t len;

    localtime_r(&now, &tm);
    strftime(stamp, sizeof stamp, "%H:%M:%S ", &tm);
    len = (size_t)snprintf(m->text, sizeof m->text, "%s", stamp);
    va_start(ap, fmt);
    vsnprintf(m->text + len, sizeof m->text - len, fmt, ap);
    va_end(ap);
    m->color = color;
    a->n_msgs++;
    a->dirty = true;
    log_info("%s", m->text + len);
}

/* ---- remotes ---- */

static struct remote *remote_find(struct app *a, uint32_t id, bool create)
{
    struct remote *free_slot = NULL;
    for (size_t i = 0; i < MAX_REMOTES; i++) {
        if (a->remotes[i].used && a->remotes[i].id == id)
            return &a->remotes[i];
        if (!a->remotes[i].used && !free_slot)
            free_slot = &a->remotes[i];
    }
    if (!create || !free_slot)
        return NULL;
    memset(free_slot, 0, sizeof *free_slot);
    free_slot->used = true;
    free_slot->id = id;
    interp_init(&free_slot->ib, (uint64_t)a->cfg.extrap_ms * 1000, 1000000);
    return free_slot;
}

static void remotes_clear(struct app *a)
{
    for (size_t i = 0; i < MAX_REMOTES; i++)
        a->remotes[i].used = false;
}

/* Every second: remember (expected, received) so the table can show the
 * loss over the last few seconds, which reacts when someone switches mode. */
static void remotes_snapshot(struct app *a)
{
    size_t n = 0;
    const struct client_member *ms = a->c ? client_members(a->c, &n) : NULL;
    for (size_t i = 0; i < n; i++) {
        struct remote *r = remote_find(a, ms[i].id, false);
        if (!r)
            continue;
        r->snap_expected[r->snap_head] = recv_stats_expected(&ms[i].stats);
        r->snap_received[r->snap_head] = ms[i].stats.received;
        r->snap_head = (r->snap_head + 1) % SNAPS;
        if (r->snaps < SNAPS)
            r->snaps++;
    }
}

/* Loss % over the snapshot window, or -1 when there is too little data. */
static double remote_recent_loss(const struct remote *r, const struct client_member *m)
{
    int oldest;
    uint64_t exp, rec;
    if (r->snaps < 2)
        return -1;
    oldest = r->snaps < SNAPS ? 0 : r->snap_head;
    exp = recv_stats_expected(&m->stats) - r->snap_expected[oldest];
    rec = m->stats.received - r->snap_received[oldest];
    if (exp == 0)
        return -1;
    if (rec >= exp)
        return 0;
    return 100.0 * (double)(exp - rec) / (double)exp;
}

/* ---- connection ---- */

static int connect_relay(struct app *a, char *err, size_t err_cap)
{
    struct client_config cc = {
        .host = a->cfg.host, .port = (uint16_t)a->cfg.port, .room = a->cfg.room,
        .name = a->name, .mode = a->mode, .reflect = true,
        .timeout_ms = (uint32_t)a->cfg.timeout_ms,
    };
    a->c = client_create(&cc, err, err_cap);
    if (!a->c)
        return -1;
    a->conn = CONN_CONNECTING;
    a->attempts++;
    remotes_clear(a);
    a->have_rtt = a->have_echo = false;
    return 0;
}

static void lose_relay(struct app *a, uint64_t now, const char *why)
{
    if (a->conn == CONN_LOST)
        return;
    a->conn = CONN_LOST;
    snprintf(a->lost_reason, sizeof a->lost_reason, "%s", why);
    add_msg(a, 1, "relay lost: %s", why);
    a->retry_at_us = now + RETRY_US;
}

static void reconnect(struct app *a, uint64_t now)
{
    char err[256];
    if (a->c) {
        client_destroy(a->c);
        a->c = NULL;
    }
    add_msg(a, 0, "connecting to %s:%ld ...", a->cfg.host, a->cfg.port);
    if (connect_relay(a, err, sizeof err) != 0) {
        a->conn = CONN_LOST;
        snprintf(a->lost_reason, sizeof a->lost_reason, "%.200s", err);
        a->retry_at_us = now + RETRY_US;
        add_msg(a, 1, "%s", err);
    }
}

static const char *member_name(struct app *a, uint32_t id, const char *fallback)
{
    const struct client_member *m;
    if (fallback && fallback[0])
        return fallback;
    m = a->c ? client_member(a->c, id) : NULL;
    return m && m->name[0] ? m->name : "?";
}

static void handle_event(struct app *a, const struct client_event *ev, uint64_t now)
{
    const struct proto_control *m = ev->control;
    struct remote *r;

    switch (ev->type) {
    case CLIENT_EV_TOO_OLD: /* counted in the member's stats */
        break;
    case CLIENT_EV_WELCOME: {
        size_t n;
        /* A udp client welcomed again after the relay expired it (or
         * restarted, reusing ids) starts its view of the others afresh. */
        remotes_clear(a);
        client_members(a->c, &n);
        a->conn = CONN_JOINED;
        a->next_send_us = now;
        add_msg(a, 2, "joined room %s as #%u, %zu other%s here", a->cfg.room,
                (unsigned)client_id(a->c), n, n == 1 ? "" : "s");
        break;
    }
    case CLIENT_EV_STATE:
        if (ev->id == client_id(a->c)) {
            double rtt = (double)(int64_t)(ev->recv_us - ev->state.send_us) / 1000.0;
            if (rtt < 0)
                rtt = 0;
            a->rtt_last_ms = rtt;
            a->rtt_avg_ms = a->have_rtt ? a->rtt_avg_ms + (rtt - a->rtt_avg_ms) / 8 : rtt;
            a->have_rtt = true;
            a->echo_x = ev->state.x;
            a->echo_y = ev->state.y;
            a->have_echo = true;
            break;
        }
        r = remote_find(a, ev->id, true);
        if (r) {
            interp_push(&r->ib, &ev->state, ev->recv_us);
            r->arrived_as = ev->arrived_as;
            r->seen_mode = true;
        }
        break;
    case CLIENT_EV_JOINED:
        add_msg(a, 2, "%s (#%u) joined, %s", m->name, (unsigned)m->id,
                proto_mode_name(m->mode));
        break;
    case CLIENT_EV_LEFT:
        add_msg(a, 3, "%s (#%u) left: %s", member_name(a, m->id, m->name), (unsigned)m->id,
                proto_left_reason_name(m->reason));
        r = remote_find(a, m->id, false);
        if (r)
            r->used = false;
        break;
    case CLIENT_EV_CHAT:
        add_msg(a, 4, "<%s> %s", member_name(a, m->id, m->name), m->text);
        break;
    case CLIENT_EV_ERROR:
        add_msg(a, 1, "relay error %s: %s", m->code, m->text);
        break;
    case CLIENT_EV_DISCONNECTED: {
        char why[sizeof a->lost_reason];
        snprintf(why, sizeof why, "%s%s%s", m ? m->text : "disconnected",
                 m && m->code[0] ? " / " : "", m ? m->code : "");
        lose_relay(a, now, why);
        break;
    }
    }
}

static void service_network(struct app *a, uint64_t now)
{
    struct client_event ev;
    int budget = 2000; /* keep the screen responsive under a flood */

    if (!a->c || a->conn == CONN_LOST)
        return;
    while (budget-- > 0) {
        int r = client_poll(a->c, 0, &ev);
        if (r < 0) {
            lose_relay(a, now, "disconnected");
            return;
        }
        if (r == 0)
            return;
        handle_event(a, &ev, now);
    }
}

/* ---- my avatar ---- */

static void move_me(struct app *a, uint64_t now)
{
    double dt = (double)(now - a->last_move_us) / 1e6;
    double v = (double)a->cfg.speed;
    a->last_move_us = now;
    if (dt > 0.25)
        dt = 0.25; /* after a stall, do not teleport */
    a->x += (float)(a->dir_x * v * dt);
    a->y += (float)(a->dir_y * v * dt);
    /* Ricochet off the walls: keep moving, the other way. */
    if (a->x < 0) { a->x = -a->x; a->dir_x = 1; }
    if (a->x > PROTO_ARENA_W) { a->x = 2 * PROTO_ARENA_W - a->x; a->dir_x = -1; }
    if (a->y < 0) { a->y = -a->y; a->dir_y = 1; }
    if (a->y > PROTO_ARENA_H) { a->y = 2 * PROTO_ARENA_H - a->y; a->dir_y = -1; }
}

static void send_state(struct app *a, uint64_t now)
{
    uint64_t period = 1000000ull / (uint64_t)a->rate;
    if (a->conn != CONN_JOINED || !a->c)
        return;
    if (now < a->next_send_us)
        return;
    struct proto_state s = { 0 };
    s.send_us = now;
    s.x = a->x;
    s.y = a->y;
    s.vx = (float)(a->dir_x * a->cfg.speed);
    s.vy = (float)(a->dir_y * a->cfg.speed);
    s.heading = (a->dir_x || a->dir_y) ? (float)atan2(a->dir_y, a->dir_x) : 0.0f;
    if (client_send_state(a->c, &s, 0) == 0)
        a->states_sent++;
    client_flush(a->c); /* out now, not at the next poll: the RTT would include our frame wait */
    a->next_send_us += period;
    if (a->next_send_us + period < now) /* fell behind (stall): do not burst */
        a->next_send_us = now + period;
}

/* ---- keys ---- */

static const int rate_steps[] = { 1, 2, 5, 10, 15, 20, 30, 45, 60, 90, 120 };

static int rate_next(int rate, int dir)
{
    int n = (int)(sizeof rate_steps / sizeof rate_steps[0]);
    if (dir > 0) {
        for (int i = 0; i < n; i++)
            if (rate_steps[i] > rate)
                return rate_steps[i];
        return rate_steps[n - 1];
    }
    for (int i = n - 1; i >= 0; i--)
        if (rate_steps[i] < rate)
            return rate_steps[i];
    return rate_steps[0];
}

static void set_mode(struct app *a, enum proto_mode mode)
{
    if (!proto_mode_info(a->mode)->enet) {
        add_msg(a, 1, "udp cannot switch live: restart with --mode");
        return;
    }
    if (a->c && client_set_mode(a->c, mode) != 0) {
        add_msg(a, 1, "could not switch to %s", proto_mode_name(mode));
        return;
    }
    a->mode = mode;
    add_msg(a, 0, "sending %s now", proto_mode_name(mode));
}

/* Returns false when the user asked to quit. */
static bool handle_key(struct app *a, int ch, uint64_t now)
{
    enum keys_action act;

    a->dirty = true;
    if (a->chatting) {
        switch (keys_line_edit(&a->line, ch)) {
        case KEYS_EDIT_SUBMIT:
            a->chatting = false;
            if (a->line.len == 0)
                break;
            if (!proto_text_valid(a->line.text))
                add_msg(a, 1, "cannot send that line");
            else if (!a->c || a->conn != CONN_JOINED || client_send_chat(a->c, a->line.text) != 0)
                add_msg(a, 1, "not connected: chat not sent");
            keys_line_clear(&a->line);
            break;
        case KEYS_EDIT_CANCEL:
            a->chatting = false;
            keys_line_clear(&a->line);
            break;
        case KEYS_EDIT_CONTINUE:
            break;
        }
        return true;
    }
    act = keys_action_for(ch);
    if (a->help_on && act != KEYS_RESIZE) {
        a->help_on = false; /* any key closes the help */
        return act != KEYS_QUIT;
    }
    switch (act) {
    case KEYS_UP: a->dir_x = 0; a->dir_y = -1; break;
    case KEYS_DOWN: a->dir_x = 0; a->dir_y = 1; break;
    case KEYS_LEFT: a->dir_x = -1; a->dir_y = 0; break;
    case KEYS_RIGHT: a->dir_x = 1; a->dir_y = 0; break;
    case KEYS_STOP: a->dir_x = a->dir_y = 0; break;
    case KEYS_MODE: {
        enum proto_mode m;
        if (keys_mode_for(ch, &m) == 0)
            set_mode(a, m);
        break;
    }
    case KEYS_RATE_UP:
    case KEYS_RATE_DOWN:
        a->rate = rate_next(a->rate, act == KEYS_RATE_UP ? 1 : -1);
        a->next_send_us = now;
        break;
    case KEYS_DELAY_UP:
        if (a->delay_us < 2000000)
            a->delay_us += DELAY_STEP_MS * 1000;
        break;
    case KEYS_DELAY_DOWN:
        a->delay_us = a->delay_us >= DELAY_STEP_MS * 1000 ? a->delay_us - DELAY_STEP_MS * 1000 : 0;
        break;
    case KEYS_TOGGLE_INTERP: a->interp_on = !a->interp_on; break;
    case KEYS_TOGGLE_GHOST: a->ghost_on = !a->ghost_on; break;
    case KEYS_CHAT:
        a->chatting = true;
        keys_line_clear(&a->line);
        break;
    case KEYS_HELP: a->help_on = true; break;
    case KEYS_RECONNECT:
        if (a->conn == CONN_LOST)
            reconnect(a, now);
        break;
    case KEYS_REDRAW: clearok(curscr, TRUE); break;
    case KEYS_RESIZE: break; /* curses has updated LINES/COLS; the frame follows */
    case KEYS_QUIT: return false;
    case KEYS_NONE:
    case KEYS_ACTION_COUNT: break;
    }
    return true;
}

/* ---- drawing ---- */

enum { PAIR_ME = 7, PAIR_HUD = 8, PAIR_WARN = 9, PAIR_OK = 10, PAIR_CHAT = 11 };

static int id_pair(uint32_t id)
{
    return 1 + (int)(id % 6);
}

static void init_colors(struct app *a)
{
    static const short fg[6] = { COLOR_RED, COLOR_GREEN, COLOR_YELLOW, COLOR_BLUE,
                                 COLOR_MAGENTA, COLOR_CYAN };
    if (!has_colors() || start_color() == ERR)
        return;
    use_default_colors();
    for (int i = 0; i < 6; i++)
        init_pair((short)(i + 1), fg[i], -1);
    init_pair(PAIR_ME, COLOR_BLACK, COLOR_WHITE);
    init_pair(PAIR_HUD, COLOR_BLACK, COLOR_CYAN);
    init_pair(PAIR_WARN, COLOR_RED, -1);
    init_pair(PAIR_OK, COLOR_GREEN, -1);
    init_pair(PAIR_CHAT, COLOR_YELLOW, -1);
    a->colors = true;
}

static attr_t pair_attr(const struct app *a, int pair)
{
    return a->colors ? COLOR_PAIR(pair) : A_NORMAL;
}

static char glyph_of(const char *name, uint32_t id)
{
    if (name && name[0] && ((name[0] >= 'a' && name[0] <= 'z') ||
                            (name[0] >= 'A' && name[0] <= 'Z')))
        return (char)(name[0] & ~0x20);
    if (name && name[0] >= '0' && name[0] <= '9')
        return name[0];
    return (char)('0' + id % 10);
}

struct rect {
    int y, x, h, w;
};

struct layout {
    struct rect arena, table, msgs;
    int status_row;
};

static void compute_layout(struct layout *l, size_t n_players)
{
    int rows = LINES, cols = COLS;
    l->status_row = rows - 1;
    if (cols >= SIDEBAR_MIN_COLS) {
        int side = SIDEBAR_W;
        int table_h = (int)n_players + 2 + (n_players == 0);
        l->arena = (struct rect){ 2, 0, rows - 3, cols - side - 1 };
        if (table_h > (rows - 3) / 2)
            table_h = (rows - 3) / 2;
        l->table = (struct rect){ 2, cols - side, table_h, side };
        l->msgs = (struct rect){ 2 + table_h, cols - side, rows - 3 - table_h, side };
    } else {
        int table_h = (int)n_players + 1 + (n_players == 0), msgs_h = 4;
        if (table_h > 5)
            table_h = 5;
        int arena_h = rows - 3 - table_h - msgs_h;
        if (arena_h < 6) {
            msgs_h = 2;
            arena_h = rows - 3 - table_h - msgs_h;
        }
        l->arena = (struct rect){ 2, 0, arena_h, cols };
        l->table = (struct rect){ 2 + arena_h, 0, table_h, cols };
        l->msgs = (struct rect){ 2 + arena_h + table_h, 0, msgs_h, cols };
    }
}

/* Arena units -> cell inside the border. */
static void to_cell(const struct rect *r, float x, float y, int *row, int *col)
{
    int iw = r->w - 2, ih = r->h - 2;
    /* Clamp in float first: converting an out-of-range float to int is
     * undefined, and an extrapolated position can be anywhere (fmaxf also
     * turns a NaN into 0). */
    float fx = fminf(fmaxf(x / PROTO_ARENA_W * (float)iw, 0.0f), (float)(iw - 1));
    float fy = fminf(fmaxf(y / PROTO_ARENA_H * (float)ih, 0.0f), (float)(ih - 1));
    int cx = (int)fx, cy = (int)fy;
    *row = r->y + 1 + cy;
    *col = r->x + 1 + cx;
}

static void draw_box(const struct rect *r)
{
    mvaddch(r->y, r->x, '+');
    mvaddch(r->y, r->x + r->w - 1, '+');
    mvaddch(r->y + r->h - 1, r->x, '+');
    mvaddch(r->y + r->h - 1, r->x + r->w - 1, '+');
    mvhline(r->y, r->x + 1, '-', r->w - 2);
    mvhline(r->y + r->h - 1, r->x + 1, '-', r->w - 2);
    mvvline(r->y + 1, r->x, '|', r->h - 2);
    mvvline(r->y + 1, r->x + r->w - 1, '|', r->h - 2);
}

static void put_glyph(int row, int col, char ch, attr_t attr)
{
    attron(attr);
    mvaddch(row, col, (chtype)(unsigned char)ch);
    attroff(attr);
}

static const char *mode_short(enum proto_mode m)
{
    const struct proto_mode_info *mi = proto_mode_info(m);
    return mi ? mi->short_name : "?";
}

static void draw_hud(struct app *a, uint64_t now)
{
    char line[512], rtt[96], id[16];
    const struct histogram *h = a->c ? client_rtt(a->c) : NULL;
    size_t n = 0;

    if (a->c)
        client_members(a->c, &n);
    if (a->have_rtt && h && h->total > 0)
        snprintf(rtt, sizeof rtt, "RTT %.1f ms (avg %.1f, p99 %.1f)", a->rtt_last_ms,
                 a->rtt_avg_ms, (double)histogram_percentile(h, 99) / 1000.0);
    else
        snprintf(rtt, sizeof rtt, "RTT --");
    if (a->c && client_id(a->c))
        snprintf(id, sizeof id, "#%u", (unsigned)client_id(a->c));
    else
        snprintf(id, sizeof id, "#-");
    snprintf(line, sizeof line, " ricochet  room %s  me %c %s %s  mode %s  send %d Hz  %s",
             a->cfg.room, glyph_of(a->name, 0), a->name, id, proto_mode_name(a->mode), a->rate,
             rtt);
    attron(pair_attr(a, PAIR_HUD) | A_BOLD);
    mvhline(0, 0, ' ', COLS);
    mvaddnstr(0, 0, line, COLS);
    attroff(pair_attr(a, PAIR_HUD) | A_BOLD);

    if (a->conn == CONN_CONNECTING)
        snprintf(line, sizeof line, " connecting to %s:%ld ...", a->cfg.host, a->cfg.port);
    else if (a->conn == CONN_LOST)
        snprintf(line, sizeof line, " RELAY LOST (%s)", a->lost_reason);
    else {
        char view[64];
        if (a->interp_on)
            snprintf(view, sizeof view, "interpolated, %llu ms behind",
                     (unsigned long long)(a->delay_us / 1000));
        else
            snprintf(view, sizeof view, "RAW arrivals");
        snprintf(line, sizeof line, " %s:%ld  players %zu  view %s%s  sent %llu  up %llus",
                 a->cfg.host, a->cfg.port, n + 1, view, a->ghost_on ? " +ghosts" : "",
                 (unsigned long long)a->states_sent,
                 (unsigned long long)((now - a->started_us) / 1000000));
    }
    if (a->conn == CONN_LOST)
        attron(pair_attr(a, PAIR_WARN) | A_BOLD);
    mvaddnstr(1, 0, line, COLS);
    if (a->conn == CONN_LOST)
        attroff(pair_attr(a, PAIR_WARN) | A_BOLD);
}

static void draw_arena(struct app *a, const struct layout *l, uint64_t now)
{
    const struct rect *r = &l->arena;
    size_t n = 0;
    const struct client_member *ms = a->c ? client_members(a->c, &n) : NULL;
    int row, col;

    draw_box(r);
    mvaddstr(r->y, r->x + 2, " arena 100x100 ");
    /* Ghosts first so live glyphs are drawn over them. */
    if (a->ghost_on) {
        for (size_t i = 0; i < n; i++) {
            struct remote *rm = remote_find(a, ms[i].id, false);
            if (!rm || !rm->ib.have_raw)
                continue;
            to_cell(r, rm->ib.raw.x, rm->ib.raw.y, &row, &col);
            put_glyph(row, col, (char)(glyph_of(ms[i].name, ms[i].id) | 0x20),
                      pair_attr(a, id_pair(ms[i].id)) | A_DIM);
        }
        if (a->have_echo) {
            to_cell(r, a->echo_x, a->echo_y, &row, &col);
            put_glyph(row, col, (char)(glyph_of(a->name, 0) | 0x20), A_DIM);
        }
    }
    for (size_t i = 0; i < n; i++) {
        struct remote *rm = remote_find(a, ms[i].id, false);
        float x, y;
        if (rm && a->interp_on && rm->ib.n > 0) {
            struct interp_result res;
            interp_sample_at(&rm->ib, now - a->delay_us, &res);
            x = res.x;
            y = res.y;
        } else if (rm && rm->ib.have_raw) {
            x = rm->ib.raw.x;
            y = rm->ib.raw.y;
        } else if (ms[i].has_state) {
            x = ms[i].last.x;
            y = ms[i].last.y;
        } else {
            continue;
        }
        to_cell(r, x, y, &row, &col);
        put_glyph(row, col, glyph_of(ms[i].name, ms[i].id),
                  pair_attr(a, id_pair(ms[i].id)) | A_BOLD);
    }
    to_cell(r, a->x, a->y, &row, &col);
    put_glyph(row, col, glyph_of(a->name, 0), pair_attr(a, PAIR_ME) | A_BOLD | A_REVERSE);

    if (a->conn == CONN_LOST) {
        char b1[128], b2[128];
        snprintf(b1, sizeof b1, " relay lost: %.80s ", a->lost_reason);
        if (a->cfg.retry)
            snprintf(b2, sizeof b2, " retrying in %llu s   r: now   q: quit ",
                     (unsigned long long)((a->retry_at_us > now ? a->retry_at_us - now : 0) /
                                          1000000 + 1));
        else
            snprintf(b2, sizeof b2, " r: reconnect   q: quit ");
        attron(pair_attr(a, PAIR_WARN) | A_BOLD | A_REVERSE);
        mvaddnstr(r->y + r->h / 2 - 1, r->x + 2, b1, r->w - 4);
        mvaddnstr(r->y + r->h / 2, r->x + 2, b2, r->w - 4);
        attroff(pair_attr(a, PAIR_WARN) | A_BOLD | A_REVERSE);
    }
}

static void draw_table(struct app *a, const struct layout *l, uint64_t now)
{
    const struct rect *r = &l->table;
    size_t n = 0;
    const struct client_member *ms = a->c ? client_members(a->c, &n) : NULL;
    char line[256];
    int row = r->y;

    attron(A_UNDERLINE);
    snprintf(line, sizeof line, "  %-10s %4s %-5s %6s %6s %5s %6s %6s %5s %-6s", "player", "id",
             "mode", "loss", "5s", "reord", "jit ms", "lat ms", "+-ms", "view");
    mvaddnstr(row++, r->x, line, r->w);
    attroff(A_UNDERLINE);
    for (size_t i = 0; i < n && row < r->y + r->h; i++) {
        const struct client_member *m = &ms[i];
        struct remote *rm = remote_find(a, m->id, false);
        uint64_t exp = recv_stats_expected(&m->stats);
        double loss = exp ? 100.0 * (double)recv_stats_lost(&m->stats) / (double)exp : 0;
        double recent = rm ? remote_recent_loss(rm, m) : -1;
        double lat = m->stats.received
                         ? (double)m->stats.latency_sum_us / (double)m->stats.received / 1000.0
                         : 0;
        char recent_s[16], bound_s[16] = "    ?"; /* ?: clock offsets not known yet */
        if (m->lat_bound_us)
            snprintf(bound_s, sizeof bound_s, "%5.1f", (double)m->lat_bound_us / 1000.0);
        const char *view = "-";
        if (recent >= 0)
            snprintf(recent_s, sizeof recent_s, "%5.1f%%", recent);
        else
            snprintf(recent_s, sizeof recent_s, "%6s", "-");
        if (rm && rm->ib.n > 0) {
            struct interp_result res;
            interp_sample_at(&rm->ib, now - a->delay_us, &res);
            view = !a->interp_on ? "raw" : res.kind == INTERP_BETWEEN ? "smooth"
                                         : res.kind == INTERP_EXTRAPOLATED ? "extrap"
                                         : res.kind == INTERP_STALE ? "STALE" : "wait";
        }
        attron(pair_attr(a, id_pair(m->id)) | A_BOLD);
        mvaddch(row, r->x, (chtype)(unsigned char)glyph_of(m->name, m->id));
        attroff(pair_attr(a, id_pair(m->id)) | A_BOLD);
        snprintf(line, sizeof line, " %-10.10s %4u %-5s %5.1f%% %s %5llu %6.1f %6.1f %s %-6s",
                 m->name[0] ? m->name : "?", (unsigned)m->id,
                 rm && rm->seen_mode ? mode_short(rm->arrived_as) : mode_short(m->mode), loss,
                 recent_s, (unsigned long long)m->stats.reordered, m->stats.jitter_us / 1000.0,
                 lat, bound_s, view);
        mvaddnstr(row++, r->x + 1, line, r->w - 1);
    }
    if (n == 0 && row < r->y + r->h)
        mvaddnstr(row, r->x, "  (nobody else here yet)", r->w);
}

static void draw_msgs(struct app *a, const struct layout *l)
{
    const struct rect *r = &l->msgs;
    size_t shown = (size_t)(r->h > 0 ? r->h : 0);
    size_t first;
    if (shown > a->n_msgs)
        shown = a->n_msgs;
    if (shown > MSG_CAP)
        shown = MSG_CAP;
    first = a->n_msgs - shown;
    for (size_t i = 0; i < shown; i++) {
        const struct message *m = &a->msgs[(first + i) % MSG_CAP];
        int pair = m->color == 1 ? PAIR_WARN : m->color == 2 ? PAIR_OK
                 : m->color == 4 ? PAIR_CHAT : 0;
        if (pair)
            attron(pair_attr(a, pair));
        mvaddnstr(r->y + (int)i, r->x, m->text, r->w);
        if (pair)
            attroff(pair_attr(a, pair));
    }
}

static void draw_status(struct app *a, const struct layout *l)
{
    char line[PROTO_TEXT_MAX + 64];
    if (a->chatting) {
        snprintf(line, sizeof line, "say> %s", a->line.text);
        mvaddnstr(l->status_row, 0, line, COLS);
        curs_set(1);
        return;
    }
    curs_set(0);
    if (a->conn == CONN_LOST)
        snprintf(line, sizeof line, "relay lost  r reconnect  q quit");
    else
        snprintf(line, sizeof line,
                 "arrows/WASD steer  space stop  1 2 3 mode  +/- rate  i interp  g ghost  "
                 "c chat  ? keys  q quit");
    attron(A_DIM);
    mvaddnstr(l->status_row, 0, line, COLS);
    attroff(A_DIM);
}

static void draw_help(struct app *a)
{
    size_t n;
    const struct keys_help_row *rows = keys_help(&n);
    int h = (int)n + 4, w = 72;
    struct rect r;
    if (w > COLS)
        w = COLS;
    if (h > LINES)
        h = LINES;
    r = (struct rect){ (LINES - h) / 2, (COLS - w) / 2, h, w };
    for (int i = 0; i < h; i++)
        mvhline(r.y + i, r.x, ' ', w);
    draw_box(&r);
    attron(A_BOLD);
    mvaddnstr(r.y, r.x + 2, " keys ", w - 4);
    attroff(A_BOLD);
    for (size_t i = 0; i < n && (int)i + 2 < h - 1; i++) {
        char line[128];
        snprintf(line, sizeof line, "%-22s %s", rows[i].keys, rows[i].what);
        mvaddnstr(r.y + 2 + (int)i, r.x + 2, line, w - 4);
    }
    (void)a;
}

static void draw_frame(struct app *a, uint64_t now)
{
    struct layout l;
    size_t n = 0;

    erase();
    if (COLS < 40 || LINES < 14) {
        mvaddnstr(0, 0, "terminal too small: need 40x14 (q quits)", COLS);
        refresh();
        return;
    }
    if (a->c)
        client_members(a->c, &n);
    compute_layout(&l, n);
    draw_hud(a, now);
    draw_arena(a, &l, now);
    draw_table(a, &l, now);
    draw_msgs(a, &l);
    if (a->help_on)
        draw_help(a);
    draw_status(a, &l);
    if (a->chatting)
        move(l.status_row, 5 + (int)a->line.len < COLS ? 5 + (int)a->line.len : COLS - 1);
    refresh(); /* one write per frame */
}

/* ---- main ---- */

static void default_name(char *out, size_t cap, uint64_t seed)
{
    const char *user = getenv("USER");
    size_t j = 0;
    if (user) {
        for (size_t i = 0; user[i] && j + 1 < cap && j < PROTO_NAME_MAX; i++) {
            char ch = user[i];
            if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                (ch >= '0' && ch <= '9') || ch == '_' || ch == '.' || ch == '-')
                out[j++] = ch;
        }
    }
    out[j] = '\0';
    if (!proto_name_valid(out))
        snprintf(out, cap, "player%u", (unsigned)(seed % 1000));
}

static uint64_t next_deadline(const struct app *a)
{
    uint64_t d = a->next_draw_us;
    if (a->conn == CONN_JOINED && a->next_send_us < d)
        d = a->next_send_us;
    if (a->conn == CONN_LOST && a->cfg.retry && a->retry_at_us < d)
        d = a->retry_at_us;
    return d;
}

/* Options, name and room; exits 2 on anything wrong (before touching the
 * terminal). Returns the seed. */
static uint64_t configure(struct app *a, int argc, char **argv)
{
    uint64_t seed;
    proto_mode_choices(mode_choices, sizeof mode_choices, NULL);
    options_parse_or_exit(option_defs, &a->cfg, argc, argv, PROG,
                          "terminal player: join a room, steer your avatar, watch the others "
                          "move through the relay");
    log_threshold = (enum log_level)a->cfg.log_level;
    seed = a->cfg.seed ? (uint64_t)a->cfg.seed : (uint64_t)getpid();
    if (a->cfg.name[0])
        snprintf(a->name, sizeof a->name, "%.*s", PROTO_NAME_MAX, a->cfg.name);
    else
        default_name(a->name, sizeof a->name, seed);
    if (!proto_name_valid(a->name))
        options_fail(PROG, "--name '%s': use 1-%d of [A-Za-z0-9_.-]", a->name, PROTO_NAME_MAX);
    if (!proto_room_valid(a->cfg.room))
        options_fail(PROG, "--room '%s': use 1-%d of [A-Za-z0-9_.-]", a->cfg.room,
                     PROTO_ROOM_MAX);
    if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))
        options_fail(PROG, "needs a terminal (stdin and stdout must be a TTY); "
                     "for a headless player use ricochet-bot");
    return seed;
}

/* Live settings from the options, and a start position drawn from seed. */
static void app_init(struct app *a, uint64_t seed)
{
    struct rng rng;
    rng_seed(&rng, seed);
    a->mode = (enum proto_mode)a->cfg.mode;
    a->rate = (int)a->cfg.rate;
    a->delay_us = (uint64_t)a->cfg.interp_delay_ms * 1000;
    a->interp_on = true;
    a->x = (float)(10.0 + 80.0 * rng_uniform(&rng));
    a->y = (float)(10.0 + 80.0 * rng_uniform(&rng));
    log_info(PROG ": seed %llu, name %s, relay %s:%ld, room %s, mode %s",
             (unsigned long long)seed, a->name, a->cfg.host, a->cfg.port, a->cfg.room,
             proto_mode_name(a->mode));
}

/* Hands the terminal to curses (stderr to --log-file meanwhile). Returns
 * the screen, or NULL (error printed, terminal restored). */
static SCREEN *screen_open(struct app *a)
{
    SCREEN *scr;
    atexit(restore_terminal);
    if (redirect_stderr(a->cfg.log_file) != 0)
        return NULL;
    setlocale(LC_ALL, "");
    scr = newterm(NULL, stdout, stdin);
    if (!scr) {
        restore_terminal();
        fprintf(stderr, PROG ": error: cannot use this terminal (TERM=%s)\n",
                getenv("TERM") ? getenv("TERM") : "unset");
        return NULL;
    }
    curses_on = true;
    cbreak();
    noecho();
    nonl();
    keypad(stdscr, TRUE);
    nodelay(stdscr, TRUE);
    set_escdelay(25);
    curs_set(0);
    init_colors(a);
    return scr;
}

/* Keys, network, movement, sending and drawing: the work due now. Returns
 * false when the player quit. */
static bool do_due_work(struct app *a)
{
    uint64_t now = clock_now_us();
    int ch;
    while ((ch = getch()) != ERR)
        if (!handle_key(a, ch, now))
            return false;
    service_network(a, now);
    if (a->conn == CONN_LOST && a->cfg.retry && now >= a->retry_at_us)
        reconnect(a, now);
    now = clock_now_us();
    move_me(a, now);
    send_state(a, now);
    if (now >= a->next_snap_us) {
        remotes_snapshot(a);
        a->next_snap_us = now + SNAP_US;
    }
    if (a->dirty || now >= a->next_draw_us) {
        draw_frame(a, now);
        a->dirty = false;
        a->next_draw_us = now + 1000000ull / (uint64_t)a->cfg.fps;
    }
    return true;
}

/* Sleeps in poll(2) on the terminal and the socket until the next deadline.
 * Returns 0, or -1 with a message in err (poll failed, terminal gone). */
static int wait_input(struct app *a, char *err, size_t err_cap)
{
    struct pollfd pfd[2];
    int nfd = 0, wait_ms;
    uint64_t deadline = next_deadline(a), now = clock_now_us();

    wait_ms = deadline > now ? (int)((deadline - now + 999) / 1000) : 0;
    pfd[nfd++] = (struct pollfd){ .fd = STDIN_FILENO, .events = POLLIN };
    if (a->c && a->conn != CONN_LOST && client_socket_fd(a->c) >= 0)
        pfd[nfd++] = (struct pollfd){ .fd = client_socket_fd(a->c), .events = POLLIN };
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
static int play(struct app *a, uint64_t seed, char *err, size_t err_cap)
{
    uint64_t now = clock_now_us();
    a->started_us = a->last_move_us = a->next_draw_us = a->next_snap_us = now;
    add_msg(a, 0, "connecting to %s:%ld as %s (seed %llu)", a->cfg.host, a->cfg.port,
            a->name, (unsigned long long)seed);
    while (!stop_signal) {
        if (!do_due_work(a))
            break;
        if (wait_input(a, err, err_cap) != 0)
            return 1;
    }
    return 0;
}

/* The summary printed after the screen is gone. */
static void print_farewell(const struct app *a, int exit_code, const char *err)
{
    const struct histogram *h = a->c ? client_rtt(a->c) : NULL;
    double up = (double)(clock_now_us() - a->started_us) / 1e6;
    if (exit_code)
        fprintf(stderr, PROG ": error: %s\n", err);
    if (h && h->total)
        printf(PROG ": left room %s after %.1f s: sent %llu states, rtt p50 %.2f ms "
                    "p99 %.2f ms\n",
               a->cfg.room, up, (unsigned long long)a->states_sent,
               (double)histogram_percentile(h, 50) / 1000.0,
               (double)histogram_percentile(h, 99) / 1000.0);
    else
        printf(PROG ": left room %s after %.1f s: sent %llu states\n", a->cfg.room, up,
               (unsigned long long)a->states_sent);
    if (stop_signal)
        printf(PROG ": stopped by signal %d\n", (int)stop_signal);
}

int main(int argc, char **argv)
{
    static struct app app; /* large (interpolation buffers): not on the stack */
    struct app *a = &app;
    char err[256] = "";
    uint64_t seed = configure(a, argc, argv);
    SCREEN *scr;
    int exit_code;

    app_init(a, seed);
    if (connect_relay(a, err, sizeof err) != 0) {
        fprintf(stderr, PROG ": error: %s\n", err);
        return 1;
    }
    signals_install(&stop_signal, NULL, NULL);
    signals_stop_on(SIGHUP);
    scr = screen_open(a);
    if (!scr) {
        client_destroy(a->c);
        return 1;
    }
    exit_code = play(a, seed, err, sizeof err);
    restore_terminal();
    delscreen(scr);
    print_farewell(a, exit_code, err);
    if (a->c)
        client_destroy(a->c);
    return exit_code;
}
