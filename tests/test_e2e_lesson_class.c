/* test_e2e_lesson_class.c: the class's sheets (docs/class/plan.LANG.md and
 * worksheet.LANG.md) run as written. */
/* Every language's
 * sheets hold the same commands (each line of a ```sh block) and the same
 * addresses as English's; the test runs them, byte for byte, in a network
 * namespace of its own (unshare -rnm, a tmpfs on /tmp unless the tree is
 * under it) whose loopback has the sheets' class address, 192.0.2.10: the
 * teacher's `make lesson` line (skipped where build/ has no programs yet:
 * it would build them; `make -n lesson LESSON_NETSIM_ARGS=...` hands netsim
 * its options), every address the sheets name answering 200 while
 * it runs (the projector's page with its lanes chosen, the students' view),
 * a student's laptop (a folder with no clone) fetching the Python player
 * from the lesson and joining through the door (its lane on the view's
 * live.json, from 192.0.2.10, joined, its states carried), a lane's
 * capture taken from the page (under the 300 KB the plan states), then,
 * the lesson stopped as Ctrl-C stops it, the `tshark` line reading it with
 * the project's dissector (each a ricochet message). The
 * plan played against the page: test_e2e_lesson_plan. */

/* tests/run: alone (a lesson of its own, in IP mode) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "lab/harness/spawn.h"
#include "sys/clock.h"
#include "tests/support/browser.h"
#include "tests/support/harness.h"
#include "tests/support/http.h"
#include "tests/support/lesson.h"
#include "tests/support/servers.h"

#define MAX_LINES 32

static const char *const langs[] = {"en", "id", "ko", "vi"};
static const char *const sheets[] = {"plan", "worksheet"};

struct said {
    char *commands[MAX_LINES]; /* each line of a ```sh block */
    bool laptop[MAX_LINES];    /* ... the worksheet's: a student's, on a laptop */
    size_t n_commands;
    char *urls[MAX_LINES];     /* each `http://...` in backticks */
    size_t n_urls;
};

/* The commands and addresses of lang's sheets, in their order. */
static void read_sheets(const char *lang, struct said *s)
{
    memset(s, 0, sizeof *s);
    for (size_t k = 0; k < 2; k++) {
        char path[64];
        snprintf(path, sizeof path, "docs/class/%s.%s.md", sheets[k], lang);
        char *text = harness_read_text(path);
        if (!text)
            fail_msg("no %s", path);
        bool in_sh = false;
        for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
            if (!strncmp(line, "```", 3)) {
                in_sh = !in_sh && !strcmp(line, "```sh");
                continue;
            }
            if (in_sh) {
                assert_true(s->n_commands < MAX_LINES);
                s->laptop[s->n_commands] = k == 1;
                s->commands[s->n_commands++] = strdup(line);
                continue;
            }
            for (char *u = strstr(line, "`http://"); u; u = strstr(u + 1, "`http://")) {
                size_t len = strcspn(u + 1, "`");
                bool had = false;
                for (size_t i = 0; i < s->n_urls; i++)
                    had |= strlen(s->urls[i]) == len && !strncmp(s->urls[i], u + 1, len);
                if (!had) {
                    assert_true(s->n_urls < MAX_LINES);
                    s->urls[s->n_urls++] = strndup(u + 1, len);
                }
            }
        }
        free(text);
    }
}

static void free_said(struct said *s)
{
    for (size_t i = 0; i < s->n_commands; i++)
        free(s->commands[i]);
    for (size_t i = 0; i < s->n_urls; i++)
        free(s->urls[i]);
}

/* The lines of s that begin with prefix (the laptop's, or the teacher's),
 * as one list: how many. */
static size_t lines_of(const struct said *s, bool laptop, const char *prefix, const char **out,
                       size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < s->n_commands; i++)
        if (s->laptop[i] == laptop && !strncmp(s->commands[i], prefix, strlen(prefix)) && n < cap)
            out[n++] = s->commands[i];
    return n;
}

