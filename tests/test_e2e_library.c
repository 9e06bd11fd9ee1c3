/* test_e2e_library.c: libricochet as a game gets it: installed with make
 * install-lib, only ricochet_* exported, and the examples built with
 * pkg-config alone against it, run against a relay. */
/* Libricochet as a game gets it: `make install-lib` into a
 * scratch `DESTDIR`, only `ricochet_*` exported by the shared and the static
 * library, the soname; `client/examples/hello.c` and `tag.c` built with nothing
 * but `pkg-config --cflags --libs ricochet` against it (hello also against
 * `libricochet.a`) and run against a relay: all ten of hello's states reach
 * another member, and of the Python binding's (the package in
 * `client/python/ricochet/` run as a program, whose event is the C event's
 * size), two tag players pass "it" to each other by events through the relay;
 * the README's excerpt of hello.c is the file's; the manual page has every
 * exported function; docs/library.md's "Build and link" blocks run as written
 * from a scratch `$HOME` in a clean environment (`make lib`, `make install-lib
 * PREFIX=$HOME/.local`, a game linked shared with an rpath and static), both
 * programs playing against a relay with no `LD_LIBRARY_PATH`,
 * `build/lib/ricochet.pc` left as `make lib` wrote it and no systemd unit
 * installed, and the run-time packages library.md names exactly those of the
 * libraries `objdump -p` lists as `NEEDED`; after that install, in that clean
 * environment (only what the docs set: no `LD_LIBRARY_PATH`), library.md's
 * blocks of "The examples" (hello's ten states sent), "A game: tag" (in a
 * terminal of script(1): joined, quit by its q) and "A game: gates" (a host's
 * closed room and a lobby player that lists it closed, joins once it opens and
 * gets the gates opened before it as kept events) and "A lockstep game" (two
 * trails players end at the same tick with the same world) run as written,
 * each program finding the library by its rpath */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "client/lib/client.h"
#include "tests/support/harness.h"

static char scratch[64]; /* the DESTDIR, and where the examples are built */
static char home[64];    /* a game developer's $HOME: library.md's install in ~/.local */

/* The environment library.md's blocks run in: none of the test's (no
 * LD_LIBRARY_PATH, no pkg-config folders), only what the docs set. */
static const char clean[] = "env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u BUILD -u SAN -u FUZZ "
                            "-u CFLAGS -u PKG_CONFIG_PATH -u PKG_CONFIG_SYSROOT_DIR "
                            "-u LD_LIBRARY_PATH";


/* The standard output of a shell command line, malloc'ed (the caller frees). */
static char *sh_out(const char *cmd)
{
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t cap = 65536, len = 0, got;
    char *out = malloc(cap);
    assert_non_null(out);
    while (len + 1 < cap && (got = fread(out + len, 1, cap - 1 - len, p)) > 0)
        len += got;
    out[len] = '\0';
    assert_int_equal(pclose(p), 0);
    return out;
}

/* Installs the library into a fresh scratch DESTDIR (PREFIX /usr), as a
 * release build: not the sanitized objects this test runs on. */
static int install(void **state)
{
    (void)state;
    if (harness_install_lib(scratch, sizeof scratch) != 0)
        return -1;
    char dir[128];
    snprintf(dir, sizeof dir, "%s/usr/lib/pkgconfig", scratch);
    setenv("PKG_CONFIG_PATH", dir, 1);
    setenv("PKG_CONFIG_SYSROOT_DIR", scratch, 1);
    return 0;
}

static int uninstall(void **state)
{
    (void)state;
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf %s %s", scratch, home);
    return system(cmd) == 0 ? 0 : -1;
}

/* library.md's "Build and link" first block run once, as written, from the
 * checkout with a scratch $HOME (make lib, make install-lib into
 * $HOME/.local), in a clean environment: where the docs' later blocks find
 * the library. Returns the $HOME. */
static const char *docs_home(void)
{
    char path[128];
    if (home[0])
        return home;
    snprintf(home, sizeof home, "/tmp/ricochet-home-XXXXXX");
    assert_non_null(mkdtemp(home));
    snprintf(path, sizeof path, "%s/install.sh", home);
    harness_sh_block("docs/library.md", "## Build and link", 0, path);
    harness_sh("%s HOME=%s sh -e %s/install.sh > %s/install.log 2>&1 || "
               "{ cat %s/install.log; exit 1; }", clean, home, home, home, home);
    return home;
}

