/* test_e2e_ws_wire.c: the WebSocket bytes docs/sockets.md shows ("From
 * HTTP to a socket") are what the relay answers. The doc's upgrade request
 * (its "http request" block, each line ended by CR LF) sent byte for byte
 * to a relay's ws edge is answered by the doc's response ("http
 * response"), byte for byte: its Sec-WebSocket-Accept is the one for the
 * doc's key. After two joins, the doc's client frame ("hex client": a
 * 40-byte state in a binary frame, masked) sent by the first member
 * reaches the second as the doc's relay frame ("hex relay": the same state
 * unmasked, the sender's id stamped, in a bare binary frame), byte for
 * byte; and the two blocks agree with each other. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "proto/websocket.h"
#include "sys/clock.h"
#include "tests/support/harness.h"

#define DOC "docs/sockets.md"
#define BYTES_MAX 512

/* The fenced block of text whose opening line is "```" info, its lines
 * ended by eol ("\r\n" for HTTP), into out. Returns its length; fails the
 * test if the doc has none. */
static size_t doc_block(const char *text, const char *info, const char *eol, char *out, size_t cap)
{
    char fence[64];
    snprintf(fence, sizeof fence, "\n```%s\n", info);
    const char *at = strstr(text, fence);
    if (!at)
        fail_msg("%s has no ```%s block", DOC, info);
    at += strlen(fence);
    const char *end = strstr(at, "\n```\n");
    assert_non_null(end);
    size_t n = 0;
    for (const char *line = at; line <= end; line = strchr(line, '\n') + 1) {
        size_t len = (size_t)(strchr(line, '\n') - line);
        assert_true(n + len + strlen(eol) < cap);
        memcpy(out + n, line, len);
        n += len;
        memcpy(out + n, eol, strlen(eol));
        n += strlen(eol);
    }
    out[n] = '\0';
    return n;
}

/* The bytes of a block of hex ("82 a8 ..."), into out; returns how many. */
static size_t doc_bytes(const char *text, const char *info, uint8_t *out, size_t cap)
{
    char hex[4 * BYTES_MAX];
    doc_block(text, info, " ", hex, sizeof hex);
    size_t n = 0;
    for (char *tok = strtok(hex, " "); tok; tok = strtok(NULL, " ")) {
        char *end;
        unsigned long v = strtoul(tok, &end, 16);
        if (*end || strlen(tok) != 2 || v > 255)
            fail_msg("%s: ```%s: \"%s\" is not a byte in hex", DOC, info, tok);
        assert_true(n < cap);
        out[n++] = (uint8_t)v;
    }
    return n;
}

static int connect_to(uint16_t port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    int on = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    return fd;
}

static void send_all(int fd, const void *bytes, size_t len)
{
    assert_int_equal(send(fd, bytes, len, MSG_NOSIGNAL), (ssize_t)len);
}

/* Reads until buf[0..*have) holds what done() wants, or 5 s pass. */
static bool read_until(int fd, uint8_t *buf, size_t cap, size_t *have,
                       bool (*done)(const uint8_t *buf, size_t have))
{
    uint64_t end = clock_now_ms() + 5000;
    while (!done(buf, *have) && clock_now_ms() < end && *have < cap) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 20) <= 0)
            continue;
        ssize_t n = recv(fd, buf + *have, cap - *have, 0);
        if (n <= 0)
            break;
        *have += (size_t)n;
    }
    return done(buf, *have);
}

static bool head_done(const uint8_t *buf, size_t have)
{
    return memmem(buf, have, "\r\n\r\n", 4) != NULL;
}

/* The first whole frame in buf that is a binary message holding a state
 * (its payload starts 01 01), or NULL; its length in *len. Frames before
 * it (control messages) are passed over. */
static const uint8_t *state_frame(const uint8_t *buf, size_t have, size_t *len)
{
    size_t at = 0;
    while (at + 2 <= have) {
        size_t payload = buf[at + 1] & 0x7f, head = 2;
        if (payload == 126) {
            if (at + 4 > have)
                return NULL;
            payload = (size_t)buf[at + 2] << 8 | buf[at + 3];
            head = 4;
        }
        if (at + head + payload > have)
            return NULL;
        if (buf[at] == 0x82 && payload >= 2 && buf[at + head] == 1 && buf[at + head + 1] == 1) {
            *len = head + payload;
            return buf + at;
        }
        at += head + payload;
    }
    return NULL;
}

