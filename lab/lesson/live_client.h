/* live_client.h: requests to netsim's endpoint (live_client.c). */
#ifndef RICOCHET_LIVE_CLIENT_H
#define RICOCHET_LIVE_CLIENT_H

#include <stddef.h>

/* One request to endpoint ("127.0.0.1:PORT") within timeout_ms: method,
 * path, body (NULL: none). The answer's status into *status and its body
 * into out (cap bytes, NUL-terminated). Returns 0, or -1 with why in out. */
int live_client_request(const char *endpoint, const char *method, const char *path,
                        const char *body, int timeout_ms, int *status, char *out, size_t cap);

#endif