/* A block of library.md (the n-th "sh" block after heading) as a user runs
 * it after "Build and link": in dir (client/ the checkout's), in a clean
 * environment with the docs' install as $HOME, in one shell after the
 * export that block's second block starts with (PKG_CONFIG_PATH), PORT
 * set to port; with tty, in a terminal (script(1)'s) whose keys are a q
 * each second. Its output into dir/out.txt; returns its exit status. */
static int docs_block(const char *heading, int n, const char *dir, int port, bool tty)
{
    char path[256], cwd[512], cmd[2048];
    const char *h = docs_home();
    assert_non_null(getcwd(cwd, sizeof cwd));
    harness_sh("rm -rf %s && mkdir -p %s && ln -s %s/client %s/client", dir, dir, cwd, dir);
    snprintf(path, sizeof path, "%s/link.sh", dir);
    harness_sh_block("docs/library.md", "## Build and link", 1, path);
    harness_sh("grep '^export PKG_CONFIG_PATH=' %s/link.sh > %s/block.sh", dir, dir);
    snprintf(path, sizeof path, "%s/this.sh", dir);
    harness_sh_block("docs/library.md", heading, n, path);
    harness_sh("cat %s/this.sh >> %s/block.sh", dir, dir);
    snprintf(cmd, sizeof cmd, "cd %s && %s%s HOME=%s PORT=%d %s > out.txt 2>&1", dir,
             tty ? "{ while printf q; do sleep 1; done; } | " : "", clean, h, port,
             tty ? "TERM=xterm timeout 60 script -qec 'sh -e block.sh' /dev/null"
                 : "timeout 120 sh -e block.sh");
    int rc = system(cmd);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : 128;
}

/* Every name nm lists (one per line, the last word) starts with ricochet_. */
static size_t all_ricochet(const char *listing)
{
    size_t n = 0;
    for (const char *line = listing; *line;) {
        const char *end = strchr(line, '\n'), *word = line;
        size_t len = end ? (size_t)(end - line) : strlen(line);
        for (const char *p = line; p < line + len; p++)
            if (*p == ' ')
                word = p + 1;
        if (word < line + len) {
            if (strncmp(word, "ricochet_", 9) != 0)
                fprintf(stderr, "exported: %.*s\n", (int)(line + len - word), word);
            assert_int_equal(strncmp(word, "ricochet_", 9), 0);
            n++;
        }
        line += len + (end ? 1 : 0);
    }
    return n;
}

static void only_ricochet_symbols_are_exported(void **state)
{
    (void)state;
    char cmd[256];
    snprintf(cmd, sizeof cmd, "nm -D --defined-only %s/usr/lib/libricochet.so", scratch);
    char *dyn = sh_out(cmd);
    assert_non_null(strstr(dyn, " ricochet_connect\n"));
    size_t n_dyn = all_ricochet(dyn);
    snprintf(cmd, sizeof cmd, "nm -g --defined-only %s/usr/lib/libricochet.a | grep ' '",
             scratch);
    char *st = sh_out(cmd);
    assert_int_equal(all_ricochet(st), n_dyn); /* the same functions, nothing else */
    snprintf(cmd, sizeof cmd, "readelf -d %s/usr/lib/libricochet.so | grep SONAME", scratch);
    char *soname = sh_out(cmd);
    char want[64];
    snprintf(want, sizeof want, "[libricochet.so.%d]", RICOCHET_VERSION_MAJOR);
    assert_non_null(strstr(soname, want));
    free(dyn);
    free(st);
    free(soname);
}

static void pkg_config_gives_the_install(void **state)
{
    (void)state;
    char *flags = sh_out("pkg-config --cflags --libs ricochet");
    char want[256];
    snprintf(want, sizeof want, "-I%s/usr/include -L%s/usr/lib -lricochet", scratch, scratch);
    assert_non_null(strstr(flags, want));
    free(flags);
    snprintf(want, sizeof want, "%s/usr/include/ricochet/ricochet.h", scratch);
    assert_int_equal(access(want, R_OK), 0);
    /* One header: its parts are in it, not beside it. */
    snprintf(want, sizeof want, "%s/usr/include/ricochet/ricochet_interp.h", scratch);
    assert_int_equal(access(want, R_OK), -1);
    snprintf(want, sizeof want, "%s/usr/share/man/man3/ricochet.3", scratch);
    assert_int_equal(access(want, R_OK), 0);
}

