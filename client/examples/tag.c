/* tag.c: tag on a terminal grid, a small game on libricochet.
 *
 * Whoever is "it" (drawn in reverse video) chases the others; touching one
 * tags it: "it" passes on, and the tagger scores a point. No tag-backs for
 * two seconds. Each player's colour, score and whether it is "it" travel in
 * its state's payload; a tag is an event, reliable and stamped by the
 * relay with its sender. The relay only forwards: each player sees the
 * others where their latest states put them, so a player far away on the
 * network sees the chase late, and is touched where the chaser saw it.
 *
 * The game's bytes (docs/library.md, "A game: tag"), integers big-endian:
 *   payload, 13 bytes: version 1, flags (bit 0: I am it), colour R, G, B,
 *     score (u32), hand-off (u32: how many times "it" passed, as I know it)
 *   tag event, 10 bytes: version 1, kind 1, the tagged id (u32), the
 *     hand-off it makes (u32: one more than the tagger knew)
 * A longer payload or event of version 1 is read for these bytes; another
 * version, or a shorter one, is ignored: the page at the relay's /tag
 * plays by the same bytes and rules.
 *
 * A room whose prop script is "tag" has a referee: the relay runs
 * examples/scripts/tag.lua (docs/scripts.md). Its word comes from sender
 * 4294967295: a state too far from the last for its time (a teleport) is
 * corrected to the speed limit, and the room says "fix ID X Y" to every
 * member; the player so corrected goes on from X, Y, the others say where
 * they see it next. The room keeps "it" (the id it says is "it"), said as
 * it changes. --script tag asks for it in the room my join makes;
 * --teleport SECONDS (or t) jumps once to the far corner, for the room to
 * correct.
 *
 * Build: cc tag.c $(pkg-config --cflags --libs ricochet) -lm
 * Play:  ./tag HOST PORT [ROOM]            arrows or WASD move, q quits
 *        (--name NAME, --colour RRGGBB: yours; default: from the pid)
 * Watch: ./tag --auto 20 HOST PORT ROOM   plays by itself for 20 s (0: until
 *        SIGINT), no terminal needed, says each tag as it happens, then
 *        the score
 * Refereed: ./tag --script tag HOST PORT ROOM (t, or --teleport SECONDS:
 *        a jump the room corrects) */
#define _GNU_SOURCE /* getopt_long */

#include <ctype.h>
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

#define COLS 50             /* the grid: 100 x 100 arena units in 50 x 25 cells */
#define ROWS 25
#define TOUCH 3.0f          /* arena units: closer than this is a touch */
#define SPEED 25.0f         /* arena units per second */
#define AUTO_SPEED 20.0f    /* --auto: the runners, */
#define AUTO_IT_SPEED 40.0f /* ... and "it", twice as fast */
#define NO_TAG_BACK_US 2000000u
#define ELECT_US 1000000u   /* "it" unknown this long: the lowest id takes it */
#define SEND_US 50000u      /* 20 states a second */

#define TAG_VERSION 1
#define TAG_PAYLOAD_LEN 13
#define TAG_EVENT_LEN 10
#define TAG_KIND_TAG 1
#define TAG_FLAG_IT 0x01
#define ROOM_SENDER 4294967295u /* the room's own word: its script's (docs/scripts.md) */

/* What a player's newest payload says. */
struct player {
    uint32_t id;            /* 0: a free slot */
    uint32_t seq;           /* the state it came with: only a newer one replaces it */
    unsigned char rgb[3];
    uint32_t score, handoff;
    bool it;
};

