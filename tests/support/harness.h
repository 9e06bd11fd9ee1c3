/* harness.h: support code for integration tests (tests/support/, linked
 * into every test binary). Starts ricochet programs from $RICOCHET_BIN
 * through lab/harness/spawn.h (stop, read output, free: call spawn_* directly),
 * reads the relay's stats lines (harness.c), drives several clients until
 * a condition holds or a deadline passes (harness_clients.c), and speaks
 * the plain-UDP edge from raw sockets (harness_udp.c). */
#ifndef RICOCHET_HARNESS_H
#define RICOCHET_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "client/lib/ricochet.h"
#include "lab/harness/spawn.h"
#include "sys/clock.h" /* clock_now_ms, clock_sleep_ms for test deadlines */

struct ricochet;
struct ricochet_event;

/* Folder of the programs: $RICOCHET_BIN, default "build/asan/bin". */
const char *harness_bin_dir(void);

/* The whole file at path, NUL-terminated (the caller frees), or NULL if it
 * cannot be opened. */
char *harness_read_text(const char *path);

/* The first line of p's stdout so far that is a JSON object with key,
 * parsed (the caller deletes it), or NULL if none is yet. */
struct cJSON;
struct cJSON *harness_json_line(struct spawn_proc *p, const char *key);

/* Runs the ricochet program prog (in $RICOCHET_BIN) with args to its exit,
 * which must be 0 within 10 s (asserted); its stdout's first line, without
 * the newline (the caller frees). */
char *harness_program_line(const char *prog, const char *const *args);

/* spawn_start of $RICOCHET_BIN/prog with args (NULL-terminated, without
 * argv[0]). Returns 0, or -1 with the message printed to stderr. */
int harness_spawn(struct spawn_proc *p, const char *prog,
                  const char *const *args);

/* Spawns ricochet-relay --bind 127.0.0.1 --port 0 plus args (may be NULL;
 * with a --listen among them, args alone) and waits up to 10 s for its
 * port. Unless args say --stale-ms, the relay sheds no state as stale
 * (--stale-ms 0): on a busy machine its loop turns late, which is no
 * network's loss, and tests count every state. Returns the port (its
 * first edge's), or -1 with the reason printed to stderr (the relay is
 * killed; spawn_free it still). */
int harness_start_relay(struct spawn_proc *p, const char *const *args);

/* The port of the relay's edge called edge ("udp", "enet:7790"), from its
 * "listening on ADDR (EDGE)" line; fails the test if none comes within 5 s. */
uint16_t harness_edge_port(struct spawn_proc *relay, const char *edge);

/* Spawns ricochet-relay with an edge on 127.0.0.1 and a free port for each
 * scheme of schemes (NULL-ended: "quic", "ws", ...), in order, then the
 * arguments more (may be NULL); each edge's port into ports[i]. Fails the
 * test unless the relay starts and says every port. */
void harness_start_edges(struct spawn_proc *relay, const char *const *schemes,
                         const char *const *more, uint16_t *ports);

/* Spawns ricochet-netsim with args and waits up to 10 s for its listening
 * port. Returns the port; fails the test (cmocka) otherwise. */
int harness_start_netsim(struct spawn_proc *p, const char *const *args);

/* Finds the last line of text that is a JSON object with "type":"stats"
 * (with final:true if want_final) and returns the number at a dotted path,
 * e.g. "states_in" or "drops.bad_state" ("drops.*": sum of all drops).
 * Returns the value, or -1 if the line or the field is missing (a missing
 * "drops.X" counts as 0). */
long long harness_stats_field(const char *text, bool want_final,
                              const char *path);

/* Sends the relay SIGUSR1 and waits up to 30 s for the stats line it
 * prints. Returns all of its stdout (the caller frees), or NULL (why on
 * stderr). */
char *harness_relay_stats_now(struct spawn_proc *relay);

/* The field at path (harness_stats_field) of a fresh stats line; fails the
 * test if none came. */
long long harness_relay_stat(struct spawn_proc *relay, const char *path);