/* Runs dir/prog (dir NULL: the scratch folder's) with args until it exits
 * (at most wait_ms), polling the watcher meanwhile (may be NULL). Returns
 * its stdout (caller frees). */
static char *play(const char *dir, const char *prog, const char *const *args,
                  struct harness_rec *watcher, int wait_ms)
{
    struct spawn_proc p;
    char err[256];
    assert_int_equal(spawn_start(&p, dir ? dir : scratch, prog, args, err, sizeof err), 0);
    uint64_t deadline = clock_now_ms() + (uint64_t)wait_ms;
    while (spawn_running(&p) && clock_now_ms() < deadline) {
        if (watcher)
            harness_poll_for(watcher->c, watcher->n, 20, harness_rec_event, watcher);
        else
            clock_sleep_ms(20);
    }
    int code = spawn_stop(&p, SIGTERM, 5000);
    char *out = spawn_read_stdout(&p);
    fprintf(stderr, "%s (exit %d):\n%s", prog, code, out ? out : "");
    assert_int_equal(code, 0);
    assert_non_null(out);
    spawn_free(&p);
    return out;
}

/* The states the watcher got from the k-th member that joined, once it has
 * want of them or 5 s passed: the last in flight, however loaded the host. */
static uint64_t states_of(struct harness_rec *w, size_t k, uint64_t want)
{
    uint64_t end = clock_now_ms() + 5000;
    while (w->states[0][w->joined[0][k]] < want && clock_now_ms() < end)
        harness_poll_for(w->c, 1, 20, harness_rec_event, w);
    return w->states[0][w->joined[0][k]];
}

static void hello_and_python_join_and_send_ten_states(void **state)
{
    (void)state;
    harness_sh("cc -std=c11 -Wall -Wextra -Werror -o %s/hello client/examples/hello.c "
       "$(pkg-config --cflags --libs ricochet)", scratch);
    /* the static library alone, with what ricochet.pc lists as private */
    harness_sh("cc -std=c11 -Wall -Wextra -Werror -o %s/hello-static client/examples/hello.c "
       "$(pkg-config --cflags ricochet) %s/usr/lib/libricochet.a "
       "$(pkg-config --static --libs-only-l ricochet | sed 's/-lricochet//')",
       scratch, scratch);
    harness_sh("! readelf -d %s/hello-static | grep -q libricochet", scratch);

    struct spawn_proc relay;
    int port = harness_start_relay(&relay, NULL);
    assert_true(port > 0);
    static struct harness_rec watcher;
    memset(&watcher, 0, sizeof watcher);
    watcher.n = 1;
    watcher.c[0] = harness_client((uint16_t)port, "lobby", "watcher", PROTO_MODE_UNSEQUENCED,
                                  false);
    assert_int_equal(harness_poll_until(watcher.c, 1, 5000, harness_rec_event,
                                        harness_all_welcomed, &watcher), 0);
    char port_s[16], lib[128];
    snprintf(port_s, sizeof port_s, "%d", port);
    snprintf(lib, sizeof lib, "%s/usr/lib", scratch);
    const char *args[] = {"127.0.0.1", port_s, "lobby", NULL};

    setenv("LD_LIBRARY_PATH", lib, 1);
    char *out = play(NULL, "hello", args, &watcher, 15000);
    unsetenv("LD_LIBRARY_PATH");
    assert_non_null(strstr(out, "sent 10 states; 1 other here"));
    assert_non_null(strstr(out, " watcher: "));
    free(out);
    assert_int_equal(watcher.n_joined[0], 1);
    assert_int_equal(states_of(&watcher, 0, 10), 10);

    out = play(NULL, "hello-static", args, &watcher, 15000);
    assert_non_null(strstr(out, "sent 10 states; 1 other here"));
    free(out);

    /* The Python binding (the package client/python/ricochet/, ctypes), run
     * as a program, mirrors the header's structs: its event is as large, and
     * its states arrive. */
    const char *py[] = {"PYTHONPATH=client/python", "python3", "-m", "ricochet", "127.0.0.1",
                        port_s, "lobby", NULL};
    char want[64];
    setenv("LD_LIBRARY_PATH", lib, 1);
    out = play("/usr/bin", "env", py, &watcher, 15000);
    unsetenv("LD_LIBRARY_PATH");
    snprintf(want, sizeof want, "sent 10 states, got 0; event size %zu",
             sizeof(struct ricochet_event));
    assert_non_null(strstr(out, want));
    free(out);
    harness_poll_for(watcher.c, 1, 20, harness_rec_event, &watcher);
    assert_int_equal(watcher.n_joined[0], 3);
    assert_int_equal(states_of(&watcher, 2, 10), 10);
    ricochet_close(watcher.c[0]);
    free(harness_relay_finish(&relay));
    spawn_free(&relay);
}

