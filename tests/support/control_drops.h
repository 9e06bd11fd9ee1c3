/* control_drops.h: one refused control message for every way the decoder
 * (proto/control.c) refuses what a client sends the relay, and the drop the
 * relay counts for it. test_relay_validation.c runs them with the decoder's
 * own reasons and test_control_reworded.c with every reason reworded: the
 * counts must be the same, as the relay chooses by the decoder's fault (how
 * and which field), never by its words. */
#ifndef RICOCHET_TEST_CONTROL_DROPS_H
#define RICOCHET_TEST_CONTROL_DROPS_H

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "relay/core/relay.h"
#include "fake_relay.h"

struct control_drop_case {
    const char *json;
    enum relay_drop drop;
};

static const struct control_drop_case control_drop_cases[] = {
    { "{\"type\":", RELAY_DROP_BAD_JSON },                      /* not JSON */
    { "[1]", RELAY_DROP_BAD_JSON },                             /* not an object */
    { "{\"type\":\"join\",\"name\":\"\xff\"}", RELAY_DROP_BAD_JSON }, /* not UTF-8 */
    { "{\"type\":\"dance\"}", RELAY_DROP_UNKNOWN_TYPE },
    { "{\"room\":\"a\"}", RELAY_DROP_MISSING_FIELD },           /* no type */
    { "{\"type\":7}", RELAY_DROP_BAD_FIELD },                   /* type not a string */
    { "{\"type\":\"join\",\"name\":\"a\"}", RELAY_DROP_MISSING_FIELD },
    { "{\"type\":\"join\",\"room\":\"a\"}", RELAY_DROP_MISSING_FIELD },
    { "{\"type\":\"join\",\"room\":5,\"name\":\"a\"}", RELAY_DROP_BAD_FIELD },
    { "{\"type\":\"join\",\"room\":\"a b\",\"name\":\"a\"}", RELAY_DROP_BAD_ROOM },
    { "{\"type\":\"join\",\"room\":\"a\",\"name\":\"a\\u001bb\"}", RELAY_DROP_BAD_NAME },
    { "{\"type\":\"join\",\"room\":\"a\",\"name\":\"\"}", RELAY_DROP_BAD_NAME },
    { "{\"type\":\"join\",\"room\":\"a\",\"name\":\"a\\u0000\"}", RELAY_DROP_BAD_FIELD },
    { "{\"type\":\"join\",\"room\":\"a\",\"name\":\"a\",\"mode\":\"fast\"}", RELAY_DROP_BAD_FIELD },
    { "{\"type\":\"join\",\"room\":\"a\",\"name\":\"a\",\"reflect\":1}", RELAY_DROP_BAD_FIELD },
    { "{\"type\":\"join\",\"room\":\"a\",\"name\":\"a\",\"aoi\":-1}", RELAY_DROP_BAD_FIELD },
    { "{\"type\":\"join\",\"room\":\"a\",\"name\":\"a\",\"version\":-1}", RELAY_DROP_BAD_FIELD },
    { "{\"type\":\"join\",\"room\":\"a\",\"name\":\"a\",\"nonce\":\"xyz\"}", RELAY_DROP_BAD_FIELD },
    { "{\"type\":\"chat\"}", RELAY_DROP_MISSING_FIELD },
    { "{\"type\":\"chat\",\"text\":\"\"}", RELAY_DROP_BAD_FIELD },
    { "{\"type\":\"ping\",\"t\":\"soon\"}", RELAY_DROP_BAD_FIELD },
    { "{\"type\":\"rooms\",\"prefix\":\"a b\"}", RELAY_DROP_BAD_FIELD },
    { "{\"type\":\"clock\",\"bound_us\":1}", RELAY_DROP_MISSING_FIELD },
};

#define CONTROL_DROP_CASES (sizeof control_drop_cases / sizeof control_drop_cases[0])

/* Sends every case to a relay with one peer and no strikes, a fresh error
 * budget each; checks each one's drop and the counts of all. */
static inline void control_drop_cases_run(void)
{
    struct relay_config cfg = small_config();
    cfg.max_strikes = 0;
    struct relay *r = relay_with_peers(&cfg, 1);
    uint64_t want[RELAY_DROP_COUNT] = { 0 };
    for (size_t i = 0; i < CONTROL_DROP_CASES; i++) {
        const struct control_drop_case *c = &control_drop_cases[i];
        now_us += 1000000;
        int rc = send_text(r, 0, c->json);
        if (rc != DROP(c->drop))
            fail_msg("'%s': got %d, want %s", c->json, rc, relay_drop_name(c->drop));
        want[c->drop]++;
    }
    for (int d = 0; d < RELAY_DROP_COUNT; d++)
        assert_int_equal(drops(r, (enum relay_drop)d), want[d]);
    relay_destroy(r);
}

/* A join whose ticket is longer than any, to a relay taking tickets: a
 * malformed ticket (the key is never reached). */
static inline void control_drop_ticket_run(void)
{
    struct relay_config cfg = small_config();
    cfg.n_ticket_keys = 1;
    struct relay *r = relay_with_peers(&cfg, 1);
    char json[PROTO_TICKET_MAX + 64];
    int n = snprintf(json, sizeof json, "{\"type\":\"join\",\"ticket\":\"");
    memset(json + n, 'A', PROTO_TICKET_MAX + 1);
    snprintf(json + n + PROTO_TICKET_MAX + 1, sizeof json - (size_t)n - PROTO_TICKET_MAX - 1,
             "\"}");
    now_us += 1000000;
    assert_int_equal(send_text(r, 0, json), DROP(RELAY_DROP_TICKET_MALFORMED));
    assert_int_equal(drops(r, RELAY_DROP_TICKET_MALFORMED), 1);
    relay_destroy(r);
}

#endif
