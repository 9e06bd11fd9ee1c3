/* gates.c: gates on a terminal grid, a game of rooms, kept events and
 * players who come back, on libricochet.
 *
 * Eight gates stand on a ring; touching a closed one opens it, and it is
 * yours: a point. The world is the gates opened, and it lives in the
 * relay as kept events (the newest per key, replayed to whoever joins
 * later), so a latecomer sees every gate opened before it came. A host
 * makes the room closed, with properties a lobby filters on, and opens it
 * to joiners when it likes; a player without a room lists the rooms whose
 * "game" is "gates" before it joins one that is open. A relay restarted
 * keeps no kept event: each player rejoins as the same player (its stable
 * player id) and keeps again the gates it knows, so nothing is lost.
 *
 * The game's bytes (docs/library.md, "A game: gates"):
 *   room props: game=gates, map=ring
 *   payload, 4 bytes: version 1, colour R, G, B
 *   a gate opened, a kept event with stay, key "gN.PLAYER" (N the gate,
 *     0..7; PLAYER the opener's player id), body: version 1, kind 1, N,
 *     the name's length, the opener's name
 * Two players opening one gate at once both keep their claim: the gate is
 * the lower player id's, as everyone (a latecomer too) works out alike.
 *
 * A room whose prop script is "gates" has a referee: the relay runs
 * examples/scripts/gates.lua (docs/scripts.md), and the room, not the
 * players, opens each gate, to the first touch in the relay's order. Its
 * word comes from sender 4294967295 as kept events: the gates ("gN.PLAYER",
 * the bytes above), "score" (NAME=N,...), "clock" (the round's seconds
 * left) and "winner" (NAME=N); a player then claims nothing and keeps
 * nothing, and only the room's gates count. --script gates asks for it in
 * the room my join makes.
 *
 * Build: cc gates.c $(pkg-config --cflags --libs ricochet) -lm
 * Play:  ./gates HOST PORT               the lobby: the first open room
 *        ./gates --host ROOM HOST PORT    a closed room of mine: o opens it
 *        ./gates --join ROOM HOST PORT    that room, if it exists
 *        arrows or WASD move, q quits; --auto SECONDS plays by itself (0:
 *        until SIGINT) and says what happens; --watch never moves;
 *        --script gates: the room my join makes has the relay's referee */
#define _GNU_SOURCE /* getopt_long */

#include <getopt.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <ricochet/ricochet.h>

#define GATES 8
#define RING 35.0f           /* arena units from the centre to each gate */
#define TOUCH 4.0f           /* closer than this opens a gate */
#define SPEED 25.0f          /* arena units per second (--auto: 20) */
#define SEND_US 50000u       /* 20 states a second */
#define LIST_US 700000u      /* the lobby lists again this often */
#define REJOIN_MS 60000u     /* a lost relay is waited for this long */
#define COLS 50
#define ROWS 25
#define VERSION 1
#define KIND_OPEN 1
#define ROOM_SENDER 4294967295u /* the room's own word: its script's (docs/scripts.md) */
#define WORD_MAX 160

struct gate {
    char player[20];         /* its opener's player id; "" while closed */
    char name[RICOCHET_NAME_MAX + 1];
};

struct game {
    struct ricochet *r;
    struct gate gate[GATES];
    float x, y, dx, dy;
    unsigned char rgb[3];
    char name[RICOCHET_NAME_MAX + 1];
    const char *host_room;   /* --host: my room, opened to joiners at open_at */
    uint64_t open_at, list_at, send_at, last;
    bool opened, moved, say, watch, auto_play, back;
    bool referee;            /* the room's script opens the gates */
    char score[WORD_MAX], winner[WORD_MAX]; /* the room's, as it keeps them */
    int clock;               /* the round's seconds left, as the room says (-1: not said) */
};

