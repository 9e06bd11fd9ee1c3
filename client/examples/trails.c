/* trails.c: trails on a terminal grid, a lockstep game on libricochet.
 *
 * Each player is a head that moves one cell every tick, leaving its colour
 * behind; the arrows (or WASD) turn it. A cell painted by someone else is
 * painted over. What travels is inputs, never positions: the relay closes
 * each tick with every player's input (a lockstep room, PROTOCOL.md
 * "Lockstep rooms"), and every player applies the same frames in the same
 * order to the same simulation, integers only, so every screen is the
 * same screen, tick for tick.
 *
 * The game's bytes (docs/library.md, "A lockstep game"):
 *   input, 1 byte: 0 go on, 1 up, 2 down, 3 right, 4 left
 *   frame: a slot's first frame (after `left`) puts its head at its start
 *     cell, heading right; `left` takes it off (its cells stay)
 *   snapshot, kept event "snap" (RICOCHET_KEEP_STAY), every --snap-every
 *     ticks by the player in the lowest slot: the world after that tick's
 *     frame (encode(), below: its first 4 bytes the next tick, big-endian):
 *     a player who joins late, or comes back, loads it and asks for the
 *     frames from that tick on
 *   check: every check_every ticks, the world's FNV-1a hash
 *     (ricochet_send_check): the relay names a player whose world differs
 *
 * Build: cc trails.c $(pkg-config --cflags --libs ricochet)
 * Play:  ./trails HOST PORT [ROOM]          arrows or WASD turn, q quits
 * Watch: ./trails --auto 20 HOST PORT ROOM  plays by itself for 20 s (0:
 *        until --until's tick or SIGINT), no terminal needed
 * Come back: --key-file FILE keeps my player's key in FILE (read if it is
 *        there, written once welcomed): killed and started again with it,
 *        I get my slot back.
 * Replay: --spectator --udp HOST PORT ROOM against ricochet-replay, which
 *        plays a relay's kept log (--lockstep-log) back.
 * --until TICK: stop after frame TICK, saying "trails: tick TICK sum HEX". */
#define _GNU_SOURCE /* getopt_long */

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <ricochet/ricochet.h>

#define COLS 36
#define ROWS 18
#define SLOTS 4
#define HZ 20
#define DELAY 3
#define CHECK_EVERY 20
#define SNAP_KEY "snap"

/* The world: all a tick changes, and all a snapshot holds. */
struct world {
    uint32_t tick;                 /* the frames applied: the next frame's tick */
    uint8_t in[SLOTS];             /* 1: the slot's head is on the grid */
    uint8_t x[SLOTS], y[SLOTS], dir[SLOTS];
    uint8_t cell[ROWS][COLS];      /* 0: unpainted, else slot + 1 */
};

static volatile sig_atomic_t stop;
static struct termios saved_tty;
static int tty_raw;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static void put32(uint8_t *b, uint32_t v)
{
    b[0] = (uint8_t)(v >> 24), b[1] = (uint8_t)(v >> 16), b[2] = (uint8_t)(v >> 8);
    b[3] = (uint8_t)v;
}

static uint32_t get32(const uint8_t *b)
{
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* ---- the simulation: the same frames, the same world ---- */

static void apply(struct world *w, struct ricochet *r)
{
    static const int dx[5] = {0, 0, 0, 1, -1}, dy[5] = {0, -1, 1, 0, 0};
    for (uint32_t s = 0; s < SLOTS; s++) {
        const uint8_t *b;
        size_t n;
        int flag = ricochet_frame_input(r, s, &b, &n);
        if (flag == RICOCHET_SLOT_LEFT || flag < 0) {
            w->in[s] = 0;
            continue;
        }
        if (!w->in[s]) { /* enters: its start cell, heading right */
            w->in[s] = 1;
            w->x[s] = (uint8_t)(2 + 8 * s), w->y[s] = (uint8_t)(2 + 4 * s), w->dir[s] = 3;
        }
        if ((flag == RICOCHET_SLOT_PRESENT || flag == RICOCHET_SLOT_REPEATED) && n >= 1 &&
            b[0] >= 1 && b[0] <= 4)
            w->dir[s] = b[0];
        w->x[s] = (uint8_t)((w->x[s] + COLS + dx[w->dir[s]]) % COLS);
        w->y[s] = (uint8_t)((w->y[s] + ROWS + dy[w->dir[s]]) % ROWS);
        w->cell[w->y[s]][w->x[s]] = (uint8_t)(s + 1);
    }
    w->tick++;
}

/* The world as bytes, the same on every machine: tick (u32, big-endian),
 * in, x, y, dir (a byte a slot each), the cells row by row. */
#define WORLD_LEN (4 + 4 * SLOTS + ROWS * COLS)

static void encode(const struct world *w, uint8_t *b)
{
    put32(b, w->tick);
    memcpy(b + 4, w->in, SLOTS), memcpy(b + 4 + SLOTS, w->x, SLOTS);
    memcpy(b + 4 + 2 * SLOTS, w->y, SLOTS), memcpy(b + 4 + 3 * SLOTS, w->dir, SLOTS);
    memcpy(b + 4 + 4 * SLOTS, w->cell, ROWS * COLS);
}

static void decode(const uint8_t *b, struct world *w)
{
    w->tick = get32(b);
    memcpy(w->in, b + 4, SLOTS), memcpy(w->x, b + 4 + SLOTS, SLOTS);
    memcpy(w->y, b + 4 + 2 * SLOTS, SLOTS), memcpy(w->dir, b + 4 + 3 * SLOTS, SLOTS);
    memcpy(w->cell, b + 4 + 4 * SLOTS, ROWS * COLS);
}

/* FNV-1a of the world's bytes. */
static uint64_t sum_of(const struct world *w)
{
    uint8_t b[WORLD_LEN];
    encode(w, b);
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < sizeof b; i++)
        h = (h ^ b[i]) * 1099511628211ull;
    return h;
}

