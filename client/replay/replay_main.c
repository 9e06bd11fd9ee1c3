/* replay_main.c: ricochet-replay, a lockstep room's kept log played back
 * to clients.
 *
 * A relay run with --lockstep-log keeps every lockstep room's confirmed
 * frames (PROTOCOL.md, "The kept log"). This program reads one room's
 * frames from such a log and serves them over plain UDP as a relay serves
 * a spectator: a client joins (any room name), gets a welcome with the
 * room's lockstep settings and no slot, acknowledges from where it wants
 * to start, and gets the frames from there at the room's own rate (or
 * --speed times it), in frames messages as the relay sends them. So a
 * game watches a replay with the code it plays with.
 *
 * One loop: poll the socket until the next tick; a join is answered with
 * the welcome (no cookie: the answer is no bigger than the join, a few
 * hundred bytes, and nothing is kept for an endpoint that never joined
 * but its address), a ping with a pong, an inputs message moves the
 * client's ack; at each tick every client that acknowledged gets the
 * frames from its ack up to the newest played, as many as fit a datagram. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "proto/control.h"
#include "proto/lockstep.h"
#include "sys/clock.h"
#include "sys/netaddr.h"
#include "sys/options.h"
#include "sys/signals.h"

#define PROG "ricochet-replay"
#define SUMMARY                                                                              \
    "Plays a lockstep room's kept log back to clients. It reads the frames of one room "   \
    "from a log that ricochet-relay --lockstep-log wrote and serves them over plain UDP "   \
    "as a relay serves a spectator: a client joins (mode udp, any room name), gets the "    \
    "room's lockstep settings without a slot, and gets the frames from the tick it asks "  \
    "for, at the room's rate times --speed. It says the port it listens on (standard error), then runs "    \
    "until SIGINT or SIGTERM."

#define CLIENTS_MAX 16
#define DATAGRAM_MAX 1200 /* as the relay's (PROTOCOL.md, "Frames") */

struct replay_options {
    char log[256];
    char room[PROTO_ROOM_MAX + 1];
    char listen[128];
    double speed;
};

#define OFF(FIELD) offsetof(struct replay_options, FIELD)
static const struct option_def option_defs[] = {
    {"log", OPTION_STRING, OFF(log), "", 0, 255, NULL,
     "the kept log to play (ricochet-relay --lockstep-log's file; required)"},
    {"room", OPTION_STRING, OFF(room), "", 0, PROTO_ROOM_MAX, NULL,
     "the room of the log to play (default: the first lockstep room in it)"},
    {"listen", OPTION_STRING, OFF(listen), "127.0.0.1:0", 1, 127, NULL,
     "the UDP address and port to serve on (port 0: any free one, said at the start)"},
    {"speed", OPTION_DOUBLE, OFF(speed), "1", 0.1, 100, NULL,
     "ticks played a tick of the room's clock (2: twice as fast)"},
    {0}};

static const char *const signals[] = {"SIGINT, SIGTERM", "stop, exit 0", NULL};

static const char *const exit_status[] = {
    "0", "stopped by a signal",
    "1", "the socket could not be opened or read",
    "2", "a bad option, an unreadable log, or a room with no frames in it, with one line on "
         "standard error",
    NULL};

static const char *const files[] = {
    "LOG", "a relay's kept log: one JSON object a line (PROTOCOL.md, \"The kept log\")", NULL};

static const struct options_example examples[] = {
    {"Plays room rts of the relay's log on port 7878, twice as fast; a game watches it as a "
     "spectator over plain UDP on that port:",
     "ricochet-replay --log lockstep.log --room rts --listen 127.0.0.1:7878 --speed 2"},
    {0}};

static const struct options_manual manual = {
    .description = "The frames are the log's, byte for byte: a game that applies them in "
                   "tick order, as it applies a relay's, ends in the same state as the "
                   "room's players did. The log's frames must follow one another from the "
                   "room's first tick; the room's kept events (a snapshot) are not in the "
                   "log, so a replay starts from the room's first tick.",
    .signals = signals,
    .exit_status = exit_status,
    .files = files,
    .examples = examples,
    .config_example = "{\"log\": \"lockstep.log\", \"room\": \"rts\", \"speed\": 2}",
    .see_also = "library.md (A lockstep game), PROTOCOL.md (Lockstep rooms, The kept log)",
};

static const struct options_program program = {
    .name = PROG,
    .summary = SUMMARY,
    .defs = option_defs,
    .manual = &manual,
};

/* The room, as the log has it. */
struct room {
    struct proto_control welcome; /* its lockstep object */
    uint8_t **frames;             /* frames[t]: tick t's bytes */
    uint16_t *lens;
    uint32_t n;                   /* frames, from tick 0 */
};

/* A client: its endpoint, and the first frame it does not hold. */
struct client {
    union netaddr at;
    bool used, started;
    uint32_t id, ack;
};

