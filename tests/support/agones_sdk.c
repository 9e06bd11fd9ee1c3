/* agones_sdk.c: see agones_sdk.h. libmicrohttpd serves on its own thread;
 * a mutex guards the record. */
#include "agones_sdk.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <cmocka.h>

#include "sys/clock.h"

#define SDK_MAX_CALLS 4096

struct stand_in_sdk {
    struct MHD_Daemon *d;
    uint16_t port;
    pthread_mutex_t lock;
    int status;                      /* the answer to give */
    char gameserver[1024];           /* GET /gameserver's body */
    size_t n;                        /* calls recorded (may exceed SDK_MAX_CALLS) */
    struct sdk_call calls[SDK_MAX_CALLS];
};

/* A request's body as it arrives, across the handler's calls. */
struct upload {
    char body[256];
    size_t len;
};

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version,
                              const char *data, size_t *data_size, void **con_cls)
{
    (void)version;
    struct stand_in_sdk *s = cls;
    struct upload *u = *con_cls;
    if (!u) {
        *con_cls = u = calloc(1, sizeof *u);
        return u ? MHD_YES : MHD_NO;
    }
    if (*data_size) {
        size_t room = sizeof u->body - 1 - u->len;
        size_t take = *data_size < room ? *data_size : room;
        memcpy(u->body + u->len, data, take);
        u->len += take;
        *data_size = 0;
        return MHD_YES;
    }
    pthread_mutex_lock(&s->lock);
    if (s->n < SDK_MAX_CALLS) {
        struct sdk_call *c = &s->calls[s->n];
        snprintf(c->method, sizeof c->method, "%s", method);
        snprintf(c->path, sizeof c->path, "%s", url);
        snprintf(c->body, sizeof c->body, "%s", u->body);
        c->at_ms = clock_now_ms();
    }
    s->n++;
    int status = s->status;
    char answer[sizeof s->gameserver];
    snprintf(answer, sizeof answer, "%s",
             strcmp(url, "/gameserver") == 0 ? s->gameserver : "{}");
    pthread_mutex_unlock(&s->lock);
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(answer), answer, MHD_RESPMEM_MUST_COPY);
    enum MHD_Result ret = MHD_queue_response(conn, (unsigned)status, r);
    MHD_destroy_response(r);
    return ret;
}

static void finished(void *cls, struct MHD_Connection *conn, void **con_cls,
                     enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)conn;
    (void)toe;
    free(*con_cls);
    *con_cls = NULL;
}

struct stand_in_sdk *sdk_start(uint16_t port)
{
    struct stand_in_sdk *s = calloc(1, sizeof *s);
    assert_non_null(s);
    pthread_mutex_init(&s->lock, NULL);
    s->status = 200;
    strcpy(s->gameserver, "{}");
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    s->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, port, NULL,
                            NULL, handle, s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&a,
                            MHD_OPTION_NOTIFY_COMPLETED, finished, NULL, MHD_OPTION_END);
    if (!s->d)
        fail_msg("stand-in Agones SDK: cannot listen on 127.0.0.1:%u", port);
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info ? info->port : port;
    return s;
}

uint16_t sdk_port(const struct stand_in_sdk *s)
{
    return s->port;
}

void sdk_answer(struct stand_in_sdk *s, int status)
{
    pthread_mutex_lock(&s->lock);
    s->status = status;
    pthread_mutex_unlock(&s->lock);
}

void sdk_gameserver(struct stand_in_sdk *s, const char *json)
{
    pthread_mutex_lock(&s->lock);
    snprintf(s->gameserver, sizeof s->gameserver, "%s", json);
    pthread_mutex_unlock(&s->lock);
}

size_t sdk_calls(struct stand_in_sdk *s, struct sdk_call *out, size_t cap)
{
    pthread_mutex_lock(&s->lock);
    size_t n = s->n;
    size_t copy = n < cap ? n : cap;
    if (copy > SDK_MAX_CALLS)
        copy = SDK_MAX_CALLS;
    memcpy(out, s->calls, copy * sizeof *out);
    pthread_mutex_unlock(&s->lock);
    return n;
}

void sdk_stop(struct stand_in_sdk *s)
{
    if (!s)
        return;
    MHD_stop_daemon(s->d);
    pthread_mutex_destroy(&s->lock);
    free(s);
}