static volatile sig_atomic_t stop;
static struct termios saved_tty;
static int tty_raw;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static float gate_x(int i) { return 50.0f + RING * cosf((float)i * 6.2831853f / GATES); }
static float gate_y(int i) { return 50.0f + RING * sinf((float)i * 6.2831853f / GATES); }

/* ---- the world: gates, kept in the relay ---- */

/* A claim on gate i: the gate is the lower player id's. Returns whether it
 * changed hands. */
static bool claim(struct game *g, int i, const char *player, const char *name)
{
    struct gate *d = &g->gate[i];
    if (d->player[0] && strcmp(d->player, player) <= 0)
        return false;
    snprintf(d->player, sizeof d->player, "%s", player);
    snprintf(d->name, sizeof d->name, "%s", name);
    if (g->say)
        printf("gates: gate %d is %s's (%s)\n", i, player, name);
    return true;
}

/* Gate i's claim, kept by the relay for latecomers (and after I leave). */
static void keep(struct game *g, int i)
{
    unsigned char b[4 + RICOCHET_NAME_MAX];
    char key[RICOCHET_KEY_MAX + 1];
    size_t n = strlen(g->gate[i].name);
    b[0] = VERSION, b[1] = KIND_OPEN, b[2] = (unsigned char)i, b[3] = (unsigned char)n;
    memcpy(b + 4, g->gate[i].name, n);
    snprintf(key, sizeof key, "g%d.%s", i, g->gate[i].player);
    ricochet_send_kept(g->r, key, b, 4 + n, RICOCHET_KEEP_STAY);
}

/* A peer's bytes into out (cap bytes), no control character in it: they
 * reach my terminal. */
static void clean(char *out, size_t cap, const unsigned char *b, size_t len)
{
    size_t n = len < cap - 1 ? len : cap - 1;
    memcpy(out, b, n);
    out[n] = '\0';
    for (char *c = out; *c; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7f)
            *c = '?';
}

/* A gate event (live, or kept and replayed to me): its key names the gate
 * and the opener, its body the opener's name. The room's is final; a
 * player's counts only where no referee decides. */
static void on_gate(struct game *g, const struct ricochet_event *ev)
{
    size_t len;
    const unsigned char *b = ricochet_event_bytes(g->r, &len);
    const char *key = ricochet_event_key(g->r);
    char player[20], name[RICOCHET_NAME_MAX + 1];
    int i;
    if (len < 4 || b[0] != VERSION || b[1] != KIND_OPEN || b[2] >= GATES ||
        b[3] > RICOCHET_NAME_MAX || len < 4u + b[3] || sscanf(key, "g%d.%19s", &i, player) != 2 ||
        i != b[2])
        return; /* not ours: ignored */
    clean(name, sizeof name, b + 4, b[3]);
    if (ev->id == ROOM_SENDER) {
        struct gate *d = &g->gate[i];
        if (!strcmp(d->player, player) && !strcmp(d->name, name))
            return; /* said before */
        snprintf(d->player, sizeof d->player, "%s", player);
        snprintf(d->name, sizeof d->name, "%s", name);
        if (g->say)
            printf("gates: the room opens gate %d to %s (%s)\n", i, player, name);
        return;
    }
    if (g->referee)
        return; /* the room decides */
    if (g->say && strcmp(ev->code, "kept") == 0)
        printf("gates: kept g%d by %s (%s)\n", i, player, name);
    claim(g, i, player, name);
}