static volatile sig_atomic_t stop;

static int hex_to(const char *hex, uint8_t *out, size_t cap)
{
    size_t n = strlen(hex);
    if (n % 2 || n / 2 > cap)
        return -1;
    for (size_t i = 0; i < n / 2; i++) {
        unsigned v;
        if (sscanf(hex + 2 * i, "%2x", &v) != 1)
            return -1;
        out[i] = (uint8_t)v;
    }
    return (int)(n / 2);
}

/* One line of the log: the room's lockstep object, or one of its frames. */
static void read_line(const char *line, char *room, struct room *r, uint32_t *cap)
{
    cJSON *o = cJSON_Parse(line);
    const cJSON *name = cJSON_GetObjectItem(o, "room");
    if (!cJSON_IsString(name) || (room[0] && strcmp(room, name->valuestring) != 0)) {
        cJSON_Delete(o);
        return;
    }
    const cJSON *tick = cJSON_GetObjectItem(o, "tick"), *frame = cJSON_GetObjectItem(o, "frame");
    if (cJSON_GetObjectItem(o, "lockstep") && !r->welcome.has_lockstep) {
        const char *field;
        char why[128];
        proto_control_init(&r->welcome, PROTO_CTL_WELCOME);
        if (proto_lockstep_fields_read(o, &r->welcome, &field, why, sizeof why) != PROTO_OK)
            options_fail(PROG, "--log: room %s's lockstep: %s", name->valuestring, why);
        snprintf(room, PROTO_ROOM_MAX + 1, "%s", name->valuestring);
    } else if (r->welcome.has_lockstep && cJSON_IsNumber(tick) && cJSON_IsString(frame)) {
        if ((uint32_t)tick->valuedouble != r->n)
            options_fail(PROG, "--log: room %s: frame %u after %u frames", room,
                         (unsigned)tick->valuedouble, (unsigned)r->n);
        if (r->n == *cap) {
            *cap = *cap ? 2 * *cap : 1024;
            r->frames = realloc(r->frames, *cap * sizeof *r->frames);
            r->lens = realloc(r->lens, *cap * sizeof *r->lens);
            if (!r->frames || !r->lens)
                options_fail(PROG, "out of memory");
        }
        uint8_t b[PROTO_LOCKSTEP_FRAME_MAX];
        int len = hex_to(frame->valuestring, b, sizeof b);
        if (len < 0 || !(r->frames[r->n] = malloc((size_t)len + 1)))
            options_fail(PROG, "--log: room %s: frame %u is no frame", room, (unsigned)r->n);
        memcpy(r->frames[r->n], b, (size_t)len);
        r->lens[r->n++] = (uint16_t)len;
    }
    cJSON_Delete(o);
}

static void read_log(const char *path, char *room, struct room *r)
{
    FILE *f = fopen(path, "r");
    if (!f)
        options_fail(PROG, "--log %s: %s", path, strerror(errno));
    char *line = NULL;
    size_t cap = 0;
    uint32_t frames_cap = 0;
    while (getline(&line, &cap, f) > 0)
        read_line(line, room, r, &frames_cap);
    free(line);
    fclose(f);
    if (!r->welcome.has_lockstep)
        options_fail(PROG, "--log %s: no lockstep room%s%s in it", path, room[0] ? " " : "",
                     room);
    if (!r->n)
        options_fail(PROG, "--log %s: room %s has no frames", path, room);
}

static void send_to(int fd, const struct client *c, const void *b, size_t len)
{
    (void)!sendto(fd, b, len, 0, &c->at.sa, netaddr_len(&c->at));
}

static struct client *client_of(struct client *cs, const union netaddr *at, bool add)
{
    struct client *free_one = NULL;
    for (size_t i = 0; i < CLIENTS_MAX; i++) {
        if (cs[i].used && netaddr_equal(&cs[i].at, at))
            return &cs[i];
        if (!cs[i].used && !free_one)
            free_one = &cs[i];
    }
    if (!add || !free_one)
        return NULL;
    static uint32_t ids;
    *free_one = (struct client){.at = *at, .used = true, .id = ++ids};
    return free_one;
}

/* A join: the welcome, as a relay welcomes a spectator at tick `played`. */
static void welcome(int fd, struct room *r, struct client *c, const struct proto_control *join,
                    uint32_t played, uint64_t start_us)
{
    struct proto_control *m = &r->welcome;
    m->id = c->id;
    snprintf(m->room, sizeof m->room, "%s", join->room);
    snprintf(m->key, sizeof m->key, "%032x", (unsigned)c->id);
    snprintf(m->player, sizeof m->player, "%016x", (unsigned)c->id);
    m->roster_len = 0;
    m->lockstep.start_us = start_us;
    m->lockstep.tick = played;
    m->lockstep.has_slot = false;
    m->lockstep.kept = 0;
    char buf[8192];
    int len = proto_control_encode(buf, sizeof buf, m);
    if (len > 0)
        send_to(fd, c, buf, (size_t)len);
}

