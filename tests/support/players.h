/* players.h: sessions of the public library (ricochet.h) with a relay on
 * 127.0.0.1, for the end-to-end tests that drive a few players by hand
 * (test_e2e_lobby, test_e2e_rooms, test_e2e_no_relay, test_e2e_kept,
 * test_e2e_players): a config, a session connected from it, and a bounded
 * wait for one player's event while every player is serviced. */
#ifndef RICOCHET_TEST_PLAYERS_H
#define RICOCHET_TEST_PLAYERS_H

#include <stddef.h>
#include <stdint.h>

#include "client/lib/ricochet.h"

/* A config for 127.0.0.1:port over mode, named name (the caller frees). */
struct ricochet_config *players_config(uint16_t port, enum ricochet_mode mode,
                                       const char *name);

/* A session connected from cfg, which is freed; fails the test with
 * ricochet_connect's message if there is none. */
struct ricochet *players_connect(struct ricochet_config *cfg);

/* Polls every session of cs (NULL ones skipped) until cs[who] has an event
 * of type (into *out) or 5 s pass; other events are dropped; a
 * DISCONNECTED of who's, when another type is awaited, fails the test with
 * its reason. */
void players_wait_event(struct ricochet **cs, size_t n, size_t who,
                        enum ricochet_event_type type, struct ricochet_event *out);

#endif
