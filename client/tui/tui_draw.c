/* tui_draw.c: ricochet-client's screen (see tui_draw.h).
 *
 * Layout: two HUD rows, the arena (a box scaled to the terminal) with every
 * player's glyph, the players' table and the message log (a side panel on
 * wide terminals, below the arena otherwise), and a status row. Remote
 * players are drawn --interp-delay-ms in the past through their
 * interpolation buffer; `i` shows raw arrivals instead and `g` adds a
 * ghost at the last raw position. */
#include "tui_draw.h"

#include "sys/textwidth.h"

#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curses.h>


#define SIDEBAR_MIN_COLS 110  /* wide terminals get a side panel, as wide as the table */

static bool curses_on;
static SCREEN *screen;
static int saved_stderr = -1;
static bool colors; /* the terminal has colours: pairs are set up */

/* Gives the terminal and stderr back; safe to call more than once. */
static void restore_terminal(void)
{
    if (curses_on) {
        endwin();
        curses_on = false;
    }
    if (saved_stderr >= 0) {
        fflush(stderr);
        dup2(saved_stderr, STDERR_FILENO);
        close(saved_stderr);
        saved_stderr = -1;
    }
}

/* Sends stderr to the log file (or /dev/null) while curses owns the screen. */
static int redirect_stderr(const char *prog, const char *log_file)
{
    int fd;
    if (log_file[0])
        fd = open(log_file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    else
        fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (fd < 0) {
        fprintf(stderr, "%s: error: cannot open %s: %s\n", prog,
                log_file[0] ? log_file : "/dev/null", strerror(errno));
        return -1;
    }
    fflush(stderr);
    saved_stderr = dup(STDERR_FILENO);
    if (saved_stderr < 0 || dup2(fd, STDERR_FILENO) < 0) {
        fprintf(stderr, "%s: error: cannot redirect stderr: %s\n", prog, strerror(errno));
        close(fd);
        return -1;
    }
    close(fd);
    return 0;
}

enum { PAIR_ME = 7, PAIR_HUD = 8, PAIR_WARN = 9, PAIR_OK = 10, PAIR_CHAT = 11 };

static int id_pair(uint32_t id)
{
    return 1 + (int)(id % 6);
}

static void init_colors(void)
{
    static const short fg[6] = { COLOR_RED, COLOR_GREEN, COLOR_YELLOW, COLOR_BLUE,
                                 COLOR_MAGENTA, COLOR_CYAN };
    if (!has_colors() || start_color() == ERR)
        return;
    use_default_colors();
    for (int i = 0; i < 6; i++)
        init_pair((short)(i + 1), fg[i], -1);
    init_pair(PAIR_ME, COLOR_BLACK, COLOR_WHITE);
    init_pair(PAIR_HUD, COLOR_BLACK, COLOR_CYAN);
    init_pair(PAIR_WARN, COLOR_RED, -1);
    init_pair(PAIR_OK, COLOR_GREEN, -1);
    init_pair(PAIR_CHAT, COLOR_YELLOW, -1);
    colors = true;
}

static attr_t pair_attr(int pair)
{
    return colors ? COLOR_PAIR(pair) : A_NORMAL;
}

/* Draws s at (y, x), cut to cols columns at a character's end: names and
 * chat are UTF-8, where a byte count would cut a character in two. */
static void put_line(int y, int x, const char *s, int cols)
{
    mvaddnstr(y, x, s, (int)text_fit(s, cols > 0 ? (size_t)cols : 0, NULL));
}

static char glyph_of(const char *name, uint32_t id)
{
    if (name && name[0] && ((name[0] >= 'a' && name[0] <= 'z') ||
                            (name[0] >= 'A' && name[0] <= 'Z')))
        return (char)(name[0] & ~0x20);
    if (name && name[0] >= '0' && name[0] <= '9')
        return name[0];
    return (char)('0' + id % 10);
}

struct rect {
    int y, x, h, w;
};

struct layout {
    struct rect arena, table, msgs;
    int status_row;
};

/* The players' table's header; its length is the table's width (each row
 * is as wide). Returns the length. */
static int table_header(char *buf, size_t cap)
{
    return snprintf(buf, cap, "  %-10s %4s %-5s %6s %6s %5s %6s %6s %5s %-6s", "player", "id",
                    "mode", "loss", "5s", "reord", "jit ms", "lat ms", "+-ms", "view");
}

static void compute_layout(struct layout *l, size_t n_players)
{
    int rows = LINES, cols = COLS;
    l->status_row = rows - 1;
    if (cols >= SIDEBAR_MIN_COLS) {
        char header[128];
        int side = table_header(header, sizeof header);
        int table_h = (int)n_players + 2 + (n_players == 0);
        l->arena = (struct rect){ 2, 0, rows - 3, cols - side - 1 };
        if (table_h > (rows - 3) / 2)
            table_h = (rows - 3) / 2;
        l->table = (struct rect){ 2, cols - side, table_h, side };
        l->msgs = (struct rect){ 2 + table_h, cols - side, rows - 3 - table_h, side };
    } else {
        int table_h = (int)n_players + 1 + (n_players == 0), msgs_h = 4;
        if (table_h > 5)
            table_h = 5;
        int arena_h = rows - 3 - table_h - msgs_h;
        if (arena_h < 6) {
            msgs_h = 2;
            arena_h = rows - 3 - table_h - msgs_h;
        }
        l->arena = (struct rect){ 2, 0, arena_h, cols };
        l->table = (struct rect){ 2 + arena_h, 0, table_h, cols };
        l->msgs = (struct rect){ 2 + arena_h + table_h, 0, msgs_h, cols };
    }
}

/* Arena units -> cell inside the border. */
static void to_cell(const struct rect *r, float x, float y, int *row, int *col)
{
    int iw = r->w - 2, ih = r->h - 2;
    /* Clamp in float first: converting an out-of-range float to int is
     * undefined, and an extrapolated position can be anywhere (fmaxf also
     * turns a NaN into 0). */
    float fx = fminf(fmaxf(x / PROTO_ARENA_W * (float)iw, 0.0f), (float)(iw - 1));
    float fy = fminf(fmaxf(y / PROTO_ARENA_H * (float)ih, 0.0f), (float)(ih - 1));
    int cx = (int)fx, cy = (int)fy;
    *row = r->y + 1 + cy;
    *col = r->x + 1 + cx;
}

static void draw_box(const struct rect *r)
{
    mvaddch(r->y, r->x, '+');
    mvaddch(r->y, r->x + r->w - 1, '+');
    mvaddch(r->y + r->h - 1, r->x, '+');
    mvaddch(r->y + r->h - 1, r->x + r->w - 1, '+');
    mvhline(r->y, r->x + 1, '-', r->w - 2);
    mvhline(r->y + r->h - 1, r->x + 1, '-', r->w - 2);
    mvvline(r->y + 1, r->x, '|', r->h - 2);
    mvvline(r->y + 1, r->x + r->w - 1, '|', r->h - 2);
}

static void put_glyph(int row, int col, char ch, attr_t attr)
{
    attron(attr);
    mvaddch(row, col, (chtype)(unsigned char)ch);
    attroff(attr);
}

static const char *mode_short(enum proto_mode m)
{
    const struct proto_mode_info *mi = proto_mode_info(m);
    return mi ? mi->short_name : "?";
}

static void draw_hud(const struct tui_model *m, uint64_t now)
{
    char line[512], rtt[96], id[16];
    struct ricochet_distribution h = {0};
    size_t n = m->n_members;

    if (m->c)
        ricochet_rtt(m->c, &h, NULL);
    if (m->have_rtt && h.count > 0)
        snprintf(rtt, sizeof rtt, "RTT %.1f ms (avg %.1f, p99 %.1f)", m->rtt_last_ms,
                 m->rtt_avg_ms, (double)h.p99_us / 1000.0);
    else
        snprintf(rtt, sizeof rtt, "RTT --");
    if (m->c && ricochet_id(m->c))
        snprintf(id, sizeof id, "#%u", (unsigned)ricochet_id(m->c));
    else
        snprintf(id, sizeof id, "#-");
    snprintf(line, sizeof line, " ricochet  room %s  me %c %s %s  mode %s  send %d Hz  %s",
             m->cfg.room, glyph_of(m->name, 0), m->name, id, proto_mode_name(m->mode), m->rate,
             rtt);
    attron(pair_attr(PAIR_HUD) | A_BOLD);
    mvhline(0, 0, ' ', COLS);
    put_line(0, 0, line, COLS);
    attroff(pair_attr(PAIR_HUD) | A_BOLD);

    if (m->conn == TUI_CONNECTING)
        snprintf(line, sizeof line, " connecting to %s:%ld ...", m->cfg.host, m->cfg.port);
    else if (m->conn == TUI_LOST)
        snprintf(line, sizeof line, " RELAY LOST (%s)", m->lost_reason);
    else {
        char view[64];
        if (m->interp_on)
            snprintf(view, sizeof view, "interpolated, %llu ms behind",
                     (unsigned long long)(m->delay_us / 1000));
        else
            snprintf(view, sizeof view, "RAW arrivals");
        /* The relay it ended on: a fleet may have moved it from cfg.host. */
        snprintf(line, sizeof line, " %s:%u  players %zu  view %s%s  sent %llu  up %llus",
                 m->c ? ricochet_relay_host(m->c) : m->cfg.host,
                 m->c ? (unsigned)ricochet_relay_port(m->c) : (unsigned)m->cfg.port, n + 1,
                 view, m->ghost_on ? " +ghosts" : "",
                 (unsigned long long)m->states_sent,
                 (unsigned long long)((now - m->started_us) / 1000000));
    }
    if (m->conn == TUI_LOST)
        attron(pair_attr(PAIR_WARN) | A_BOLD);
    put_line(1, 0, line, COLS);
    if (m->conn == TUI_LOST)
        attroff(pair_attr(PAIR_WARN) | A_BOLD);
}

static void draw_arena(const struct tui_model *m, const struct layout *l, uint64_t now)
{
    const struct rect *r = &l->arena;
    size_t n = m->n_members;
    const struct ricochet_member *ms = m->members;
    int row, col;

    draw_box(r);
    mvaddstr(r->y, r->x + 2, " arena 100x100 ");
    /* Ghosts first so live glyphs are drawn over them. */
    if (m->ghost_on) {
        for (size_t i = 0; i < n; i++) {
            const struct tui_remote *rm = tui_model_remote(m, ms[i].id);
            struct ricochet_state raw;
            if (!rm || ricochet_interp_latest(rm->ib, &raw) != 1)
                continue;
            to_cell(r, raw.x, raw.y, &row, &col);
            put_glyph(row, col, (char)(glyph_of(ms[i].name, ms[i].id) | 0x20),
                      pair_attr(id_pair(ms[i].id)) | A_DIM);
        }
        if (m->have_echo) {
            to_cell(r, m->echo_x, m->echo_y, &row, &col);
            put_glyph(row, col, (char)(glyph_of(m->name, 0) | 0x20), A_DIM);
        }
    }
    for (size_t i = 0; i < n; i++) {
        const struct tui_remote *rm = tui_model_remote(m, ms[i].id);
        struct ricochet_interp_point at;
        struct ricochet_state raw;
        float x, y;
        if (rm && m->interp_on &&
            ricochet_interp_at(rm->ib, now - m->delay_us, &at) > RICOCHET_INTERP_NONE) {
            x = at.x;
            y = at.y;
        } else if (rm && ricochet_interp_latest(rm->ib, &raw) == 1) {
            x = raw.x;
            y = raw.y;
        } else if (ms[i].has_state) {
            x = ms[i].last.x;
            y = ms[i].last.y;
        } else {
            continue;
        }
        to_cell(r, x, y, &row, &col);
        put_glyph(row, col, glyph_of(ms[i].name, ms[i].id),
                  pair_attr(id_pair(ms[i].id)) | A_BOLD);
    }
    to_cell(r, m->x, m->y, &row, &col);
    put_glyph(row, col, glyph_of(m->name, 0), pair_attr(PAIR_ME) | A_BOLD | A_REVERSE);

    if (m->conn == TUI_LOST) {
        char b1[128], b2[128];
        snprintf(b1, sizeof b1, " relay lost: %.80s ", m->lost_reason);
        if (m->cfg.retry)
            snprintf(b2, sizeof b2, " retrying in %llu s   r: now   q: quit ",
                     (unsigned long long)((m->retry_at_us > now ? m->retry_at_us - now : 0) /
                                          1000000 + 1));
        else
            snprintf(b2, sizeof b2, " r: reconnect   q: quit ");
        attron(pair_attr(PAIR_WARN) | A_BOLD | A_REVERSE);
        put_line(r->y + r->h / 2 - 1, r->x + 2, b1, r->w - 4);
        put_line(r->y + r->h / 2, r->x + 2, b2, r->w - 4);
        attroff(pair_attr(PAIR_WARN) | A_BOLD | A_REVERSE);
    }
}

/* How a remote player is drawn now: "raw", "smooth", "extrap", ... */
static const char *view_name(const struct tui_model *m, const struct tui_remote *rm,
                             uint64_t now)
{
    struct ricochet_interp_point at;
    if (!rm || ricochet_interp_at(rm->ib, now - m->delay_us, &at) <= RICOCHET_INTERP_NONE)
        return "-";
    return !m->interp_on ? "raw" : at.kind == RICOCHET_INTERP_BETWEEN ? "smooth"
                                 : at.kind == RICOCHET_INTERP_EXTRAPOLATED ? "extrap"
                                 : at.kind == RICOCHET_INTERP_STALE ? "STALE" : "wait";
}

/* One member's row of the players' table. */
static void draw_table_row(const struct tui_model *m, const struct ricochet_member *mb,
                           const struct rect *r, int row, uint64_t now)
{
    const struct tui_remote *rm = tui_model_remote(m, mb->id);
    uint64_t exp = mb->stats.expected;
    double loss = exp ? 100.0 * (double)mb->stats.lost / (double)exp : 0;
    double recent = rm ? tui_model_recent_loss(rm, mb) : -1;
    double lat = mb->stats.latency_mean_us / 1000.0;
    char line[256], recent_s[16], bound_s[16] = "    ?"; /* ?: clock offsets not known yet */
    if (mb->stats.latency_bound_us)
        snprintf(bound_s, sizeof bound_s, "%5.1f", (double)mb->stats.latency_bound_us / 1000.0);
    if (recent >= 0)
        snprintf(recent_s, sizeof recent_s, "%5.1f%%", recent);
    else
        snprintf(recent_s, sizeof recent_s, "%6s", "-");
    attron(pair_attr(id_pair(mb->id)) | A_BOLD);
    mvaddch(row, r->x, (chtype)(unsigned char)glyph_of(mb->name, mb->id));
    attroff(pair_attr(id_pair(mb->id)) | A_BOLD);
    char name[4 * 10 + 1]; /* 10 columns: at most 4 bytes each */
    snprintf(line, sizeof line, " %s %4u %-5s %5.1f%% %s %5llu %6.1f %6.1f %s %-6s",
             text_pad(name, sizeof name, mb->name[0] ? mb->name : "?", 10), (unsigned)mb->id,
             rm && rm->seen_mode ? mode_short(rm->arrived_as)
                                 : mode_short((enum proto_mode)mb->mode), loss,
             recent_s, (unsigned long long)mb->stats.reordered, mb->stats.jitter_us / 1000.0,
             lat, bound_s, view_name(m, rm, now));
    put_line(row, r->x + 1, line, r->w - 1);
}

static void draw_table(const struct tui_model *m, const struct layout *l, uint64_t now)
{
    const struct rect *r = &l->table;
    size_t n = m->n_members;
    const struct ricochet_member *ms = m->members;
    char line[256];
    int row = r->y;

    attron(A_UNDERLINE);
    table_header(line, sizeof line);
    put_line(row++, r->x, line, r->w);
    attroff(A_UNDERLINE);
    for (size_t i = 0; i < n && row < r->y + r->h; i++)
        draw_table_row(m, &ms[i], r, row++, now);
    if (n == 0 && row < r->y + r->h)
        put_line(row, r->x, "  (nobody else here yet)", r->w);
}

static void draw_msgs(const struct tui_model *m, const struct layout *l)
{
    const struct rect *r = &l->msgs;
    size_t shown = (size_t)(r->h > 0 ? r->h : 0);
    size_t first;
    if (shown > m->n_msgs)
        shown = m->n_msgs;
    if (shown > TUI_MSG_CAP)
        shown = TUI_MSG_CAP;
    first = m->n_msgs - shown;
    for (size_t i = 0; i < shown; i++) {
        const struct tui_message *msg = &m->msgs[(first + i) % TUI_MSG_CAP];
        int pair = msg->color == TUI_MSG_WARN ? PAIR_WARN : msg->color == TUI_MSG_OK ? PAIR_OK
                 : msg->color == TUI_MSG_CHAT ? PAIR_CHAT : 0;
        if (pair)
            attron(pair_attr(pair));
        put_line(r->y + (int)i, r->x, msg->text, r->w);
        if (pair)
            attroff(pair_attr(pair));
    }
}

static void draw_status(const struct tui_model *m, const struct layout *l)
{
    char line[PROTO_TEXT_MAX + 64];
    if (m->chatting) {
        snprintf(line, sizeof line, "say> %s", m->line.text);
        put_line(l->status_row, 0, line, COLS);
        curs_set(1);
        return;
    }
    curs_set(0);
    if (m->conn == TUI_LOST)
        snprintf(line, sizeof line, "relay lost  r reconnect  q quit");
    else
        snprintf(line, sizeof line,
                 "arrows/WASD steer  space stop  1 2 3 mode  +/- rate  i interp  g ghost  "
                 "c chat  ? keys  q quit");
    attron(A_DIM);
    put_line(l->status_row, 0, line, COLS);
    attroff(A_DIM);
}

static void draw_help(void)
{
    size_t n;
    const struct keys_help_row *rows = keys_help(&n);
    int h = (int)n + 4, w = 72;
    struct rect r;
    if (w > COLS)
        w = COLS;
    if (h > LINES)
        h = LINES;
    r = (struct rect){ (LINES - h) / 2, (COLS - w) / 2, h, w };
    for (int i = 0; i < h; i++)
        mvhline(r.y + i, r.x, ' ', w);
    draw_box(&r);
    attron(A_BOLD);
    put_line(r.y, r.x + 2, " keys ", w - 4);
    attroff(A_BOLD);
    for (size_t i = 0; i < n && (int)i + 2 < h - 1; i++) {
        char line[128];
        snprintf(line, sizeof line, "%-22s %s", rows[i].keys, rows[i].what);
        put_line(r.y + 2 + (int)i, r.x + 2, line, w - 4);
    }
}

void tui_draw_frame(struct tui_model *m, uint64_t now)
{
    struct layout l;
    size_t n = 0;

    if (m->redraw_all) {
        clearok(curscr, TRUE); /* Ctrl-L */
        m->redraw_all = false;
    }
    erase();
    if (COLS < 40 || LINES < 14) {
        put_line(0, 0, "terminal too small: need 40x14 (q quits)", COLS);
        refresh();
        return;
    }
    n = m->n_members;
    compute_layout(&l, n);
    draw_hud(m, now);
    draw_arena(m, &l, now);
    draw_table(m, &l, now);
    draw_msgs(m, &l);
    if (m->help_on)
        draw_help();
    draw_status(m, &l);
    if (m->chatting)
        move(l.status_row, 5 + (int)m->line.len < COLS ? 5 + (int)m->line.len : COLS - 1);
    refresh(); /* one write per frame */
}

int tui_screen_open(const char *prog, const char *log_file)
{
    atexit(restore_terminal);
    if (redirect_stderr(prog, log_file) != 0)
        return -1;
    setlocale(LC_ALL, "");
    screen = newterm(NULL, stdout, stdin);
    if (!screen) {
        restore_terminal();
        fprintf(stderr, "%s: error: cannot use this terminal (TERM=%s)\n", prog,
                getenv("TERM") ? getenv("TERM") : "unset");
        return -1;
    }
    curses_on = true;
    cbreak();
    noecho();
    nonl();
    keypad(stdscr, TRUE);
    nodelay(stdscr, TRUE);
    set_escdelay(25);
    curs_set(0);
    init_colors();
    return 0;
}

void tui_screen_close(void)
{
    restore_terminal();
    if (screen) {
        delscreen(screen);
        screen = NULL;
    }
}

int tui_screen_key(void)
{
    int ch = getch();
    return ch == ERR ? -1 : ch;
}