/* The room's word besides its gates: its score, its clock, its winner. */
static void on_room_word(struct game *g)
{
    size_t len;
    const unsigned char *b = ricochet_event_bytes(g->r, &len);
    const char *key = ricochet_event_key(g->r);
    char word[WORD_MAX];
    clean(word, sizeof word, b ? b : (const unsigned char *)"", b ? len : 0);
    if (!strcmp(key, "score") && strcmp(g->score, word)) {
        snprintf(g->score, sizeof g->score, "%s", word);
        if (g->say)
            printf("gates: the room's score %s\n", word);
    } else if (!strcmp(key, "clock") && atoi(word) != g->clock) {
        bool first = g->clock < 0;
        g->clock = atoi(word);
        if (g->say && (first || g->clock % 10 == 0 || g->clock <= 5))
            printf("gates: the round ends in %d s\n", g->clock);
    } else if (!strcmp(key, "winner") && strcmp(g->winner, word)) {
        snprintf(g->winner, sizeof g->winner, "%s", word);
        char *eq = strrchr(word, '=');
        if (eq)
            *eq = '\0';
        if (g->say)
            printf("gates: the round is over: the room's winner %s (%s gates)\n",
                   word[0] ? word : "none", eq ? eq + 1 : "0");
    }
}

/* Whether my room has a referee: its prop script is gates. */
static bool refereed(const struct ricochet *r)
{
    struct ricochet_prop p[RICOCHET_PROPS_MAX];
    size_t n = ricochet_room_props(r, p, RICOCHET_PROPS_MAX);
    for (size_t i = 0; i < n && i < RICOCHET_PROPS_MAX; i++)
        if (!strcmp(p[i].key, "script") && !strcmp(p[i].value, "gates"))
            return true;
    return false;
}

/* Touching a closed gate opens it: mine, and kept. With a referee the room
 * opens it, as my state reaches it. */
static void touch_gates(struct game *g)
{
    const char *me = g->referee ? NULL : ricochet_player(g->r, 0);
    for (int i = 0; i < GATES && me && me[0]; i++)
        if (!g->gate[i].player[0] && hypotf(gate_x(i) - g->x, gate_y(i) - g->y) < TOUCH) {
            claim(g, i, me, g->name);
            keep(g, i);
        }
}

/* ---- moving ---- */

/* --auto: towards the nearest closed gate. */
static void steer(struct game *g)
{
    float best = 1e9f;
    for (int i = 0; i < GATES; i++) {
        float vx = gate_x(i) - g->x, vy = gate_y(i) - g->y, d = hypotf(vx, vy);
        if (!g->gate[i].player[0] && d < best && d > 0.01f)
            best = d, g->dx = vx / d, g->dy = vy / d;
    }
    if (best > 1e8f) /* every gate open: a walk round the ring */
        g->dx = -(g->y - 50) / RING, g->dy = (g->x - 50) / RING;
}

static void move(struct game *g, double dt)
{
    float speed = g->auto_play ? 20.0f : SPEED;
    g->x = fminf(100, fmaxf(0, g->x + (float)(g->dx * speed * dt)));
    g->y = fminf(100, fmaxf(0, g->y + (float)(g->dy * speed * dt)));
}

/* ---- the terminal ---- */

static void tty_restore(void)
{
    if (tty_raw) {
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_tty);
        fputs("\x1b[?25h\x1b[0m\n", stdout);
        tty_raw = 0;
    }
}

static int tty_open(void)
{
    struct termios t;
    if (tcgetattr(STDIN_FILENO, &saved_tty) != 0)
        return -1;
    t = saved_tty;
    t.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
    t.c_cc[VMIN] = 0, t.c_cc[VTIME] = 0;
    if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &t) != 0)
        return -1;
    tty_raw = 1;
    atexit(tty_restore);
    fputs("\x1b[2J\x1b[?25l", stdout);
    return 0;
}

static void put(char grid[ROWS][COLS + 1], float x, float y, char c)
{
    int col = (int)(x / 100.0f * (COLS - 1) + 0.5f), row = (int)(y / 100.0f * (ROWS - 1) + 0.5f);
    if (col >= 0 && col < COLS && row >= 0 && row < ROWS)
        grid[row][col] = c;
}

/* One frame in one write: closed gates as their digit, open ones '#',
 * the others by their name's first letter, me '@'; then the score. */
