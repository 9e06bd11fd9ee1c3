/* tag.c: tag on a terminal grid, a small game on libricochet.
 *
 * Whoever is "it" (drawn in reverse video) chases the others; touching one
 * passes "it" on, with a chat line "it N" the relay forwards to the room.
 * The relay only forwards: each player sees the others where their latest
 * states put them, so a player far away on the network sees the chase
 * late, and is touched where the chaser saw it, not where it thinks it is.
 * No tag-backs for two seconds.
 *
 * Build: cc tag.c $(pkg-config --cflags --libs ricochet) -lm
 * Play:  ./tag HOST PORT [ROOM]            arrows or WASD move, q quits
 * Watch: ./tag HOST PORT ROOM --auto 20    plays by itself for 20 s, no
 *        terminal needed, then prints what happened */
#define _POSIX_C_SOURCE 200809L /* poll, termios, getpid */

#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <ricochet/ricochet.h>

#define COLS 50           /* the grid: 100 x 100 arena units in 50 x 25 cells */
#define ROWS 25
#define TOUCH 3.0f        /* arena units: closer than this is a touch */
#define SPEED 25.0f       /* arena units per second */
#define AUTO_SPEED 20.0f  /* --auto: the runners, */
#define AUTO_IT_SPEED 40.0f /* ... and "it", twice as fast */
#define NO_TAG_BACK_US 2000000u
#define SEND_US 50000u    /* 20 states a second */

struct game {
    struct ricochet *r;
    uint32_t me, it;      /* ids; it 0: not known yet */
    float x, y, dx, dy;   /* my position and direction (-1, 0, 1) */
    uint64_t frozen_until; /* no tagging before this (just tagged) */
    unsigned tags;        /* touches seen: "it" passed from one player to another */
    struct ricochet_member m[RICOCHET_MEMBERS_MAX];
    size_t n;             /* members, copied each frame */
};

static volatile sig_atomic_t stop;
static struct termios saved_tty;
static int tty_raw;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

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

/* Says to the room who is it now: "it N". From me about another player,
 * that is a touch (a tag); about myself, news for newcomers. */
static void say_it(struct game *g, uint32_t id, uint64_t now)
{
    char line[32];
    snprintf(line, sizeof line, "it %u", (unsigned)id);
    ricochet_send_chat(g->r, line);
    if (id != g->me)
        g->tags++;
    g->it = id;
    g->frozen_until = now + NO_TAG_BACK_US;
}

/* When "it" left, or on joining: the lowest id in the room takes it (every
 * player works that out alike; "it" tells a newcomer otherwise). */
static void elect(struct game *g, uint64_t now)
{
    uint32_t lowest = g->me;
    for (size_t i = 0; i < g->n; i++)
        if (g->m[i].id < lowest && g->m[i].name[0])
            lowest = g->m[i].id;
    if (lowest == g->me)
        say_it(g, g->me, now);
    else
        g->it = lowest;
}

static void on_event(struct game *g, const struct ricochet_event *ev, uint64_t now)
{
    switch (ev->type) {
    case RICOCHET_EV_WELCOME:
        g->me = ev->id;
        g->it = 0;
        break;
    case RICOCHET_EV_JOINED:
        if (g->it == g->me) /* tell the newcomer who is it */
            say_it(g, g->me, now);
        break;
    case RICOCHET_EV_LEFT:
        if (ev->id == g->it)
            g->it = 0;
        break;
    case RICOCHET_EV_CHAT: {
        unsigned id;
        if (sscanf(ev->text, "it %u", &id) != 1)
            break;
        if (id != ev->id) /* a touch: the sender passed it on */
            g->tags++;
        if (id != g->it)
            g->frozen_until = now + NO_TAG_BACK_US;
        g->it = id;
        break;
    }
    default:
        break; /* states: read from the member table each frame */
    }
}

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

/* Moves me for dt seconds, bouncing off the walls; tags whoever I touch. */
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
            say_it(g, g->m[i].id, now);
            return;
        }
}

static void put(char grid[ROWS][COLS], float x, float y, char c)
{
    int col = (int)(x / 100.0f * (COLS - 1) + 0.5f), row = (int)(y / 100.0f * (ROWS - 1) + 0.5f);
    if (col >= 0 && col < COLS && row >= 0 && row < ROWS)
        grid[row][col] = c;
}

