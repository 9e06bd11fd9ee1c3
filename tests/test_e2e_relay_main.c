/* test_e2e_relay_main.c: the ricochet-relay program itself (from $RICOCHET_BIN):
 * its list of transports, option checks that the option table cannot
 * express, the kick ban end to end over plain UDP with bare sockets, and
 * its stats records on a terminal (one readable line) and not (JSON
 * lines). Every wait is bounded. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "proto/control.h"
#include "relay/transport.h"
#include "tests/support/harness.h"
#include "tests/support/json_strict.h"

#define WAIT_MS 5000

/* Runs the relay with args, expecting it to refuse them: exit 2 and one
 * stderr line "ricochet-relay: error: ..." containing want. */
static void refused(const char *const *args, const char *want)
{
    struct spawn_proc p;
    assert_int_equal(harness_spawn(&p, "ricochet-relay", args), 0);
    int code = spawn_stop(&p, 0, WAIT_MS);
    char *err = spawn_read_stderr(&p);
    assert_non_null(err);
    print_message("%s %s -> exit %d: %s", args[0], args[1], code, err);
    assert_int_equal(code, 2);
    assert_non_null(strstr(err, "ricochet-relay: error: "));
    assert_non_null(strstr(err, want));
    assert_non_null(strchr(err, '\n'));
    assert_int_equal(strchr(err, '\n')[1], '\0'); /* one line */
    free(err);
    spawn_free(&p);
}

/* A positive value that would round to 0 (which means "never") is an
 * error, not a silent switch-off. */
static void tiny_durations_are_refused(void **state)
{
    (void)state;
    const char *kick[] = { "--kick-after", "0.0001", "--port", "0", NULL };
    refused(kick, "--kick-after: 0.0001 is too small");
    const char *stats[] = { "--stats-interval", "1e-7", "--port", "0", NULL };
    refused(stats, "--stats-interval: 1e-07 is too small");
    const char *ban[] = { "--kick-ban-s", "-1", "--port", "0", NULL };
    refused(ban, "--kick-ban-s");
    const char *ban_frac[] = { "--kick-ban-s", "0.5", "--port", "0", NULL };
    refused(ban_frac, "--kick-ban-s");

    /* The smallest allowed values, and 0, start fine. */
    const char *ok[] = { "--kick-after", "0.001", "--stats-interval", "0.001",
                         "--kick-ban-s", "0", "--log-level", "warn", NULL };
    struct spawn_proc p;
    assert_true(harness_start_relay(&p, ok) > 0);
    clock_sleep_ms(50);
    assert_int_equal(spawn_stop(&p, SIGTERM, WAIT_MS), 0);
    char *out = spawn_read_stdout(&p);
    assert_non_null(out);
    assert_true(harness_stats_field(out, false, "uptime_s") >= 0); /* a record per ms */
    free(out);
    spawn_free(&p);
}

/* ---- the kick ban over plain UDP ---------------------------------------- */

static void send_to(int fd, uint16_t port, const char *json)
{
    struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(port) };
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ssize_t n = sendto(fd, json, strlen(json), 0, (struct sockaddr *)&to, sizeof to);
    assert_int_equal(n, (ssize_t)strlen(json));
}

/* Waits for a control message of type (and code, for errors) on fd;
 * decoded into *m. Returns true if it came within ms. */
static bool wait_for(int fd, enum proto_ctl_type type, const char *code, int ms,
                     struct proto_control *m)
{
    static char buf[PROTO_CONTROL_MAX];
    uint64_t deadline = clock_now_ms() + (uint64_t)ms;
    while (clock_now_ms() < deadline) {
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n <= 0) {
            clock_sleep_ms(5);
            continue;
        }
        if (buf[0] == '{' && proto_control_decode(buf, (size_t)n, m, NULL, 0) == PROTO_OK &&
            m->type == type && (!code || strcmp(m->code, code) == 0))
            return true;
    }
    return false;
}

static const char *JOIN_A = "{\"type\":\"join\",\"version\":2,\"room\":\"r\",\"name\":\"a\",\"mode\":\"udp\"}";
static const char *JOIN_B = "{\"type\":\"join\",\"version\":2,\"room\":\"r\",\"name\":\"b\",\"mode\":\"udp\"}";

