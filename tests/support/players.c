/* players.c: sessions of the public library for end-to-end tests (see
 * players.h). */
#include "players.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "sys/clock.h"

struct ricochet_config *players_config(uint16_t port, enum ricochet_mode mode,
                                       const char *name)
{
    struct ricochet_config *cfg = ricochet_config_new();
    assert_non_null(cfg);
    assert_int_equal(ricochet_config_set_relay(cfg, "127.0.0.1", port), RICOCHET_OK);
    assert_int_equal(ricochet_config_set_name(cfg, name), RICOCHET_OK);
    assert_int_equal(ricochet_config_set_mode(cfg, mode), RICOCHET_OK);
    return cfg;
}

struct ricochet *players_connect(struct ricochet_config *cfg)
{
    char err[256];
    struct ricochet *c = ricochet_connect(cfg, err, sizeof err);
    ricochet_config_free(cfg);
    if (!c)
        fail_msg("connect: %s", err);
    return c;
}

void players_wait_event(struct ricochet **cs, size_t n, size_t who,
                        enum ricochet_event_type type, struct ricochet_event *out)
{
    uint64_t deadline = clock_now_ms() + 5000;
    struct ricochet_event ev;
    while (clock_now_ms() < deadline) {
        for (size_t i = 0; i < n; i++) {
            while (cs[i] && ricochet_poll(cs[i], i == who ? 10 : 0, &ev) == 1) {
                if (i == who && ev.type == type) {
                    *out = ev;
                    return;
                }
                if (i == who && ev.type == RICOCHET_EV_DISCONNECTED)
                    fail_msg("session %zu ended: %s", who, ricochet_end_reason(cs[i]));
            }
        }
    }
    fail_msg("no event %d for session %zu within 5 s", (int)type, who);
}
