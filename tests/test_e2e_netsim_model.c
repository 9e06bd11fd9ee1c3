/* test_e2e_netsim_model.c: ricochet-netsim's model changed while it runs
 * (PUT /model on its --metrics endpoint). States go through netsim's UDP
 * proxy to a socket playing the relay; the model is set to 0, 20, 50 and
 * back to 0% loss, each answered with the model in force, and the drop rate
 * measured after each matches its setting; the drop log has a model line
 * per change and direction, each within 100 ms of its answer, every loss
 * of a phase after its own line and as many as the states the relay
 * missed. Bad bodies (out of range, another option, not JSON, too long)
 * get 400 or 413 with the option's one-line error and change nothing;
 * other methods and paths are refused; a request naming another Host (a
 * DNS-rebinding page) gets 421 and changes nothing, under localhost it is
 * taken. A storm of changes from four threads never holds a datagram
 * back: every state arrives, in time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <inttypes.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "lab/harness/spawn.h"
#include "proto/wire.h"
#include "sys/clock.h"
#include "tests/support/harness.h"
#include "tests/support/http.h"

#define PHASE_STATES 1000

struct bench_net {
    struct spawn_proc netsim;
    int relay, client;          /* the fake relay's socket, the client's */
    struct sockaddr_in proxy;   /* where the client sends */
    char metrics[64];           /* netsim's endpoint */
    char log[64];               /* its drop log */
};

