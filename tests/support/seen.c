/* seen.c: a test's libricochet clients and what they saw (see seen.h). */
#include "seen.h"

#include <stdint.h>
#include <stdio.h>

#include <setjmp.h>
#include <stdarg.h>
#include <cmocka.h>

#include "sys/clock.h"

size_t seen_add(struct seen *s, const struct client_config *cfg)
{
    char err[256];
    assert_true(s->n < SEEN_MAX);
    s->c[s->n] = client_create(cfg, err, sizeof err);
    if (!s->c[s->n])
        fail_msg("%s", err);
    return s->n++;
}

void seen_poll(struct seen *s, unsigned mask)
{
    struct ricochet_event ev;
    for (size_t i = 0; i < s->n; i++) {
        while (s->c[i] && (mask >> i & 1) && !s->gone[i] && ricochet_poll(s->c[i], 0, &ev) == 1) {
            if (ev.type == RICOCHET_EV_WELCOME)
                s->welcomed[i] = true;
            else if (ev.type == RICOCHET_EV_MOVED)
                s->moved[i]++;
            else if (ev.type == RICOCHET_EV_ROOM)
                s->room_evs[i]++;
            else if (ev.type == RICOCHET_EV_DISCONNECTED || ev.type == RICOCHET_EV_ERROR)
                snprintf(s->code[i], sizeof s->code[i], "%s", ev.code);
            if (ev.type == RICOCHET_EV_DISCONNECTED)
                s->gone[i] = true;
            if (ev.type == RICOCHET_EV_EVENT && ricochet_event_key(s->c[i])[0]) {
                size_t len;
                const uint8_t *b = ricochet_event_bytes(s->c[i], &len);
                snprintf(s->kept[i], sizeof s->kept[i], "%s=%.*s", ricochet_event_key(s->c[i]),
                         (int)len, (const char *)b);
            }
        }
    }
}

void seen_pump(struct seen *s, int ms)
{
    for (uint64_t end = clock_now_ms() + (uint64_t)ms; clock_now_ms() < end;) {
        seen_poll(s, ~0u);
        clock_sleep_ms(5);
    }
}

void seen_until_settled(struct seen *s, size_t i, int ms)
{
    for (uint64_t end = clock_now_ms() + (uint64_t)ms; clock_now_ms() < end;) {
        seen_poll(s, ~0u);
        if ((s->welcomed[i] && ricochet_joined(s->c[i])) || s->gone[i])
            return;
        clock_sleep_ms(5);
    }
    fail_msg("client %zu neither joined nor ended", i);
}