struct game {
    struct ricochet *r;
    uint32_t me, it;        /* ids; it 0: not known */
    uint32_t handoff;       /* hand-offs of "it" so far, as I know it */
    uint64_t unknown_since; /* when "it" became unknown */
    uint64_t frozen_until;  /* "it" tags no one before this */
    float x, y, dx, dy;     /* my position and direction */
    unsigned char rgb[3];
    uint32_t score;         /* my tags */
    unsigned tags;          /* tags seen, mine included */
    uint32_t said;          /* the hand-off of the last tag seen */
    bool say;               /* --auto: tags as lines on stdout */
    uint32_t fixed;         /* the room corrected this member: where I see it next is said */
    uint32_t room_it;       /* who the room says is "it" (0: it says nothing) */
    uint64_t teleport_at;   /* --teleport: when I jump (0: never, or done) */
    struct player p[RICOCHET_MEMBERS_MAX];
    struct ricochet_member m[RICOCHET_MEMBERS_MAX];
    size_t n;               /* members, copied each frame */
};

static volatile sig_atomic_t stop;
static struct termios saved_tty;
static int tty_raw;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static void put32(unsigned char *b, uint32_t v)
{
    b[0] = (unsigned char)(v >> 24), b[1] = (unsigned char)(v >> 16);
    b[2] = (unsigned char)(v >> 8), b[3] = (unsigned char)v;
}

