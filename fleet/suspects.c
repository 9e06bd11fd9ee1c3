/* suspects.c: see suspects.h. At most SUSPECTS_MAX, found by a walk. */
#include "suspects.h"

#include <string.h>

#define SUSPECT_SLACK_MS 10 /* asked again this long after the holder turns stale */

static size_t find(const struct suspects *s, const char *room)
{
    size_t i = 0;
    while (i < s->n && strcmp(s->at[i].m.claim.room, room) != 0)
        i++;
    return i;
}

void suspects_forget(struct suspects *s, const char *room)
{
    size_t i = find(s, room);
    if (i < s->n)
        s->at[i] = s->at[--s->n];
}

bool suspects_await(struct suspects *s, const struct fleet_msg *m, uint64_t now_ms,
                    uint32_t wait_ms, uint32_t stale_ms)
{
    size_t i = find(s, m->claim.room);
    if (i == s->n) {
        if (i == SUSPECTS_MAX)
            return false;
        s->at[s->n++] = (struct suspect){.m = *m, .give_up_ms = now_ms + 2 * (uint64_t)stale_ms};
    }
    if (now_ms >= s->at[i].give_up_ms) {
        suspects_forget(s, m->claim.room);
        return false;
    }
    s->at[i].due_ms = now_ms + wait_ms + SUSPECT_SLACK_MS;
    return true;
}

bool suspects_due(struct suspects *s, uint64_t now_ms, struct fleet_msg *m)
{
    size_t i = 0;
    while (i < s->n && s->at[i].due_ms > now_ms)
        i++;
    if (i == s->n)
        return false;
    s->at[i].due_ms = UINT64_MAX; /* in hand */
    *m = s->at[i].m;
    return true;
}

uint64_t suspects_next(const struct suspects *s)
{
    uint64_t due = UINT64_MAX;
    for (size_t i = 0; i < s->n; i++)
        if (s->at[i].due_ms < due)
            due = s->at[i].due_ms;
    return due;
}