/* A whole file, malloc'ed (the caller frees). */
static char *slurp(const char *path)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "cat %s", path);
    return sh_out(cmd);
}

/* The installed manual page, rendered from the header, has every function
 * it exports. */
static void manual_page_has_every_function(void **state)
{
    (void)state;
    char path[128];
    snprintf(path, sizeof path, "%s/usr/share/man/man3/ricochet.3", scratch);
    char *header = slurp("client/lib/ricochet*.h"), *man = slurp(path);
    size_t functions = 0;
    for (char *api = strstr(header, "\nRICOCHET_API "); api;
         api = strstr(api + 1, "\nRICOCHET_API ")) {
        char *end = strchr(api, ';'), *name = api;
        while (end && (name = strstr(name + 1, "ricochet_")) && name < end) {
            size_t len = strspn(name, "abcdefghijklmnopqrstuvwxyz_0123456789");
            if (name[len] != '(')
                continue;
            name[len] = '\0';
            if (!strstr(man, name))
                fprintf(stderr, "ricochet.3 lacks %s\n", name);
            assert_non_null(strstr(man, name));
            name[len] = '(';
            functions++;
            break;
        }
    }
    assert_true(functions >= 30);
    free(header);
    free(man);
}

/* The README's excerpt of hello.c is hello.c's, word for word. */
static void readme_shows_the_real_hello(void **state)
{
    (void)state;
    char *readme = slurp("README.md"), *hello = slurp("client/examples/hello.c");
    char *section = strstr(readme, "## Using ricochet from your game");
    assert_non_null(section);
    char *block = strstr(section, "```c\n");
    assert_non_null(block);
    block += 5;
    char *end = strstr(block, "```");
    assert_non_null(end);
    *end = '\0';
    assert_true(strlen(block) > 200);
    assert_non_null(strstr(hello, block));
    free(readme);
    free(hello);
}

/* The bot and the terminal client reach the library through ricochet.h
 * (and the bot through the swarm); the bench's internal hooks (client.h)
 * come in through bench/run_internal.h alone. */
static void own_programs_use_the_public_header(void **state)
{
    (void)state;
    harness_sh("! grep -rnE '#include \".*(client|client_internal|client_test)\\.h\"' "
       "client/bot client/tui");
    harness_sh("grep -q '#include \"client/lib/ricochet\\.h\"' client/tui/tui_model.h");
    harness_sh("test \"$(grep -rlE '#include \".*client/lib/client(_internal)?\\.h\"' bench)\" = "
       "bench/run_internal.h");
}

/* Whether library.md's run-time packages ($2) are those of what $1 NEEDs:
 * each NEEDED library's path as ldd finds it, its package as dpkg says
 * (Debian 12 registers some under /lib, some under /usr/lib). */
static const char packages_sh[] =
    "want=$(sed -n '/^\\*\\*Run-time packages\\.\\*\\*/,/^$/p' \"$2\" |\n"
    "    grep -o '`lib[a-z0-9.+-]*`' | tr -d '`' | grep -v '\\.so' | sort -u)\n"
    "got=$(for so in $(objdump -p \"$1\" | awk '/NEEDED/ {print $2}'); do\n"
    "    path=$(ldd \"$1\" | awk -v so=\"$so\" '$1 == so {print $3}')\n"
    "    real=$(readlink -f \"$path\")\n"
    "    { dpkg -S \"$path\" || dpkg -S \"$real\" || dpkg -S \"${real#/usr}\"; } 2>/dev/null |\n"
    "        head -1 | cut -d: -f1\n"
    "done | sort -u)\n"
    "[ -n \"$want\" ] && [ \"$want\" = \"$got\" ] && exit 0\n"
    "echo \"library.md names:\" $want; echo \"the library needs:\" $got; exit 1\n";

/* docs/library.md's "Build and link" as written: its first block from the
 * checkout with a scratch folder as $HOME (make lib, make install-lib into
 * $HOME/.local), its second from a game's folder (game.c: hello.c), in a
 * clean environment. The shared program finds the library through its
 * rpath alone, the static one holds it; both play against a relay.
 * install-lib rewrote nothing in build/ and installed no unit; the
 * run-time packages named are those of what the library needs. */
