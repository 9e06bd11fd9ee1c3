/* live_client.c: one request to netsim's --metrics endpoint (see live.h)
 * through the HTTP client (sys/http_client.h), its timeout bounding the
 * whole exchange; the answer's body cut to what the caller takes. */
#include "live_client.h"

#include <stdio.h>

#include "sys/http_client.h"

int live_client_request(const char *endpoint, const char *method, const char *path,
                        const char *body, int timeout_ms, int *status, char *out, size_t cap)
{
    struct http_client_request req = {.endpoint = endpoint, .method = method, .path = path,
                                      .body = body, .timeout_ms = (unsigned)timeout_ms,
                                      .answer_max = cap > 1 ? cap - 1 : 1};
    struct http_client_answer a;
    if (http_client_send(&req, &a, out, cap) != 0)
        return -1;
    *status = a.status;
    snprintf(out, cap, "%s", a.body);
    http_client_answer_free(&a);
    return 0;
}