static void draw(struct game *g)
{
    static char out[16384];
    char grid[ROWS][COLS + 1];
    struct ricochet_member m[16];
    size_t n = ricochet_members(g->r, m, 16), len = 0;
    memset(grid, '.', sizeof grid);
    for (int i = 0; i < GATES; i++)
        put(grid, gate_x(i), gate_y(i), g->gate[i].player[0] ? '#' : (char)('0' + i));
    for (size_t i = 0; i < n && i < 16; i++)
        if (m[i].has_state)
            put(grid, m[i].last.x, m[i].last.y, m[i].name[0] & 0x80 ? '?' : m[i].name[0]);
    put(grid, g->x, g->y, '@');
    len += (size_t)snprintf(out, sizeof out, "\x1b[H");
    for (int row = 0; row < ROWS; row++)
        len += (size_t)snprintf(out + len, sizeof out - len, "%.*s\x1b[K\n", COLS, grid[row]);
    len += (size_t)snprintf(out + len, sizeof out - len, "room %s%s  WASD move%s, q quits\x1b[K\n",
                            ricochet_room_name(g->r), g->host_room && !g->opened ? " (closed)" : "",
                            g->host_room && !g->opened ? ", o opens it" : "");
    for (int i = 0; i < GATES && len < sizeof out - 200; i++)
        len += (size_t)snprintf(out + len, sizeof out - len, "gate %d: %s\x1b[K\n", i,
                                g->gate[i].player[0] ? g->gate[i].name : "closed");
    if (g->referee && len < sizeof out - 2 * WORD_MAX - 100) {
        len += (size_t)snprintf(out + len, sizeof out - len, "the room's score: %s\x1b[K\n",
                                g->score[0] ? g->score : "none yet");
        if (g->winner[0])
            len += (size_t)snprintf(out + len, sizeof out - len,
                                    "the round is over, the room's winner: %s\x1b[K\n", g->winner);
        else if (g->clock >= 0)
            len += (size_t)snprintf(out + len, sizeof out - len, "%d s left in the round\x1b[K\n",
                                    g->clock);
    }
    fwrite(out, 1, len, stdout);
    fflush(stdout);
}

static void key(struct game *g, int c)
{
    switch (c) {
    case 'w': case 'A': g->dx = 0, g->dy = -1; break; /* "A": the end of ESC [ A */
    case 's': case 'B': g->dx = 0, g->dy = 1; break;
    case 'd': case 'C': g->dx = 1, g->dy = 0; break;
    case 'a': case 'D': g->dx = -1, g->dy = 0; break;
    case 'o': g->open_at = 0; break;
    case 'q': stop = 1; break;
    default: break;
    }
}

/* ---- the session ---- */

struct args {
    const char *host, *port, *room, *name, *script;
    bool host_room;          /* --host: room is mine to make, closed */
    double auto_s, open_s;   /* --auto: seconds (0: until a signal; < 0: not auto) */
    bool watch;
    unsigned char rgb[3];
};

/* The lobby's listing: the first open room with space is joined. */
static void on_rooms(struct game *g)
{
    struct ricochet_room rooms[RICOCHET_ROOMS_PAGE];
    size_t n = ricochet_rooms(g->r, rooms, RICOCHET_ROOMS_PAGE, NULL);
    for (size_t i = 0; i < n && i < RICOCHET_ROOMS_PAGE; i++) {
        bool open = false;
        ricochet_listed_props(g->r, i, NULL, 0, &open);
        if (g->say)
            printf("gates: lobby: %s %u/%u %s\n", rooms[i].room, (unsigned)rooms[i].members,
                   (unsigned)rooms[i].capacity, open ? "open" : "closed");
        if (open && rooms[i].members < rooms[i].capacity && g->list_at != UINT64_MAX &&
            ricochet_join(g->r, rooms[i].room, false) == RICOCHET_OK)
            g->list_at = UINT64_MAX; /* joining */
    }
}