static void every_language_says_the_same_commands(void **state)
{
    (void)state;
    struct said en;
    read_sheets("en", &en);
    assert_true(en.n_commands >= 5 && en.n_urls >= 2);
    for (size_t l = 1; l < 4; l++) {
        struct said other;
        read_sheets(langs[l], &other);
        if (other.n_commands != en.n_commands || other.n_urls != en.n_urls)
            fail_msg("docs/class/*.%s.md: %zu commands and %zu addresses, English's %zu and %zu",
                     langs[l], other.n_commands, other.n_urls, en.n_commands, en.n_urls);
        for (size_t i = 0; i < en.n_commands; i++)
            if (strcmp(en.commands[i], other.commands[i]))
                fail_msg("docs/class/*.%s.md: \"%s\", English's \"%s\"", langs[l],
                         other.commands[i], en.commands[i]);
        for (size_t i = 0; i < en.n_urls; i++)
            if (strcmp(en.urls[i], other.urls[i]))
                fail_msg("docs/class/*.%s.md: %s, English's %s", langs[l], other.urls[i],
                         en.urls[i]);
        free_said(&other);
    }
    /* every command is one the test below runs */
    for (size_t i = 0; i < en.n_commands; i++)
        if (strncmp(en.commands[i], "make lesson ", 12) && strncmp(en.commands[i], "curl ", 5) &&
            strncmp(en.commands[i], "python3 ", 8) && strncmp(en.commands[i], "tshark ", 7))
            fail_msg("docs/class: \"%s\": a command the test does not run", en.commands[i]);
    free_said(&en);
}

/* The sheets' commands as one script: the teacher's lesson (make lesson,
 * in a session of its own so that Ctrl-C's SIGINT reaches make and the
 * lesson both), the addresses asked, a student's laptop (a folder of its
 * own, no clone: the player fetched from the lesson, played through the
 * door), the lane's capture taken, the lesson stopped, the capture read. */
