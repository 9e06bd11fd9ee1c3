/* nemesis_watch.c: see nemesis_watch.h. */
#include "nemesis_watch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/lib/ricochet.h"

void watch_start(struct nemesis_watch *w)
{
    memset(w, 0, sizeof *w);
    w->start_ms = clock_now_ms();
}

/* The index of the relay at host:port, added if new; -1 if there is no
 * room for it. */
static int relay_index(struct nemesis_watch *w, const char *host, uint16_t port)
{
    char name[sizeof w->relay[0]];
    snprintf(name, sizeof name, "%s:%u", host, (unsigned)port);
    for (int i = 0; i < w->n_relays; i++)
        if (strcmp(w->relay[i], name) == 0)
            return i;
    if (w->n_relays == WATCH_RELAYS)
        return -1;
    snprintf(w->relay[w->n_relays], sizeof w->relay[0], "%s", name);
    return w->n_relays++;
}

void watch_event(void *watch, size_t index, const struct ricochet_event *ev)
{
    struct nemesis_watch *w = watch;
    harness_rec_event(&w->rec, index, ev);
    if (ev->type != RICOCHET_EV_STATE)
        return;
    const struct ricochet *c = w->rec.c[index];
    int relay = relay_index(w, ricochet_relay_host(c), ricochet_relay_port(c));
    uint64_t slot = (clock_now_ms() - w->start_ms) / WATCH_SLOT_MS;
    if (relay >= 0 && slot < WATCH_SLOTS)
        w->slot[slot] |= (uint8_t)(1u << relay);
    uint64_t sent = ev->state.send_us / 1000; /* the players' clock: one machine */
    if (relay >= 0 && sent > w->sent_ms[relay])
        w->sent_ms[relay] = sent;
}

void watch_play(struct nemesis_watch *w, int ms)
{
    for (size_t i = 0; i < w->rec.n; i++) {
        struct ricochet_state s = {.x = 1, .y = (float)i};
        if (w->rec.c[i]) /* between relays too: a reliable session holds it */
            ricochet_send_state(w->rec.c[i], &s);
    }
    for (int left = ms; left > 0; left -= 50) { /* the others never starve */
        harness_poll_for(w->rec.c, w->rec.n, left < 50 ? left : 50, watch_event, w);
        if (w->n_others)
            harness_poll_for(w->others, w->n_others, 1, NULL, NULL);
    }
}

uint64_t watch_split_ms(const struct nemesis_watch *w, uint64_t since_ms)
{
    uint64_t from = since_ms > w->start_ms ? (since_ms - w->start_ms) / WATCH_SLOT_MS : 0;
    uint64_t to = (clock_now_ms() - w->start_ms) / WATCH_SLOT_MS, split = 0;
    for (uint64_t s = from; s <= to && s < WATCH_SLOTS; s++)
        split += (w->slot[s] & (w->slot[s] - 1)) != 0; /* two bits or more */
    return split * WATCH_SLOT_MS;
}

uint64_t watch_last_sent(const struct nemesis_watch *w, const char *host, uint16_t port)
{
    char name[sizeof w->relay[0]];
    snprintf(name, sizeof name, "%s:%u", host, (unsigned)port);
    for (int i = 0; i < w->n_relays; i++)
        if (strcmp(w->relay[i], name) == 0)
            return w->sent_ms[i];
    return 0;
}

/* Whether every client is joined on the relay of the first. */
static bool one_relay(const struct harness_rec *r)
{
    for (size_t i = 0; i < r->n; i++)
        if (!ricochet_joined(r->c[i]) ||
            strcmp(ricochet_relay_host(r->c[i]), ricochet_relay_host(r->c[0])) != 0 ||
            ricochet_relay_port(r->c[i]) != ricochet_relay_port(r->c[0]))
            return false;
    return true;
}

bool watch_one_group(const struct nemesis_watch *w, const struct harness_rec *mark)
{
    const struct harness_rec *r = &w->rec;
    if (!one_relay(r))
        return false;
    for (size_t i = 0; i < r->n; i++)
        for (size_t j = 0; j < r->n; j++) {
            uint32_t id = ricochet_id(r->c[j]);
            if (i != j && (id >= HARNESS_MAX_IDS || r->states[i][id] <= mark->states[i][id]))
                return false;
        }
    return true;
}

long watch_until_one_group(struct nemesis_watch *w, int timeout_ms)
{
    uint64_t start = clock_now_ms();
    struct harness_rec *mark = malloc(sizeof *mark);
    char was[40] = ""; /* the group's relay at the last round, "" if none */
    long took = -1;
    for (; clock_now_ms() - start < (uint64_t)timeout_ms; watch_play(w, 50)) {
        char at[40] = "";
        bool is = one_relay(&w->rec);
        if (is)
            snprintf(at, sizeof at, "%s:%u", ricochet_relay_host(w->rec.c[0]),
                     (unsigned)ricochet_relay_port(w->rec.c[0]));
        if (is && strcmp(at, was) != 0)
            *mark = w->rec; /* states from here on count */
        snprintf(was, sizeof was, "%s", at);
        if (is && watch_one_group(w, mark)) {
            took = (long)(clock_now_ms() - start);
            break;
        }
    }
    free(mark);
    return took;
}
