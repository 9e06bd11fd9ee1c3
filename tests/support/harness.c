/* harness.c: see harness.h. */
#include "harness.h"
#include "../../stats/pattern.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <cjson/cJSON.h>

#include "../../audit/audit.h"
#include "../../client/lib/client.h"
#include "../../sys/clock.h"
#include "../../proto/statsrec.h"

const char *harness_bin_dir(void)
{
    const char *dir = getenv("RICOCHET_BIN");
    return dir && *dir ? dir : "build/asan/bin";
}

char *harness_read_text(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, len = 0, n;
    char *buf = malloc(cap);
    assert_non_null(buf);
    while ((n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += n;
        if (len + 1 == cap) {
            cap *= 2;
            buf = realloc(buf, cap);
            assert_non_null(buf);
        }
    }
    buf[len] = '\0';
    fclose(f);
    return buf;
}

int harness_install_lib(char *dir, size_t cap)
{
    if (snprintf(dir, cap, "/tmp/ricochet-lib-XXXXXX") >= (int)cap || !mkdtemp(dir))
        return -1;
    char cmd[512];
    snprintf(cmd, sizeof cmd,
             "env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s install-lib BUILD=build SAN= "
             "FUZZ= DESTDIR=%s PREFIX=/usr > %s/make.log 2>&1 || { cat %s/make.log; exit 1; }",
             dir, dir, dir);
    return system(cmd) == 0 ? 0 : -1;
}

int harness_spawn(struct spawn_proc *p, const char *prog,
                  const char *const *args)
{
    char err[512];
    if (spawn_start(p, harness_bin_dir(), prog, args, err, sizeof err) != 0) {
        fprintf(stderr, "harness: %s (RICOCHET_BIN=%s)\n", err, harness_bin_dir());
        return -1;
    }
    return 0;
}

int harness_start_relay(struct spawn_proc *p, const char *const *args)
{
    /* one more than spawn_start takes, so that too many is an error there */
    const char *argv[SPAWN_MAX_ARGS + 2];
    size_t n = 0;
    bool listen = false;
    for (size_t i = 0; args && args[i]; i++)
        listen |= strncmp(args[i], "--listen", 8) == 0;
    if (!listen) {
        argv[n++] = "--bind";
        argv[n++] = "127.0.0.1";
        argv[n++] = "--port";
        argv[n++] = "0";
    }
    for (size_t i = 0; args && args[i] && n <= SPAWN_MAX_ARGS; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    if (harness_spawn(p, "ricochet-relay", argv) != 0)
        return -1;
    char err[4096]; /* room for the end of a sanitizer report */
    int port = spawn_wait_listening(p, 10000, err, sizeof err);
    if (port < 0) {
        fprintf(stderr, "harness: %s\n", err);
        spawn_stop(p, SIGKILL, 2000);
    }
    return port;
}

uint16_t harness_edge_port(struct spawn_proc *relay, const char *edge)
{
    char want[64];
    snprintf(want, sizeof want, " (%s)\n", edge);
    uint64_t deadline = clock_now_ms() + 5000;
    for (;;) {
        char *text = spawn_read_stderr(relay);
        int port = 0;
        for (const char *at = text; at && !port && (at = strstr(at, "listening on ")); at++) {
            const char *end = strchr(at, '\n');
            const char *name = strstr(at, " (");
            if (!end || !name || name > end ||
                strncmp(name, want, strlen(want)) != 0)
                continue;
            const char *colon = name;
            while (colon > at && *colon != ':')
                colon--;
            port = atoi(colon + 1);
        }
        free(text);
        if (port > 0 && port < 65536)
            return (uint16_t)port;
        if (clock_now_ms() >= deadline)
            fail_msg("the relay said no \"listening on ... (%s)\" line", edge);
        clock_sleep_ms(5);
    }
}

void harness_start_edges(struct spawn_proc *relay, const char *const *schemes,
                         const char *const *more, uint16_t *ports)
{
    const char *args[SPAWN_MAX_ARGS + 1];
    char listen[8][48];
    size_t n = 0, k = 0;
    for (; schemes[k]; k++) {
        assert_true(k < 8);
        snprintf(listen[k], sizeof listen[k], "%s://127.0.0.1:0", schemes[k]);
        args[n++] = "--listen";
        args[n++] = listen[k];
    }
    for (size_t i = 0; more && more[i]; i++) {
        assert_true(n < SPAWN_MAX_ARGS);
        args[n++] = more[i];
    }
    args[n] = NULL;
    assert_true(harness_start_relay(relay, args) > 0);
    for (size_t i = 0; i < k; i++)
        assert_int_not_equal(ports[i] = harness_edge_port(relay, schemes[i]), 0);
}

int harness_start_netsim(struct spawn_proc *p, const char *const *args)
{
    char why[4096]; /* room for the end of a sanitizer report */
    assert_int_equal(harness_spawn(p, "ricochet-netsim", args), 0);
    int port = spawn_wait_listening(p, 10000, why, sizeof why);
    if (port < 0)
        fail_msg("%s", why);
    return port;
}

long long harness_stats_field(const char *text, bool want_final,
                              const char *path)
{
    cJSON *obj = statsrec_last(text, NULL, want_final);
    if (!obj)
        return -1;
    const cJSON *node = obj;
    char key[128];
    const char *k = path;
    long long result = -1;
    while (node && *k) {
        if (strcmp(k, "*") == 0) {
            /* "drops.*": the sum of every counter in the object */
            const cJSON *item;
            result = 0;
            cJSON_ArrayForEach(item, node)
                if (cJSON_IsNumber(item))
                    result += (long long)item->valuedouble;
            break;
        }
        const char *dot = strchr(k, '.');
        size_t kl = dot ? (size_t)(dot - k) : strlen(k);
        if (kl >= sizeof key)
            kl = sizeof key - 1;
        memcpy(key, k, kl);
        key[kl] = '\0';
        node = cJSON_GetObjectItemCaseSensitive(node, key);
        k = dot ? dot + 1 : k + kl;
    }
    /* A record without the field (e.g. no drops yet) counts as 0 for
     * "drops.*", missing otherwise. */
    if (result < 0 && cJSON_IsNumber(node) && !*k)
        result = (long long)node->valuedouble;
    else if (result < 0 && strncmp(path, "drops.", 6) == 0)
        result = 0;
    cJSON_Delete(obj);
    return result;
}

/* ---- a spawned relay's counters ---- */

static int count_stats_lines(const char *text)
{
    int n = 0;
    for (const char *p = text; p && (p = strstr(p, "\"type\":\"stats\"")) != NULL; p++)
        n++;
    return n;
}

/* SIGUSR1, then waits for the new stats line. Returns all of stdout (caller
 * frees), NULL if no line came within 30 s (a relay under a flood, built
 * with the sanitizers, on a machine doing other work, has taken over 5). */
char *harness_relay_stats_now(struct spawn_proc *relay)
{
    char *text = spawn_read_stdout(relay);
    int before = count_stats_lines(text);
    free(text);
    kill(relay->pid, SIGUSR1);
    uint64_t deadline = clock_now_ms() + 30000;
    while (clock_now_ms() < deadline) {
        text = spawn_read_stdout(relay);
        if (text && count_stats_lines(text) > before)
            return text;
        free(text);
        clock_sleep_ms(10);
    }
    fprintf(stderr, "relay: no stats line within 30 s of SIGUSR1 (running: %d)\n",
            spawn_running(relay));
    return NULL;
}

long long harness_relay_stat(struct spawn_proc *relay, const char *path)
{
    char *text = harness_relay_stats_now(relay);
    assert_non_null(text);
    long long v = harness_stats_field(text, false, path);
    free(text);
    return v;
}

struct spawn_usage harness_usage(const struct spawn_proc *p)
{
    struct spawn_usage u;
    assert_int_equal(spawn_usage(p, &u), 0);
    return u;
}

void harness_stop(struct spawn_proc *p)
{
    assert_int_equal(spawn_stop(p, SIGTERM, 10000), 0);
    spawn_free(p);
}

/* SIGTERM: must exit 0 with a final stats line. Returns stdout (caller frees). */
char *harness_relay_finish(struct spawn_proc *relay)
{
    int code = spawn_stop(relay, SIGTERM, 10000);
    char *out = spawn_read_stdout(relay);
    if (code != 0) {
        char *err = spawn_read_stderr(relay);
        fprintf(stderr, "relay exit %d; stderr tail:\n%s\n", code,
                err ? err + (strlen(err) > 3000 ? strlen(err) - 3000 : 0) : "");
        free(err);
    }
    assert_int_equal(code, 0);
    assert_non_null(out);
    assert_true(harness_stats_field(out, true, "uptime_s") >= 0);
    return out;
}


int harness_poll_until(struct ricochet *const *clients, size_t n, int timeout_ms,
                       void (*on_event)(void *ctx, size_t index,
                                        const struct ricochet_event *ev),
                       bool (*done)(void *ctx), void *ctx)
{
    uint64_t deadline = clock_now_ms() + (uint64_t)timeout_ms;
    bool *over = calloc(n ? n : 1, sizeof *over);
    struct pollfd *fds = calloc(n ? n : 1, sizeof *fds);
    int rc = -1;
    if (!over || !fds)
        goto out;
    for (;;) {
        /* Drain every client's pending events. */
        for (size_t i = 0; i < n; i++) {
            if (!clients[i] || over[i])
                continue;
            struct ricochet_event ev;
            for (int guard = 0; guard < 100000; guard++) {
                int r = ricochet_poll(clients[i], 0, &ev);
                if (r == 0)
                    break;
                if (r < 0) {
                    over[i] = true;
                    break;
                }
                if (on_event)
                    on_event(ctx, i, &ev);
            }
        }
        if (done && done(ctx)) {
            rc = 0;
            goto out;
        }
        uint64_t now = clock_now_ms();
        if (now >= deadline)
            goto out;
        nfds_t nfds = 0;
        for (size_t i = 0; i < n; i++) {
            if (!clients[i] || over[i])
                continue;
            int fd = ricochet_fd(clients[i]);
            if (fd >= 0) {
                fds[nfds].fd = fd;
                fds[nfds].events = POLLIN;
                nfds++;
            }
        }
        /* Wake at least every 10 ms: ENet also has timers (resends, pings). */
        int wait = (int)(deadline - now);
        if (wait > 10)
            wait = 10;
        if (nfds)
            poll(fds, nfds, wait);
        else
            clock_sleep_until_us(clock_now_us() + (uint64_t)wait * 1000u);
    }
out:
    free(over);
    free(fds);
    return rc;
}

static bool never(void *ctx)
{
    (void)ctx;
    return false;
}

void harness_poll_for(struct ricochet *const *clients, size_t n, int ms,
                      void (*on_event)(void *ctx, size_t index,
                                       const struct ricochet_event *ev),
                      void *ctx)
{
    harness_poll_until(clients, n, ms, on_event, never, ctx);
}

void harness_rec_event(void *ctx, size_t i, const struct ricochet_event *ev)
{
    struct harness_rec *r = ctx;
    if (i >= HARNESS_MAX_CLIENTS)
        return;
    switch (ev->type) {
    case RICOCHET_EV_APPEARED: /* rooms with interest: test_e2e_interest counts them */
    case RICOCHET_EV_VANISHED:
    case RICOCHET_EV_TOO_OLD: /* counted in the member's stats */
    case RICOCHET_EV_ROOMS:   /* a listing asked for: test_e2e_rooms reads it */
        break;
    case RICOCHET_EV_WELCOME:
        r->welcomed[i] = true;
        break;
    case RICOCHET_EV_MOVED:
        r->moved[i]++;
        break;
    case RICOCHET_EV_STATE: {
        uint32_t id = ev->state.sender;
        if (id != ev->id || id == 0 || id >= HARNESS_MAX_IDS) {
            r->states_bad_id[i]++;
            break;
        }
        if (id == ricochet_id(r->c[i]))
            r->self_states[i]++;
        r->states[i][id]++;
        if ((unsigned)ev->mode < PROTO_MODE_COUNT)
            r->arrived[i][ev->mode]++;
        r->arrived_as[i][id] = (enum proto_mode)ev->mode;
        r->last[i][id] = ev->state;
        size_t len;
        const uint8_t *p = ricochet_event_bytes(r->c[i], &len);
        if (len && pattern_ok(ev->state.seq, p, len)) {
            r->payloads[i]++;
            r->payload_bytes[i] += len;
        } else if (len) {
            r->payloads_bad[i]++;
        }
        break;
    }
    case RICOCHET_EV_EVENT: {
        size_t len;
        const uint8_t *p = ricochet_event_bytes(r->c[i], &len);
        if (pattern_ok_keyed(p, len))
            r->events[i]++;
        else
            r->events_bad[i]++;
        r->event_from[i] = ev->id;
        snprintf(r->event_code[i], sizeof r->event_code[i], "%s", ev->code);
        break;
    }
    case RICOCHET_EV_JOINED:
        if (r->n_joined[i] < HARNESS_MAX_NOTICES) {
            r->joined[i][r->n_joined[i]] = ev->id;
            snprintf(r->joined_name[i][r->n_joined[i]], PROTO_NAME_MAX + 1, "%s",
                     ev->name);
            r->n_joined[i]++;
        }
        break;
    case RICOCHET_EV_LEFT:
        if (r->n_left[i] < HARNESS_MAX_NOTICES) {
            r->left[i][r->n_left[i]] = ev->id;
            r->left_reason[i][r->n_left[i]] = harness_left_reason(ev);
            r->n_left[i]++;
        }
        break;
    case RICOCHET_EV_REJOINED:
        r->rejoined[i]++;
        break;
    case RICOCHET_EV_ERROR:
        r->n_errors[i]++;
        snprintf(r->last_error[i], sizeof r->last_error[i], "%s", ev->code);
        break;
    case RICOCHET_EV_CHAT:
        r->n_chat[i]++;
        break;
    case RICOCHET_EV_DISCONNECTED:
        r->disconnected[i] = true;
        break;
    }
}

void harness_send_rounds(struct harness_rec *r, int rounds)
{
    for (int k = 1; k <= rounds; k++) {
        for (size_t i = 0; i < r->n; i++)
            if (r->c[i]) {
                struct ricochet_state s = {.x = (float)k, .y = (float)i};
                assert_int_equal(ricochet_send_state(r->c[i], &s), RICOCHET_OK);
            }
        harness_poll_for(r->c, r->n, 20, harness_rec_event, r);
    }
}

enum proto_left_reason harness_left_reason(const struct ricochet_event *ev)
{
    for (int k = PROTO_LEFT_QUIT; k <= PROTO_LEFT_KICKED; k++)
        if (strcmp(ev->code, proto_left_reason_name((enum proto_left_reason)k)) == 0)
            return (enum proto_left_reason)k;
    return (enum proto_left_reason)-1;
}

bool harness_rec_saw_left(const struct harness_rec *r, size_t i, uint32_t id,
                          enum proto_left_reason reason)
{
    for (size_t k = 0; k < r->n_left[i]; k++)
        if (r->left[i][k] == id && r->left_reason[i][k] == reason)
            return true;
    return false;
}

struct ricochet *harness_client(uint16_t port, const char *room, const char *name,
                              enum proto_mode mode, bool reflect)
{
    struct client_config cfg = {.host = "127.0.0.1", .port = port, .room = room,
                                .name = name, .mode = mode, .reflect = reflect,
                                .timeout_ms = 5000};
    char err[256] = "";
    struct ricochet *c = client_create(&cfg, err, sizeof err);
    if (!c)
        fail_msg("client_create(%s): %s", name, err);
    return c;
}

bool harness_all_welcomed(void *ctx)
{
    const struct harness_rec *r = ctx;
    for (size_t i = 0; i < r->n; i++)
        if (r->c[i] && !r->welcomed[i])
            return false;
    return true;
}

bool harness_all_see_all(void *ctx)
{
    const struct harness_rec *r = ctx;
    for (size_t i = 0; i < r->n; i++) {
        size_t m;
        if (!r->c[i])
            continue;
        client_members(r->c[i], &m);
        if (!r->welcomed[i] || m != r->n - 1)
            return false;
    }
    return true;
}

struct harness_rec *harness_session_start(struct harness_session *s,
                                          const char *const *args, const char *room,
                                          const struct harness_member *members, size_t n,
                                          void (*on_event)(void *ctx, size_t index,
                                                           const struct ricochet_event *ev),
                                          int timeout_ms)
{
    memset(s, 0, sizeof *s);
    assert_true(n <= HARNESS_MAX_CLIENTS);
    int port = harness_start_relay(&s->relay, args);
    assert_true(port > 0);
    s->port = (uint16_t)port;
    s->rec.n = n;
    for (size_t i = 0; i < n; i++)
        s->rec.c[i] = harness_client(s->port, room, members[i].name, members[i].mode,
                                     members[i].reflect);
    assert_int_equal(harness_poll_until(s->rec.c, n, timeout_ms,
                                        on_event ? on_event : harness_rec_event,
                                        harness_all_see_all, &s->rec), 0);
    return &s->rec;
}

void harness_session_end(struct harness_session *s, int timeout_ms, char **relay_stdout)
{
    for (size_t i = 0; i < HARNESS_MAX_CLIENTS; i++) {
        if (s->rec.c[i])
            ricochet_close(s->rec.c[i]);
        s->rec.c[i] = NULL;
    }
    assert_int_equal(spawn_stop(&s->relay, SIGTERM, timeout_ms), 0);
    if (relay_stdout)
        *relay_stdout = spawn_read_stdout(&s->relay);
    spawn_free(&s->relay);
}

int harness_udp_socket(uint16_t *port)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    assert_true(fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    if (port) {
        socklen_t len = sizeof a;
        assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
        *port = ntohs(a.sin_port);
    }
    return fd;
}

void harness_udp_connect(int fd, uint16_t port)
{
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(port)};
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&to, sizeof to), 0);
}