static void write_script(const struct said *s, const char *dir, const char *top)
{
    const char *lesson[2], *laptop_get[2], *player[2], *capture[2], *tshark[2];
    assert_int_equal(lines_of(s, false, "make lesson ", lesson, 2), 1);
    assert_int_equal(lines_of(s, true, "curl ", laptop_get, 2), 1);
    assert_int_equal(lines_of(s, true, "python3 ", player, 2), 1);
    assert_int_equal(lines_of(s, false, "curl ", capture, 2), 1);
    assert_int_equal(lines_of(s, false, "tshark ", tshark, 2), 1);
    char path[600];
    snprintf(path, sizeof path, "%s/class.sh", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    /* A tmpfs of its own on /tmp when the tree is not under it (the tree
     * of a clone in /tmp stays where it is). */
    fprintf(f, "set -e\n"
               "cd '%s'\n"
               "case \"$PWD\" in /tmp/*) ;; *) mount -t tmpfs tmpfs /tmp ;; esac\n"
               "ip link set lo up\n"
               "ip addr add 192.0.2.10/32 dev lo\n"
               "setsid sh -c '%s' > '%s/lesson.out' 2> '%s/lesson.err' &\n"
               "lesson=$!\n"
               "for i in $(seq 1200); do\n"
               "  curl -sf http://127.0.0.1:7799/view.json > /dev/null &&"
               " curl -sf http://192.0.2.10:7801/view.json > /dev/null && break\n"
               "  sleep 0.2\n"
               "done\n",
            top, lesson[0], dir, dir);
    for (size_t i = 0; i < s->n_urls; i++)
        fprintf(f, "curl -sf -o /dev/null '%s' && echo 'answered: %s'\n", s->urls[i],
                s->urls[i]);
    fprintf(f, "mkdir '%s/laptop'\n"
               "cd '%s/laptop'\n"
               "%s\n"
               "%s > '%s/player.out' &\n"
               "player=$!\n"
               "for i in $(seq 100); do\n"
               "  curl -sf http://192.0.2.10:7801/live.json > '%s/live.json' &&"
               " grep -q '\"endpoint\":\"192.0.2.10:' '%s/live.json' &&"
               " grep -q '\"state\":\"joined\"' '%s/live.json' && break\n"
               "  sleep 0.3\n"
               "done\n"
               "sleep 3\n"
               "curl -sf http://192.0.2.10:7801/live.json > '%s/live.json'\n"
               "kill $player\n"
               "cd '%s'\n"
               "%s\n"
               "kill -INT -$lesson\n"
               "wait $lesson\n"
               "%s > '%s/tshark.out'\n"
               "echo \"capture bytes: $(wc -c < /tmp/udp-lane.pcap)\"\n",
            dir, dir, laptop_get[0], player[0], dir, dir, dir, dir, dir, top, capture[0],
            tshark[0], dir);
    fclose(f);
}

static void the_commands_run_as_written(void **state)
{
    (void)state;
    struct said en;
    read_sheets("en", &en);
    char dir[] = "/var/tmp/ricochet-lesson-class-XXXXXX", top[512], err[256], script[600];
    assert_non_null(mkdtemp(dir));
    assert_non_null(getcwd(top, sizeof top));
    if (access("build/bin/ricochet-lesson", X_OK) != 0) { /* make lesson's own build/ */
        print_message("skipped: build/bin/ricochet-lesson: make all first (make lesson builds "
                      "the programs it runs, which takes minutes)\n");
        servers_remove_tree(dir);
        free_said(&en);
        skip();
    }
    /* make lesson hands netsim its options (the plan's whole capture, LESSON_NETSIM_ARGS) */
    struct spawn_proc mk;
    const char *mk_args[] = {"-n", "lesson", "LESSON_NETSIM_ARGS=--pcap /tmp/x.pcap --seed 9",
                             NULL};
    assert_int_equal(spawn_start(&mk, "/usr/bin", "make", mk_args, err, sizeof err), 0);
    assert_true(spawn_stop(&mk, 0, 120000) >= 0);
    char *recipe = spawn_read_stdout(&mk);
    assert_non_null(strstr(recipe, "--netsim-args '--pcap /tmp/x.pcap --seed 9'"));
    free(recipe);
    spawn_free(&mk);
    write_script(&en, dir, top);
    snprintf(script, sizeof script, "%s/class.sh", dir);
    struct spawn_proc p;
    const char *args[] = {"-rnm", "sh", script, NULL};
    assert_int_equal(spawn_start(&p, "/usr/bin", "unshare", args, err, sizeof err), 0);
    uint64_t deadline = clock_now_ms() + 300000;
    while (spawn_running(&p) && clock_now_ms() < deadline)
        clock_sleep_ms(200);
    int rc = spawn_stop(&p, SIGKILL, 5000);
    char *out = spawn_read_stdout(&p), *said = spawn_read_stderr(&p);
    print_message("the script: %d\n%s%s", rc, out ? out : "", said ? said : "");
    if (rc != 0) {
        char path[700];
        snprintf(path, sizeof path, "%s/lesson.err", dir);
        char *e = harness_read_text(path);
        print_message("make lesson's stderr:\n%s", e ? e : "");
        free(e);
    }
    assert_int_equal(rc, 0);
    for (size_t i = 0; i < en.n_urls; i++) { /* every address the sheets name answered */
        char want[300];
        snprintf(want, sizeof want, "answered: %s\n", en.urls[i]);
        assert_non_null(strstr(out, want));
    }
    char path[700];
    snprintf(path, sizeof path, "%s/live.json", dir);
    char *text = harness_read_text(path);
    cJSON *live = text ? cJSON_Parse(text) : NULL;
    assert_non_null(live);
    const cJSON *g, *found = NULL;
    cJSON_ArrayForEach(g, cJSON_GetObjectItem(live, "guests"))
        if (!strncmp(cJSON_GetStringValue(cJSON_GetObjectItem(g, "endpoint")), "192.0.2.10:", 11))
            found = g;
    assert_non_null(found);
    double up = cJSON_GetNumberValue(cJSON_GetObjectItem(found, "fwd_up"));
    print_message("the students' player on the view: %s, %.0f states carried\n",
                  cJSON_GetStringValue(cJSON_GetObjectItem(found, "state")), up);
    assert_true(up > 20);
    /* the plan's capture: a lane's last packets, under its stated 300 KB */
    const char *size = strstr(out, "capture bytes: ");
    assert_non_null(size);
    long bytes = atol(size + strlen("capture bytes: "));
    print_message("the lane's capture: %ld bytes\n", bytes);
    assert_true(bytes > 24 && bytes < 300 * 1000);
    snprintf(path, sizeof path, "%s/tshark.out", dir);
    char *read = harness_read_text(path);
    assert_non_null(read);
    print_message("tshark:\n%s", read);
    assert_int_equal(strstr(read, " ricochet ") != NULL, 1);
    free(read);
    free(text);
    cJSON_Delete(live);
    free(out);
    free(said);
    spawn_free(&p);
    free_said(&en);
    servers_remove_tree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_language_says_the_same_commands),
        cmocka_unit_test(the_commands_run_as_written),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
