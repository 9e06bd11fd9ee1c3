/* test_rtc_aiortc.c: an independent WebRTC client, Debian's python3-aiortc
 * (tests/support/aiortc_peer.py), against the relay's webrtc modules
 * (relay/webrtc/rtc_host.h) on a UDP socket on 127.0.0.1: its offer
 * answered (signalling through a file), ICE-lite checks, DTLS, SCTP and
 * DCEP, then messages both ways on both channels: the relay greets on each
 * channel and echoes everything; aiortc sends COUNT messages on each. The
 * reliable channel delivers every message both ways, in order; the
 * unordered one, on loopback, nearly all. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lab/harness/spawn.h"
#include "relay/webrtc/rtc_host.h"
#include "sys/clock.h"
#include "tests/support/harness.h"

#define COUNT 300

static int fd = -1;
static struct rtc_host *host;
static int state_in, control_in, sends_failed;
static bool control_in_order = true;
static int last_control = -1;
static struct rtc_host_counters at_last; /* when the last control message came: before aiortc closes */

static void on_send(void *ctx, const union netaddr *to, const uint8_t *data, size_t len)
{
    (void)ctx;
    assert_true(netaddr_is_loopback(to));
    if (sendto(fd, data, len, 0, &to->sa, netaddr_len(to)) < 0)
        sends_failed++;
}

static void on_channel(void *ctx, unsigned slot, const struct rtc_sctp_channel *ch)
{
    (void)ctx;
    char hello[RTC_SCTP_LABEL_MAX + 8];
    bool state = strcmp(ch->label, "state") == 0;
    if (state)
        assert_true(!ch->ordered && !ch->reliable && ch->reliability == 0);
    else
        assert_true(ch->ordered && ch->reliable && strcmp(ch->label, "control") == 0);
    snprintf(hello, sizeof hello, "hello %s", ch->label);
    assert_int_equal(rtc_host_send(host, slot, ch->sid, state, (const uint8_t *)hello, strlen(hello)),
                     0);
}

static void on_message(void *ctx, unsigned slot, uint16_t sid, bool binary, const uint8_t *data,
                       size_t len)
{
    (void)ctx;
    char echo[128];
    int n = snprintf(echo, sizeof echo, "echo %.*s", (int)len, (const char *)data);
    if (binary) {
        state_in++;
    } else {
        int k = atoi(echo + strlen("echo control "));
        control_in_order &= k == last_control + 1;
        last_control = k;
        if (++control_in == COUNT)
            at_last = *rtc_host_counters(host);
    }
    if (rtc_host_send(host, slot, sid, binary, (const uint8_t *)echo, (size_t)n) != 0)
        sends_failed++;
}

static const struct rtc_host_ops ops = {.send = on_send, .channel = on_channel,
                                        .message = on_message};

/* Reads the socket and turns timers for up to ms, or until stop() holds. */
static void serve(int ms, struct spawn_proc *p, const char *until_key, cJSON **result)
{
    uint64_t deadline = clock_now_ms() + (uint64_t)ms;
    uint8_t buf[2048];
    while (clock_now_ms() < deadline) {
        uint64_t now = clock_now_us(), due = rtc_host_due(host);
        int wait = due == UINT64_MAX ? 20 : due <= now ? 0 : (int)((due - now) / 1000) + 1;
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        if (poll(&pfd, 1, wait > 20 ? 20 : wait) > 0) {
            union netaddr from;
            socklen_t fl = sizeof from;
            ssize_t n;
            while ((n = recvfrom(fd, buf, sizeof buf, MSG_DONTWAIT, &from.sa, &fl)) >= 0) {
                rtc_host_input(host, &from, buf, (size_t)n, clock_now_us());
                fl = sizeof from;
            }
        }
        if (rtc_host_due(host) <= clock_now_us())
            rtc_host_timers(host, clock_now_us());
        if (until_key && (*result = harness_json_line(p, until_key)))
            return;
        if (!spawn_running(p) && !until_key)
            return;
    }
}