/* ---- the terminal ---- */

static void tty_restore(void)
{
    if (tty_raw) {
        tcsetattr(STDIN_FILENO, TCSANOW, &saved_tty);
        fputs("\x1b[?25h\n", stdout);
        tty_raw = 0;
    }
}

static int tty_open(void)
{
    struct termios raw;
    if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &saved_tty) != 0)
        return -1;
    raw = saved_tty;
    raw.c_lflag &= (tcflag_t)~(ICANON | ECHO);
    raw.c_cc[VMIN] = 0, raw.c_cc[VTIME] = 0;
    if (tcsetattr(STDIN_FILENO, TCSANOW, &raw) != 0)
        return -1;
    tty_raw = 1;
    fputs("\x1b[2J\x1b[?25l", stdout);
    return 0;
}

static void draw(const struct world *w, int32_t me)
{
    static const char *colour[SLOTS + 1] = {"0", "41", "42", "43", "44"};
    printf("\x1b[H");
    for (int row = 0; row < ROWS; row++) {
        for (int col = 0; col < COLS; col++) {
            int head = -1;
            for (int s = 0; s < SLOTS; s++)
                if (w->in[s] && w->x[s] == col && w->y[s] == row)
                    head = s;
            printf("\x1b[%sm%s", colour[w->cell[row][col]], head >= 0 ? "@@" : "  ");
        }
        printf("\x1b[0m\x1b[K\n");
    }
    printf("tick %u, slot %d  arrows/WASD turn, q quits\x1b[K\n", (unsigned)w->tick, (int)me);
    fflush(stdout);
}

/* A key's input: 1 up, 2 down, 3 right, 4 left; q stops. */
static uint8_t key(int c)
{
    switch (c) {
    case 'w': case 'A': return 1; /* "A": the end of ESC [ A */
    case 's': case 'B': return 2;
    case 'd': case 'C': return 3;
    case 'a': case 'D': return 4;
    case 'q': stop = 1; return 0;
    default: return 0;
    }
}

/* ---- the session ---- */

struct args {
    const char *host, *port, *room, *name, *key_file;
    double auto_s;      /* --auto: seconds (0: no limit); < 0: keys from the terminal */
    long until;         /* --until: the last tick (< 0: none) */
    long snap_every;    /* --snap-every: ticks between snapshots */
    bool spectator, udp;
};

static int usage(const char *prog, const char *why)
{
    if (why) {
        fprintf(stderr, "trails: %s (%s --help)\n", why, prog);
        return 2;
    }
    printf("usage: %s [--auto SECONDS] [--until TICK] [--key-file FILE] [--spectator]\n"
           "          [--udp] [--snap-every TICKS] [--name NAME] HOST PORT [ROOM]\n"
           "  trails on a terminal grid through a ricochet relay's lockstep room (ROOM:\n"
           "  trails); arrows or WASD turn, q quits. --auto plays by itself, without a\n"
           "  terminal, for SECONDS (0: no limit); --until stops after frame TICK, saying\n"
           "  the world's sum; --key-file keeps my player's key, to come back to my slot;\n"
           "  --spectator watches; --udp joins over plain UDP (the relay's udp edge, or\n"
           "  ricochet-replay, which plays a kept log back); --snap-every: ticks between\n"
           "  the snapshots a late joiner loads (default 200).\n",
           prog);
    return 0;
}

