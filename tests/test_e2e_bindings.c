/* test_e2e_bindings.c: the Python binding against a real relay and the
 * installed library, and docs/library.md's kept-player programs as written in
 * C, Python, C# and JavaScript. */
/* The Python binding against a real relay, the
 * library installed by `make install-lib` (bindings.h), and
 * docs/library.md's "A player kept past its process" programs as written, in
 * C against that library, Python, C# and JavaScript: each run twice is the
 * same player, owning its room, its key kept in its file and in neither
 * output. The C# binding's own tests: test_e2e_csharp_bindings.c; the
 * JavaScript package's: test_e2e_js_bindings.c.
 * The Python package's unittest (names and texts as `str`, members with
 * statistics, bad names refused with the rule, no relay and a refused
 * connection as a `DISCONNECTED` event then `EOFError`, the README's example
 * as written with a player of the test's and with no relay; an `Interp` fed
 * states late, out of order and lost, and fed the relay's states; relays of
 * its own: a relay gone, a rejoin through a relay's restart, tickets sealed,
 * joins of any room under a prefix (the fullest with space, then the next)
 * and listings in pages, a relay with `--room-list off` refusing both in
 * words; a lobby that watches the rooms open 60 s at the relay's defaults,
 * then told of a room made within a second, and closed at the join timeout
 * once its watch ends; the library not found, in words; a refereed room
 * through a relay's SIGKILL and a fleet's move, a second live session ending
 * the first `replaced`), against a room's script (a relay of its own with
 * --script-dir tests/scripts): a refused join's reason, the room's word from
 * its sender (ROOM_SENDER), its kept score no member clears, a latecomer
 * reading it; a lockstep room of three players (frames byte for byte as the
 * relay's --lockstep-log, each slot's flag, a late input told and logged,
 * the tick the aim stepped over after it still played, a desync named) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/support/bindings.h"
#include "tests/support/harness.h"

static struct bindings b;

static int setup(void **state)
{
    (void)state;
    return bindings_setup(&b);
}

static int teardown(void **state)
{
    (void)state;
    return bindings_teardown(&b);
}

static void python_package_against_a_relay(void **state)
{
    (void)state;
    assert_int_equal(bindings_run("cd client/python && RICOCHET_PORT=%u python3 -m unittest "
                                  "discover -s tests -v",
                                  (unsigned)b.enet_port),
                     0);
}

/* The block fenced ```lang after the heading in docs/library.md into path. */
static void md_block(const char *heading, const char *lang, const char *path)
{
    FILE *in = fopen("docs/library.md", "r"), *out = fopen(path, "w");
    assert_non_null(in);
    assert_non_null(out);
    char line[1024], fence[32];
    snprintf(fence, sizeof fence, "```%s\n", lang);
    int at = 0; /* 0: before the heading, 1: after it, 2: in the block */
    size_t lines = 0;
    while (at < 3 && fgets(line, sizeof line, in)) {
        if (at == 0 && strncmp(line, heading, strlen(heading)) == 0 && line[strlen(heading)] == '\n')
            at = 1;
        else if (at == 1 && strcmp(line, fence) == 0)
            at = 2;
        else if (at == 2 && strcmp(line, "```\n") == 0)
            at = 3;
        else if (at == 2 && fputs(line, out) >= 0)
            lines++;
    }
    fclose(in);
    fclose(out);
    if (at != 3 || lines == 0)
        fail_msg("docs/library.md: no ```%s block after %s", lang, heading);
}

/* The first line of path (its newline cut) into out. */
static void first_line(const char *path, char *out, size_t cap)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    if (!fgets(out, (int)cap, f))
        out[0] = '\0';
    out[strcspn(out, "\n")] = '\0';
    fclose(f);
}

/* Runs cmd (a program of library.md's; its key file given last) twice: the
 * same player both times, owning its room (keep-LANG) and open; the key (kept in
 * the file) in neither output. */
static void keeps_its_player(const char *cmd, const char *keyfile)
{
    char out[2][160], line[2][256], key[64];
    for (int i = 0; i < 2; i++) {
        snprintf(out[i], sizeof out[i], "%s.out%d", keyfile, i);
        assert_int_equal(bindings_run("%s %s > %s", cmd, keyfile, out[i]), 0);
        first_line(out[i], line[i], sizeof line[i]);
        fprintf(stderr, "%s: %s\n", cmd, line[i]);
    }
    first_line(keyfile, key, sizeof key);
    assert_int_equal(strlen(key), 32);
    assert_int_equal(strncmp(line[0], "player ", 7), 0);
    assert_non_null(strstr(line[0], ", room keep"));
    assert_memory_equal(line[0], line[1], 7 + 16); /* "player " and the id */
    assert_non_null(strstr(line[1], " (me), open"));
    assert_null(strstr(line[0], key));
    assert_null(strstr(line[1], key));
}

/* docs/library.md's "A player kept past its process" programs as written,
 * in C, Python, C# and JavaScript: each run twice is the same player. */
static void library_md_keeps_the_player_in_each_language(void **state)
{
    (void)state;
    char path[160], cmd[512], key[160];
    snprintf(path, sizeof path, "%s/keep.c", b.scratch);
    md_block("### In C", "c", path);
    assert_int_equal(bindings_run("cc -o %s/keep %s -I%s/usr/include -L%s/usr/lib -lricochet",
                                  b.scratch, path, b.scratch, b.scratch),
                     0);
    snprintf(cmd, sizeof cmd, "%s/keep 127.0.0.1 %u keep-c", b.scratch, (unsigned)b.enet_port);
    snprintf(key, sizeof key, "%s/c.key", b.scratch);
    keeps_its_player(cmd, key);

    snprintf(path, sizeof path, "%s/keep.py", b.scratch);
    md_block("### In Python", "python", path);
    snprintf(cmd, sizeof cmd, "PYTHONPATH=client/python python3 %s 127.0.0.1 %u keep-py", path,
             (unsigned)b.enet_port);
    snprintf(key, sizeof key, "%s/py.key", b.scratch);
    keeps_its_player(cmd, key);

    snprintf(path, sizeof path, "%s/Keep.cs", b.scratch);
    md_block("### In C#", "csharp", path);
    assert_int_equal(bindings_run("mcs -nologo -warnaserror -out:%s/keep.exe %s "
                                  "client/csharp/Ricochet/*.cs",
                                  b.scratch, path),
                     0);
    snprintf(cmd, sizeof cmd, "mono %s/keep.exe 127.0.0.1 %u keep-cs", b.scratch,
             (unsigned)b.enet_port);
    snprintf(key, sizeof key, "%s/cs.key", b.scratch);
    keeps_its_player(cmd, key);

    snprintf(path, sizeof path, "%s/js/keep.mjs", b.scratch);
    assert_int_equal(bindings_run("mkdir -p %s/js/node_modules && ln -sfn \"$(pwd)/client/js\" "
                                  "%s/js/node_modules/ricochet-relay-client",
                                  b.scratch, b.scratch),
                     0);
    md_block("### In JavaScript", "js", path);
    snprintf(cmd, sizeof cmd, "node %s ws://127.0.0.1:%u/ keep-js", path, (unsigned)b.ws_port);
    snprintf(key, sizeof key, "%s/js.key", b.scratch);
    keeps_its_player(cmd, key);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(python_package_against_a_relay),
        cmocka_unit_test(library_md_keeps_the_player_in_each_language),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
