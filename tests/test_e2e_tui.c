/* test_e2e_tui.c: drives the real ricochet-client in a detached tmux session
 * (private socket, fixed size) against a real relay and a ricochet-bot:
 * the bot's glyph moves, my avatar moves with the keys, the HUD shows a
 * round-trip time, mode switch, chat and resize work, `q` and SIGTERM exit
 * with status 0 and the terminal restored (alternate screen left, cursor
 * shown). Also: without a TTY the client refuses with a pointer to
 * ricochet-bot; names in Hangul and Vietnamese shown whole, the table's
 * columns lined up by display width in a UTF-8 locale. Skipped (with a
 * message) only where tmux cannot run. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "sys/textwidth.h"
#include "tests/support/harness.h"

#define COLS 100
#define ROWS 32
#define CMD_TIMEOUT_MS 5000
#define OUT_CAP 65536

static char sock_name[64];
static char conf_path[64];
static bool tmux_started;
static char skip_why[80];

/* Runs argv (no shell) with stdout captured into out; returns the exit
 * code, or -1 if it could not run or took longer than CMD_TIMEOUT_MS. */
static int run(const char *const *argv, char *out, size_t cap)
{
    int pfd[2], status = 0;
    size_t len = 0;
    pid_t pid;
    uint64_t deadline = clock_now_ms() + CMD_TIMEOUT_MS;

    if (pipe(pfd) != 0)
        return -1;
    fflush(NULL);
    pid = fork();
    if (pid < 0) {
        close(pfd[0]);
        close(pfd[1]);
        return -1;
    }
    if (pid == 0) {
        int devnull = open("/dev/null", O_RDWR);
        dup2(pfd[1], STDOUT_FILENO);
        if (devnull >= 0) {
            dup2(devnull, STDIN_FILENO);
            dup2(devnull, STDERR_FILENO);
        }
        close(pfd[0]);
        close(pfd[1]);
        execvp(argv[0], (char *const *)argv);
        _exit(127);
    }
    close(pfd[1]);
    for (;;) {
        struct pollfd p = { .fd = pfd[0], .events = POLLIN };
        uint64_t now = clock_now_ms();
        char tmp[4096];
        ssize_t n;
        if (now >= deadline)
            break;
        if (poll(&p, 1, (int)(deadline - now)) <= 0)
            continue;
        n = read(pfd[0], tmp, sizeof tmp);
        if (n <= 0)
            break;
        if (out && cap > 1) {
            size_t take = (size_t)n < cap - 1 - len ? (size_t)n : cap - 1 - len;
            memcpy(out + len, tmp, take);
            len += take;
        }
    }
    close(pfd[0]);
    if (out && cap)
        out[len] = '\0';
    if (clock_now_ms() >= deadline) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        return -1;
    }
    if (waitpid(pid, &status, 0) != pid)
        return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* tmux -L SOCK -f CONF <args...> */
