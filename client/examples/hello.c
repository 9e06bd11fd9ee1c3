/* hello.c: the smallest game on libricochet. Joins a room, sends ten
 * states, prints who else is there, exits 0 (1 if the relay could not be
 * joined). Build: cc hello.c $(pkg-config --cflags --libs ricochet)
 * Run:   ./hello HOST PORT [ROOM] */
#define _POSIX_C_SOURCE 200809L /* getpid */

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <ricochet/ricochet.h>

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s HOST PORT [ROOM]\n", argv[0]);
        return 2;
    }
    char name[32], err[256];
    snprintf(name, sizeof name, "hello-%d", (int)getpid() % 100000);
    struct ricochet_config *cfg = ricochet_config_new();
    if (!cfg || ricochet_config_set_relay(cfg, argv[1], (uint16_t)atoi(argv[2])) != 0 ||
        ricochet_config_set_room(cfg, argc > 3 ? argv[3] : "lobby") != 0 ||
        ricochet_config_set_name(cfg, name) != 0) {
        fprintf(stderr, "hello: bad relay or room\n");
        return 2;
    }
    struct ricochet *r = ricochet_connect(cfg, err, sizeof err);
    ricochet_config_free(cfg);
    if (!r) {
        fprintf(stderr, "hello: %s\n", err);
        return 1;
    }
    struct ricochet_event ev;
    int sent = 0;
    uint64_t next_us = 0;
    while (sent < 10) {
        int got = ricochet_poll(r, 10, &ev); /* an event, or 10 ms without one */
        if (got < 0 || (got == 1 && ev.type == RICOCHET_EV_DISCONNECTED)) {
            fprintf(stderr, "hello: %s\n", ricochet_end_reason(r));
            ricochet_close(r);
            return 1;
        }
        if (got == 1 && ev.type == RICOCHET_EV_WELCOME)
            printf("%s joined as #%u\n", name, (unsigned)ev.id);
        if (ricochet_joined(r) && ricochet_now_us() >= next_us) { /* 20 steps a second */
            struct ricochet_state s = {.x = 10.0f + (float)sent, .y = 50.0f, .vx = 20.0f};
            if (ricochet_send_state(r, &s) == RICOCHET_OK)
                sent++;
            next_us = ricochet_now_us() + 50000;
        }
    }
    struct ricochet_member members[RICOCHET_MEMBERS_MAX];
    size_t n = ricochet_members(r, members, RICOCHET_MEMBERS_MAX);
    printf("sent %d states; %zu other%s here\n", sent, n, n == 1 ? "" : "s");
    for (size_t i = 0; i < n && i < RICOCHET_MEMBERS_MAX; i++)
        printf("  #%u %s: %llu states from it\n", (unsigned)members[i].id, members[i].name,
               (unsigned long long)members[i].stats.received);
    ricochet_close(r);
    return 0;
}