static void on_welcome(struct game *g)
{
    const char *me = ricochet_player(g->r, 0);
    if (g->say)
        printf("gates: %s %s as #%u, player %s\n", g->moved ? "back in" : "joined",
               ricochet_room_name(g->r), (unsigned)ricochet_id(g->r), me ? me : "");
    g->referee = refereed(g->r);
    if (g->say && g->referee)
        printf("gates: the room referees: it opens the gates and keeps the score\n");
    if (!g->moved || g->referee) { /* what the room keeps comes next: the room's own too */
        memset(g->gate, 0, sizeof g->gate);
        g->score[0] = g->winner[0] = '\0', g->clock = -1;
        g->moved = false;
        return;
    }
    for (int i = 0; i < GATES; i++) /* a new relay keeps nothing: the gates I know */
        if (g->gate[i].player[0])
            keep(g, i);
    g->moved = false;
}

static void on_event(struct game *g, const struct ricochet_event *ev)
{
    const char *p;
    switch (ev->type) {
    case RICOCHET_EV_WELCOME:
        on_welcome(g);
        break;
    case RICOCHET_EV_EVENT:
        if (ev->id == ROOM_SENDER && ricochet_event_key(g->r)[0] != 'g')
            on_room_word(g);
        else
            on_gate(g, ev);
        break;
    case RICOCHET_EV_ROOM:
        g->referee = refereed(g->r);
        break;
    case RICOCHET_EV_ROOMS:
        on_rooms(g);
        break;
    case RICOCHET_EV_MOVED:
        g->moved = true;
        if (g->say)
            printf("gates: the relay is lost, rejoining at %s\n", ev->text);
        break;
    case RICOCHET_EV_REJOINED:
        if (g->say && (p = ricochet_player(g->r, ev->id)))
            printf("gates: player %s (%s) is back as #%u\n", p, ev->name, (unsigned)ev->id);
        break;
    case RICOCHET_EV_ERROR:
        if (g->say)
            printf("gates: the relay says %s: %s\n", ev->code, ev->text);
        break;
    default:
        break;
    }
}

/* My state, with my colour in its payload. */
static void send(struct game *g)
{
    struct ricochet_state s = {.x = g->x, .y = g->y, .vx = g->dx * SPEED, .vy = g->dy * SPEED};
    unsigned char b[4] = {VERSION, g->rgb[0], g->rgb[1], g->rgb[2]};
    ricochet_send_state_payload(g->r, &s, b, sizeof b);
}

/* One turn: events, keys, the lobby's listing, the host's opening, moving,
 * my state. Returns 0, 1 if the session ended, 2 if a lobby should start
 * again (its session ended unjoined, or its pick closed meanwhile). */
static int turn(struct game *g, const struct args *a)
{
    struct ricochet_event ev = {0};
    struct pollfd fds[2] = {{ricochet_fd(g->r), POLLIN, 0}, {STDIN_FILENO, POLLIN, 0}};
    poll(fds, g->auto_play ? 1 : 2, 10);
    uint64_t now = ricochet_now_us();
    int got;
    char c;
    while ((got = ricochet_poll(g->r, 0, &ev)) == 1 && ev.type != RICOCHET_EV_DISCONNECTED)
        on_event(g, &ev);
    if (got != 0) {
        bool lobby = !a->room && (!strcmp(ev.code, "not_joined") ||
                                  !strcmp(ev.code, "room_closed") || !strcmp(ev.code, "room_full"));
        if (g->say || !lobby)
            fprintf(stderr, "gates: %s\n", ricochet_end_reason(g->r));
        return lobby ? 2 : 1;
    }
    while (!g->auto_play && read(STDIN_FILENO, &c, 1) == 1)
        key(g, c);
    if (!a->room && !ricochet_joined(g->r) && now >= g->list_at) {
        struct ricochet_prop game = {"game", "gates"};
        ricochet_list_rooms_matching(g->r, NULL, NULL, &game, 1);
        g->list_at = now + LIST_US;
    }
    if (!ricochet_joined(g->r))
        return 0;
    if (g->host_room && !g->opened && now >= g->open_at &&
        ricochet_set_room_open(g->r, true) == RICOCHET_OK) {
        g->opened = true;
        if (g->say)
            printf("gates: room %s is open to joiners\n", g->host_room);
    }
    if (!g->watch) {
        if (g->auto_play)
            steer(g);
        move(g, (double)(now - g->last) / 1e6);
        touch_gates(g);
        if (now >= g->send_at)
            send(g), g->send_at = now + SEND_US;
    }
    g->last = now;
    return 0;
}