static uint32_t get32(const unsigned char *b)
{
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* ---- the players' payloads ---- */

static struct player *player(struct game *g, uint32_t id, bool add)
{
    struct player *free_slot = NULL;
    for (size_t i = 0; i < RICOCHET_MEMBERS_MAX; i++) {
        if (g->p[i].id == id)
            return &g->p[i];
        if (!g->p[i].id && !free_slot)
            free_slot = &g->p[i];
    }
    if (!add || !free_slot)
        return NULL;
    memset(free_slot, 0, sizeof *free_slot);
    free_slot->id = id;
    return free_slot;
}

/* "it" changes hands: hand-off number n. */
static void set_it(struct game *g, uint32_t id, uint32_t n, uint64_t now)
{
    if (id != g->it)
        g->frozen_until = now + NO_TAG_BACK_US;
    g->it = id;
    g->handoff = n;
}

/* A member's state came with bytes: if they are a payload of ours, they
 * are its newest, and a claim to be "it" that is news to me is taken. */
static void on_payload(struct game *g, const struct ricochet_event *ev, const unsigned char *b,
                       size_t len, uint64_t now)
{
    if (len < TAG_PAYLOAD_LEN || b[0] != TAG_VERSION)
        return;
    struct player *p = player(g, ev->id, true);
    if (!p || (p->seq && (int32_t)(ev->state.seq - p->seq) <= 0))
        return;
    p->seq = ev->state.seq;
    p->it = b[1] & TAG_FLAG_IT;
    memcpy(p->rgb, b + 2, 3);
    p->score = get32(b + 5);
    p->handoff = get32(b + 9);
    if (p->it && ((int32_t)(p->handoff - g->handoff) > 0 ||
                  (p->handoff == g->handoff && (!g->it || p->id < g->it))))
        set_it(g, p->id, p->handoff, now);
}

/* A tag seen: counted, and said with --auto. */
static void seen(struct game *g, uint32_t from, uint32_t tagged, uint32_t n)
{
    g->tags++;
    g->said = n;
    if (g->say)
        printf("tag: #%u tagged #%u (hand-off %u)\n", (unsigned)from, (unsigned)tagged,
               (unsigned)n);
}

/* A tag event from another player: taken if its hand-off is news (the
 * tagged one's payload may have told it first: then it is only seen). */
static void on_tag(struct game *g, uint32_t from, const unsigned char *b, size_t len,
                   uint64_t now)
{
    if (len < TAG_EVENT_LEN || b[0] != TAG_VERSION || b[1] != TAG_KIND_TAG)
        return;
    uint32_t tagged = get32(b + 2), n = get32(b + 6);
    if ((int32_t)(n - g->handoff) < 0 || (int32_t)(n - g->said) <= 0)
        return; /* I know of a later hand-off */
    if (n != g->handoff)
        set_it(g, tagged, n, now);
    seen(g, from, tagged, n);
}

/* I tag member id: the event to the room, then "it" is theirs. */
static void tag(struct game *g, uint32_t id, uint64_t now)
{
    unsigned char b[TAG_EVENT_LEN] = {TAG_VERSION, TAG_KIND_TAG};
    put32(b + 2, id);
    put32(b + 6, g->handoff + 1);
    if (ricochet_send_event(g->r, RICOCHET_TO_ROOM, b, sizeof b) != RICOCHET_OK)
        return;
    set_it(g, id, g->handoff + 1, now);
    g->score++;
    seen(g, g->me, id, g->handoff);
}

/* "it" unknown for ELECT_US: the lowest id of the room takes it (every
 * player works that out alike; the winner's payload tells newcomers). */
static void elect(struct game *g, uint64_t now)
{
    if (g->it || now - g->unknown_since < ELECT_US)
        return;
    uint32_t lowest = g->me;
    for (size_t i = 0; i < g->n; i++)
        if (g->m[i].id < lowest && g->m[i].name[0])
            lowest = g->m[i].id;
    set_it(g, lowest, g->handoff + 1, now);
}

/* The room's word: a correction ("fix ID X Y"), or who is "it" (kept). */
static void on_room_word(struct game *g, const unsigned char *b, size_t len)
{
    char text[64];
    unsigned id;
    float x, y;
    snprintf(text, sizeof text, "%.*s", (int)(len < sizeof text ? len : sizeof text - 1),
             b ? (const char *)b : "");
    if (!strcmp(ricochet_event_key(g->r), "it") && sscanf(text, "%u", &id) == 1) {
        if (g->say && id != g->room_it)
            printf("tag: the room says #%u is it\n", id);
        g->room_it = id;
    } else if (sscanf(text, "fix %u %f %f", &id, &x, &y) == 3 && isfinite(x) && isfinite(y)) {
        if (g->say)
            printf("tag: the room corrected #%u to (%.2f, %.2f)\n", id, x, y);
        if (id == g->me) /* the room's word: I go on from there */
            g->x = x, g->y = y;
        else
            g->fixed = id;
    }
}

static void on_event(struct game *g, const struct ricochet_event *ev, uint64_t now)
{
    size_t len;
    const unsigned char *b = ricochet_event_bytes(g->r, &len);
    struct player *p;
    switch (ev->type) {
    case RICOCHET_EV_WELCOME:
        g->me = ev->id;
        g->it = 0;
        g->unknown_since = now;
        if (g->say)
            printf("tag: joined as #%u, colour #%02x%02x%02x\n", (unsigned)g->me, g->rgb[0],
                   g->rgb[1], g->rgb[2]);
        break;
    case RICOCHET_EV_STATE:
        if (ev->id == g->fixed && g->say)
            printf("tag: #%u seen at (%.2f, %.2f)\n", (unsigned)ev->id, ev->state.x, ev->state.y);
        g->fixed = ev->id == g->fixed ? 0 : g->fixed;
        on_payload(g, ev, b, len, now);
        break;
    case RICOCHET_EV_EVENT:
        if (ev->id == ROOM_SENDER)
            on_room_word(g, b, len);
        else
            on_tag(g, ev->id, b, len, now);
        break;
    case RICOCHET_EV_LEFT:
    case RICOCHET_EV_VANISHED:
        if ((p = player(g, ev->id, false)))
            p->id = 0;
        if (ev->id == g->it)
            g->it = 0, g->unknown_since = now;
        break;
    default:
        break;
    }
}

/* ---- moving ---- */

/* --auto: "it" heads for the nearest player, the others away from "it". */
static void steer(struct game *g)
{
    const struct ricochet_member *target = NULL;
    float best = 1e9f;
    for (size_t i = 0; i < g->n; i++) {
        const struct ricochet_member *o = &g->m[i];
        float d = hypotf(o->last.x - g->x, o->last.y - g->y);
        if (o->has_state && (g->it == g->me ? d < best : o->id == g->it))
            best = d, target = o;
    }
    if (!target)
        return;
    float vx = target->last.x - g->x, vy = target->last.y - g->y, len = hypotf(vx, vy);
    float sign = g->it == g->me ? 1.0f : -1.0f;
    if (len > 0.01f)
        g->dx = sign * vx / len, g->dy = sign * vy / len;
}

/* Moves me for dt seconds, bouncing off the walls; as "it", tags whoever
 * I touch. */
static void move(struct game *g, double dt, float speed, uint64_t now)
{
    g->x += (float)(g->dx * speed * dt);
    g->y += (float)(g->dy * speed * dt);
    if (g->x < 0 || g->x > 100)
        g->dx = -g->dx, g->x = g->x < 0 ? -g->x : 200 - g->x;
    if (g->y < 0 || g->y > 100)
        g->dy = -g->dy, g->y = g->y < 0 ? -g->y : 200 - g->y;
    if (g->it != g->me || now < g->frozen_until)
        return;
    for (size_t i = 0; i < g->n; i++)
        if (g->m[i].has_state && hypotf(g->m[i].last.x - g->x, g->m[i].last.y - g->y) < TOUCH) {
            tag(g, g->m[i].id, now);
            return;
        }
}

/* My state, and in its payload my colour, score and whether I am "it". */
static void send(struct game *g)
{
    struct ricochet_state s = {.x = g->x, .y = g->y, .vx = g->dx * SPEED, .vy = g->dy * SPEED,
                               .heading = atan2f(g->dy, g->dx)};
    unsigned char b[TAG_PAYLOAD_LEN] = {TAG_VERSION, g->it == g->me ? TAG_FLAG_IT : 0,
                                        g->rgb[0], g->rgb[1], g->rgb[2]};
    put32(b + 5, g->score);
    put32(b + 9, g->handoff);
    ricochet_send_state_payload(g->r, &s, b, sizeof b);
}

/* ---- the terminal ---- */

static void tty_restore(void)
{
    if (tty_raw) {
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_tty);
        fputs("\x1b[?25h\x1b[0m\n", stdout); /* cursor back, colours off */
        tty_raw = 0;
    }
}