static void kicked_udp_address_waits(void **state)
{
    (void)state;
    const char *args[] = { "--transport", "udp", "--max-strikes", "2", "--kick-ban-s", "1",
                           "--log-level", "warn", NULL };
    struct spawn_proc relay;
    int port = harness_start_relay(&relay, args);
    assert_true(port > 0);
    struct proto_control *m = calloc(1, sizeof *m);
    assert_non_null(m);
    int a = harness_udp_socket(NULL), b = harness_udp_socket(NULL);

    assert_true(harness_udp_join(a, (uint16_t)port, JOIN_A, m, WAIT_MS));
    assert_int_equal(m->type, PROTO_CTL_WELCOME);
    for (int i = 0; i < 5; i++)
        send_to(a, (uint16_t)port, "{nonsense");
    assert_true(wait_for(a, PROTO_CTL_ERROR, "kicked", WAIT_MS, m));
    uint64_t kicked_ms = clock_now_ms();

    /* On loopback a kick bans its endpoint: another port of 127.0.0.1 (a
     * developer's other client) is welcome at once... */
    assert_true(harness_udp_join(b, (uint16_t)port, JOIN_B, m, WAIT_MS));
    assert_int_equal(m->type, PROTO_CTL_WELCOME);
    /* ... the kicked one's own waits while the ban lasts. */
    assert_true(harness_udp_join(a, (uint16_t)port, JOIN_A, m, WAIT_MS));
    assert_int_equal(m->type, PROTO_CTL_ERROR);
    assert_string_equal(m->code, "kicked");
    print_message("udp: join right after the kick: error kicked: %s\n", m->text);
    assert_non_null(strstr(m->text, "try again in 1 s"));

    /* Then welcome again (the client retries its join every 250 ms). */
    bool welcomed = false;
    uint64_t deadline = clock_now_ms() + WAIT_MS;
    while (!welcomed && clock_now_ms() < deadline) {
        welcomed = harness_udp_join(a, (uint16_t)port, JOIN_A, m, 250) &&
                   m->type == PROTO_CTL_WELCOME;
        if (!welcomed)
            clock_sleep_ms(100);
    }
    uint64_t waited = clock_now_ms() - kicked_ms;
    print_message("udp: welcomed again %llu ms after the kick (--kick-ban-s 1)\n",
                  (unsigned long long)waited);
    assert_true(welcomed);
    assert_true(waited >= 900);

    assert_int_equal(spawn_stop(&relay, SIGTERM, WAIT_MS), 0);
    char *out = spawn_read_stdout(&relay);
    assert_non_null(out);
    assert_true(harness_stats_field(out, true, "drops.banned") >= 1);
    assert_int_equal(harness_stats_field(out, true, "kicks"), 1);
    free(out);
    spawn_free(&relay);
    close(a);
    close(b);
    free(m);
}

/* How many times the relay started with args warns that it listens beyond
 * this machine (nothing is sent anywhere: it only binds). */
static int beyond_loopback_warnings(const char *const *args)
{
    struct spawn_proc p;
    assert_int_equal(harness_spawn(&p, "ricochet-relay", args), 0);
    char err[256];
    assert_true(spawn_wait_listening(&p, WAIT_MS, err, sizeof err) > 0);
    assert_int_equal(spawn_stop(&p, SIGTERM, WAIT_MS), 0);
    char *text = spawn_read_stderr(&p);
    int n = 0;
    for (const char *s = text; (s = strstr(s, "beyond this machine")) != NULL; s++)
        n++;
    free(text);
    spawn_free(&p);
    return n;
}

/* Every interface (the default bind) is said once, loudly; loopback is not. */
static void warns_once_beyond_loopback(void **state)
{
    (void)state;
    const char *any[] = { "--bind", "0.0.0.0", "--port", "0", NULL };
    assert_int_equal(beyond_loopback_warnings(any), 1);
    const char *any_udp[] = { "--bind", "0.0.0.0", "--port", "0", "--transport", "udp", NULL };
    assert_int_equal(beyond_loopback_warnings(any_udp), 1);
    const char *local[] = { "--bind", "127.0.0.1", "--port", "0", NULL };
    assert_int_equal(beyond_loopback_warnings(local), 0);
    const char *local6[] = { "--bind", "::1", "--port", "0", "--transport", "udp", NULL };
    assert_int_equal(beyond_loopback_warnings(local6), 0);
}

/* --transport VALUE picks relay_transports[the index of VALUE in
 * RELAY_TRANSPORT_CHOICES]: the list and the option's choices agree, and
 * every transport has every operation. */
static void transport_choices_match_the_list(void **state)
{
    (void)state;
    char choices[] = RELAY_TRANSPORT_CHOICES;
    size_t i = 0;
    for (char *save = NULL, *name = strtok_r(choices, "|", &save); name;
         name = strtok_r(NULL, "|", &save), i++) {
        const struct relay_transport_ops *ops = relay_transports[i];
        assert_non_null(ops);
        assert_string_equal(ops->name, name);
        assert_true(ops->create && ops->core && ops->address && ops->fd && ops->due &&
                    ops->service && ops->backlog && ops->flush && ops->tick &&
                    ops->settled && ops->destroy);
    }
    assert_true(i >= 2);
    assert_null(relay_transports[i]);
}

/* A ricochet-relay whose stdout and stderr are a pseudo-terminal, as when
 * a person starts it in a shell. */
struct tty_relay {
    pid_t pid;
    int master;        /* what the terminal shows, read here */
    int slave;         /* held open here too, so that the relay's exit never makes the
                          master's read fail before all it wrote was read (Linux
                          hands a pty's bytes over later than the slave's close) */
    char text[16384];  /* everything read so far */
    size_t len;
};

