/* onpath.c: see onpath.h. */
#include "onpath.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <cmocka.h>

static int loopback_socket(uint16_t *port)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    socklen_t len = sizeof a;
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    if (port)
        *port = ntohs(a.sin_port);
    return fd;
}

/* Keeps a copy and asks the filter; true: forward it. Locked. */
static bool take(struct onpath *op, enum onpath_way way, const uint8_t *b, size_t len)
{
    if (op->n_kept[way] < ONPATH_KEPT) {
        struct onpath_dgram *d = &op->kept[way][op->n_kept[way]++];
        d->len = (uint16_t)(len < ONPATH_BYTES ? len : ONPATH_BYTES);
        memcpy(d->bytes, b, d->len);
    }
    return !op->pass || op->pass(op->ctx, way, b, len);
}

static void *run(void *arg)
{
    struct onpath *op = arg;
    uint8_t buf[65536];
    while (!atomic_load(&op->stop)) {
        struct pollfd p[2] = {{.fd = op->front, .events = POLLIN},
                              {.fd = op->back, .events = POLLIN}};
        if (poll(p, 2, 20) <= 0)
            continue;
        union netaddr from;
        socklen_t fl = sizeof from;
        ssize_t n;
        while ((n = recvfrom(op->front, buf, sizeof buf, 0, &from.sa, &fl)) >= 0) {
            pthread_mutex_lock(&op->lock);
            if (!op->have_client) {
                op->client = from;
                op->have_client = true;
            }
            bool fwd = take(op, ONPATH_UP, buf, (size_t)n);
            pthread_mutex_unlock(&op->lock);
            if (fwd)
                send(op->back, buf, (size_t)n, 0);
            fl = sizeof from;
        }
        while ((n = recv(op->back, buf, sizeof buf, 0)) >= 0) {
            pthread_mutex_lock(&op->lock);
            bool fwd = take(op, ONPATH_DOWN, buf, (size_t)n) && op->have_client;
            union netaddr to = op->client;
            pthread_mutex_unlock(&op->lock);
            if (fwd)
                sendto(op->front, buf, (size_t)n, 0, &to.sa, netaddr_len(&to));
        }
    }
    return NULL;
}

static struct onpath *running;

struct onpath *onpath_start(uint16_t relay_port)
{
    struct onpath *op = calloc(1, sizeof *op);
    assert_non_null(op);
    op->front = loopback_socket(&op->port);
    op->back = loopback_socket(NULL);
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(relay_port)};
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(op->back, (struct sockaddr *)&to, sizeof to), 0);
    for (int w = 0; w < 2; w++) {
        op->kept[w] = calloc(ONPATH_KEPT, sizeof *op->kept[w]);
        assert_non_null(op->kept[w]);
    }
    pthread_mutex_init(&op->lock, NULL);
    atomic_store(&op->stop, false);
    assert_int_equal(pthread_create(&op->thread, NULL, run, op), 0);
    op->next = running;
    running = op;
    return op;
}

void onpath_stop(struct onpath *op)
{
    for (struct onpath **p = &running; *p; p = &(*p)->next)
        if (*p == op) {
            *p = op->next;
            break;
        }
    atomic_store(&op->stop, true);
    pthread_join(op->thread, NULL);
    close(op->front);
    close(op->back);
    pthread_mutex_destroy(&op->lock);
    for (int w = 0; w < 2; w++)
        free(op->kept[w]);
    free(op);
}

int onpath_stop_all(void **state)
{
    (void)state;
    while (running)
        onpath_stop(running);
    return 0;
}

void onpath_filter(struct onpath *op,
                   bool (*pass)(void *ctx, enum onpath_way way, const uint8_t *bytes, size_t len),
                   void *ctx)
{
    pthread_mutex_lock(&op->lock);
    op->pass = pass;
    op->ctx = ctx;
    pthread_mutex_unlock(&op->lock);
}

void onpath_to_client(struct onpath *op, const void *bytes, size_t len)
{
    pthread_mutex_lock(&op->lock);
    union netaddr to = op->client;
    bool have = op->have_client;
    pthread_mutex_unlock(&op->lock);
    assert_true(have);
    sendto(op->front, bytes, len, 0, &to.sa, netaddr_len(&to));
}

void onpath_to_relay(struct onpath *op, const void *bytes, size_t len)
{
    send(op->back, bytes, len, 0);
}

size_t onpath_count(struct onpath *op, enum onpath_way way)
{
    pthread_mutex_lock(&op->lock);
    size_t n = op->n_kept[way];
    pthread_mutex_unlock(&op->lock);
    return n;
}

size_t onpath_copy(struct onpath *op, enum onpath_way way, size_t i, uint8_t *out, size_t cap)
{
    size_t len = 0;
    pthread_mutex_lock(&op->lock);
    if (i < op->n_kept[way] && op->kept[way][i].len <= cap) {
        len = op->kept[way][i].len;
        memcpy(out, op->kept[way][i].bytes, len);
    }
    pthread_mutex_unlock(&op->lock);
    return len;
}

bool onpath_saw(struct onpath *op, enum onpath_way way, const void *needle, size_t n)
{
    bool seen = false;
    pthread_mutex_lock(&op->lock);
    for (size_t i = 0; i < op->n_kept[way] && !seen; i++)
        seen = memmem(op->kept[way][i].bytes, op->kept[way][i].len, needle, n) != NULL;
    pthread_mutex_unlock(&op->lock);
    return seen;
}