/* Keys one at a time, no echo; the screen cleared and the cursor hidden. */
static int tty_open(void)
{
    struct termios t;
    if (tcgetattr(STDIN_FILENO, &saved_tty) != 0)
        return -1;
    t = saved_tty;
    t.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
    t.c_cc[VMIN] = 0;
    t.c_cc[VTIME] = 0;
    if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &t) != 0)
        return -1;
    tty_raw = 1;
    atexit(tty_restore);
    fputs("\x1b[2J\x1b[?25l", stdout);
    return 0;
}

/* A cell: a letter in a player's colour, reversed for "it". */
struct cell {
    char c;
    unsigned char rgb[3];
    bool it;
};

/* A player's letter on the grid: its name's first, if that is a letter or
 * digit of ASCII (a name in Hangul starts with a byte of three: '?'). */
static char glyph(const char *name)
{
    return isalnum((unsigned char)name[0]) && (unsigned char)name[0] < 0x80 ? name[0] : '?';
}

static void put(struct cell grid[ROWS][COLS], float x, float y, char c,
                const unsigned char rgb[3], bool it)
{
    int col = (int)(x / 100.0f * (COLS - 1) + 0.5f), row = (int)(y / 100.0f * (ROWS - 1) + 0.5f);
    if (col >= 0 && col < COLS && row >= 0 && row < ROWS)
        grid[row][col] = (struct cell){c, {rgb[0], rgb[1], rgb[2]}, it};
}

static size_t paint(char *out, size_t cap, const struct cell *c)
{
    if (c->c == '.')
        return (size_t)snprintf(out, cap, "\x1b[0m.");
    return (size_t)snprintf(out, cap, "\x1b[0;%s38;2;%u;%u;%um%c", c->it ? "7;" : "", c->rgb[0],
                            c->rgb[1], c->rgb[2], c->c);
}