/* One frame in one write: the grid, then who is who and how late. */
static void draw(const struct game *g)
{
    static char out[16384];
    char grid[ROWS][COLS];
    size_t len = 0;
    memset(grid, '.', sizeof grid);
    for (size_t i = 0; i < g->n; i++)
        if (g->m[i].has_state)
            put(grid, g->m[i].last.x, g->m[i].last.y, g->m[i].name[0] ? g->m[i].name[0] : '?');
    put(grid, g->x, g->y, '@');
    len += (size_t)snprintf(out + len, sizeof out - len, "\x1b[H");
    for (int row = 0; row < ROWS; row++)
        len += (size_t)snprintf(out + len, sizeof out - len, "%.*s\x1b[K\n", COLS, grid[row]);
    len += (size_t)snprintf(out + len, sizeof out - len,
                            "%s #%u (%s)  arrows/WASD move, q quits\x1b[K\n",
                            g->it == g->me ? "\x1b[7mYOU ARE IT\x1b[0m" : "you are",
                            (unsigned)g->me, ricochet_mode_name(ricochet_mode(g->r)));
    for (size_t i = 0; i < g->n && len < sizeof out - 200; i++)
        len += (size_t)snprintf(out + len, sizeof out - len,
                                "%s%c #%-4u %-16s late by %5.1f ms\x1b[0m\x1b[K\n",
                                g->m[i].id == g->it ? "\x1b[7m" : "",
                                g->m[i].name[0] ? g->m[i].name[0] : '?', (unsigned)g->m[i].id,
                                g->m[i].name, g->m[i].stats.latency_mean_us / 1000.0);
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
    case 'q': stop = 1; break;
    default: break;
    }
}

static struct ricochet *join(const char *host, const char *port, const char *room)
{
    char name[32], err[256];
    snprintf(name, sizeof name, "%s-%d", getenv("USER") ? getenv("USER") : "p", (int)getpid());
    for (char *p = name; *p; p++) /* names: [A-Za-z0-9_.-] */
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-", *p))
            *p = '_';
    struct ricochet_config *cfg = ricochet_config_new();
    struct ricochet *r = NULL;
    if (cfg && ricochet_config_set_relay(cfg, host, (uint16_t)atoi(port)) == 0 &&
        ricochet_config_set_room(cfg, room) == 0 && ricochet_config_set_name(cfg, name) == 0)
        r = ricochet_connect(cfg, err, sizeof err);
    else
        snprintf(err, sizeof err, "bad relay address or room name");
    ricochet_config_free(cfg);
    if (!r)
        fprintf(stderr, "tag: %s\n", err);
    return r;
}

int main(int argc, char **argv)
{
    double auto_s = argc > 5 && strcmp(argv[4], "--auto") == 0 ? atof(argv[5]) : 0;
    if (argc < 3) {
        fprintf(stderr, "usage: %s HOST PORT [ROOM [--auto SECONDS]]\n", argv[0]);
        return 2;
    }
    struct game *g = calloc(1, sizeof *g);
    if (!g || !(g->r = join(argv[1], argv[2], argc > 3 ? argv[3] : "tag")))
        return 1;
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    srand((unsigned)getpid());
    g->x = (float)(rand() % 100), g->y = (float)(rand() % 100), g->dx = 1;
    if (!auto_s && tty_open() != 0) {
        fprintf(stderr, "tag: stdin is no terminal (--auto SECONDS plays by itself)\n");
        return 1;
    }
    uint64_t start = ricochet_now_us(), last = start, next_send = start;
    int status = 0;
    while (!stop && (!auto_s || ricochet_now_us() - start < (uint64_t)(auto_s * 1e6))) {
        struct ricochet_event ev;
        struct pollfd fds[2] = {{ricochet_fd(g->r), POLLIN, 0}, {STDIN_FILENO, POLLIN, 0}};
        poll(fds, auto_s ? 1 : 2, 10);
        uint64_t now = ricochet_now_us();
        int got;
        while ((got = ricochet_poll(g->r, 0, &ev)) == 1 && ev.type != RICOCHET_EV_DISCONNECTED)
            on_event(g, &ev, now);
        if (got != 0) {
            fprintf(stderr, "tag: %s\n", ricochet_end_reason(g->r));
            status = 1;
            break;
        }
        char c;
        while (!auto_s && read(STDIN_FILENO, &c, 1) == 1)
            key(g, c);
        size_t n = ricochet_members(g->r, g->m, RICOCHET_MEMBERS_MAX);
        g->n = n < RICOCHET_MEMBERS_MAX ? n : RICOCHET_MEMBERS_MAX;
        if (ricochet_joined(g->r) && g->it == 0)
            elect(g, now);
        if (auto_s)
            steer(g);
        move(g, (double)(now - last) / 1e6,
             !auto_s ? SPEED : g->it == g->me ? AUTO_IT_SPEED : AUTO_SPEED, now);
        last = now;
        if (ricochet_joined(g->r) && now >= next_send) {
            struct ricochet_state s = {.x = g->x, .y = g->y, .vx = g->dx * SPEED,
                                       .vy = g->dy * SPEED};
            ricochet_send_state(g->r, &s);
            next_send = now + SEND_US;
        }
        if (!auto_s)
            draw(g);
    }
    tty_restore();
    printf("tag: #%u saw %u touches; #%u is it; %zu other players\n", (unsigned)g->me, g->tags,
           (unsigned)g->it, g->n);
    ricochet_close(g->r);
    free(g);
    return status;
}
