/* test_client_offer.c: the client library's WebRTC signalling
 * (`client_offer.c`) against an HTTP server of the test's on 127.0.0.1: the
 * request is PROTOCOL.md's `POST /rtc` (`application/sdp`, the ticket's pass as
 * `Bearer`, none without one, its `Content-Length`, the offer whole), a 201's
 * body read in pieces is the answer; a refusal is its status and the first line
 * of its text, printable only; an answer cut short, a head that never ends, one
 * that is not HTTP, a connection closed before the head, a relay that does not
 * listen: each fails in one line, nothing blocks */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "client/lib/transports/client_transports_internal.h"
#include "sys/clock.h"

#define OFFER "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"
#define ANSWER_SDP "v=0\r\no=- 7 2 IN IP4 127.0.0.1\r\na=ice-lite\r\n"

/* A listening TCP socket on 127.0.0.1 and its address. */
static int listener(union netaddr *at)
{
    char err[128];
    assert_int_equal(netaddr_resolve("127.0.0.1", 0, at, err, sizeof err), 0);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    socklen_t len = sizeof *at;
    assert_true(fd >= 0);
    assert_int_equal(bind(fd, &at->sa, netaddr_len(at)), 0);
    assert_int_equal(listen(fd, 4), 0);
    assert_int_equal(getsockname(fd, &at->sa, &len), 0);
    return fd;
}

/* Steps o until it is no longer waiting (the server's side done by then),
 * at most 5 s. */
static enum client_offer_state settle(struct client_offer *o, char *answer, size_t cap,
                                      char *why, size_t why_cap)
{
    uint64_t until = clock_now_ms() + 5000;
    enum client_offer_state st;
    while ((st = client_offer_step(o, answer, cap, why, why_cap)) == CLIENT_OFFER_WAITING &&
           clock_now_ms() < until) {
        struct pollfd p = {.fd = client_offer_fd(o), .events = POLLIN | POLLOUT};
        poll(&p, 1, 10);
    }
    return st;
}

/* The request as the server reads it: until its body (Content-Length) is in. */
static size_t read_request(int conn, char *buf, size_t cap, struct client_offer *o)
{
    size_t len = 0;
    char answer[8], why[8];
    uint64_t until = clock_now_ms() + 5000;
    while (clock_now_ms() < until) {
        client_offer_step(o, answer, sizeof answer, why, sizeof why); /* it sends as it can */
        ssize_t n = recv(conn, buf + len, cap - 1 - len, MSG_DONTWAIT);
        if (n > 0)
            len += (size_t)n;
        buf[len] = '\0';
        const char *end = strstr(buf, "\r\n\r\n");
        if (end && len - (size_t)(end + 4 - buf) >= strlen(OFFER))
            return len;
        usleep(1000);
    }
    fail_msg("no whole request came");
    return 0;
}

/* One exchange: the client posts, the server answers with reply (written
 * in two pieces, then closed if close_after). Returns the state. */
static enum client_offer_state exchange(const char *pass, const char *reply, bool close_after,
                                        char *request, char *answer, size_t cap, char *why,
                                        size_t why_cap)
{
    union netaddr at;
    int lfd = listener(&at);
    char err[200];
    struct client_offer *o = client_offer_new(&at, OFFER, pass, err, sizeof err);
    assert_non_null(o);
    int conn = accept(lfd, NULL, NULL);
    assert_true(conn >= 0);
    read_request(conn, request, 8192, o);
    size_t n = strlen(reply), half = n / 2;
    assert_int_equal(send(conn, reply, half, MSG_NOSIGNAL), (ssize_t)half);
    char early[8];
    assert_int_equal(client_offer_step(o, answer, cap, early, sizeof early),
                     CLIENT_OFFER_WAITING); /* half an answer is no answer */
    assert_int_equal(send(conn, reply + half, n - half, MSG_NOSIGNAL), (ssize_t)(n - half));
    if (close_after)
        shutdown(conn, SHUT_WR);
    enum client_offer_state st = settle(o, answer, cap, why, why_cap);
    client_offer_free(o);
    close(conn);
    close(lfd);
    return st;
}