static int parse(int argc, char **argv, struct args *a)
{
    static const struct option opts[] = {{"auto", required_argument, NULL, 'a'},
                                         {"until", required_argument, NULL, 'u'},
                                         {"key-file", required_argument, NULL, 'k'},
                                         {"spectator", no_argument, NULL, 's'},
                                         {"udp", no_argument, NULL, 'p'},
                                         {"snap-every", required_argument, NULL, 'e'},
                                         {"name", required_argument, NULL, 'n'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    int o;
    char *end;
    *a = (struct args){.room = "trails", .auto_s = -1, .until = -1, .snap_every = 200};
    opterr = 0;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (o == 'h')
            return usage(argv[0], NULL);
        if (o == 'a' && ((a->auto_s = strtod(optarg, &end)) < 0 || *end || end == optarg))
            return usage(argv[0], "--auto: a number of seconds, 0 or more");
        if (o == 'u' && ((a->until = strtol(optarg, &end, 10)) < 0 || *end || end == optarg))
            return usage(argv[0], "--until: a tick, 0 or more");
        if (o == 'e' && ((a->snap_every = strtol(optarg, &end, 10)) < 1 || *end ||
                         end == optarg))
            return usage(argv[0], "--snap-every: a number of ticks, 1 or more");
        if (o == 'k')
            a->key_file = optarg;
        if (o == 's')
            a->spectator = true;
        if (o == 'p')
            a->udp = true;
        if (o == 'n')
            a->name = optarg;
        if (o == '?')
            return usage(argv[0], "an unknown option, or one without its value");
    }
    if (argc - optind < 2 || argc - optind > 3)
        return usage(argv[0], "HOST and PORT, then the room if not \"trails\"");
    a->host = argv[optind], a->port = argv[optind + 1];
    if (argc - optind == 3)
        a->room = argv[optind + 2];
    return -1;
}

static struct ricochet *join(const struct args *a)
{
    char name[RICOCHET_NAME_MAX + 1], err[256], saved[64] = "";
    snprintf(name, sizeof name, "%.20s-%d", getenv("USER") ? getenv("USER") : "p", (int)getpid());
    FILE *f = a->key_file ? fopen(a->key_file, "r") : NULL;
    if (f) { /* a key saved by an earlier run: I come back as that player */
        if (!fgets(saved, sizeof saved, f))
            saved[0] = '\0';
        saved[strcspn(saved, "\n")] = '\0';
        fclose(f);
    }
    struct ricochet_lockstep ls;
    ricochet_lockstep_defaults(&ls);
    ls.hz = HZ, ls.delay = DELAY, ls.slots = SLOTS, ls.input_max = 1;
    ls.check_every = CHECK_EVERY;
    struct ricochet_config *cfg = ricochet_config_new();
    struct ricochet *r = NULL;
    if (cfg && ricochet_config_set_relay(cfg, a->host, (uint16_t)atoi(a->port)) == 0 &&
        ricochet_config_set_room(cfg, a->room) == 0 &&
        ricochet_config_set_name(cfg, a->name ? a->name : name) == 0 &&
        ricochet_config_set_lockstep(cfg, &ls) == 0 &&
        ricochet_config_set_spectator(cfg, a->spectator) == 0 &&
        (!a->udp || ricochet_config_set_mode(cfg, RICOCHET_MODE_UDP) == 0) &&
        (!saved[0] || ricochet_config_set_key(cfg, saved) == 0))
        r = ricochet_connect(cfg, err, sizeof err);
    else
        snprintf(err, sizeof err, "%s", cfg ? ricochet_config_error(cfg) : "out of memory");
    ricochet_config_free(cfg);
    if (!r)
        fprintf(stderr, "trails: %s\n", err);
    return r;
}

/* What a session is at: welcomed, the kept events still to come, asked. */
struct game {
    struct ricochet *r;
    struct world w;
    int32_t slot;
    uint32_t kept;          /* kept events still to come after the welcome */
    bool welcomed, asked, say;
    uint32_t sent;          /* the tick after my newest input */
    uint8_t want;           /* my next input */
    long until;
    uint32_t snap_every;
};

static void save_key(const struct args *a, struct ricochet *r)
{
    FILE *f = a->key_file ? fopen(a->key_file, "w") : NULL;
    if (a->key_file && (!f || fprintf(f, "%s\n", ricochet_key(r)) < 0))
        fprintf(stderr, "trails: --key-file %s: %s\n", a->key_file, strerror(errno));
    if (f)
        fclose(f);
}

/* A snapshot kept in the room: loaded, if it is one of ours. */
static void load(struct game *g, const uint8_t *b, size_t n)
{
    if (n != WORLD_LEN)
        return;
    decode(b, &g->w);
    if (g->say)
        printf("trails: snapshot loaded, from tick %u on\n", (unsigned)g->w.tick);
}

/* The frames from after the snapshot, once every kept event came. */
static void ask(struct game *g)
{
    if (g->asked || !g->welcomed || g->kept)
        return;
    g->asked = ricochet_lockstep_from(g->r, g->w.tick) == RICOCHET_OK;
    g->sent = g->w.tick;
}

/* My slot is the lowest held: I keep the snapshot. */
static bool keeper(const struct game *g)
{
    for (int32_t s = 0; s < g->slot; s++)
        if (g->w.in[s])
            return false;
    return g->slot >= 0;
}

static void on_frame(struct game *g)
{
    apply(&g->w, g->r);
    uint32_t t = g->w.tick - 1;
    if (t % CHECK_EVERY == 0)
        ricochet_send_check(g->r, t, sum_of(&g->w));
    if (t % g->snap_every == 0 && keeper(g)) {
        uint8_t b[WORLD_LEN];
        encode(&g->w, b);
        ricochet_send_kept(g->r, SNAP_KEY, b, sizeof b, RICOCHET_KEEP_STAY);
    }
    if (g->until >= 0 && t == (uint32_t)g->until) {
        printf("trails: tick %u sum %016llx\n", (unsigned)t,
               (unsigned long long)sum_of(&g->w));
        stop = 1;
    }
}

/* Events until none is waiting. Returns 0, or 1 if the session ended. */
static int events(struct game *g, const struct args *a)
{
    struct ricochet_event ev;
    int got;
    while (!stop && (got = ricochet_poll(g->r, 0, &ev)) == 1) {
        switch (ev.type) {
        case RICOCHET_EV_WELCOME:
            g->welcomed = true;
            ricochet_lockstep(g->r, NULL, &g->slot, &g->kept);
            save_key(a, g->r);
            if (g->say)
                printf("trails: slot %d, %u kept events\n", (int)g->slot, (unsigned)g->kept);
            break;
        case RICOCHET_EV_EVENT:
            if (strcmp(ev.code, "kept") == 0 && g->kept && !g->asked) {
                size_t n;
                const uint8_t *b = ricochet_event_bytes(g->r, &n);
                if (strcmp(ricochet_event_key(g->r), SNAP_KEY) == 0)
                    load(g, b, n);
                g->kept--;
            }
            break;
        case RICOCHET_EV_FRAME:
            if (ev.id == g->w.tick)
                on_frame(g);
            break;
        case RICOCHET_EV_DESYNC:
            fprintf(stderr, "trails: the relay says worlds differ at tick %u\n",
                    (unsigned)ev.id);
            break;
        case RICOCHET_EV_DISCONNECTED:
            fprintf(stderr, "trails: %s\n", ricochet_end_reason(g->r));
            return 1;
        default:
            break;
        }
        ask(g);
    }
    return got < 0 ? 1 : 0;
}

/* My input for the tick I aim at, once per tick. */
static void play(struct game *g)
{
    if (!g->asked || g->slot < 0)
        return;
    uint32_t t = ricochet_lockstep_aim(g->r);
    if (t < g->sent)
        return;
    if (g->say && rand() % 8 == 0)
        g->want = (uint8_t)(1 + rand() % 4);
    if (ricochet_send_input(g->r, t, &g->want, 1) == RICOCHET_OK) {
        g->sent = t + 1;
        g->want = 0;
    }
}

int main(int argc, char **argv)
{
    struct args a;
    int rc = parse(argc, argv, &a);
    if (rc >= 0)
        return rc;
    static struct game g;
    g.slot = -1, g.until = a.until, g.snap_every = (uint32_t)a.snap_every;
    g.say = a.auto_s >= 0;
    if (g.say) /* each line as it is said, whoever reads (and kills) me */
        setvbuf(stdout, NULL, _IOLBF, 0);
    if (!(g.r = join(&a)))
        return 1;
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    srand((unsigned)getpid());
    if (!g.say && tty_open() != 0) {
        fprintf(stderr, "trails: stdin is no terminal (--auto SECONDS plays by itself)\n");
        ricochet_close(g.r);
        return 1;
    }
    uint64_t start = ricochet_now_us();
    int status = 0;
    while (!stop && (a.auto_s <= 0 || ricochet_now_us() - start < (uint64_t)(a.auto_s * 1e6))) {
        struct pollfd fds[2] = {{ricochet_fd(g.r), POLLIN, 0}, {STDIN_FILENO, POLLIN, 0}};
        poll(fds, g.say ? 1 : 2, 5);
        char c;
        while (!g.say && read(STDIN_FILENO, &c, 1) == 1)
            if ((c = (char)key(c)) != 0)
                g.want = (uint8_t)c;
        if ((status = events(&g, &a)) != 0)
            break;
        play(&g);
        if (!g.say)
            draw(&g.w, g.slot);
    }
    tty_restore();
    if (g.until >= 0 && g.w.tick <= (uint32_t)g.until) {
        fprintf(stderr, "trails: stopped at tick %u, before tick %ld\n", (unsigned)g.w.tick,
                g.until);
        status = 1;
    }
    ricochet_close(g.r);
    return status;
}