/* Waits up to deadline_ms for a decodable control datagram on fd. */
static bool udp_next_control(int fd, uint64_t deadline_ms, struct proto_control *m)
{
    static char buf[PROTO_CONTROL_MAX + 1];
    while (clock_now_ms() < deadline_ms) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        poll(&p, 1, 20);
        ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n > 0 && buf[0] == '{' && proto_control_decode(buf, (size_t)n, m, NULL, 0) == PROTO_OK)
            return true;
    }
    return false;
}

bool harness_udp_join(int fd, uint16_t port, const char *join_json, struct proto_control *m,
                      int ms)
{
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(port)};
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    uint64_t deadline = clock_now_ms() + (uint64_t)ms;
    size_t len = strlen(join_json);
    assert_true(len > 2 && len < 400 && join_json[len - 1] == '}');
    harness_udp_connect(fd, port); /* a stray cookie or error is not the relay's answer */
    sendto(fd, join_json, len, 0, (struct sockaddr *)&to, sizeof to);
    char json[512];
    bool have = false;
    while (!have && udp_next_control(fd, deadline, m))
        have = m->type == PROTO_CTL_COOKIE;
    if (!have)
        return false;
    snprintf(json, sizeof json, "%.*s,\"cookie\":\"%s\"}", (int)len - 1, join_json, m->cookie);
    sendto(fd, json, strlen(json), 0, (struct sockaddr *)&to, sizeof to);
    while (udp_next_control(fd, deadline, m))
        if (m->type == PROTO_CTL_WELCOME || m->type == PROTO_CTL_ERROR)
            return true;
    return false;
}

