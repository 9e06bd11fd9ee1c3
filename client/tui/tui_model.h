/* tui_model.h: what ricochet-client knows and does, without a terminal.
 *
 * The model holds the connection to the relay (and its reconnect timer),
 * my avatar (position, direction, send rate), the remote players'
 * interpolation buffers and recent-loss snapshots, the view settings and
 * the message log. It changes only through the calls below, each given
 * `now` (CLOCK_MONOTONIC, microseconds) by the caller: a key code
 * (keys.h's), a client event, or the passing of time. It never reads a
 * clock and never touches the screen; client/tui/tui_draw.h draws it and
 * client_main.c runs the loop. Tests drive it with detached clients
 * (client/lib/client_test.h). */
#ifndef RICOCHET_TUI_MODEL_H
#define RICOCHET_TUI_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "proto/control.h"
#include "client/lib/ricochet.h"
#include "keys.h"

#define TUI_MAX_REMOTES PROTO_ROSTER_MAX
#define TUI_MSG_CAP 64             /* lines kept in the message area */
#define TUI_MSG_LEN 160
#define TUI_RETRY_US 2000000ull    /* --retry: wait between reconnect attempts */
#define TUI_SNAP_US 1000000ull     /* recent-loss snapshot period */
#define TUI_SNAPS 6                /* recent loss covers TUI_SNAPS-1 periods */
#define TUI_DELAY_STEP_MS 25       /* keys [ ]: interpolation delay step */
#define TUI_DELAY_MAX_US 2000000ull

/* The command line (client_main.c's option table fills it). */
struct tui_config {
    char host[256];
    long port;
    char room[PROTO_ROOM_MAX + 1];
    char name[PROTO_NAME_MAX + 1];
    int mode;               /* enum proto_mode */
    long rate;              /* states per second */
    long interp_delay_ms;
    long extrap_ms;
    long speed;             /* arena units per second */
    long seed;
    long timeout_ms;
    double aoi;             /* --aoi: the radius of interest of a room I create (0: none) */
    long fps;
    int log_level;          /* enum log_level */
    char log_file[256];
    bool retry;
    char ticket[1024];      /* --ticket: a ticket or @FILE; after configure, the ticket */
};

enum tui_conn { TUI_CONNECTING, TUI_JOINED, TUI_LOST };

struct tui_remote {
    bool used;
    uint32_t id;
    struct ricochet_interp *ib; /* its interpolation buffer (NULL: out of memory) */
    bool seen_mode;
    enum proto_mode arrived_as; /* how its last state was delivered */
    uint64_t snap_expected[TUI_SNAPS], snap_received[TUI_SNAPS];
    int snaps;                  /* snapshots taken (saturates at TUI_SNAPS) */
    int snap_head;
};

enum tui_msg_color { TUI_MSG_PLAIN, TUI_MSG_WARN, TUI_MSG_OK, TUI_MSG_LEFT, TUI_MSG_CHAT };

struct tui_message {
    char text[TUI_MSG_LEN]; /* "HH:MM:SS text" */
    enum tui_msg_color color;
};

/* Opens a connection to the relay: ricochet_connect, or in tests
 * client_connect_detached. */
typedef struct ricochet *(*tui_open_client_fn)(const struct ricochet_config *cfg, char *err,
                                               size_t err_cap);

struct tui_model {
    struct tui_config cfg;
    char name[PROTO_NAME_MAX + 1];
    tui_open_client_fn open_client;
    struct ricochet *c;     /* NULL while lost after a failed attempt */
    enum tui_conn conn;
    char lost_reason[PROTO_TEXT_MAX + PROTO_CODE_MAX + 64]; /* ricochet_end_reason() */
    uint64_t retry_at_us;
    int attempts;         /* connections opened */
    enum proto_mode mode;
    int rate;             /* states per second */
    uint64_t delay_us;    /* interpolation delay */
    bool interp_on, ghost_on, help_on, chatting;
    struct keys_line line;

    float x, y;           /* my position, arena units */
    int dir_x, dir_y;     /* -1, 0, +1 */
    uint64_t last_move_us, next_send_us, next_draw_us, next_snap_us;
    uint64_t states_sent, started_us;
    time_t wall_start;    /* wall-clock seconds at started_us, for message stamps */

    bool have_rtt;
    double rtt_last_ms, rtt_avg_ms;
    bool have_echo;
    float echo_x, echo_y; /* my own state as the relay sent it back */

    struct tui_remote remotes[TUI_MAX_REMOTES];
    struct ricochet_member members[TUI_MAX_REMOTES]; /* the room as the last service or
                                                       advance saw it (what is drawn) */
    size_t n_members;
    struct tui_message msgs[TUI_MSG_CAP];
    size_t n_msgs;        /* total ever added; ring index = n % TUI_MSG_CAP */
    bool dirty;           /* draw now, not at the next frame tick */
    bool redraw_all;      /* repaint the whole terminal (Ctrl-L) */
};

/* Live settings from cfg, name as given (already valid), a start position
 * drawn from seed; connections through ricochet_connect. No connection yet. */
void tui_model_init(struct tui_model *m, const struct tui_config *cfg, const char *name,
                    uint64_t seed);

/* Opens the first connection. Returns 0, or -1 with a message in err. */
int tui_model_connect(struct tui_model *m, char *err, size_t err_cap);

/* The session starts at now (monotonic) which is wall (seconds since the
 * epoch) on the wall clock: timers start, and a first message. */
void tui_model_start(struct tui_model *m, uint64_t now, time_t wall, uint64_t seed);

/* One key code (keys.h). Returns false when the player asked to quit. */
bool tui_model_key(struct tui_model *m, int ch, uint64_t now);

/* One event from the client (m->c's). */
void tui_model_on_event(struct tui_model *m, const struct ricochet_event *ev, uint64_t now);

/* Reads what the connection has (at most a screenful of events, so a flood
 * cannot freeze the screen) and reconnects when --retry's timer is due. */
void tui_model_service(struct tui_model *m, uint64_t now);

/* Moves my avatar to now, sends its state when due, takes the recent-loss
 * snapshot when due. */
void tui_model_advance(struct tui_model *m, uint64_t now);

/* The earliest time something is due: a frame, a send, a retry. */
uint64_t tui_model_next_deadline(const struct tui_model *m);

/* The remote player id, or NULL when none is known. */
const struct tui_remote *tui_model_remote(const struct tui_model *m, uint32_t id);

/* Loss % of member over the snapshot window, or -1 when there is too little
 * data. */
double tui_model_recent_loss(const struct tui_remote *r, const struct ricochet_member *member);

/* The next send rate up (dir > 0) or down on the rate key's scale. */
int tui_model_rate_next(int rate, int dir);

/* A valid player name from user ($USER, may be NULL): its [A-Za-z0-9_.-]
 * characters, else "player" and the seed's last three digits. */
void tui_model_default_name(char *out, size_t cap, const char *user, uint64_t seed);

/* Closes the connection and frees the players' interpolation buffers. */
void tui_model_close(struct tui_model *m);

#endif