/* One frame in one write: the grid, then who is who, their scores. */
static void draw(struct game *g)
{
    static char out[65536];
    static const unsigned char grey[3] = {128, 128, 128};
    struct cell grid[ROWS][COLS];
    size_t len = 0;
    for (int row = 0; row < ROWS; row++)
        for (int col = 0; col < COLS; col++)
            grid[row][col] = (struct cell){'.', {0, 0, 0}, false};
    for (size_t i = 0; i < g->n; i++) {
        const struct player *p = player(g, g->m[i].id, false);
        if (g->m[i].has_state)
            put(grid, g->m[i].last.x, g->m[i].last.y, glyph(g->m[i].name),
                p ? p->rgb : grey, g->m[i].id == g->it);
    }
    put(grid, g->x, g->y, '@', g->rgb, g->it == g->me);
    len += (size_t)snprintf(out + len, sizeof out - len, "\x1b[H");
    for (int row = 0; row < ROWS; row++) {
        for (int col = 0; col < COLS; col++)
            len += paint(out + len, sizeof out - len, &grid[row][col]);
        len += (size_t)snprintf(out + len, sizeof out - len, "\x1b[0m\x1b[K\n");
    }
    len += (size_t)snprintf(out + len, sizeof out - len,
                            "%s #%u, score %u  arrows/WASD move, t teleports, q quits\x1b[K\n",
                            g->it == g->me ? "\x1b[7mYOU ARE IT\x1b[0m" : "you are",
                            (unsigned)g->me, (unsigned)g->score);
    if (g->room_it)
        len += (size_t)snprintf(out + len, sizeof out - len, "the room says #%u is it\x1b[K\n",
                                (unsigned)g->room_it);
    for (size_t i = 0; i < g->n && len < sizeof out - 300; i++) {
        const struct player *p = player(g, g->m[i].id, false);
        const unsigned char *rgb = p ? p->rgb : grey;
        len += (size_t)snprintf(out + len, sizeof out - len,
                                "\x1b[%s38;2;%u;%u;%um%c #%-4u %-16s score %-4u late by %5.1f ms"
                                "\x1b[0m\x1b[K\n", g->m[i].id == g->it ? "7;" : "", rgb[0],
                                rgb[1], rgb[2], glyph(g->m[i].name),
                                (unsigned)g->m[i].id, g->m[i].name,
                                p ? (unsigned)p->score : 0u,
                                g->m[i].stats.latency_mean_us / 1000.0);
    }
    fputs("\x1b[J", stdout);
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
    case 't': g->teleport_at = 1; break;
    case 'q': stop = 1; break;
    default: break;
    }
}

/* A jump to the far corner, for the room's referee to correct. */
static void teleport(struct game *g)
{
    float x = g->x < 50 ? 95.0f : 5.0f, y = g->y < 50 ? 95.0f : 5.0f;
    if (g->say)
        printf("tag: #%u teleports from (%.2f, %.2f) to (%.2f, %.2f)\n", (unsigned)g->me, g->x,
               g->y, x, y);
    g->x = x, g->y = y;
    g->teleport_at = 0;
}

/* ---- the session ---- */

struct args {
    const char *host, *port, *room, *name, *script;
    double auto_s;          /* --auto: seconds (0: until a signal); < 0: not auto */
    double teleport_s;      /* --teleport: seconds after the start (< 0: never) */
    unsigned char rgb[3];
    bool rgb_set;
};

