/* player.c: the C player of test_e2e_four_players, written from
 * ricochet.h and docs/library.md alone, built by library.md's link
 * command. It joins ROOM as NAME (one of c, py, cs, js: its three peers
 * are the others), sends its state with its name as payload 10 times a
 * second and an event "hi NAME" to the room 3 times a second; once it has
 * every peer's payload, event and roster entry and a listing shows ROOM
 * with 4 members, it says "NAME: phase N ok" on stderr. A relay lost and
 * back (a MOVED "rejoin") starts phase 2 afresh; after it, it also sends
 * "done NAME" until every peer has said done, then leaves and exits 0
 * (1 if the session ends or 30 s pass first).
 * Run: ./player HOST PORT ROOM NAME */
#define _POSIX_C_SOURCE 200809L

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ricochet/ricochet.h>

static const char *const names[] = {"c", "py", "cs", "js"};
enum { PLAYERS = 4 };

struct seen {
    bool payload[PLAYERS], event[PLAYERS], done[PLAYERS];
    bool listed;
};

static int player_of(const char *name, size_t len)
{
    for (int i = 0; i < PLAYERS; i++)
        if (strlen(names[i]) == len && memcmp(names[i], name, len) == 0)
            return i;
    return -1;
}

/* Every peer (not me) has its flag set in f. */
static bool all(const bool *f, int me)
{
    for (int i = 0; i < PLAYERS; i++)
        if (i != me && !f[i])
            return false;
    return true;
}

/* Every peer is in the roster. */
static bool roster_whole(struct ricochet *r, int me)
{
    struct ricochet_member m[RICOCHET_MEMBERS_MAX];
    bool in[PLAYERS] = {false};
    size_t n = ricochet_members(r, m, RICOCHET_MEMBERS_MAX);
    for (size_t i = 0; i < n && i < RICOCHET_MEMBERS_MAX; i++) {
        int k = player_of(m[i].name, strlen(m[i].name));
        if (k >= 0)
            in[k] = true;
    }
    return all(in, me);
}

/* What came: payloads, events, a listing. False once the session ended. */
static bool take(struct ricochet *r, const struct ricochet_event *ev, const char *room,
                 struct seen *s, int *phase)
{
    size_t len;
    const char *bytes = ricochet_event_bytes(r, &len);
    int k;
    switch (ev->type) {
    case RICOCHET_EV_STATE:
        if ((k = player_of(bytes ? bytes : "", len)) >= 0)
            s->payload[k] = true;
        break;
    case RICOCHET_EV_EVENT:
        if (len > 3 && memcmp(bytes, "hi ", 3) == 0 && (k = player_of(bytes + 3, len - 3)) >= 0)
            s->event[k] = true;
        if (len > 5 && memcmp(bytes, "done ", 5) == 0 &&
            (k = player_of(bytes + 5, len - 5)) >= 0)
            s->done[k] = true;
        break;
    case RICOCHET_EV_ROOMS: {
        struct ricochet_room rooms[RICOCHET_ROOMS_PAGE];
        size_t n = ricochet_rooms(r, rooms, RICOCHET_ROOMS_PAGE, NULL);
        for (size_t i = 0; i < n && i < RICOCHET_ROOMS_PAGE; i++)
            s->listed |= strcmp(rooms[i].room, room) == 0 && rooms[i].members == PLAYERS;
        break;
    }
    case RICOCHET_EV_MOVED:
        if (strcmp(ev->code, "rejoin") == 0) { /* the relay is back: all again */
            *s = (struct seen){.listed = false};
            *phase = 2;
        }
        break;
    case RICOCHET_EV_DISCONNECTED:
        fprintf(stderr, "player c: over: %s %s\n", ev->code, ev->text);
        return false;
    default:
        break;
    }
    return true;
}

int main(int argc, char **argv)
{
    if (argc != 5 || player_of(argv[4], strlen(argv[4])) < 0) {
        fprintf(stderr, "usage: %s HOST PORT ROOM c|py|cs|js\n", argv[0]);
        return 2;
    }
    const char *room = argv[3], *name = argv[4];
    int me = player_of(name, strlen(name)), phase = 1, reported = 0;
    char err[256], hi[16], done[16];
    snprintf(hi, sizeof hi, "hi %s", name);
    snprintf(done, sizeof done, "done %s", name);
    struct ricochet_config *cfg = ricochet_config_new();
    if (!cfg || ricochet_config_set_relay(cfg, argv[1], (uint16_t)atoi(argv[2])) != 0 ||
        ricochet_config_set_room(cfg, room) != 0 || ricochet_config_set_name(cfg, name) != 0 ||
        ricochet_config_set_rejoin(cfg, 15000) != 0) {
        fprintf(stderr, "player %s: bad relay, room or name\n", name);
        return 2;
    }
    struct ricochet *r = ricochet_connect(cfg, err, sizeof err);
    ricochet_config_free(cfg);
    if (!r) {
        fprintf(stderr, "player %s: %s\n", name, err);
        return 1;
    }
    struct seen s = {.listed = false};
    struct ricochet_event ev;
    uint64_t now = ricochet_now_us(), end = now + 30000000, next_state = 0, next_event = 0,
             next_list = 0, leave = 0;
    while ((now = ricochet_now_us()) < end && (!leave || now < leave)) {
        int got = ricochet_poll(r, 10, &ev);
        if (got < 0 || (got == 1 && !take(r, &ev, room, &s, &phase)))
            break;
        if (!ricochet_joined(r))
            continue;
        if (now >= next_state) {
            struct ricochet_state st = {.x = 10.0f * (float)me, .y = 50.0f};
            ricochet_send_state_payload(r, &st, name, strlen(name));
            next_state = now + 100000;
        }
        bool ok = reported == phase;
        if (now >= next_event) {
            ricochet_send_event(r, RICOCHET_TO_ROOM, hi, strlen(hi));
            if (ok && phase == 2)
                ricochet_send_event(r, RICOCHET_TO_ROOM, done, strlen(done));
            next_event = now + 300000;
        }
        bool whole = all(s.payload, me) && all(s.event, me) && roster_whole(r, me);
        if (whole && !s.listed && now >= next_list) {
            ricochet_list_rooms(r, room, NULL);
            next_list = now + 500000;
        }
        if (whole && s.listed && !ok) {
            fprintf(stderr, "%s: phase %d ok\n", name, phase);
            reported = phase;
        }
        if (ok && phase == 2 && all(s.done, me) && !leave)
            leave = now + 500000; /* my own done has reached them by then */
    }
    bool finished = leave && now >= leave;
    ricochet_close(r);
    fprintf(stderr, "%s: %s\n", name, finished ? "left" : "gave up");
    return finished ? 0 : 1;
}