static void the_request_and_its_answer(void **state)
{
    (void)state;
    static char request[8192], answer[1024], why[200];
    char reply[512];
    snprintf(reply, sizeof reply,
             "HTTP/1.1 201 Created\r\nContent-Type: application/sdp\r\nLocation: /rtc\r\n"
             "content-length: %zu\r\n\r\n%s", strlen(ANSWER_SDP), ANSWER_SDP);
    assert_int_equal(exchange("PASS123", reply, false, request, answer, sizeof answer, why,
                              sizeof why),
                     CLIENT_OFFER_ANSWERED);
    assert_string_equal(answer, ANSWER_SDP);
    assert_true(strncmp(request, "POST /rtc HTTP/1.1\r\n", 20) == 0);
    assert_non_null(strstr(request, "\r\nContent-Type: application/sdp\r\n"));
    assert_non_null(strstr(request, "\r\nAuthorization: Bearer PASS123\r\n"));
    char length[64];
    snprintf(length, sizeof length, "\r\nContent-Length: %zu\r\n", strlen(OFFER));
    assert_non_null(strstr(request, length));
    assert_string_equal(strstr(request, "\r\n\r\n") + 4, OFFER);
    /* without a ticket, no Authorization */
    assert_int_equal(exchange(NULL, reply, false, request, answer, sizeof answer, why,
                              sizeof why),
                     CLIENT_OFFER_ANSWERED);
    assert_null(strstr(request, "Authorization"));
}

static void refusals_in_a_line(void **state)
{
    (void)state;
    static char request[8192], answer[1024], why[200];
    const char *refused = "HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\n"
                          "Content-Length: 29\r\n\r\nticket \x01refused: expired\nmore";
    assert_int_equal(exchange(NULL, refused, false, request, answer, sizeof answer, why,
                              sizeof why),
                     CLIENT_OFFER_FAILED);
    assert_string_equal(why, "the relay refused the offer: 403 ticket refused: expired");
    const char *cut = "HTTP/1.1 201 Created\r\nContent-Length: 400\r\n\r\nv=0\r\n";
    assert_int_equal(exchange(NULL, cut, true, request, answer, sizeof answer, why, sizeof why),
                     CLIENT_OFFER_FAILED);
    assert_non_null(strstr(why, "cut short"));
    assert_int_equal(exchange(NULL, "SSH-2.0-OpenSSH\r\n\r\n", false, request, answer,
                              sizeof answer, why, sizeof why),
                     CLIENT_OFFER_FAILED);
    assert_non_null(strstr(why, "not HTTP"));
    static char endless[5000];
    memset(endless, 'x', sizeof endless - 1);
    assert_int_equal(exchange(NULL, endless, false, request, answer, sizeof answer, why,
                              sizeof why),
                     CLIENT_OFFER_FAILED);
    assert_non_null(strstr(why, "too long"));
    assert_int_equal(exchange(NULL, "HTTP/1.1 201 Created\r\n", true, request, answer,
                              sizeof answer, why, sizeof why),
                     CLIENT_OFFER_FAILED);
    assert_non_null(strstr(why, "closed the connection before its answer"));
}

static void a_relay_that_does_not_listen(void **state)
{
    (void)state;
    union netaddr at;
    int lfd = listener(&at);
    close(lfd); /* the port is free again: nobody listens */
    char err[200], answer[64], why[200];
    struct client_offer *o = client_offer_new(&at, OFFER, NULL, err, sizeof err);
    if (!o) { /* the kernel may refuse the connect at once */
        assert_non_null(strstr(err, "Connection refused"));
        return;
    }
    assert_int_equal(settle(o, answer, sizeof answer, why, sizeof why), CLIENT_OFFER_FAILED);
    assert_non_null(strstr(why, "could not reach the relay's HTTP front"));
    client_offer_free(o);
    client_offer_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_request_and_its_answer),
        cmocka_unit_test(refusals_in_a_line),
        cmocka_unit_test(a_relay_that_does_not_listen),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