static void on_datagram(int fd, struct room *r, struct client *cs, const union netaddr *from,
                        const uint8_t *b, size_t len, uint32_t played, uint64_t start_us)
{
    if (len && b[0] == '{') {
        static struct proto_control m;
        if (proto_control_decode((const char *)b, len, &m, NULL, 0) != PROTO_OK)
            return;
        struct client *c = client_of(cs, from, m.type == PROTO_CTL_JOIN);
        if (c && m.type == PROTO_CTL_JOIN) {
            welcome(fd, r, c, &m, played, start_us);
        } else if (c && m.type == PROTO_CTL_PING) {
            uint64_t t = m.t;
            proto_control_init(&m, PROTO_CTL_PONG);
            m.t = t;
            m.relay_t = clock_now_us();
            char buf[256];
            int n = proto_control_encode(buf, sizeof buf, &m);
            if (n > 0)
                send_to(fd, c, buf, (size_t)n);
        } else if (c && m.type == PROTO_CTL_LEAVE) {
            c->used = false;
        }
        return;
    }
    struct proto_inputs in;
    struct client *c = client_of(cs, from, false);
    if (c && proto_inputs_decode(b, len, r->welcome.lockstep.settings.input_max, &in) ==
                 PROTO_OK && (!c->started || in.ack > c->ack)) {
        c->started = true;
        c->ack = in.ack;
    }
}

/* A tick: every client that asked gets the frames from its ack to the
 * newest played, as many as fit a datagram. */
static void send_frames(int fd, const struct room *r, struct client *cs, uint32_t played)
{
    uint32_t slots = r->welcome.lockstep.settings.slots;
    for (size_t i = 0; i < CLIENTS_MAX; i++) {
        struct client *c = &cs[i];
        if (!c->used || !c->started || c->ack >= played)
            continue;
        uint8_t buf[DATAGRAM_MAX];
        size_t used = PROTO_LOCKSTEP_HEAD;
        proto_frames_begin(buf, slots, c->ack, 0);
        for (uint32_t t = c->ack; t < played; t++)
            if (proto_frames_add(buf, sizeof buf, &used, r->frames[t], r->lens[t]) != PROTO_OK)
                break;
        if (used > PROTO_LOCKSTEP_HEAD)
            send_to(fd, c, buf, used);
    }
}

int main(int argc, char **argv)
{
    struct replay_options o;
    options_parse_or_exit(&program, &o, argc, argv);
    if (!o.log[0])
        options_fail(PROG, "--log FILE: the kept log to play is needed");
    union netaddr at;
    char err[256];
    if (netaddr_parse_endpoint(o.listen, &at, err, sizeof err) != 0)
        options_fail(PROG, "--listen %s: %s", o.listen, err);
    options_checked(&program); /* the log is read only to play it */
    static struct room r;
    read_log(o.log, o.room, &r);
    int fd = netaddr_udp_socket(&at, SOCK_NONBLOCK);
    if (fd < 0 || bind(fd, &at.sa, netaddr_len(&at)) != 0) {
        fprintf(stderr, "%s: error: --listen %s: %s\n", PROG, o.listen, strerror(errno));
        return 1;
    }
    socklen_t alen = sizeof at;
    getsockname(fd, &at.sa, &alen);
    char where[NETADDR_STR_MAX];
    /* scripts read the port up to the space after it */
    fprintf(stderr, "%s: room %s, %u frames, listening on %s \n", PROG, o.room,
            (unsigned)r.n, netaddr_format(&at, where, sizeof where));
    signals_install(&stop, NULL, NULL);
    static struct client cs[CLIENTS_MAX];
    uint64_t period = (uint64_t)(proto_lockstep_period_us(r.welcome.lockstep.settings.hz) /
                                 o.speed);
    uint64_t start_us = clock_now_us(), next = start_us + period;
    uint32_t played = 0;
    while (!stop) {
        uint64_t now = clock_now_us();
        if (now >= next) {
            if (played < r.n)
                played++;
            send_frames(fd, &r, cs, played);
            next += period;
            continue;
        }
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, (int)((next - now) / 1000) + 1) < 0 && errno != EINTR)
            break;
        uint8_t b[2048];
        union netaddr from;
        socklen_t flen;
        ssize_t n;
        while ((flen = sizeof from, n = recvfrom(fd, b, sizeof b, 0, &from.sa, &flen)) > 0)
            on_datagram(fd, &r, cs, &from, b, (size_t)n, played, start_us);
    }
    close(fd);
    for (uint32_t t = 0; t < r.n; t++)
        free(r.frames[t]);
    free(r.frames);
    free(r.lens);
    return 0;
}