static void net_start(struct bench_net *n, const char *loss)
{
    uint16_t relay_port;
    n->relay = harness_udp_socket(&relay_port);
    n->client = harness_udp_socket(NULL);
    int size = 1 << 21; /* a full buffer would be loss netsim did not do */
    setsockopt(n->relay, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    snprintf(n->log, sizeof n->log, "/tmp/ricochet-model-XXXXXX");
    int fd = mkstemp(n->log);
    assert_true(fd >= 0);
    close(fd);
    char relay_arg[32];
    snprintf(relay_arg, sizeof relay_arg, "127.0.0.1:%u", relay_port);
    const char *args[] = {"--relay", relay_arg, "--loss", loss, "--wire", "udp", "--seed", "5",
                          "--drop-log", n->log, "--metrics", "0", "--duration", "120", NULL};
    int port = harness_start_netsim(&n->netsim, args);
    n->proxy = (struct sockaddr_in){.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                                    .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    http_wait_endpoint(&n->netsim, n->metrics, sizeof n->metrics);
}

static void net_stop(struct bench_net *n)
{
    assert_int_equal(spawn_stop(&n->netsim, SIGTERM, 10000), 0);
    spawn_free(&n->netsim);
    close(n->relay);
    close(n->client);
}

/* PUT /model with body; returns the status, the answer's body into *text
 * (the caller frees) if text is not NULL. */
static int put_model(const struct bench_net *n, const char *body, char **text)
{
    struct http_response r;
    assert_int_equal(http_send(n->metrics, "PUT", "/model", body, 5000, &r), 0);
    int status = r.status;
    if (text)
        *text = strdup(r.body);
    http_response_free(&r);
    return status;
}

/* The model's setting name of direction dir, from GET /model. */
static double model_value(const struct bench_net *n, const char *dir, const char *name)
{
    struct http_response r = http_get(n->metrics, "/model");
    assert_int_equal(r.status, 200);
    cJSON *root = cJSON_Parse(r.body);
    const cJSON *v = cJSON_GetObjectItem(cJSON_GetObjectItem(root, dir), name);
    assert_true(cJSON_IsNumber(v));
    double x = v->valuedouble;
    cJSON_Delete(root);
    http_response_free(&r);
    return x;
}

/* Sends count states from seq first on, paced, and counts what the relay
 * got. Returns how many arrived; *max_gap_ms: the longest wait between two
 * arrivals once the first came. */
static int send_states(struct bench_net *n, uint32_t first, int count, double *max_gap_ms)
{
    uint8_t buf[2048];
    int sent = 0, got = 0;
    uint64_t last_arrival = 0, quiet_since = clock_now_ms(), gap = 0;
    uint64_t deadline = clock_now_ms() + 60000;
    while (clock_now_ms() < deadline) {
        for (int k = 0; k < 2 && sent < count; k++, sent++) { /* paced: no buffer loss */
            struct proto_state s = {.seq = first + (uint32_t)sent, .send_us = 1};
            assert_int_equal(proto_state_encode(buf, PROTO_STATE_SIZE, &s), PROTO_STATE_SIZE);
            assert_int_equal(sendto(n->client, buf, PROTO_STATE_SIZE, 0,
                                    (struct sockaddr *)&n->proxy, sizeof n->proxy),
                             PROTO_STATE_SIZE);
        }
        struct pollfd pf = {n->relay, POLLIN, 0};
        int r = poll(&pf, 1, sent < count ? 1 : 20);
        if (r == 0 && sent == count && clock_now_ms() - quiet_since > 300)
            break;
        if (r <= 0)
            continue;
        quiet_since = clock_now_ms();
        while (harness_recv_from_pid(n->relay, n->netsim.pid, buf, sizeof buf, NULL) > 0) {
            uint64_t now = clock_now_ms();
            if (last_arrival && now - last_arrival > gap)
                gap = now - last_arrival;
            last_arrival = now;
            got++;
        }
    }
    if (max_gap_ms)
        *max_gap_ms = (double)gap;
    return got;
}

/* The drop log's lines: model lines (their time, direction, loss setting)
 * and loss lines (their time), in order. */
struct log_view {
    uint64_t model_t[16];
    char model_dir[16][8];
    double model_loss[16];
    int models;
    uint64_t *loss_t;
    int losses;
};

static void read_log(const char *path, struct log_view *v)
{
    memset(v, 0, sizeof *v);
    v->loss_t = calloc(4 * PHASE_STATES + 16, sizeof *v->loss_t);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[1024], ev[16], dir[8];
    uint64_t t;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#' || sscanf(line, "%" SCNu64 " %15s %7s", &t, ev, dir) != 3)
            continue;
        if (!strcmp(ev, "model")) {
            assert_true(v->models < 16);
            const char *loss = strstr(line, " loss=");
            v->model_t[v->models] = t;
            snprintf(v->model_dir[v->models], sizeof v->model_dir[0], "%s", dir);
            v->model_loss[v->models++] = loss ? atof(loss + 6) : 0;
        } else if (!strcmp(ev, "loss")) {
            v->loss_t[v->losses++] = t;
        }
    }
    fclose(f);
}

static void drop_rate_follows_each_setting(void **state)
{
    (void)state;
    static const double settings[] = {0, 20, 50, 0};
    enum { PHASES = sizeof settings / sizeof settings[0] };
    struct bench_net n;
    net_start(&n, "0");
    uint64_t answered_us[PHASES];
    int missed[PHASES];
    for (int k = 0; k < PHASES; k++) {
        char body[64], *text = NULL;
        snprintf(body, sizeof body, "{\"loss\": %g}", settings[k]);
        assert_int_equal(put_model(&n, body, &text), 200);
        answered_us[k] = clock_now_us();
        cJSON *m = cJSON_Parse(text); /* the answer: the model in force, both ways */
        assert_float_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(m, "up"), "loss")->valuedouble,
                           settings[k], 1e-9);
        assert_float_equal(
            cJSON_GetObjectItem(cJSON_GetObjectItem(m, "down"), "loss")->valuedouble,
            settings[k], 1e-9);
        cJSON_Delete(m);
        free(text);
        clock_sleep_ms(100); /* a change takes effect within 100 ms */
        int got = send_states(&n, (uint32_t)(k * PHASE_STATES), PHASE_STATES, NULL);
        missed[k] = PHASE_STATES - got;
        double rate = 100.0 * missed[k] / PHASE_STATES;
        print_message("loss %g%%: %d of %d states dropped, %.1f%%\n", settings[k], missed[k],
                      PHASE_STATES, rate);
        /* 1000 draws: within 4 standard deviations (2.1 points at 20%, 6.3 at 50%) */
        double sd = 100.0 * sqrt(settings[k] / 100 * (1 - settings[k] / 100) / PHASE_STATES);
        assert_true(fabs(rate - settings[k]) <= 4 * sd + 1e-9);
    }
    assert_float_equal(model_value(&n, "up", "loss"), 0, 1e-9);
    net_stop(&n);

    struct log_view v;
    read_log(n.log, &v);
    assert_int_equal(v.models, 2 * PHASES); /* a line per change and direction */
    for (int k = 0; k < PHASES; k++) {
        for (int d = 0; d < 2; d++) {
            int i = 2 * k + d;
            assert_string_equal(v.model_dir[i], d ? "down" : "up");
            assert_float_equal(v.model_loss[i], settings[k], 1e-9);
            /* in force within 100 ms of the answer, before it even */
            assert_true(v.model_t[i] <= answered_us[k] + 100000);
        }
        /* each phase's losses lie after its model line, before the next,
         * as many as the relay missed */
        uint64_t from = v.model_t[2 * k], to = k + 1 < PHASES ? v.model_t[2 * k + 2] : UINT64_MAX;
        int in_phase = 0;
        for (int i = 0; i < v.losses; i++)
            in_phase += v.loss_t[i] >= from && v.loss_t[i] < to;
        assert_int_equal(in_phase, missed[k]);
    }
    free(v.loss_t);
    unlink(n.log);
}