/* The inodes of the UDP sockets bound to local port (/proc/net/udp and
 * udp6) into inodes[cap]; returns how many. */
static size_t udp_port_inodes(uint16_t port, unsigned long *inodes, size_t cap)
{
    static const char *const tables[] = {"/proc/net/udp", "/proc/net/udp6"};
    size_t n = 0;
    for (size_t t = 0; t < 2; t++) {
        FILE *f = fopen(tables[t], "r");
        char line[512], local[64];
        unsigned long inode;
        while (f && fgets(line, sizeof line, f)) {
            /* sl local_address rem_address st tx:rx tr:tm retrnsmt uid timeout inode */
            if (sscanf(line, "%*s %63s %*s %*s %*s %*s %*s %*s %*s %lu", local, &inode) != 2)
                continue; /* the header */
            char *colon = strrchr(local, ':');
            if (colon && strtoul(colon + 1, NULL, 16) == port && n < cap)
                inodes[n++] = inode;
        }
        if (f)
            fclose(f);
    }
    return n;
}

/* Whether process pid holds a UDP socket bound to local port. */
static bool pid_owns_udp_port(pid_t pid, uint16_t port)
{
    unsigned long inodes[8];
    size_t n = udp_port_inodes(port, inodes, 8);
    ino_t *held = NULL;
    long n_held = n ? audit_process_sockets(pid, &held) : 0;
    bool owns = false;
    for (long k = 0; k < n_held && !owns; k++)
        for (size_t i = 0; i < n; i++)
            owns = owns || held[k] == (ino_t)inodes[i];
    free(held);
    return owns;
}