static bool state_done(const uint8_t *buf, size_t have)
{
    size_t len;
    return state_frame(buf, have, &len) != NULL;
}

static bool welcome_done(const uint8_t *buf, size_t have)
{
    return memmem(buf, have, "\"welcome\"", 9) != NULL;
}

/* The doc's request on a new connection: the doc's response, byte for
 * byte; then a join as name (a masked text frame of our own), welcomed. */
static int member(uint16_t port, const char *request, size_t request_len, const char *response,
                  const char *name)
{
    int fd = connect_to(port);
    send_all(fd, request, request_len);
    uint8_t buf[4096];
    size_t have = 0;
    assert_true(read_until(fd, buf, sizeof buf, &have, head_done));
    size_t head = (size_t)((const uint8_t *)memmem(buf, have, "\r\n\r\n", 4) - buf) + 4;
    if (head != strlen(response) || memcmp(buf, response, head) != 0)
        fail_msg("the relay answered\n%.*s\nwhere %s shows\n%s", (int)head, buf, DOC, response);
    char join[128];
    int n = snprintf(join, sizeof join,
                     "{\"type\":\"join\",\"version\":3,\"room\":\"doc\",\"name\":\"%s\"}", name);
    uint8_t frame[160] = {0x81, (uint8_t)(0x80 | n), 1, 2, 3, 4};
    for (int i = 0; i < n; i++)
        frame[6 + i] = (uint8_t)(join[i] ^ frame[2 + i % 4]);
    send_all(fd, frame, 6 + (size_t)n);
    have -= head;
    memmove(buf, buf + head, have);
    assert_true(read_until(fd, buf, sizeof buf, &have, welcome_done));
    return fd;
}

static void the_docs_bytes_are_the_relays(void **state)
{
    (void)state;
    char *doc = harness_read_text(DOC);
    assert_non_null(doc);
    static char request[2048], response[2048];
    size_t request_len = doc_block(doc, "http request", "\r\n", request, sizeof request);
    doc_block(doc, "http response", "\r\n", response, sizeof response);
    uint8_t client[BYTES_MAX], relay_frame[BYTES_MAX];
    size_t client_len = doc_bytes(doc, "hex client", client, sizeof client);
    size_t relay_len = doc_bytes(doc, "hex relay", relay_frame, sizeof relay_frame);
    free(doc);

    /* the blocks agree: a 40-byte state, masked up, bare down, stamped */
    assert_int_equal(client_len, 6 + 40);
    assert_int_equal(relay_len, 2 + 40);
    assert_memory_equal(client, "\x82\xa8", 2);
    assert_memory_equal(relay_frame, "\x82\x28", 2);
    for (size_t i = 0; i < 40; i++)
        if (i < 4 || i >= 8)
            assert_int_equal(client[6 + i] ^ client[2 + i % 4], relay_frame[2 + i]);
    const char *key = strstr(request, "Sec-WebSocket-Key: ");
    assert_non_null(key);
    char accept[PROTO_WS_ACCEPT_LEN + 1];
    assert_int_equal(proto_ws_accept(key + 19, PROTO_WS_KEY_LEN, accept), 0);
    assert_non_null(strstr(response, accept));

    struct spawn_proc relay;
    const char *args[] = {"--listen", "ws://127.0.0.1:0", "--log-level", "warn", NULL};
    assert_true(harness_start_relay(&relay, args) > 0);
    uint16_t port = harness_edge_port(&relay, "ws");
    int sender = member(port, request, request_len, response, "doc-1"); /* id 1 */
    int receiver = member(port, request, request_len, response, "doc-2");
    send_all(sender, client, client_len);
    uint8_t buf[4096];
    size_t have = 0, len = 0;
    assert_true(read_until(receiver, buf, sizeof buf, &have, state_done));
    const uint8_t *got = state_frame(buf, have, &len);
    assert_int_equal(len, relay_len);
    assert_memory_equal(got, relay_frame, relay_len);
    print_message("%s: the request answered as shown; the client's frame came down as shown\n",
                  DOC);
    close(sender);
    close(receiver);
    free(harness_relay_finish(&relay));
    spawn_free(&relay);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_docs_bytes_are_the_relays),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