static void aiortc_exchanges_messages(void **state)
{
    (void)state;
    char err[256];
    union netaddr bind_to;
    assert_int_equal(netaddr_resolve("127.0.0.1", 0, &bind_to, err, sizeof err), 0);
    fd = netaddr_udp_socket(&bind_to, SOCK_NONBLOCK);
    assert_true(fd >= 0);
    assert_int_equal(bind(fd, &bind_to.sa, netaddr_len(&bind_to)), 0);
    socklen_t len = sizeof bind_to;
    assert_int_equal(getsockname(fd, &bind_to.sa, &len), 0);

    struct rtc_host_config cfg;
    rtc_host_default_config(&cfg);
    cfg.advertise = bind_to;
    host = rtc_host_new(&cfg, &ops, NULL, clock_now_us(), err, sizeof err);
    assert_non_null(host);

    char answer_path[] = "/tmp/ricochet-aiortc-XXXXXX";
    int afd = mkstemp(answer_path);
    assert_true(afd >= 0);
    close(afd);
    unlink(answer_path); /* the script waits for it to appear */
    char count[16];
    snprintf(count, sizeof count, "%d", COUNT);
    const char *args[] = {"tests/support/aiortc_peer.py", answer_path, count, NULL};
    struct spawn_proc p;
    if (spawn_start(&p, "/usr/bin", "python3", args, err, sizeof err) != 0)
        fail_msg("%s", err);

    cJSON *offer = NULL;
    serve(20000, &p, "offer", &offer);
    if (!offer) {
        char *e = spawn_read_stderr(&p);
        fail_msg("no offer from aiortc (python3-aiortc installed?): %s", e ? e : "");
    }
    const char *sdp = cJSON_GetObjectItem(offer, "offer")->valuestring;
    char answer[RTC_SDP_ANSWER_MAX + 1], why[128], tmp[64];
    unsigned slot;
    int n = rtc_host_answer(host, sdp, strlen(sdp), NULL, clock_now_us(), clock_unix_s(), answer,
                            sizeof answer, &slot, NULL, why, sizeof why);
    if (n <= 0)
        fail_msg("offer refused: %s", why);
    cJSON_Delete(offer);
    snprintf(tmp, sizeof tmp, "%s.tmp", answer_path);
    FILE *f = fopen(tmp, "w");
    assert_non_null(f);
    fwrite(answer, 1, (size_t)n, f);
    fclose(f);
    assert_int_equal(rename(tmp, answer_path), 0);

    cJSON *result = NULL;
    serve(40000, &p, "control_echoes", &result);
    if (!result) {
        char *e = spawn_read_stderr(&p);
        fail_msg("aiortc did not finish: %s", e ? e : "");
    }
    serve(2000, &p, NULL, NULL); /* its close */
    assert_int_equal(spawn_stop(&p, 0, 5000), 0);
    int state_echoes = cJSON_GetObjectItem(result, "state_echoes")->valueint;
    int control_echoes = cJSON_GetObjectItem(result, "control_echoes")->valueint;
    printf("aiortc: relay got %d state and %d control messages of %d; aiortc got %d and %d echoes\n",
           state_in, control_in, COUNT, state_echoes, control_echoes);
    assert_int_equal(cJSON_GetObjectItem(result, "state_greeting")->valueint, 1);
    assert_int_equal(cJSON_GetObjectItem(result, "control_greeting")->valueint, 1);
    assert_int_equal(control_in, COUNT);
    assert_true(control_in_order);
    assert_int_equal(control_echoes, COUNT);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(result, "control_in_order")));
    assert_true(state_in >= COUNT * 9 / 10);
    assert_true(state_echoes >= state_in * 9 / 10);
    assert_int_equal(sends_failed, 0);
    const struct rtc_host_counters *c = &at_last;
    assert_int_equal(c->stun_integrity + c->stun_unknown + c->stun_malformed + c->dtls_unverified, 0);
    assert_true(c->stun_answered >= 1);
    assert_int_equal(rtc_host_sessions(host), 0); /* its close ended the session */
    cJSON_Delete(result);
    spawn_free(&p);
    unlink(answer_path);
    rtc_host_free(host);
    close(fd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(aiortc_exchanges_messages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