/* A session: the host's closed room, a room that must exist, or a lobby;
 * every one rejoins a lost relay as the same player. Each asks for the
 * game's props and size: the first join back to a restarted relay makes
 * the room afresh, and it should still be listed as a game of gates. */
static struct ricochet *session(const struct args *a)
{
    char err[256];
    struct ricochet_config *cfg = ricochet_config_new();
    struct ricochet *r = NULL;
    int bad = !cfg || ricochet_config_set_relay(cfg, a->host, (uint16_t)atoi(a->port)) ||
              ricochet_config_set_name(cfg, a->name) || ricochet_config_set_rejoin(cfg, REJOIN_MS) ||
              ricochet_config_set_room_prop(cfg, "game", "gates") ||
              ricochet_config_set_room_prop(cfg, "map", "ring") ||
              ricochet_config_set_room_size(cfg, 8) ||
              (a->script && ricochet_config_set_room_prop(cfg, "script", a->script)) ||
              (a->room ? ricochet_config_set_room(cfg, a->room)
                       : ricochet_config_set_lobby(cfg, true)) ||
              ricochet_config_set_room_open(cfg, !a->host_room) ||
              ricochet_config_set_room_exists(cfg, !a->host_room);
    if (!bad)
        r = ricochet_connect(cfg, err, sizeof err);
    else /* the setter's words: "name 'a\x1b': a name may not hold control characters ..." */
        snprintf(err, sizeof err, "%s", cfg ? ricochet_config_error(cfg) : "out of memory");
    ricochet_config_free(cfg);
    if (!r)
        fprintf(stderr, "gates: %s\n", err);
    return r;
}

/* --help, or one line saying what is wrong (exit 2). */
static int usage(const char *prog, const char *why)
{
    if (why) {
        fprintf(stderr, "gates: %s (%s --help)\n", why, prog);
        return 2;
    }
    printf("usage: %s [--host ROOM [--open-after SECONDS] | --join ROOM] [--auto SECONDS]\n"
           "          [--watch] [--name NAME] [--colour RRGGBB] [--script NAME] HOST PORT\n"
           "  gates through a ricochet relay: touch a closed gate to open it, a point each.\n"
           "  Without a room, a lobby joins the first open room whose game is gates.\n"
           "  --host makes ROOM, closed until o (--auto: --open-after, 3 s); --join joins\n"
           "  ROOM if it exists; --auto plays by itself for SECONDS (0: until SIGINT),\n"
           "  saying what happens; --watch only watches. --script gates: the room my join\n"
           "  makes has the relay's referee (examples/scripts/gates.lua): the room opens\n"
           "  the gates, keeps the score, times the round and names its winner.\n", prog);
    return 0;
}

