/* harness.c: see harness.h. The programs' side: starting ricochet's
 * programs and stopping them, their ports, the relay's stats lines, a load
 * in a child process, shell lines and a doc's commands. The clients' side
 * is harness_clients.c, raw UDP sockets harness_udp.c. */
#include "harness.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <cjson/cJSON.h>

#include "proto/statsrec.h"

/* TEST_FILTER=PATTERN (cmocka's: * and ? match) runs only the cases it
 * names, in every test binary: each links this file, and this runs before
 * its main. */
__attribute__((constructor)) static void harness_case_filter(void)
{
    const char *pattern = getenv("TEST_FILTER");
    if (pattern && *pattern)
        cmocka_set_test_filter(pattern);
}

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
    /* One make at a time: tests that run side by side would each build
     * the release objects the first time, into the same build/. */
    char cmd[640];
    snprintf(cmd, sizeof cmd,
             "mkdir -p build && flock build/.install-lib.lock "
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
    bool listen = false, stale = false;
    for (size_t i = 0; args && args[i]; i++) {
        listen |= strncmp(args[i], "--listen", 8) == 0;
        stale |= strncmp(args[i], "--stale-ms", 10) == 0;
    }
    if (!listen) {
        argv[n++] = "--bind";
        argv[n++] = "127.0.0.1";
        argv[n++] = "--port";
        argv[n++] = "0";
    }
    if (!stale) {
        argv[n++] = "--stale-ms";
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