/* --help, or one line saying what is wrong (exit 2). */
static int usage(const char *prog, const char *why)
{
    if (why) {
        fprintf(stderr, "tag: %s (%s --help)\n", why, prog);
        return 2;
    }
    printf("usage: %s [--auto SECONDS] [--name NAME] [--colour RRGGBB] [--script NAME]\n"
           "          [--teleport SECONDS] HOST PORT [ROOM]\n"
           "  tag on a terminal grid through a ricochet relay (ROOM: tag); arrows or WASD\n"
           "  move, t teleports, q quits. --auto plays by itself, without a terminal, for\n"
           "  SECONDS (0: until SIGINT), saying each tag, then the score. --script tag: the\n"
           "  room my join makes has the relay's referee (examples/scripts/tag.lua), which\n"
           "  corrects a teleport to its speed limit; --teleport jumps once, SECONDS in.\n",
           prog);
    return 0;
}

/* The command line into *a. Returns -1 to go on, else the exit status. */
static int parse(int argc, char **argv, struct args *a)
{
    static const struct option opts[] = {{"auto", required_argument, NULL, 'a'},
                                         {"name", required_argument, NULL, 'n'},
                                         {"colour", required_argument, NULL, 'c'},
                                         {"help", no_argument, NULL, 'h'},
                                         {"script", required_argument, NULL, 's'},
                                         {"teleport", required_argument, NULL, 't'},
                                         {NULL, 0, NULL, 0}};
    int o;
    unsigned rgb;
    char *end;
    *a = (struct args){.room = "tag", .auto_s = -1, .teleport_s = -1};
    opterr = 0;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (o == 'h')
            return usage(argv[0], NULL);
        if (o == 'a' && ((a->auto_s = strtod(optarg, &end)) < 0 || *end || end == optarg))
            return usage(argv[0], "--auto: a number of seconds, 0 or more");
        if (o == 't' && ((a->teleport_s = strtod(optarg, &end)) < 0 || *end || end == optarg))
            return usage(argv[0], "--teleport: a number of seconds, 0 or more");
        if (o == 'n')
            a->name = optarg;
        if (o == 's')
            a->script = optarg;
        if (o == 'c' && (strlen(optarg) != 6 || sscanf(optarg, "%6x", &rgb) != 1 ||
                         strspn(optarg, "0123456789abcdefABCDEF") != 6))
            return usage(argv[0], "--colour: six hex digits, RRGGBB");
        if (o == 'c')
            a->rgb[0] = (unsigned char)(rgb >> 16), a->rgb[1] = (unsigned char)(rgb >> 8),
            a->rgb[2] = (unsigned char)rgb, a->rgb_set = true;
        if (o == '?')
            return usage(argv[0], "an unknown option, or one without its value");
    }
    if (argc - optind < 2 || argc - optind > 3)
        return usage(argv[0], "HOST and PORT, then the room if not \"tag\"");
    a->host = argv[optind], a->port = argv[optind + 1];
    if (argc - optind == 3)
        a->room = argv[optind + 2];
    return -1;
}

static struct ricochet *join(const struct args *a)
{
    char name[RICOCHET_NAME_MAX + 1], err[256];
    /* a name in any script (--name 민수); by default USER-PID */
    snprintf(name, sizeof name, "%.20s-%d", getenv("USER") ? getenv("USER") : "p", (int)getpid());
    struct ricochet_config *cfg = ricochet_config_new();
    struct ricochet *r = NULL;
    if (cfg && ricochet_config_set_relay(cfg, a->host, (uint16_t)atoi(a->port)) == 0 &&
        ricochet_config_set_room(cfg, a->room) == 0 &&
        ricochet_config_set_name(cfg, a->name ? a->name : name) == 0 &&
        (!a->script || ricochet_config_set_room_prop(cfg, "script", a->script) == 0))
        r = ricochet_connect(cfg, err, sizeof err);
    else /* the setter's words: "name 'a\x1b': a name may not hold control characters ..." */
        snprintf(err, sizeof err, "%s", cfg ? ricochet_config_error(cfg) : "out of memory");
    ricochet_config_free(cfg);
    if (!r)
        fprintf(stderr, "tag: %s\n", err);
    return r;
}