static void build_and_link_as_library_md_says(void **state)
{
    (void)state;
    char path[128], game[128];
    docs_home();
    snprintf(path, sizeof path, "%s/link.sh", home);
    harness_sh_block("docs/library.md", "## Build and link", 1, path);
    snprintf(path, sizeof path, "%s/packages.sh", home);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(packages_sh, f);
    assert_int_equal(fclose(f), 0);
    harness_sh("! grep -q %s build/lib/ricochet.pc", home);
    harness_sh("test ! -e %s/.local/lib/systemd && test -f %s/.local/lib/libricochet.a",
               home, home);
    snprintf(game, sizeof game, "%s/game", home);
    harness_sh("mkdir %s && cp client/examples/hello.c %s/game.c", game, game);
    harness_sh("cd %s && %s HOME=%s sh -e %s/link.sh", game, clean, home, home);
    harness_sh("readelf -d %s/game | grep -q 'R.*PATH.*%s/.local/lib'", game, home);
    harness_sh("! readelf -d %s/game-static | grep -q libricochet", game);
    harness_sh("sh -e %s/packages.sh %s/.local/lib/libricochet.so docs/library.md", home, home);

    struct spawn_proc relay;
    int port = harness_start_relay(&relay, NULL);
    assert_true(port > 0);
    char port_s[16];
    snprintf(port_s, sizeof port_s, "%d", port);
    const char *args[] = {"127.0.0.1", port_s, "lobby", NULL};
    unsetenv("LD_LIBRARY_PATH");
    char *out = play(game, "game", args, NULL, 15000);
    assert_non_null(strstr(out, "sent 10 states"));
    free(out);
    out = play(game, "game-static", args, NULL, 15000);
    assert_non_null(strstr(out, "sent 10 states"));
    free(out);
    free(harness_relay_finish(&relay));
    spawn_free(&relay);
    harness_sh("rm -rf %s", game);
}

/* "tag: #1 score 2, #2 is it after 4 hand-offs, 3 tags seen" -> 3 */
static unsigned touches(const char *out)
{
    unsigned id, score, it, handoffs, n;
    const char *line = strstr(out, " tags seen\n");
    assert_non_null(line);
    while (line > out && line[-1] != '\n')
        line--;
    assert_int_equal(sscanf(line, "tag: #%u score %u, #%u is it after %u hand-offs, %u tags seen",
                            &id, &score, &it, &handoffs, &n), 5);
    return n;
}

static void tag_passes_it_through_the_relay(void **state)
{
    (void)state;
    harness_sh("cc -std=c11 -Wall -Wextra -Werror -o %s/tag client/examples/tag.c "
       "$(pkg-config --cflags --libs ricochet) -lm", scratch);
    struct spawn_proc relay, a, b;
    int port = harness_start_relay(&relay, NULL);
    assert_true(port > 0);
    char port_s[16], lib[128], err[256];
    snprintf(port_s, sizeof port_s, "%d", port);
    snprintf(lib, sizeof lib, "%s/usr/lib", scratch);
    /* Two players for 12 s on their own: "it" runs twice as fast as the
     * other and reaches it in well under that, wherever they start. */
    const char *args[] = {"127.0.0.1", port_s, "tag", "--auto", "12", NULL};
    setenv("LD_LIBRARY_PATH", lib, 1);
    assert_int_equal(spawn_start(&a, scratch, "tag", args, err, sizeof err), 0);
    assert_int_equal(spawn_start(&b, scratch, "tag", args, err, sizeof err), 0);
    unsetenv("LD_LIBRARY_PATH");
    assert_int_equal(spawn_stop(&a, 0, 30000), 0);
    assert_int_equal(spawn_stop(&b, 0, 30000), 0);
    char *out_a = spawn_read_stdout(&a), *out_b = spawn_read_stdout(&b);
    fprintf(stderr, "%s%s", out_a, out_b);
    assert_true(touches(out_a) >= 1);
    assert_true(touches(out_b) >= 1);
    free(out_a);
    free(out_b);
    spawn_free(&a);
    spawn_free(&b);
    free(harness_relay_finish(&relay));
    spawn_free(&relay);
}

/* The output of a docs block run in dir (the caller frees), printed from
 * its first "from" on (a terminal's frames before it are not). */