/* The command line into *a. Returns -1 to go on, else the exit status. */
static int parse(int argc, char **argv, struct args *a)
{
    static const struct option opts[] = {
        {"host", required_argument, NULL, 'H'}, {"join", required_argument, NULL, 'j'},
        {"open-after", required_argument, NULL, 'o'}, {"auto", required_argument, NULL, 'a'},
        {"watch", no_argument, NULL, 'w'}, {"name", required_argument, NULL, 'n'},
        {"colour", required_argument, NULL, 'c'}, {"help", no_argument, NULL, 'h'},
        {"script", required_argument, NULL, 's'},
        {NULL, 0, NULL, 0}};
    int o;
    unsigned rgb;
    char *end;
    *a = (struct args){.auto_s = -1, .open_s = 3, .rgb = {31, 119, 180}};
    opterr = 0;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (o == 'h')
            return usage(argv[0], NULL);
        if ((o == 'H' || o == 'j') && a->room)
            return usage(argv[0], "--host or --join, once");
        if (o == 'H' || o == 'j')
            a->room = optarg, a->host_room = o == 'H';
        if (o == 'a' && ((a->auto_s = strtod(optarg, &end)) < 0 || *end || end == optarg))
            return usage(argv[0], "--auto: a number of seconds, 0 or more");
        if (o == 'o' && ((a->open_s = strtod(optarg, &end)) < 0 || *end || end == optarg))
            return usage(argv[0], "--open-after: a number of seconds, 0 or more");
        if (o == 'c' && (strlen(optarg) != 6 || strspn(optarg, "0123456789abcdefABCDEF") != 6))
            return usage(argv[0], "--colour: six hex digits, RRGGBB");
        if (o == 'c' && sscanf(optarg, "%6x", &rgb) == 1)
            a->rgb[0] = (unsigned char)(rgb >> 16), a->rgb[1] = (unsigned char)(rgb >> 8),
            a->rgb[2] = (unsigned char)rgb;
        a->watch |= o == 'w';
        a->name = o == 'n' ? optarg : a->name;
        a->script = o == 's' ? optarg : a->script;
        if (o == '?')
            return usage(argv[0], "an unknown option, or one without its value");
    }
    if (argc - optind != 2)
        return usage(argv[0], "HOST and PORT");
    a->host = argv[optind], a->port = argv[optind + 1];
    return -1;
}

/* The gates and the score, as --auto says them at the end. */
static void summary(const struct game *g)
{
    const char *me = g->r ? ricochet_player(g->r, 0) : NULL;
    unsigned mine = 0;
    printf("gates: gates");
    for (int i = 0; i < GATES; i++) {
        printf(" %d:%s", i, g->gate[i].player[0] ? g->gate[i].player : "-");
        mine += me && me[0] && strcmp(g->gate[i].player, me) == 0;
    }
    printf("\ngates: player %s score %u\n", me ? me : "", mine);
}

int main(int argc, char **argv)
{
    struct args a;
    int rc = parse(argc, argv, &a);
    if (rc >= 0)
        return rc;
    struct game *g = calloc(1, sizeof *g);
    if (!g)
        return 1;
    snprintf(g->name, sizeof g->name, "%s", a.name ? a.name : getenv("USER") ? getenv("USER")
                                                                              : "player");
    a.name = g->name;
    memcpy(g->rgb, a.rgb, 3);
    g->host_room = a.host_room ? a.room : NULL;
    g->say = g->auto_play = a.auto_s >= 0;
    g->watch = a.watch;
    g->clock = -1;
    srand((unsigned)getpid());
    g->x = (float)(rand() % 100), g->y = (float)(rand() % 100), g->dx = 1;
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    if (!g->say && tty_open() != 0) {
        fprintf(stderr, "gates: stdin is no terminal (--auto SECONDS plays by itself)\n");
        return 1;
    }
    uint64_t start = ricochet_now_us();
    g->open_at = g->say ? start + (uint64_t)(a.open_s * 1e6) : UINT64_MAX;
    rc = 2;
    while (rc == 2 && !stop && (g->r = session(&a))) {
        g->last = ricochet_now_us(), g->list_at = 0, rc = 0;
        while (!stop && (a.auto_s <= 0 || ricochet_now_us() - start < (uint64_t)(a.auto_s * 1e6)))
            if ((rc = turn(g, &a)) != 0)
                break;
            else if (!g->say)
                draw(g);
            else
                fflush(stdout); /* --auto: each line as it happens */
        if (rc == 2)
            ricochet_close(g->r), g->r = NULL;
    }
    tty_restore();
    summary(g);
    fflush(stdout);
    ricochet_close(g->r);
    free(g);
    return rc == 1 ? 1 : 0;
}