/* p's CPU and memory now (spawn_usage); fails the test if p is not running. */
struct spawn_usage harness_usage(const struct spawn_proc *p);

/* A load (a flood) run in a child process beside the test; its result comes
 * back through a pipe. */
struct harness_child {
    pid_t pid;
    int fd;
};

/* Forks: the child runs run(port, out) on size zeroed bytes, writes them
 * back and exits; the parent returns at once. Fails the test if it cannot. */
void harness_child_start(struct harness_child *ch, void (*run)(uint16_t port, void *out),
                         uint16_t port, size_t size);

/* Reads the child's result into out (size bytes) and reaps the child; fails
 * the test unless the result came whole. */
void harness_child_finish(struct harness_child *ch, void *out, size_t size);

/* Installs libricochet as a game gets it (`make install-lib`, a release
 * build: not the sanitized objects the tests run on, PREFIX /usr) into a
 * fresh scratch DESTDIR under /tmp, whose path goes into dir (cap bytes).
 * Returns 0, or -1 with make's output printed. The caller removes dir. */
int harness_install_lib(char *dir, size_t cap);

/* Runs a shell command line (in the calling thread's namespaces); fails
 * the test, saying which, unless it exits 0. */
void harness_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The n-th (0: the first) ```sh block after heading in the file doc (a
 * doc's commands as written), into a new file path; fails the test if
 * there is none. */
void harness_sh_block(const char *doc, const char *heading, int n, const char *path);

/* SIGTERM: p must exit 0 within 10 s (fails the test otherwise); then freed. */
void harness_stop(struct spawn_proc *p);

/* Stops the relay with SIGTERM: it must exit 0 with a final stats line
 * (fails the test otherwise). Returns its stdout (the caller frees). */
char *harness_relay_finish(struct spawn_proc *relay);


/* Calls client_poll on every client (skipping NULL entries) and hands
 * every event to on_event (may be NULL) until done(ctx) returns true or
 * timeout_ms passes. poll(2) waits on the clients' sockets in between.
 * Returns 0 if done() became true, -1 on timeout. Events of a client whose
 * client_poll returned -1 are over; it is skipped afterwards. */
int harness_poll_until(struct ricochet *const *clients, size_t n, int timeout_ms,
                       void (*on_event)(void *ctx, size_t index,
                                        const struct ricochet_event *ev),
                       bool (*done)(void *ctx), void *ctx);

/* Polls the clients (events passed to on_event) for exactly ms, for letting
 * traffic flow. */
void harness_poll_for(struct ricochet *const *clients, size_t n, int ms,
                      void (*on_event)(void *ctx, size_t index,
                                       const struct ricochet_event *ev),
                      void *ctx);

/* An event recorder for tests: pass harness_rec_event as on_event and a
 * struct harness_rec as ctx (set c[] and n first; zero the rest). Counts
 * per receiving client i, indexed by sender id below HARNESS_MAX_IDS. */
#define HARNESS_MAX_CLIENTS 12
#define HARNESS_MAX_IDS 64
#define HARNESS_MAX_NOTICES 16

#include "proto/control.h"
#include "sys/netaddr.h"

struct harness_rec {
    struct ricochet *c[HARNESS_MAX_CLIENTS];
    size_t n;
    void *user;                 /* for the test's done() predicate */
    bool welcomed[HARNESS_MAX_CLIENTS];
    unsigned moved[HARNESS_MAX_CLIENTS];  /* MOVED events (a fleet) */
    bool disconnected[HARNESS_MAX_CLIENTS];
    uint64_t states[HARNESS_MAX_CLIENTS][HARNESS_MAX_IDS]; /* by sender id */
    uint64_t states_bad_id[HARNESS_MAX_CLIENTS]; /* id 0 or >= HARNESS_MAX_IDS */
    uint64_t self_states[HARNESS_MAX_CLIENTS];   /* sender == my own id */
    uint64_t arrived[HARNESS_MAX_CLIENTS][PROTO_MODE_COUNT]; /* by arrived_as mode */
    enum proto_mode arrived_as[HARNESS_MAX_CLIENTS][HARNESS_MAX_IDS]; /* last */
    struct ricochet_state last[HARNESS_MAX_CLIENTS][HARNESS_MAX_IDS];
    uint32_t joined[HARNESS_MAX_CLIENTS][HARNESS_MAX_NOTICES];
    char joined_name[HARNESS_MAX_CLIENTS][HARNESS_MAX_NOTICES][PROTO_NAME_MAX + 1];
    size_t n_joined[HARNESS_MAX_CLIENTS];
    uint32_t left[HARNESS_MAX_CLIENTS][HARNESS_MAX_NOTICES];
    enum proto_left_reason left_reason[HARNESS_MAX_CLIENTS][HARNESS_MAX_NOTICES];
    size_t n_left[HARNESS_MAX_CLIENTS];
    unsigned rejoined[HARNESS_MAX_CLIENTS]; /* REJOINED events: a member came back */
    char last_error[HARNESS_MAX_CLIENTS][PROTO_CODE_MAX + 1];
    size_t n_errors[HARNESS_MAX_CLIENTS];
    size_t n_chat[HARNESS_MAX_CLIENTS];
    uint64_t payloads[HARNESS_MAX_CLIENTS];     /* states with a payload that checked out */
    uint64_t payloads_bad[HARNESS_MAX_CLIENTS]; /* ... that did not (stats/pattern.h) */
    uint64_t payload_bytes[HARNESS_MAX_CLIENTS]; /* bytes of the payloads that checked out */
    uint64_t events[HARNESS_MAX_CLIENTS];       /* EVENTs whose body checked out */
    uint64_t events_bad[HARNESS_MAX_CLIENTS];   /* ... that did not */
    uint32_t event_from[HARNESS_MAX_CLIENTS];   /* the last event's sender */
    char event_code[HARNESS_MAX_CLIENTS][PROTO_CODE_MAX + 1]; /* ... its code: "room", "direct" */
};


void harness_rec_event(void *rec, size_t index, const struct ricochet_event *ev);

/* The reason of a LEFT event (its code, "quit", ...) as the wire's enum;
 * (enum proto_left_reason)-1 for a code that is none. */
enum proto_left_reason harness_left_reason(const struct ricochet_event *ev);

/* Every client of r (NULL entries skipped) sends a state, x the round's
 * number from 1, y its index; then all are polled 20 ms into r; rounds
 * times. */
void harness_send_rounds(struct harness_rec *r, int rounds);

/* Was a left notice about id (with this reason) seen by client i? */
bool harness_rec_saw_left(const struct harness_rec *r, size_t i, uint32_t id,
                          enum proto_left_reason reason);

/* Creates an ENet or udp client for 127.0.0.1:port (timeout 5 s); fails
 * the test (cmocka) if creation fails. */
struct ricochet *harness_client(uint16_t port, const char *room, const char *name,
                              enum proto_mode mode, bool reflect);

/* done() predicates for harness_poll_until with a struct harness_rec as
 * ctx; NULL entries of c[] are skipped. all_welcomed: every client got its
 * welcome. all_see_all: every client is welcomed and lists the n-1 others. */
bool harness_all_welcomed(void *rec);
bool harness_all_see_all(void *rec);

/* A relay with three edges on 127.0.0.1: stream (a --listen URL: tcp://
 * or ws://, port 0), ENet and plain UDP, with more arguments (NULL-ended;
 * NULL: none); the edges' ports. Fails the test (cmocka) if it does not
 * start. harness_three_stop ends it. */
struct harness_three {
    struct spawn_proc relay;
    uint16_t stream, enet, udp;
};
void harness_three_start(struct harness_three *t, const char *stream, const char *const *more);
void harness_three_stop(struct harness_three *t);

/* The room every stream edge's test makes: two members of stream (tcp or
 * ws) at stream_port, an ENet (unsequenced) one at enet and a plain-UDP one
 * at udp, in one room of relay. Each gets everyone's states under the
 * sender's id, in its own mode (a stream sender's reach an ENet member as
 * unsequenced), nothing lost between the two stream members; chat crosses
 * the edges; the stats record counts the stream edge's two members and
 * their states, nothing conflated; a stream member's close is leaving, seen
 * by the others. Fails the test (cmocka) otherwise. */
void harness_stream_room(struct spawn_proc *relay, enum proto_mode stream, uint16_t stream_port,
                         uint16_t enet, uint16_t udp);

/* A stream member (tcp or ws, --timeout-ms 1500 both sides) alone in its
 * room, sending a state every 100 ms for 4 s, stays (the relay's pongs are
 * news enough); with the relay stopped (SIGSTOP: the connection stays up,
 * the kernel taking what is sent) its session ends, TIMEOUT, "the relay
 * went silent", 1 to 6 s later. Fails the test (cmocka) otherwise. */
void harness_stream_silence(enum proto_mode stream, const char *listen);

/* A stream member of a fleet (tcp or ws over their transports or HTTP
 * polling; rejoin set: its relay silent 1.5 s is lost) alone in its room,
 * sending a state every 100 ms for 5 s, stays joined once, never taking
 * its live relay for a lost one. Fails the test (cmocka) otherwise. */
void harness_stream_alone_in_a_fleet(enum proto_mode stream, enum ricochet_transport transport,
                                     const char *listen);

/* One client of a harness session. */
struct harness_member {
    const char *name;
    enum proto_mode mode;
    bool reflect;
};

/* A running ricochet-relay and clients in one room, recorded in rec
 * (rec.c[i] is member i; tests may add, NULL or replace entries). */
struct harness_session {
    struct spawn_proc relay;
    uint16_t port;
    struct harness_rec rec;
};

/* Zeroes s, starts the relay with args (may be NULL), creates the n
 * members (n <= HARNESS_MAX_CLIENTS) in room and polls them, events to
 * on_event (NULL: harness_rec_event; ctx is &s->rec), until all see all.
 * Returns &s->rec. Fails the test (cmocka) if the relay does not start or
 * timeout_ms passes. */
struct harness_rec *harness_session_start(struct harness_session *s,
                                          const char *const *args, const char *room,
                                          const struct harness_member *members, size_t n,
                                          void (*on_event)(void *ctx, size_t index,
                                                           const struct ricochet_event *ev),
                                          int timeout_ms);

/* Destroys every client still in rec.c[], stops the relay with SIGTERM
 * (fails the test unless it exits 0 within timeout_ms; a relay already
 * stopped keeps its exit code), stores its stdout in *relay_stdout if not
 * NULL (malloc'ed, the caller frees) and frees the relay. */
void harness_session_end(struct harness_session *s, int timeout_ms, char **relay_stdout);

/* A non-blocking UDP socket bound to 127.0.0.1 on an ephemeral port; the
 * port is stored in *port if not NULL. Fails the test (cmocka) on error. */
int harness_udp_socket(uint16_t *port);

/* Connects fd to 127.0.0.1:port: the kernel then gives fd only what that
 * endpoint sends (on a shared loopback another test's relay may still be
 * sending to fd's port, a moment ago its client's). sendto another address
 * still works. */
void harness_udp_connect(int fd, uint16_t port);

/* Joins a plain-UDP relay on 127.0.0.1:port from fd by hand, with the
 * cookie exchange: sends join_json (a join object without "cookie"), waits
 * for the relay's cookie, sends the join again with it. Returns true when
 * the answer (welcome or error) came within ms, decoded into *m. fd is
 * connected to the relay (harness_udp_connect). */
bool harness_udp_join(int fd, uint16_t port, const char *join_json, struct proto_control *m,
                      int ms);

/* A fake relay's receive: the next datagram on fd (non-blocking) that came
 * from a UDP socket of process pid (the program under test, or getpid() for
 * an in-process client), into buf, its sender into *from if not NULL.
 * Datagrams from anyone else are dropped: on a shared loopback, another
 * test's relay may still be sending to this ephemeral port, which was its
 * client's a moment ago. Returns the length, or -1 when nothing from pid is
 * waiting. */
ssize_t harness_recv_from_pid(int fd, pid_t pid, void *buf, size_t cap, union netaddr *from);

#endif