static void bad_bodies_change_nothing(void **state)
{
    (void)state;
    struct bench_net n;
    net_start(&n, "3");
    static const struct {
        const char *body, *says;
    } bad[] = {
        {"{\"loss\": 101}", "--loss"},
        {"{\"delay\": -1}", "--delay"},
        {"{\"up-loss\": -0.5}", "--up-loss"},
        {"{\"jitter-dist\": \"bimodal\"}", "--jitter-dist"},
        {"{\"relay\": \"127.0.0.1:9\"}", "\"relay\" is not a setting of the model"},
        {"{\"loss\": [1]}", "--loss"},
        {"{\"reorder-pct\": 5}", "needs a delay"},
        {"[1, 2]", "not a JSON object"},
        {"loss=5", "not a JSON object"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *text = NULL;
        assert_int_equal(put_model(&n, bad[i].body, &text), 400);
        print_message("%s: %s", bad[i].body, text);
        assert_non_null(strstr(text, bad[i].says));
        assert_non_null(strchr(text, '\n'));
        assert_ptr_equal(strchr(text, '\n'), text + strlen(text) - 1); /* one line */
        free(text);
    }
    char big[5000];
    memset(big, ' ', sizeof big - 1);
    big[0] = '{';
    big[sizeof big - 2] = '}';
    big[sizeof big - 1] = '\0';
    assert_int_equal(put_model(&n, big, NULL), 413);
    struct http_response r;
    static const char *const refused[][2] = {
        {"POST", "/model"}, {"DELETE", "/model"}, {"PUT", "/metrics"}, {"PUT", "/"},
        {"GET", "/models"}, {"OPTIONS", "/model"},
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        assert_int_equal(http_send(n.metrics, refused[i][0], refused[i][1], "{\"loss\": 9}", 5000,
                                   &r), 0);
        assert_true(r.status == 404 || r.status == 405);
        http_response_free(&r);
    }
    /* A page whose name was rebound to 127.0.0.1 (DNS rebinding): 421 on
     * every path, the model untouched; under localhost it is netsim's */
    char host[96];
    const char *port = strrchr(n.metrics, ':') + 1;
    snprintf(host, sizeof host, "rebind.attacker.example:%s", port);
    const char *foreign[] = { "rebind.attacker.example", host };
    static const char *const paths[][2] = {
        {"PUT", "/model"}, {"GET", "/model"}, {"GET", "/metrics"}, {"GET", "/"},
    };
    for (size_t i = 0; i < 2; i++) {
        for (size_t k = 0; k < sizeof paths / sizeof paths[0]; k++) {
            const char *body = strcmp(paths[k][0], "PUT") ? NULL : "{\"loss\": 50}";
            assert_int_equal(http_send_host(n.metrics, foreign[i], paths[k][0], paths[k][1],
                                            body, 5000, &r), 0);
            int status = r.status;
            http_response_free(&r);
            if (status != 421)
                fail_msg("%s %s as %s: %d", paths[k][0], paths[k][1], foreign[i], status);
        }
    }
    assert_float_equal(model_value(&n, "up", "loss"), 3, 1e-9); /* not 50 */
    snprintf(host, sizeof host, "localhost:%s", port);
    assert_int_equal(http_send_host(n.metrics, host, "PUT", "/model", "{\"loss\": 3}", 5000, &r),
                     0);
    assert_int_equal(r.status, 200);
    http_response_free(&r);
    assert_int_equal(http_send_host(n.metrics, "localhost", "GET", "/model", NULL, 5000, &r), 0);
    assert_int_equal(r.status, 200);
    http_response_free(&r);
    assert_float_equal(model_value(&n, "up", "loss"), 3, 1e-9); /* as it started */
    assert_float_equal(model_value(&n, "down", "loss"), 3, 1e-9);
    net_stop(&n);
    unlink(n.log);
}

/* A thread of the storm: PUT /model as fast as answers come. */
struct storm {
    const struct bench_net *n;
    volatile int *stop;
    int sent, ok;
};

static void *storm_run(void *arg)
{
    struct storm *s = arg;
    while (!*s->stop) {
        struct http_response r;
        if (http_send(s->n->metrics, "PUT", "/model", s->sent % 2 ? "{\"loss\": 0}" :
                      "{\"loss\": 0, \"delay\": 0}", 5000, &r) == 0) {
            s->ok += r.status == 200;
            http_response_free(&r);
        }
        s->sent++;
    }
    return NULL;
}

static void a_storm_of_changes_holds_nothing_back(void **state)
{
    (void)state;
    struct bench_net n;
    net_start(&n, "0");
    volatile int stop = 0;
    struct storm storms[4];
    pthread_t threads[4];
    for (int i = 0; i < 4; i++) {
        storms[i] = (struct storm){.n = &n, .stop = &stop};
        assert_int_equal(pthread_create(&threads[i], NULL, storm_run, &storms[i]), 0);
    }
    double gap_ms;
    int got = send_states(&n, 0, 2 * PHASE_STATES, &gap_ms);
    stop = 1;
    int puts = 0, ok = 0;
    for (int i = 0; i < 4; i++) {
        pthread_join(threads[i], NULL);
        puts += storms[i].sent;
        ok += storms[i].ok;
    }
    print_message("%d changes asked (%d answered 200) while %d of %d states went through; "
                  "longest wait between two: %.0f ms\n", puts, ok, got, 2 * PHASE_STATES,
                  gap_ms);
    assert_true(ok > 20);
    assert_int_equal(got, 2 * PHASE_STATES); /* loss 0 throughout: none held back or lost */
    assert_true(gap_ms < 1000); /* a stalled loop would hold them for seconds */
    net_stop(&n);
    unlink(n.log);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(drop_rate_follows_each_setting),
        cmocka_unit_test(bad_bodies_change_nothing),
        cmocka_unit_test(a_storm_of_changes_holds_nothing_back),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