/* The score, as --auto says it at the end. */
static void summary(struct game *g)
{
    printf("tag: #%u score %u, #%u is it after %u hand-offs, %u tags seen\n", (unsigned)g->me,
           (unsigned)g->score, (unsigned)g->it, (unsigned)g->handoff, g->tags);
    for (size_t i = 0; i < g->n; i++) {
        const struct player *p = player(g, g->m[i].id, false);
        if (p)
            printf("tag: player #%u %s score %u colour #%02x%02x%02x%s\n", (unsigned)p->id,
                   g->m[i].name, (unsigned)p->score, p->rgb[0], p->rgb[1], p->rgb[2],
                   p->id == g->it ? " it" : "");
    }
}

/* One turn: events, keys, moving, my state. Returns 0, or 1 if the
 * session ended. */
static int turn(struct game *g, bool auto_play, uint64_t *last, uint64_t *next_send)
{
    struct ricochet_event ev;
    struct pollfd fds[2] = {{ricochet_fd(g->r), POLLIN, 0}, {STDIN_FILENO, POLLIN, 0}};
    poll(fds, auto_play ? 1 : 2, 10);
    uint64_t now = ricochet_now_us();
    int got;
    while ((got = ricochet_poll(g->r, 0, &ev)) == 1 && ev.type != RICOCHET_EV_DISCONNECTED)
        on_event(g, &ev, now);
    if (got != 0) {
        fprintf(stderr, "tag: %s\n", ricochet_end_reason(g->r));
        return 1;
    }
    char c;
    while (!auto_play && read(STDIN_FILENO, &c, 1) == 1)
        key(g, c);
    size_t n = ricochet_members(g->r, g->m, RICOCHET_MEMBERS_MAX);
    g->n = n < RICOCHET_MEMBERS_MAX ? n : RICOCHET_MEMBERS_MAX;
    if (!ricochet_joined(g->r))
        return 0;
    elect(g, now);
    if (g->teleport_at && now >= g->teleport_at)
        teleport(g);
    if (auto_play)
        steer(g);
    move(g, (double)(now - *last) / 1e6,
         !auto_play ? SPEED : g->it == g->me ? AUTO_IT_SPEED : AUTO_SPEED, now);
    *last = now;
    if (now >= *next_send) {
        send(g);
        *next_send = now + SEND_US;
    }
    if (g->say)
        fflush(stdout);
    return 0;
}

int main(int argc, char **argv)
{
    struct args a;
    int rc = parse(argc, argv, &a);
    if (rc >= 0)
        return rc;
    static const unsigned char palette[][3] = {{214, 39, 40}, {44, 160, 44}, {184, 134, 11},
                                               {31, 119, 180}, {148, 103, 189}, {23, 190, 207}};
    struct game *g = calloc(1, sizeof *g);
    if (!g || !(g->r = join(&a)))
        return 1;
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    srand((unsigned)getpid());
    memcpy(g->rgb, a.rgb_set ? a.rgb : palette[getpid() % 6], 3);
    g->x = (float)(rand() % 100), g->y = (float)(rand() % 100), g->dx = 1;
    g->say = a.auto_s >= 0;
    if (!g->say && tty_open() != 0) {
        fprintf(stderr, "tag: stdin is no terminal (--auto SECONDS plays by itself)\n");
        return 1;
    }
    uint64_t start = ricochet_now_us(), last = start, next_send = start;
    if (a.teleport_s >= 0)
        g->teleport_at = start + (uint64_t)(a.teleport_s * 1e6) + 1;
    int status = 0;
    while (!stop && (a.auto_s <= 0 || ricochet_now_us() - start < (uint64_t)(a.auto_s * 1e6))) {
        if ((status = turn(g, g->say, &last, &next_send)) != 0)
            break;
        if (!g->say)
            draw(g);
    }
    tty_restore();
    summary(g);
    ricochet_close(g->r);
    free(g);
    return status;
}
