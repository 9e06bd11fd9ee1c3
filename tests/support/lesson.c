/* lesson.c: ricochet-lesson as its tests start it (see lesson.h). */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sys/clock.h"
#include "harness.h"
#include "http.h"
#include "lesson.h"
#include "servers.h"

void lesson_start(struct lesson *l, const char *dir, const char *prog,
                  const char *const *args)
{
    char err[256];
    assert_int_equal(spawn_start(&l->proc, dir, prog, args, err, sizeof err), 0);
    uint64_t deadline = clock_now_ms() + 30000;
    for (;;) {
        char *out = spawn_read_stdout(&l->proc);
        const char *u = out ? strstr(out, "the lesson on http://") : NULL;
        if (u && strchr(u, '\n')) {
            u += strlen("the lesson on http://");
            snprintf(l->at, sizeof l->at, "%.*s", (int)strcspn(u, "/"), u);
            snprintf(l->url, sizeof l->url, "http://%s/", l->at);
            free(out);
            return;
        }
        free(out);
        if (!spawn_running(&l->proc) || clock_now_ms() > deadline) {
            char *e = spawn_read_stderr(&l->proc);
            fail_msg("no lesson URL; stderr:\n%s", e ? e : "");
        }
        clock_sleep_ms(50);
    }
}

cJSON *lesson_get_json(const struct lesson *l, const char *path)
{
    struct http_response r = http_get(l->at, path);
    cJSON *j = r.status == 200 ? cJSON_Parse(r.body) : NULL;
    http_response_free(&r);
    return j;
}

cJSON *lesson_lang(const char *lang)
{
    char path[64];
    snprintf(path, sizeof path, "lab/lesson/lang/%s.json", lang);
    char *text = harness_read_text(path);
    assert_non_null(text);
    cJSON *j = cJSON_Parse(text);
    free(text);
    assert_true(cJSON_IsObject(j));
    return j;
}

const char *lesson_word(const cJSON *file, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(file, key);
    if (!cJSON_IsString(v))
        fail_msg("no %s", key);
    return v->valuestring;
}

void lesson_fail_with_page(struct browser *b, const char *what)
{
    browser_fail(b, "window.lessonPage && window.lessonPage.snapshot()", what);
}

/* The program of docs/sockets.md whose first line is first, as the page
 * shows it, into dir/name. */
void lesson_doc_program(const char *first, const char *dir, const char *name, char *path,
                        size_t cap)
{
    char *doc = harness_read_text("docs/sockets.md");
    assert_non_null(doc);
    char *at = strstr(doc, first), *end = at ? strstr(at, "\n```\n") : NULL;
    if (!at || !end || strncmp(at - strlen("```python\n"), "```python\n", 10) != 0)
        fail_msg("docs/sockets.md shows no Python block beginning \"%s\"", first);
    snprintf(path, cap, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fwrite(at, 1, (size_t)(end - at) + 1, f);
    fclose(f);
    free(doc);
}

/* The door's port the lesson printed ("udp://127.0.0.1:PORT and tcp://..."). */
int lesson_door_port(const struct lesson *l)
{
    char *out = spawn_read_stdout(&l->proc);
    assert_non_null(out);
    const char *at = strstr(out, "through the same network: udp://127.0.0.1:");
    if (!at || !strstr(at, " and tcp://127.0.0.1:"))
        fail_msg("the lesson printed no door over UDP and TCP: %s", out);
    int port = atoi(at + strlen("through the same network: udp://127.0.0.1:"));
    free(out);
    return port;
}

/* The port a player printed ("my port N, the relay ..."), once it has. */
int lesson_player_port(const struct spawn_proc *p)
{
    uint64_t deadline = clock_now_ms() + 10000;
    while (clock_now_ms() < deadline) {
        char *out = spawn_read_stdout(p);
        const char *at = out ? strstr(out, "my port ") : NULL;
        int port = at ? atoi(at + 8) : 0;
        free(out);
        if (port > 0)
            return port;
        clock_sleep_ms(100);
    }
    fail_msg("%s never printed its port", p->prog);
    return 0;
}

void lesson_end(struct lesson *l, struct browser *b, const char *dir)
{
    browser_close(b);
    servers_remove_tree(dir);
    assert_int_equal(spawn_stop(&l->proc, SIGINT, 15000), 0);
    spawn_free(&l->proc);
}

int lesson_doc_players(const struct lesson *l, struct browser *b, const char *dir,
                       struct spawn_proc *udp, struct spawn_proc *tcp)
{
    char udp_py[96], tcp_py[96], port_s[8], err[256];
    lesson_doc_program("# udp_player.py: ", dir, "udp_player.py", udp_py, sizeof udp_py);
    lesson_doc_program("# tcp_player.py: ", dir, "tcp_player.py", tcp_py, sizeof tcp_py);
    int door = lesson_door_port(l);
    snprintf(port_s, sizeof port_s, "%d", door);
    if (!browser_wait(b, "window.lessonPage && lessonPage.snapshot().door &&"
                         " lessonPage.snapshot().door.relay_udp", 60000))
        lesson_fail_with_page(b, "the page never said the door");
    const char *udp_args[] = {udp_py, "127.0.0.1", port_s, "120", NULL};
    const char *tcp_args[] = {tcp_py, "127.0.0.1", port_s, "120", NULL};
    assert_int_equal(spawn_start(udp, "/usr/bin", "python3", udp_args, err, sizeof err), 0);
    assert_int_equal(spawn_start(tcp, "/usr/bin", "python3", tcp_args, err, sizeof err), 0);
    return door;
}
