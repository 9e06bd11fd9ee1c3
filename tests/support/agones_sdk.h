/* agones_sdk.h: test support: a stand-in for the Agones SDK sidecar's
 * REST server (libmicrohttpd on 127.0.0.1) that records every call and
 * answers each with a status the test chooses. */
#ifndef RICOCHET_TEST_AGONES_SDK_H
#define RICOCHET_TEST_AGONES_SDK_H

#include <stddef.h>
#include <stdint.h>

struct sdk_call {
    char method[8];   /* "POST", "PUT" */
    char path[64];    /* "/ready" */
    char body[256];   /* as sent */
    uint64_t at_ms;   /* clock_now_ms() when it arrived */
};

struct stand_in_sdk;

/* Listens on 127.0.0.1:port (0: a free one) and answers every request with
 * 200 and "{}". Fails the test if it cannot. */
struct stand_in_sdk *sdk_start(uint16_t port);

uint16_t sdk_port(const struct stand_in_sdk *s);

/* Answers later requests with this status instead. */
void sdk_answer(struct stand_in_sdk *s, int status);

/* What GET /gameserver answers from now on (JSON, copied; the default
 * is "{}", a GameServer not scheduled yet). */
void sdk_gameserver(struct stand_in_sdk *s, const char *json);

/* Copies up to cap recorded calls, oldest first; returns how many were
 * recorded in all. */
size_t sdk_calls(struct stand_in_sdk *s, struct sdk_call *out, size_t cap);

/* Stops listening and frees it. NULL is fine. */
void sdk_stop(struct stand_in_sdk *s);

#endif