static char *block_out(const char *dir, const char *from)
{
    char path[200];
    snprintf(path, sizeof path, "%s/out.txt", dir);
    char *out = harness_read_text(path);
    assert_non_null(out);
    const char *at = strstr(out, from);
    fprintf(stderr, "%s", at ? at : out);
    return out;
}

/* docs/library.md's "The examples" block as written, after "Build and
 * link" installed the library into $HOME/.local, with no LD_LIBRARY_PATH:
 * hello, built by it, finds the library and plays against a relay on a
 * free port (PORT). */
static void examples_block_runs_as_library_md_says(void **state)
{
    (void)state;
    struct spawn_proc relay;
    int port = harness_start_relay(&relay, NULL);
    assert_true(port > 0);
    char dir[160];
    snprintf(dir, sizeof dir, "%s/hello-block", scratch);
    int rc = docs_block("## The examples", 0, dir, port, false);
    char *out = block_out(dir, "");
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out, "sent 10 states"));
    free(out);
    free(harness_relay_finish(&relay));
    spawn_free(&relay);
}

/* docs/library.md's "A game: tag" block as written (the same way), in a
 * terminal: tag, built by it, joins and quits at a q with its summary. */
static void tag_block_runs_as_library_md_says(void **state)
{
    (void)state;
    struct spawn_proc relay;
    int port = harness_start_relay(&relay, NULL);
    assert_true(port > 0);
    char dir[160];
    snprintf(dir, sizeof dir, "%s/tag-block", scratch);
    int rc = docs_block("## A game: tag", 0, dir, port, true);
    char *out = block_out(dir, "tag: #");
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out, " tags seen"));
    free(out);
    free(harness_relay_finish(&relay));
    spawn_free(&relay);
}

/* docs/library.md's "A game: gates" block as written (the same way),
 * against a relay on a free port (PORT). */
static void gates_block_plays_as_library_md_says(void **state)
{
    (void)state;
    struct spawn_proc relay;
    int port = harness_start_relay(&relay, NULL);
    assert_true(port > 0);
    char dir[160];
    snprintf(dir, sizeof dir, "%s/gates-block", scratch);
    int rc = docs_block("## A game: gates", 0, dir, port, false);
    char *out = block_out(dir, "");
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out, "gates: lobby: vault 1/8 closed"));
    const char *joined = strstr(out, "gates: joined vault as #");
    assert_non_null(joined);
    assert_non_null(strstr(out, "gates: room vault is open to joiners"));
    assert_non_null(strstr(joined, "gates: kept g")); /* the host's gates, replayed */
    free(out);
    free(harness_relay_finish(&relay));
    spawn_free(&relay);
}

/* docs/library.md's "A lockstep game" block as written (the same way):
 * two trails players, built by it, end at tick 60 with the same world. */
static void lockstep_block_plays_as_library_md_says(void **state)
{
    (void)state;
    struct spawn_proc relay;
    int port = harness_start_relay(&relay, NULL);
    assert_true(port > 0);
    char dir[160];
    snprintf(dir, sizeof dir, "%s/trails-block", scratch);
    int rc = docs_block("## A lockstep game", 0, dir, port, false);
    char *out = block_out(dir, "");
    assert_int_equal(rc, 0);
    const char *a = strstr(out, "trails: tick 60 sum ");
    const char *b = a ? strstr(a + 1, "trails: tick 60 sum ") : NULL;
    assert_non_null(b);
    assert_memory_equal(a, b, strlen("trails: tick 60 sum ") + 16);
    free(out);
    free(harness_relay_finish(&relay));
    spawn_free(&relay);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(only_ricochet_symbols_are_exported),
        cmocka_unit_test(pkg_config_gives_the_install),
        cmocka_unit_test(readme_shows_the_real_hello),
        cmocka_unit_test(own_programs_use_the_public_header),
        cmocka_unit_test(manual_page_has_every_function),
        cmocka_unit_test(build_and_link_as_library_md_says),
        cmocka_unit_test(hello_and_python_join_and_send_ten_states),
        cmocka_unit_test(tag_passes_it_through_the_relay),
        cmocka_unit_test(examples_block_runs_as_library_md_says),
        cmocka_unit_test(tag_block_runs_as_library_md_says),
        cmocka_unit_test(gates_block_plays_as_library_md_says),
        cmocka_unit_test(lockstep_block_plays_as_library_md_says),
    };
    return cmocka_run_group_tests(tests, install, uninstall);
}