static void tty_relay_start(struct tty_relay *t, const char *const *extra)
{
    const char *argv[16] = {"ricochet-relay", "--bind", "127.0.0.1", "--port", "0",
                            "--transport", "udp", "--stats-interval", "0.3"};
    size_t n = 9;
    for (; extra && *extra && n < 15; extra++)
        argv[n++] = *extra;
    argv[n] = NULL;
    char path[512];
    snprintf(path, sizeof path, "%s/ricochet-relay", harness_bin_dir());
    memset(t, 0, sizeof *t);
    t->master = posix_openpt(O_RDWR | O_NOCTTY);
    assert_true(t->master >= 0);
    assert_int_equal(grantpt(t->master), 0);
    assert_int_equal(unlockpt(t->master), 0);
    const char *slave = ptsname(t->master);
    assert_non_null(slave);
    t->slave = open(slave, O_RDWR | O_NOCTTY | O_CLOEXEC);
    assert_true(t->slave >= 0);
    t->pid = fork();
    assert_true(t->pid >= 0);
    if (t->pid == 0) {
        int fd = open(slave, O_RDWR);
        if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
            _exit(126);
        execv(path, (char *const *)argv);
        _exit(127);
    }
}

/* Reads what the terminal shows until it contains want (NULL: until the
 * relay closed it) or ms pass. Returns whether want was found. */
static bool tty_relay_read(struct tty_relay *t, const char *want, int ms)
{
    uint64_t deadline = clock_now_ms() + (uint64_t)ms;
    while (!(want && strstr(t->text, want)) && clock_now_ms() < deadline) {
        struct pollfd p = {.fd = t->master, .events = POLLIN};
        if (poll(&p, 1, 50) <= 0)
            continue;
        ssize_t n = read(t->master, t->text + t->len, sizeof t->text - 1 - t->len);
        if (n <= 0) /* EIO: the relay exited and closed the terminal */
            return want == NULL;
        t->len += (size_t)n;
        t->text[t->len] = '\0';
    }
    return want && strstr(t->text, want);
}

/* SIGTERM, then what it printed until it exited, and after; exit 0. */
static void tty_relay_stop(struct tty_relay *t)
{
    int status;
    pid_t gone = 0;
    uint64_t deadline = clock_now_ms() + WAIT_MS;
    assert_int_equal(kill(t->pid, SIGTERM), 0);
    while ((gone = waitpid(t->pid, &status, WNOHANG)) == 0 && clock_now_ms() < deadline)
        tty_relay_read(t, NULL, 50);
    if (gone == 0)
        gone = waitpid(t->pid, &status, 0);
    tty_relay_read(t, NULL, 300); /* what it wrote last, handed over late */
    assert_int_equal(gone, t->pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    close(t->slave);
    close(t->master);
}

/* On a terminal: one short line per record, with the drop reasons that
 * happened; --stats-json gives JSON lines there too (piped, JSON is the
 * default: test_e2e_conventions and every harness test read those). */
static void stats_on_a_terminal(void **state)
{
    (void)state;
    struct tty_relay t;
    tty_relay_start(&t, NULL);
    assert_true(tty_relay_read(&t, " (udp)", WAIT_MS));
    const char *colon = strstr(t.text, "listening on 127.0.0.1:");
    assert_non_null(colon);
    uint16_t port = (uint16_t)atoi(colon + strlen("listening on 127.0.0.1:"));
    int fd = harness_udp_socket(NULL);
    send_to(fd, port, "{\"type\":\"ping\",\"t\":1}"); /* before a join: not_joined */
    assert_true(tty_relay_read(&t, "(not_joined 1)", WAIT_MS));
    tty_relay_stop(&t);
    close(fd);
    print_message("%s", t.text);
    assert_null(strchr(t.text, '{'));
    const char *line = strstr(t.text, "relay ");
    assert_non_null(line);
    assert_non_null(strstr(line, " clients, 0 joined, 0 rooms | states 0/s in, 0/s out | "));
    const char *final = strstr(t.text, " (final, rates over the run): ");
    assert_non_null(final);
    assert_non_null(strstr(final, "| drops 1 (not_joined 1)"));
    /* a record is one line of a terminal's width or so, not ~900 characters */
    assert_true(strcspn(line, "\r\n") < 200);

    const char *json[] = {"--stats-json", NULL};
    tty_relay_start(&t, json);
    assert_true(tty_relay_read(&t, "{\"type\":\"stats\"", WAIT_MS));
    tty_relay_stop(&t);
    assert_true(json_strict_lines("ricochet-relay --stats-json on a terminal", t.text, NULL,
                                  NULL) >= 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(transport_choices_match_the_list),
        cmocka_unit_test(warns_once_beyond_loopback),
        cmocka_unit_test(tiny_durations_are_refused),
        cmocka_unit_test(kicked_udp_address_waits),
        cmocka_unit_test(stats_on_a_terminal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