static int tmux(char *out, size_t cap, const char *const *args)
{
    const char *argv[32];
    size_t n = 0;
    argv[n++] = "tmux";
    argv[n++] = "-L";
    argv[n++] = sock_name;
    argv[n++] = "-f";
    argv[n++] = conf_path;
    for (size_t i = 0; args[i] && n < 31; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    return run(argv, out, cap);
}

static void tmux_kill_server(void)
{
    if (tmux_started) {
        const char *args[] = { "kill-server", NULL };
        const char *dir = getenv("TMUX_TMPDIR");
        char path[256];
        tmux(NULL, 0, args);
        tmux_started = false;
        /* tmux leaves its socket file behind */
        snprintf(path, sizeof path, "%s/tmux-%d/%s", dir && *dir ? dir : "/tmp",
                 (int)getuid(), sock_name);
        unlink(path);
    }
    if (conf_path[0])
        unlink(conf_path);
}

static char *capture(const char *target)
{
    static char buf[OUT_CAP];
    const char *args[] = { "capture-pane", "-p", "-t", target, NULL };
    if (tmux(buf, sizeof buf, args) != 0)
        buf[0] = '\0';
    return buf;
}

/* A tmux format value for the pane, e.g. "#{pane_pid}". */
static long pane_format(const char *target, const char *fmt)
{
    char out[128];
    const char *args[] = { "display-message", "-p", "-t", target, fmt, NULL };
    if (tmux(out, sizeof out, args) != 0 || !out[0])
        return -1;
    return strtol(out, NULL, 10);
}

static void send_keys(const char *target, const char *key)
{
    const char *args[] = { "send-keys", "-t", target, key, NULL };
    assert_int_equal(tmux(NULL, 0, args), 0);
}

/* Finds glyph inside the arena (rows between the "+- arena" border lines,
 * between the '|' columns). Returns 1 and the cell, or 0. */
static int find_in_arena(const char *screen, char glyph, int *row, int *col)
{
    int r = 0, in_arena = 0;
    const char *line = screen;
    while (*line) {
        const char *eol = strchr(line, '\n');
        size_t len = eol ? (size_t)(eol - line) : strlen(line);
        if (!in_arena && len > 3 && strncmp(line, "+- arena", 8) == 0) {
            in_arena = 1;
        } else if (in_arena) {
            if (len == 0 || line[0] != '|')
                return 0; /* bottom border: not found */
            const char *end = memchr(line + 1, '|', len - 1);
            size_t inner = end ? (size_t)(end - line) : len;
            for (size_t c = 1; c < inner; c++) {
                if (line[c] == glyph) {
                    *row = r;
                    *col = (int)c;
                    return 1;
                }
            }
        }
        r++;
        if (!eol)
            break;
        line = eol + 1;
    }
    return 0;
}

/* Width of the arena's top border line, or -1. */
static int arena_width(const char *screen)
{
    const char *p = strstr(screen, "+- arena");
    if (!p)
        return -1;
    const char *eol = strchr(p, '\n');
    size_t len = eol ? (size_t)(eol - p) : strlen(p);
    while (len > 0 && p[len - 1] == ' ')
        len--;
    return (int)len;
}

/* Polls the pane until its text contains needle (and, if glyph is not 0,
 * that glyph is in the arena), up to ms. Returns the last capture or NULL. */
static char *wait_screen(const char *target, const char *needle, char glyph, int ms)
{
    uint64_t deadline = clock_now_ms() + (uint64_t)ms;
    int r, c;
    do {
        char *s = capture(target);
        if ((!needle || strstr(s, needle)) && (!glyph || find_in_arena(s, glyph, &r, &c)))
            return s;
        clock_sleep_ms(100);
    } while (clock_now_ms() < deadline);
    return NULL;
}

static bool rtt_shown(const char *s)
{
    const char *p = strstr(s, "RTT ");
    return p && p[4] >= '0' && p[4] <= '9';
}

static int setup_tmux(void **state)
{
    (void)state;
    char out[256];
    const char *version[] = { "tmux", "-V", NULL };
    FILE *f;
    int fd;

    snprintf(sock_name, sizeof sock_name, "ricochet-e2e-%d", (int)getpid());
    snprintf(conf_path, sizeof conf_path, "/tmp/ricochet-e2e-%d.conf", (int)getpid());
    if (run(version, out, sizeof out) != 0) {
        snprintf(skip_why, sizeof skip_why, "tmux is not installed");
        conf_path[0] = '\0';
        return 0; /* the tests skip */
    }
    fd = open(conf_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || !(f = fdopen(fd, "w")))
        return -1;
    /* exit-empty off: the server stays up between sessions (until
     * tmux_kill_server). Killing the last session made it exit, and a
     * new-session right after could reach it exiting ("server exited
     * unexpectedly", status 1) on a loaded host. */
    fprintf(f, "set -g default-terminal screen\n"
               "set -g status off\nset -g history-limit 100\nset -g exit-empty off\n");
    fclose(f);
    atexit(tmux_kill_server);
    /* Can a server actually start here? */
    {
        const char *probe[] = { "new-session", "-d", "-s", "probe", "-x", "20", "-y", "5",
                                "sleep", "1", NULL };
        tmux_started = true;
        if (tmux(NULL, 0, probe) != 0) {
            snprintf(skip_why, sizeof skip_why, "tmux cannot start a server here");
            tmux_kill_server();
            conf_path[0] = '\0';
            return 0;
        }
        const char *kill_probe[] = { "kill-session", "-t", "probe", NULL };
        tmux(NULL, 0, kill_probe);
    }
    return 0;
}

static int teardown_tmux(void **state)
{
    (void)state;
    tmux_kill_server();
    return 0;
}

/* Starts session `name` running ricochet-client with the given extra args. */
static int start_client(const char *name, int port, const char *const *extra)
{
    char bin[512], portbuf[16], cols[8], rows[8];
    const char *args[32];
    size_t n = 0;
    snprintf(bin, sizeof bin, "%s/ricochet-client", harness_bin_dir());
    snprintf(portbuf, sizeof portbuf, "%d", port);
    snprintf(cols, sizeof cols, "%d", COLS);
    snprintf(rows, sizeof rows, "%d", ROWS);
    args[n++] = "new-session";
    args[n++] = "-d";
    args[n++] = "-s";
    args[n++] = name;
    args[n++] = "-x";
    args[n++] = cols;
    args[n++] = "-y";
    args[n++] = rows;
    args[n++] = "-e"; /* a UTF-8 terminal, as a player's is: names in any script */
    args[n++] = "LC_ALL=C.UTF-8";
    /* Through a shell that reports the exit status and stays, so the pane
     * shows what the terminal looks like once the client is gone. */
    args[n++] = "sh";
    args[n++] = "-c";
    args[n++] = "\"$0\" \"$@\"; echo EXITED $?; exec sleep 60";
    args[n++] = bin;
    args[n++] = "--host";
    args[n++] = "127.0.0.1";
    args[n++] = "--port";
    args[n++] = portbuf;
    args[n++] = "--room";
    args[n++] = "e2e";
    for (size_t i = 0; extra && extra[i] && n < 31; i++)
        args[n++] = extra[i];
    args[n] = NULL;
    tmux_started = true;
    return tmux(NULL, 0, args);
}

/* Waits for the shell's "EXITED N" line; returns N, or -1 on timeout. */
static int wait_exited(const char *target, int ms)
{
    char *s = wait_screen(target, "EXITED ", 0, ms);
    const char *p = s ? strstr(s, "EXITED ") : NULL;
    return p ? atoi(p + 7) : -1;
}

/* The client's pid: the child of the pane's shell. */
static pid_t client_pid(const char *target)
{
    char path[64], buf[64];
    long sh = pane_format(target, "#{pane_pid}");
    FILE *f;
    long pid = -1;
    if (sh <= 1)
        return -1;
    snprintf(path, sizeof path, "/proc/%ld/task/%ld/children", sh, sh);
    f = fopen(path, "r");
    if (!f)
        return -1;
    if (fgets(buf, sizeof buf, f))
        pid = strtol(buf, NULL, 10);
    fclose(f);
    return pid > 1 ? (pid_t)pid : -1;
}

/* After exit: out of the alternate screen, cursor shown, keypad off. */
static void assert_terminal_restored(const char *target)
{
    assert_int_equal(pane_format(target, "#{alternate_on}"), 0);
    assert_int_equal(pane_format(target, "#{cursor_flag}"), 1);
    assert_int_equal(pane_format(target, "#{keypad_cursor_flag}"), 0);
    assert_null(strstr(capture(target), "+- arena"));
}

static bool tmux_usable(void)
{
    return conf_path[0] != '\0';
}

static int start_relay_and_bot(struct spawn_proc *relay, struct spawn_proc *bot,
                               const char *name)
{
    char portbuf[16];
    int port = harness_start_relay(relay, NULL);
    assert_true(port > 0);
    snprintf(portbuf, sizeof portbuf, "%d", port);
    const char *bot_args[] = { "--host", "127.0.0.1", "--port", portbuf, "--room", "e2e",
                               "--name", name, "--rate", "20", "--duration", "60",
                               "--seed", "7", NULL };
    assert_int_equal(harness_spawn(bot, "ricochet-bot", bot_args), 0);
    return port;
}

/* q to client t (it exits with 0), then the bot and the relay stopped. */
static void quit_and_stop(const char *t, struct spawn_proc *relay, struct spawn_proc *bot)
{
    send_keys(t, "q");
    assert_int_equal(wait_exited(t, 5000), 0);
    assert_int_equal(spawn_stop(bot, SIGTERM, 5000), 0);
    assert_int_equal(spawn_stop(relay, SIGTERM, 5000), 0);
    spawn_free(bot);
    spawn_free(relay);
}

static void session_in_tmux(void **state)
{
    (void)state;
    struct spawn_proc relay, bot;
    const char *t = "play";
    char *s;
    int r0, c0, r1, c1, mr, mc, port;

    if (!tmux_usable()) {
        print_message("SKIPPED: %s\n", skip_why);
        skip();
    }
    port = start_relay_and_bot(&relay, &bot, "bot");
    const char *extra[] = { "--name", "me", "--seed", "1", "--rate", "20", NULL };
    assert_int_equal(start_client(t, port, extra), 0);

    /* Joined, the bot is visible in the arena, and a round trip measured. */
    s = wait_screen(t, "joined room e2e", 'B', 15000);
    if (!s)
        fail_msg("client never showed the bot; screen:\n%s", capture(t));
    uint64_t deadline = clock_now_ms() + 10000;
    while (!rtt_shown(s = capture(t)) && clock_now_ms() < deadline)
        clock_sleep_ms(100);
    if (!rtt_shown(s))
        fail_msg("no RTT in the HUD; screen:\n%s", s);
    printf("# screen with a bot:\n%s\n", s);

    /* The bot's glyph moves between captures. */
    /* (retried: the bot may be hidden under my avatar for a moment) */
    assert_non_null(s = wait_screen(t, NULL, 'B', 3000));
    assert_true(find_in_arena(s, 'B', &r0, &c0));
    bool moved = false;
    deadline = clock_now_ms() + 8000;
    while (!moved && clock_now_ms() < deadline) {
        clock_sleep_ms(300);
        if (find_in_arena(capture(t), 'B', &r1, &c1))
            moved = r1 != r0 || c1 != c0;
    }
    if (!moved)
        fail_msg("bot glyph stayed at row %d col %d", r0, c0);

    /* My avatar moves with the keys: steer toward the middle, then stop. */
    assert_true(find_in_arena(capture(t), 'M', &mr, &mc));
    bool go_right = mc < COLS / 2;
    send_keys(t, go_right ? "Right" : "Left");
    clock_sleep_ms(700);
    assert_true(find_in_arena(capture(t), 'M', &r1, &c1));
    if (go_right ? c1 <= mc + 3 : c1 >= mc - 3)
        fail_msg("avatar did not move %s: col %d -> %d", go_right ? "right" : "left", mc, c1);
    assert_int_equal(r1, mr);
    send_keys(t, "x"); /* stop */
    clock_sleep_ms(200);
    assert_true(find_in_arena(capture(t), 'M', &mr, &mc));
    clock_sleep_ms(400);
    assert_true(find_in_arena(capture(t), 'M', &r1, &c1));
    assert_int_equal(r1, mr);
    assert_int_equal(c1, mc);
    send_keys(t, mr < ROWS / 2 ? "s" : "w"); /* WASD too: vertical this time */
    clock_sleep_ms(800);
    assert_true(find_in_arena(capture(t), 'M', &r1, &c1));
    assert_int_not_equal(r1, mr);
    send_keys(t, "Space");

    /* Mode switch, send rate, interpolation toggle show in the HUD. */
    send_keys(t, "3");
    send_keys(t, "+");
    send_keys(t, "i");
    /* the client reads the three keys one at a time: wait for each */
    assert_non_null(wait_screen(t, "mode reliable", 0, 3000));
    assert_non_null(wait_screen(t, "send 30 Hz", 0, 3000));
    s = wait_screen(t, "RAW arrivals", 0, 3000);
    assert_non_null(s);
    assert_non_null(strstr(s, "mode reliable"));
    assert_non_null(strstr(s, "send 30 Hz"));
    send_keys(t, "i");

    /* Chat goes through the relay and comes back to me. */
    send_keys(t, "c");
    send_keys(t, "hello");
    send_keys(t, "Enter");
    assert_non_null(wait_screen(t, "<me> hello", 0, 5000));

    /* The help opens and any key closes it. */
    send_keys(t, "?");
    assert_non_null(wait_screen(t, "interpolation on/off", 0, 3000));
    send_keys(t, "z");
    clock_sleep_ms(300);
    assert_null(strstr(capture(t), "interpolation on/off"));

    /* Resize: the arena follows the terminal. */
    {
        const char *args[] = { "resize-window", "-t", t, "-x", "80", "-y", "24", NULL };
        if (tmux(NULL, 0, args) == 0) {
            deadline = clock_now_ms() + 3000;
            while (arena_width(s = capture(t)) != 80 && clock_now_ms() < deadline)
                clock_sleep_ms(100);
            if (arena_width(s) != 80)
                fail_msg("arena did not follow a resize to 80 columns:\n%s", s);
            assert_true(find_in_arena(s, 'M', &r1, &c1));
        } else {
            print_message("tmux resize-window unavailable: resize not checked\n");
        }
    }

    /* q exits cleanly and the terminal is restored. */
    assert_int_equal(pane_format(t, "#{alternate_on}"), 1);
    send_keys(t, "q");
    if (wait_exited(t, 5000) != 0)
        fail_msg("client did not exit with 0 after q:\n%s", capture(t));
    assert_terminal_restored(t);
    assert_non_null(strstr(capture(t), "ricochet-client: left room e2e"));

    assert_int_equal(spawn_stop(&bot, SIGTERM, 5000), 0);
    assert_int_equal(spawn_stop(&relay, SIGTERM, 5000), 0);
    spawn_free(&bot);
    spawn_free(&relay);
}

/* The line of screen holding needle, copied into out (NUL-terminated), or
 * false. */
static bool screen_line(const char *screen, const char *needle, char *out, size_t cap)
{
    const char *p = strstr(screen, needle);
    if (!p)
        return false;
    const char *start = p;
    while (start > screen && start[-1] != '\n')
        start--;
    const char *eol = strchr(p, '\n');
    size_t len = eol ? (size_t)(eol - start) : strlen(start);
    snprintf(out, cap, "%.*s", (int)(len < cap ? len : cap - 1), start);
    return true;
}

/* Whether the players' table shows every column whole: each header name in
 * order, and the bot's row ending in a whole view value. */
static bool table_whole(const char *screen)
{
    static const char *const columns[] = { "player", " id ", " mode ", " loss ", " 5s ",
                                           " reord ", " jit ms ", " lat ms ", " +-ms ",
                                           " view" };
    static const char *const views[] = { " smooth", " raw", " extrap", " STALE", " wait" };
    char line[512];
    if (!screen_line(screen, " player ", line, sizeof line))
        return false;
    const char *at = line;
    for (size_t i = 0; i < sizeof columns / sizeof columns[0]; i++)
        if (!(at = strstr(at, columns[i])))
            return false;
    if (!screen_line(screen, "bot-1", line, sizeof line))
        return false;
    for (size_t i = 0; i < sizeof views / sizeof views[0]; i++) {
        const char *v = strstr(line, views[i]);
        size_t n = strlen(views[i]);
        if (v && (v[n] == ' ' || v[n] == '\0' || v[n] == '|'))
            return true;
    }
    return false;
}

/* Every column of the players' table, the view column the docs tell you to
 * watch included, at a narrow terminal (the table below the arena) and at
 * two wide ones (the table beside it). */
static void table_columns_at_three_sizes(void **state)
{
    (void)state;
    struct spawn_proc relay, bot;
    const char *t = "sizes";
    if (!tmux_usable()) {
        print_message("SKIPPED: %s\n", skip_why);
        skip();
    }
    int port = start_relay_and_bot(&relay, &bot, "bot");
    const char *extra[] = { "--name", "me", "--seed", "2", NULL };
    assert_int_equal(start_client(t, port, extra), 0);
    if (!wait_screen(t, "bot-1", 'B', 15000))
        fail_msg("client never showed the bot; screen:\n%s", capture(t));
    static const char *const sizes[][2] = { { "80", "24" }, { "120", "40" }, { "140", "40" } };
    int prev_width = arena_width(capture(t));
    for (size_t i = 0; i < 3; i++) {
        const char *args[] = { "resize-window", "-t", t, "-x", sizes[i][0], "-y", sizes[i][1],
                               NULL };
        if (tmux(NULL, 0, args) != 0) {
            print_message("tmux resize-window unavailable: sizes not checked\n");
            break;
        }
        /* The arena's width changes with each size (the table moves beside
         * it from 120 columns on): wait for the redraw, then for the table. */
        char *s;
        uint64_t deadline = clock_now_ms() + 3000;
        while ((arena_width(s = capture(t)) == prev_width || !table_whole(s)) &&
               clock_now_ms() < deadline)
            clock_sleep_ms(100);
        prev_width = arena_width(s);
        if (!table_whole(s)) {
            printf("# screen:\n%s\n", s);
            fail_msg("at %sx%s the players' table is cut", sizes[i][0], sizes[i][1]);
        }
    }
    quit_and_stop(t, &relay, &bot);
}

/* Display columns of line before needle's first byte; -1 if absent. */
static long col_of(const char *line, const char *needle)
{
    const char *p = strstr(line, needle);
    if (!p)
        return -1;
    char head[512];
    snprintf(head, sizeof head, "%.*s", (int)(p - line), line);
    return (long)text_cols(head);
}

/* Me as 민수 and a bot as Nguyễn: the HUD and the table show both names
 * whole, and the table's columns line up with its header (a Hangul
 * syllable is two columns, a Vietnamese letter with its marks one). */
static void names_in_their_scripts_line_up(void **state)
{
    (void)state;
    struct spawn_proc relay, bot;
    const char *t = "names";
    char head[512], row[512];
    if (!tmux_usable()) {
        print_message("SKIPPED: %s\n", skip_why);
        skip();
    }
    int port = start_relay_and_bot(&relay, &bot, "Nguyễn");
    const char *extra[] = { "--name", "민수", "--seed", "3", NULL };
    assert_int_equal(start_client(t, port, extra), 0);
    char *s = wait_screen(t, "Nguyễn-1", 0, 15000);
    if (!s || !screen_line(s, " player ", head, sizeof head) ||
        !screen_line(s, "Nguyễn-1", row, sizeof row) || !strstr(s, " 민수 #"))
        fail_msg("the names are not shown whole; screen:\n%s", s ? s : capture(t));
    printf("%s\n%s\n", head, row);
    assert_int_equal(col_of(row, "Nguyễn-1"), col_of(head, "player"));
    assert_int_equal(col_of(row, "%") - col_of(row, "Nguyễn-1"),
                     col_of(head, "loss") + 3 - col_of(head, "player"));
    quit_and_stop(t, &relay, &bot);
}

static void sigterm_and_lost_relay(void **state)
{
    (void)state;
    struct spawn_proc relay;
    const char *t = "sig", *u = "lost";
    char *s;
    int port;
    long pid;

    if (!tmux_usable()) {
        print_message("SKIPPED: %s\n", skip_why);
        skip();
    }
    port = harness_start_relay(&relay, NULL);
    assert_true(port > 0);
    const char *extra1[] = { "--name", "sig", NULL };
    const char *extra2[] = { "--name", "lost", "--timeout-ms", "1000", NULL };
    assert_int_equal(start_client(t, port, extra1), 0);
    assert_int_equal(start_client(u, port, extra2), 0);
    assert_non_null(wait_screen(t, "joined room e2e", 0, 15000));
    assert_non_null(wait_screen(u, "joined room e2e", 0, 15000));
    /* Each sees the other. */
    assert_non_null(wait_screen(t, "lost", 'L', 5000));

    /* SIGTERM: the handler sets a flag, the loop ends, endwin runs. */
    pid = client_pid(t);
    assert_true(pid > 1);
    assert_int_equal(kill((pid_t)pid, SIGTERM), 0);
    if (wait_exited(t, 5000) != 0)
        fail_msg("client did not exit with 0 after SIGTERM:\n%s", capture(t));
    assert_terminal_restored(t);
    assert_non_null(strstr(capture(t), "stopped by signal 15"));
    /* The other client is told. */
    assert_non_null(wait_screen(u, "sig (#", 0, 5000));
    assert_non_null(wait_screen(u, "left: quit", 0, 5000));

    /* The relay goes away: shown on screen, the client waits for r or q. */
    assert_int_equal(spawn_stop(&relay, SIGTERM, 5000), 0);
    s = wait_screen(u, "r: reconnect", 0, 10000);
    if (!s)
        fail_msg("lost relay not shown:\n%s", capture(u));
    assert_non_null(strstr(s, "RELAY LOST"));
    /* why, in the relay's words */
    assert_non_null(strstr(s, "relay ended the session: shutting_down"));
    assert_null(strstr(capture(u), "EXITED"));
    send_keys(u, "r"); /* nobody there: lost again, still running */
    assert_non_null(wait_screen(u, "connecting to 127.0.0.1", 0, 3000));
    assert_non_null(wait_screen(u, "r: reconnect", 0, 10000));
    send_keys(u, "q");
    assert_int_equal(wait_exited(u, 5000), 0);
    assert_terminal_restored(u);
    spawn_free(&relay);
}

/* A refused join is shown with the relay's code and message: a
 * --max-rooms 1 relay whose room is taken refuses another room with
 * too_many_rooms, which the screen tells apart from a lost relay. */
static void refusal_shown(void **state)
{
    (void)state;
    struct spawn_proc relay;
    if (!tmux_usable()) {
        print_message("SKIPPED: %s\n", skip_why);
        skip();
    }
    const char *rargs[] = { "--max-rooms", "1", NULL };
    int port = harness_start_relay(&relay, rargs);
    assert_true(port > 0);
    const char *first[] = { "--name", "first", NULL };
    const char *other[] = { "--name", "other", "--room", "elsewhere", NULL };
    assert_int_equal(start_client("first", port, first), 0);
    assert_non_null(wait_screen("first", "joined room e2e", 0, 15000));
    assert_int_equal(start_client("other", port, other), 0);
    char *s = wait_screen("other", "relay refused the join: too_many_rooms", 0, 15000);
    if (!s)
        fail_msg("refusal not shown:\n%s", capture("other"));
    send_keys("other", "q");
    assert_int_equal(wait_exited("other", 5000), 0);
    send_keys("first", "q");
    assert_int_equal(wait_exited("first", 5000), 0);
    assert_int_equal(spawn_stop(&relay, SIGTERM, 5000), 0);
    spawn_free(&relay);
}

static void no_tty(void **state)
{
    (void)state;
    struct spawn_proc p;
    const char *args[] = { "--port", "9", NULL };
    char *err;
    assert_int_equal(harness_spawn(&p, "ricochet-client", args), 0);
    assert_int_equal(spawn_stop(&p, 0, 5000), 2);
    err = spawn_read_stderr(&p);
    assert_non_null(err);
    assert_non_null(strstr(err, "needs a terminal"));
    assert_non_null(strstr(err, "ricochet-bot"));
    assert_null(strchr(strchr(err, '\n') + 1, '\n')); /* one line */
    free(err);
    spawn_free(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(no_tty),
        cmocka_unit_test(session_in_tmux),
        cmocka_unit_test(table_columns_at_three_sizes),
        cmocka_unit_test(names_in_their_scripts_line_up),
        cmocka_unit_test(sigterm_and_lost_relay),
        cmocka_unit_test(refusal_shown),
    };
    int rc = cmocka_run_group_tests(tests, setup_tmux, teardown_tmux);
    if (!tmux_usable())
        printf("# test_e2e_tui: SKIPPED the tmux tests: %s\n", skip_why);
    return rc;
}