ssize_t harness_recv_from_pid(int fd, pid_t pid, void *buf, size_t cap, union netaddr *from)
{
    /* The ports found to be pid's: /proc is read once per new port. */
    static pid_t known_pid;
    static uint16_t known[16];
    static size_t n_known;
    if (known_pid != pid) {
        known_pid = pid;
        n_known = 0;
    }
    for (;;) {
        union netaddr a;
        socklen_t alen = sizeof a;
        ssize_t len = recvfrom(fd, buf, cap, MSG_DONTWAIT, &a.sa, &alen);
        if (len < 0)
            return -1;
        uint16_t port = netaddr_port(&a);
        bool ours = false;
        for (size_t i = 0; i < n_known && !ours; i++)
            ours = known[i] == port;
        if (!ours && pid_owns_udp_port(pid, port)) {
            ours = true;
            if (n_known < 16)
                known[n_known++] = port;
        }
        if (!ours) {
            print_message("harness: dropped a %zd-byte datagram from port %u, not process %ld's\n",
                          len, port, (long)pid);
            continue;
        }
        if (from)
            *from = a;
        return len;
    }
}

void harness_child_start(struct harness_child *ch, void (*run)(uint16_t port, void *out),
                         uint16_t port, size_t size)
{
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    ch->pid = fork();
    assert_true(ch->pid >= 0);
    if (ch->pid == 0) {
        close(fds[0]);
        void *out = calloc(1, size);
        if (!out)
            _exit(3);
        run(port, out);
        _exit(write(fds[1], out, size) == (ssize_t)size ? 0 : 3);
    }
    close(fds[1]);
    ch->fd = fds[0];
}

