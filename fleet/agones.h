/* agones.h: the Agones SDK's REST API, as the sidecar serves it on
 * localhost:$AGONES_SDK_HTTP_PORT: POST /ready, POST /health, PUT
 * /metadata/label, POST /shutdown, each with a JSON body.
 *
 * One blocking HTTP request per call over a fresh TCP connection,
 * bounded by the timeout: for the directory thread, never the relay's
 * loop. The sidecar may start after the relay: a refused connection is an
 * ordinary failure the caller retries. */
#ifndef RICOCHET_FLEET_AGONES_H
#define RICOCHET_FLEET_AGONES_H

#include <stddef.h>
#include <stdint.h>

struct agones_sdk {
    uint16_t port;       /* the sidecar's HTTP port on 127.0.0.1 */
    uint32_t timeout_ms; /* connect, send and the whole answer */
};

/* Reads AGONES_SDK_HTTP_PORT. Returns 1 with *port set, 0 if unset or
 * empty, -1 with a one-line message in err if it is not a port. */
int agones_port_from_env(uint16_t *port, char *err, size_t err_cap);

#define AGONES_ANSWER_MAX 65536 /* bytes of an answer's body read (the rest: cut) */

/* One request: method and path ("POST", "/ready") with body (JSON). The
 * answer's body goes to answer (cut to answer_cap - 1 bytes; answer may be
 * NULL). Returns the HTTP status (2xx: done), or -1 with a one-line message
 * in err (refused, timed out, or no HTTP answer). */
int agones_request(const struct agones_sdk *s, const char *method, const char *path,
                   const char *body, char *answer, size_t answer_cap, char *err,
                   size_t err_cap);

/* agones_request without the answer's body. */
int agones_call(const struct agones_sdk *s, const char *method, const char *path,
                const char *body, char *err, size_t err_cap);

/* GET /gameserver: the address and port players reach this game server at
 * (status.address, and the port named "default", else the first). Returns
 * 0, or -1 with a message in err (no answer, or not yet known: retry). */
int agones_gameserver_address(const struct agones_sdk *s, char *host, size_t host_cap,
                              uint16_t *port, char *err, size_t err_cap);

/* The SDK's calls. Each returns what agones_call returns. */
int agones_ready(const struct agones_sdk *s, char *err, size_t err_cap);
int agones_health(const struct agones_sdk *s, char *err, size_t err_cap);
int agones_shutdown(const struct agones_sdk *s, char *err, size_t err_cap);

/* Sets label agones.dev/sdk-KEY to value (the sidecar adds the prefix).
 * key and value: Kubernetes label syntax, [A-Za-z0-9_.-], at most 63 bytes,
 * alphanumeric at both ends (value may be empty); -1 with a message if not. */
int agones_label(const struct agones_sdk *s, const char *key, const char *value, char *err,
                 size_t err_cap);

#endif