void harness_child_finish(struct harness_child *ch, void *out, size_t size)
{
    assert_int_equal(read(ch->fd, out, size), (ssize_t)size);
    close(ch->fd);
    int status;
    assert_int_equal(waitpid(ch->pid, &status, 0), ch->pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

void harness_stream_room(struct spawn_proc *relay, enum proto_mode stream, uint16_t stream_port,
                         uint16_t enet, uint16_t udp)
{
    static const char *const names[4] = {"ann", "ben", "cat", "dan"};
    const enum proto_mode mode[4] = {stream, PROTO_MODE_UNSEQUENCED, PROTO_MODE_UDP, stream};
    const uint16_t port[4] = {stream_port, enet, udp, stream_port};
    static struct harness_rec r;
    memset(&r, 0, sizeof r);
    r.n = 4;
    for (size_t i = 0; i < 4; i++)
        r.c[i] = harness_client(port[i], "mixed", names[i], mode[i], false);
    assert_int_equal(harness_poll_until(r.c, 4, 5000, harness_rec_event, harness_all_see_all,
                                        &r), 0);
    uint32_t id[4];
    for (size_t i = 0; i < 4; i++)
        id[i] = ricochet_id(r.c[i]);
    const int rounds = 40;
    harness_send_rounds(&r, rounds);
    harness_poll_for(r.c, 4, 300, harness_rec_event, &r);
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(r.states_bad_id[i], 0);
        assert_int_equal(r.self_states[i], 0);
        for (size_t j = 0; j < 4; j++) {
            if (i == j)
                continue;
            if (mode[i] == stream && mode[j] == stream)
                assert_int_equal(r.states[i][id[j]], rounds); /* a stream both ways */
            else
                assert_in_range(r.states[i][id[j]], rounds * 8 / 10, rounds);
            assert_int_equal(r.arrived_as[i][id[j]], mode[i]); /* the receiver's mode */
        }
    }
    assert_int_equal(ricochet_send_chat(r.c[0], "from a stream"), RICOCHET_OK);
    harness_poll_for(r.c, 4, 300, harness_rec_event, &r);
    assert_true(r.n_chat[1] >= 1 && r.n_chat[2] >= 1 && r.n_chat[3] >= 1);
    char *out = harness_relay_stats_now(relay);
    assert_non_null(out);
    char key[64];
    const char *edge = proto_mode_name(stream);
    snprintf(key, sizeof key, "edges.%s.members", edge);
    assert_int_equal(harness_stats_field(out, false, key), 2);
    snprintf(key, sizeof key, "edges.%s.states_in", edge);
    assert_int_equal(harness_stats_field(out, false, key), 2 * rounds);
    snprintf(key, sizeof key, "edges.%s.conflated", edge);
    assert_int_equal(harness_stats_field(out, false, key), 0);
    free(out);
    ricochet_close(r.c[3]); /* closing the connection (tcp), a close frame (ws): leaving */
    r.c[3] = NULL;
    harness_poll_for(r.c, 4, 500, harness_rec_event, &r);
    assert_true(harness_rec_saw_left(&r, 1, id[3], PROTO_LEFT_QUIT));
    assert_true(harness_rec_saw_left(&r, 2, id[3], PROTO_LEFT_QUIT));
    for (size_t i = 0; i < 3; i++)
        ricochet_close(r.c[i]);
}

void harness_three_start(struct harness_three *t, const char *stream, const char *const *more)
{
    const char *args[32] = {"--listen", stream, "--listen", "enet://127.0.0.1:0", "--listen",
                            "udp://127.0.0.1:0"};
    size_t n = 6;
    for (size_t i = 0; more && more[i] && n < 31; i++)
        args[n++] = more[i];
    args[n] = NULL;
    assert_true(harness_start_relay(&t->relay, args) > 0);
    char scheme[16];
    snprintf(scheme, sizeof scheme, "%.*s", (int)strcspn(stream, ":"), stream);
    t->stream = harness_edge_port(&t->relay, scheme);
    t->enet = harness_edge_port(&t->relay, "enet");
    t->udp = harness_edge_port(&t->relay, "udp");
    assert_true(t->stream && t->enet && t->udp);
}

void harness_three_stop(struct harness_three *t)
{
    free(harness_relay_finish(&t->relay));
    spawn_free(&t->relay);
}

cJSON *harness_json_line(struct spawn_proc *p, const char *key)
{
    char *out = spawn_read_stdout(p);
    cJSON *found = NULL;
    for (char *save = NULL, *line = out ? strtok_r(out, "\n", &save) : NULL; line && !found;
         line = strtok_r(NULL, "\n", &save)) {
        cJSON *j = cJSON_Parse(line);
        if (j && cJSON_GetObjectItem(j, key))
            found = j;
        else
            cJSON_Delete(j);
    }
    free(out);
    return found;
}

char *harness_program_line(const char *prog, const char *const *args)
{
    struct spawn_proc p;
    assert_int_equal(harness_spawn(&p, prog, args), 0);
    assert_int_equal(spawn_stop(&p, 0, 10000), 0);
    char *out = spawn_read_stdout(&p);
    spawn_free(&p);
    assert_non_null(out);
    out[strcspn(out, "\n")] = '\0';
    return out;
}

void harness_sh(const char *fmt, ...)
{
    char cmd[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    int rc = system(cmd);
    if (rc != 0)
        fail_msg("failed (%d): %s", rc, cmd);
}

void harness_sh_block(const char *doc, const char *heading, int n, const char *path)
{
    FILE *in = fopen(doc, "r");
    assert_non_null(in);
    static char text[1 << 20];
    size_t len = fread(text, 1, sizeof text - 1, in);
    fclose(in);
    text[len] = '\0';
    const char *at = strstr(text, heading);
    assert_non_null(at);
    for (int i = 0; i <= n; i++) {
        at = strstr(at, "```sh\n");
        assert_non_null(at);
        at += 6;
    }
    const char *end = strstr(at, "```");
    assert_non_null(end);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fwrite(at, 1, (size_t)(end - at), f);
    assert_int_equal(fclose(f), 0);
}
