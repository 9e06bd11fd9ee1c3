/* test_e2e_ticket.c: tickets end to end. ricochet-ticket: keygen writes a
 * key the library loads (and refuses to overwrite it); mint prints tickets
 * that a client reads and a relay holding the key opens, with the room,
 * name, fleet or canonical relay endpoints and lifetime asked for; --count
 * N prints N tickets for NAME-1 .. NAME-N; mistakes end with exit 2 and one
 * line. ricochet-relay --ticket-key (--encrypt), both transports, with the
 * client library: ticketed clients join the ticket's room under the
 * ticket's names, sealed with --encrypt, and exchange states and chat; a
 * client without a ticket ends with ticket_required; the previous key
 * still admits while a key file that is not the relay's does not; a relay
 * whose monotonic clock is hours off (a time namespace) judges tickets by
 * the wall clock; ricochet-bot --ticket @FILE, one per bot, and a warning
 * for a ticket given inline; mint's tickets say their session must be
 * sealed (--clear: may run in clear), and a relay without --encrypt
 * refuses them; a version-2 client's ticketed join is told to upgrade; a
 * whole ticket sent where its pass belongs is told so on every edge (enet,
 * udp, tcp, ws, and webrtc's offer, its bearer). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>
#include <unistd.h>

#include "client/lib/client.h"
#include "sys/clock.h"
#include "sys/keyfile.h"
#include "tests/support/harness.h"
#include "tests/support/raw.h"

#define WAIT_MS 10000

static char dir[] = "/tmp/test_e2e_ticket.XXXXXX";
static char key_path[256], old_key_path[256];

static int setup(void **state)
{
    (void)state;
    if (!mkdtemp(dir) || ticket_crypto_init() != 0)
        return -1;
    snprintf(key_path, sizeof key_path, "%s/backend.key", dir);
    snprintf(old_key_path, sizeof old_key_path, "%s/old.key", dir);
    char err[256];
    return keyfile_generate(old_key_path, err, sizeof err);
}

static int teardown(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* Runs ricochet-ticket with args to its exit; returns its stdout (the
 * caller frees) and its exit code in *code, its stderr in err (cap bytes). */
static char *ticket_prog(const char *const *args, int *code, char *err, size_t cap)
{
    struct spawn_proc p;
    assert_int_equal(harness_spawn(&p, "ricochet-ticket", args), 0);
    *code = spawn_stop(&p, 0, 10000);
    char *out = spawn_read_stdout(&p), *e = spawn_read_stderr(&p);
    snprintf(err, cap, "%s", e ? e : "");
    free(e);
    spawn_free(&p);
    assert_non_null(out);
    return out;
}

static void keygen_then_mint(void **state)
{
    (void)state;
    int code;
    char err[512];
    const char *keygen[] = {"keygen", key_path, NULL};
    free(ticket_prog(keygen, &code, err, sizeof err));
    assert_int_equal(code, 0);
    struct ticket_key key;
    assert_int_equal(keyfile_load(key_path, &key, err, sizeof err), 0);
    /* a second keygen on the same file fails and keeps the key */
    free(ticket_prog(keygen, &code, err, sizeof err));
    assert_int_equal(code, 2);
    assert_non_null(strstr(err, "never overwritten"));

    uint64_t before = clock_unix_s();
    const char *mint[] = {"mint", "--key", key_path, "--room", "lobby", "--name", "alice",
                          "--ttl", "120", NULL};
    char *out = ticket_prog(mint, &code, err, sizeof err);
    assert_int_equal(code, 0);
    assert_non_null(strchr(out, '\n'));
    *strchr(out, '\n') = '\0';
    struct ticket_claims read, opened;
    char pass[TICKET_PASS_TEXT_MAX + 1];
    assert_int_equal(ticket_read(out, &read, pass, sizeof pass), 0);
    assert_string_equal(read.room, "lobby");
    assert_string_equal(read.name, "alice");
    assert_string_equal(read.fleet, "ricochet");
    assert_true(read.issued_s >= before && read.issued_s <= clock_unix_s());
    assert_int_equal(read.expires_s - read.issued_s, 120);
    assert_true(read.sealed); /* by default the session must be sealed */
    const struct ticket_self self = {"ricochet", NULL, 0};
    assert_int_equal(ticket_verify(pass, &key, 1, &self, clock_unix_s(), &opened, NULL, 0),
                     PROTO_ERROR_NONE);
    assert_memory_equal(opened.up_key, read.up_key, SEAL_KEY_BYTES);
    free(out);
    const char *clear[] = {"mint", "--key", key_path, "--room", "lobby", "--name", "bob",
                           "--clear", NULL};
    out = ticket_prog(clear, &code, err, sizeof err);
    assert_int_equal(code, 0);
    *strchr(out, '\n') = '\0';
    assert_int_equal(ticket_read(out, &read, pass, sizeof pass), 0);
    assert_false(read.sealed);
    free(out);
}

static void mint_relays_and_count(void **state)
{
    (void)state;
    int code;
    char err[512];
    const char *mint[] = {"mint", "--key", key_path, "--room", "r", "--name", "bot",
                          "--relay", "localhost:7000,[::1]:7001", "--count", "3", NULL};
    char *out = ticket_prog(mint, &code, err, sizeof err);
    assert_int_equal(code, 0);
    char *save = NULL;
    int n = 0;
    for (char *line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        struct ticket_claims read;
        char pass[TICKET_PASS_TEXT_MAX + 1], name[16];
        assert_int_equal(ticket_read(line, &read, pass, sizeof pass), 0);
        snprintf(name, sizeof name, "bot-%d", ++n);
        assert_string_equal(read.name, name);
        assert_string_equal(read.fleet, "");
        assert_int_equal(read.n_relays, 2);
        assert_string_equal(read.relays[0], "127.0.0.1:7000");
        assert_string_equal(read.relays[1], "[::1]:7001");
    }
    assert_int_equal(n, 3);
    free(out);
}

static void mistakes_are_one_line(void **state)
{
    (void)state;
    const char *none[] = {NULL};
    const char *no_name[] = {"mint", "--key", key_path, "--room", "r", NULL};
    const char *bad_room[] = {"mint", "--key", key_path, "--room", "a b", "--name", "n", NULL};
    const char *no_key[] = {"mint", "--key", "/nonexistent/k", "--room", "r", "--name", "n",
                            NULL};
    const char *bad_relay[] = {"mint", "--key", key_path, "--room", "r", "--name", "n",
                               "--relay", "nowhere.invalid:x", NULL};
    const char *long_ttl[] = {"mint", "--key", key_path, "--room", "r", "--name", "n",
                              "--ttl", "604801", NULL};
    const char *const *cases[] = {none, no_name, bad_room, no_key, bad_relay, long_ttl};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int code;
        char err[512];
        char *out = ticket_prog(cases[i], &code, err, sizeof err);
        assert_int_equal(code, 2);
        assert_string_equal(out, "");
        assert_true(strncmp(err, "ricochet-ticket: error: ", 24) == 0);
        assert_non_null(strchr(err, '\n'));
        assert_ptr_equal(strchr(err, '\n') + 1, err + strlen(err)); /* one line */
        free(out);
    }
}

/* ---- the relay and the client library ---- */

/* A ticket for name in room under the key at path, issued at issued_s for
 * ttl_s, in fleet "ricochet", into text. */
static void mint_at(const char *path, const char *room, const char *name, uint64_t issued_s,
                    uint64_t ttl_s, char text[TICKET_TEXT_MAX + 1])
{
    struct ticket_key key;
    char err[256];
    assert_int_equal(keyfile_load(path, &key, err, sizeof err), 0);
    struct ticket_claims c = {.issued_s = issued_s, .expires_s = issued_s + ttl_s};
    snprintf(c.room, sizeof c.room, "%s", room);
    snprintf(c.name, sizeof c.name, "%s", name);
    snprintf(c.fleet, sizeof c.fleet, "ricochet");
    assert_true(ticket_mint(&key, &c, text, TICKET_TEXT_MAX + 1) > 0);
}

static struct ricochet *ticket_client_over(uint16_t port, enum proto_mode mode,
                                          const char *ticket, enum ricochet_transport transport)
{
    struct client_config cfg = {.host = "127.0.0.1", .port = port, .mode = mode,
                                .ticket = ticket, .timeout_ms = 5000, .transport = transport};
    char err[256] = "";
    struct ricochet *c = client_create(&cfg, err, sizeof err);
    if (!c)
        fail_msg("client_create: %s", err);
    return c;
}

static struct ricochet *ticket_client(uint16_t port, enum proto_mode mode, const char *ticket)
{
    return ticket_client_over(port, mode, ticket, RICOCHET_TRANSPORT_DEFAULT);
}

/* Polls c until its session ends; returns ricochet_end_reason's copy. */
static void end_reason(struct ricochet *c, char *why, size_t cap)
{
    struct ricochet_event ev;
    uint64_t deadline = clock_now_ms() + WAIT_MS;
    while (ricochet_poll(c, 10, &ev) >= 0 && clock_now_ms() < deadline)
        ;
    snprintf(why, cap, "%s", ricochet_end_reason(c));
}

/* Two ticketed clients in one room: they see each other under the
 * tickets' names and get each other's states and chat. */
static void two_ticketed_talk(struct harness_rec *rec, uint16_t port, enum proto_mode mode,
                              enum ricochet_transport transport, bool sealed)
{
    char ta[TICKET_TEXT_MAX + 1], tb[TICKET_TEXT_MAX + 1];
    mint_at(key_path, "lobby", "alice", clock_unix_s(), 60, ta);
    mint_at(old_key_path, "lobby", "bob", clock_unix_s(), 60, tb); /* the previous key */
    memset(rec, 0, sizeof *rec);
    rec->c[0] = ticket_client_over(port, mode, ta, transport);
    rec->c[1] = ticket_client_over(port, mode, tb, transport);
    rec->n = 2;
    assert_int_equal(harness_poll_until(rec->c, 2, WAIT_MS, harness_rec_event,
                                        harness_all_see_all, rec), 0);
    for (int i = 0; i < 2; i++)
        assert_int_equal(ricochet_sealed(rec->c[i]), sealed);
    assert_string_equal(rec->joined_name[0][0], "bob");
    assert_string_equal(client_name(rec->c[1]), "bob");
    for (uint32_t k = 0; k < 20; k++)
        for (int i = 0; i < 2; i++) {
            struct ricochet_state st = {.x = 10.0f + (float)k, .y = 20.0f};
            assert_int_equal(ricochet_send_state(rec->c[i], &st), RICOCHET_OK);
            harness_poll_for(rec->c, 2, 5, harness_rec_event, rec);
        }
    assert_int_equal(ricochet_send_chat(rec->c[0], "sealed hello"), RICOCHET_OK);
    harness_poll_for(rec->c, 2, 300, harness_rec_event, rec);
    uint32_t a = ricochet_id(rec->c[0]), b = ricochet_id(rec->c[1]);
    assert_true(rec->states[1][a] >= 18 && rec->states[0][b] >= 18);
    assert_true(rec->n_chat[1] >= 1);
}

static void relay_takes_tickets(void **state)
{
    (void)state;
    const enum proto_mode modes[] = {PROTO_MODE_RELIABLE, PROTO_MODE_UDP};
    for (int encrypt = 0; encrypt < 2; encrypt++)
        for (size_t m = 0; m < 2; m++) {
            const char *args[] = {"--ticket-key", key_path, "--ticket-key-previous",
                                  old_key_path, "--transport",
                                  modes[m] == PROTO_MODE_UDP ? "udp" : "enet",
                                  encrypt ? "--encrypt" : NULL, NULL};
            struct harness_session s;
            memset(&s, 0, sizeof s);
            int port = harness_start_relay(&s.relay, args);
            assert_true(port > 0);
            two_ticketed_talk(&s.rec, (uint16_t)port, modes[m], RICOCHET_TRANSPORT_DEFAULT,
                              encrypt);
            /* no ticket: a clear refusal, counted */
            struct ricochet *none = harness_client((uint16_t)port, "lobby", "eve", modes[m],
                                                   false);
            char why[256];
            end_reason(none, why, sizeof why);
            ricochet_close(none);
            assert_non_null(strstr(why, "ticket_required"));
            assert_int_equal(harness_relay_stat(&s.relay, "drops.ticket_required"), 1);
            assert_int_equal(harness_relay_stat(&s.relay, "drops.seal_forged"), 0);
            harness_session_end(&s, WAIT_MS, NULL);
        }
}

/* A ticket minted by default says its session must be sealed: a relay
 * without --encrypt refuses it (ticket_wrong_relay); one with admits it,
 * sealed. */
static void sealed_ticket_needs_encrypt(void **state)
{
    (void)state;
    int code;
    char err[512], why[256];
    const char *mint[] = {"mint", "--key", key_path, "--room", "lobby", "--name", "carol",
                          "--ttl", "60", NULL};
    char *t = ticket_prog(mint, &code, err, sizeof err);
    assert_int_equal(code, 0);
    *strchr(t, '\n') = '\0';
    for (int encrypt = 0; encrypt < 2; encrypt++) {
        const char *args[] = {"--ticket-key", key_path, encrypt ? "--encrypt" : NULL, NULL};
        struct spawn_proc relay;
        int port = harness_start_relay(&relay, args);
        assert_true(port > 0);
        struct harness_rec rec = {.n = 1};
        rec.c[0] = ticket_client((uint16_t)port, PROTO_MODE_UNSEQUENCED, t);
        if (encrypt) {
            assert_int_equal(harness_poll_until(rec.c, 1, WAIT_MS, harness_rec_event,
                                                harness_all_welcomed, &rec), 0);
            assert_true(ricochet_sealed(rec.c[0]));
            ricochet_close(rec.c[0]);
        } else {
            end_reason(rec.c[0], why, sizeof why);
            ricochet_close(rec.c[0]);
            assert_non_null(strstr(why, "ticket_wrong_relay"));
            assert_non_null(strstr(why, "must be sealed")); /* which cause: this one */
        }
        free(harness_relay_finish(&relay));
        spawn_free(&relay);
    }
    free(t);
}

/* A ticket naming other relays: refused ticket_wrong_relay, in words that
 * name the relays it names and this relay's own endpoint. */
static void a_ticket_for_other_relays_names_them(void **state)
{
    (void)state;
    int code;
    char err[512], why[256], self[32];
    const char *mint[] = {"mint", "--key", key_path, "--room", "lobby", "--name", "dave",
                          "--ttl", "60", "--clear", "--relay", "127.0.0.2:7777", NULL};
    char *t = ticket_prog(mint, &code, err, sizeof err);
    assert_int_equal(code, 0);
    *strchr(t, '\n') = '\0';
    const char *args[] = {"--ticket-key", key_path, NULL};
    struct spawn_proc relay;
    int port = harness_start_relay(&relay, args);
    assert_true(port > 0);
    struct ricochet *c = ticket_client((uint16_t)port, PROTO_MODE_UNSEQUENCED, t);
    end_reason(c, why, sizeof why);
    ricochet_close(c);
    snprintf(self, sizeof self, "127.0.0.1:%d", port);
    if (!strstr(why, "ticket_wrong_relay") || !strstr(why, "127.0.0.2:7777") ||
        !strstr(why, self))
        fail_msg("not the code, the ticket's relay and %s in \"%s\"", self, why);
    free(harness_relay_finish(&relay));
    spawn_free(&relay);
    free(t);
}

/* A version-2 client's ticketed join: error bad_version, told to upgrade. */
static void old_client_told_to_upgrade(void **state)
{
    (void)state;
    const char *args[] = {"--ticket-key", key_path, "--encrypt", NULL};
    struct spawn_proc relay;
    int port = harness_start_relay(&relay, args);
    assert_true(port > 0);
    char t[TICKET_TEXT_MAX + 1], pass[TICKET_PASS_TEXT_MAX + 1];
    char json[TICKET_PASS_TEXT_MAX + 128];
    struct ticket_claims c;
    mint_at(key_path, "lobby", "old", clock_unix_s(), 60, t);
    assert_int_equal(ticket_read(t, &c, pass, sizeof pass), 0);
    snprintf(json, sizeof json, "{\"type\":\"join\",\"version\":2,\"ticket\":\"%s\"}", pass);
    struct raw_enet re;
    assert_int_equal(raw_enet_open(&re, (uint16_t)port), 0);
    raw_enet_send(&re, 0, ENET_PACKET_FLAG_RELIABLE, json, strlen(json));
    struct proto_control m;
    assert_int_equal(raw_enet_expect(&re, PROTO_CTL_ERROR, "bad_version", WAIT_MS, &m), 0);
    assert_non_null(strstr(m.text, "upgrade"));
    raw_enet_close(&re);
    free(harness_relay_finish(&relay));
    spawn_free(&relay);
}

/* The relay holds only the new key: a ticket under the old one is refused. */
static void other_key_refused(void **state)
{
    (void)state;
    const char *args[] = {"--ticket-key", key_path, NULL};
    struct spawn_proc relay;
    int port = harness_start_relay(&relay, args);
    assert_true(port > 0);
    char t[TICKET_TEXT_MAX + 1], why[256];
    mint_at(old_key_path, "lobby", "mallory", clock_unix_s(), 60, t);
    struct ricochet *c = ticket_client((uint16_t)port, PROTO_MODE_UNSEQUENCED, t);
    end_reason(c, why, sizeof why);
    ricochet_close(c);
    assert_non_null(strstr(why, "ticket_tampered"));
    free(harness_relay_finish(&relay));
    spawn_free(&relay);
}

/* WebTransport: the pass in the CONNECT's path, checked before the
 * session is answered. Two ticketed sessions talk (TLS's, not sealed again
 * under --encrypt); a ticket not valid yet is answered 403, which the
 * client's end says. */
static void a_webtransport_session_carries_its_pass(void **state)
{
    (void)state;
    const char *args[] = {"--ticket-key", key_path, "--ticket-key-previous", old_key_path,
                          "--encrypt", "--listen", "quic://127.0.0.1:0", "--join-timeout-ms",
                          "5000", NULL};
    struct harness_session s;
    memset(&s, 0, sizeof s);
    assert_true(harness_start_relay(&s.relay, args) > 0);
    uint16_t port = harness_edge_port(&s.relay, "quic");
    two_ticketed_talk(&s.rec, port, PROTO_MODE_UNSEQUENCED, RICOCHET_TRANSPORT_WEBTRANSPORT,
                      false);
    char t[TICKET_TEXT_MAX + 1], why[256];
    mint_at(key_path, "lobby", "mallory", clock_unix_s() + 3600, 60, t); /* not yet valid */
    struct ricochet *c = ticket_client_over(port, PROTO_MODE_UNSEQUENCED, t,
                                            RICOCHET_TRANSPORT_WEBTRANSPORT);
    end_reason(c, why, sizeof why);
    ricochet_close(c);
    if (!strstr(why, "refused the WebTransport session (403)"))
        fail_msg("the end said: %s", why);
    /* refused, it closed its connection at once, long before the join
     * timeout would have (half_open counts a connection gone unjoined) */
    for (int k = 0; k < 50 && harness_relay_stat(&s.relay, "edges.quic.half_open") < 1; k++)
        clock_sleep_ms(20);
    assert_int_equal(harness_relay_stat(&s.relay, "edges.quic.half_open"), 1);
    assert_int_equal(harness_relay_stat(&s.relay, "edges.quic.wt_sessions"), 2);
    assert_int_equal(harness_relay_stat(&s.relay, "edges.quic.wt_refused"), 1);
    harness_session_end(&s, WAIT_MS, NULL);
}

/* The pid of the process unshare --fork started (its only child). */
static pid_t unshare_child(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task/%d/children", (int)pid, (int)pid);
    FILE *f = fopen(path, "r");
    int child = 0;
    if (f) {
        if (fscanf(f, "%d", &child) != 1)
            child = 0;
        fclose(f);
    }
    return (pid_t)child;
}

/* Tickets expire by the wall clock, which time namespaces do not move: a
 * relay whose monotonic clock is 3 hours ahead admits a ticket minted now
 * and refuses one that expired an hour ago. */
static void wall_clock_in_a_time_namespace(void **state)
{
    (void)state;
    char relay_bin[512], err[256];
    snprintf(relay_bin, sizeof relay_bin, "%s/ricochet-relay", harness_bin_dir());
    const char *args[] = {"--time", "--monotonic", "10800", "--fork", relay_bin, "--bind",
                          "127.0.0.1", "--port", "0", "--ticket-key", key_path, "--encrypt",
                          NULL};
    struct spawn_proc p;
    if (spawn_start(&p, "/usr/bin", "unshare", args, err, sizeof err) != 0)
        fail_msg("unshare: %s", err);
    int port = spawn_wait_listening(&p, WAIT_MS, err, sizeof err);
    if (port <= 0)
        fail_msg("relay in a time namespace (needs root and Linux >= 5.6): %s", err);
    char fresh[TICKET_TEXT_MAX + 1], stale[TICKET_TEXT_MAX + 1], why[256];
    mint_at(key_path, "lobby", "now", clock_unix_s(), 60, fresh);
    mint_at(key_path, "lobby", "then", clock_unix_s() - 7200, 3600, stale);
    struct harness_rec rec = {.n = 1};
    rec.c[0] = ticket_client((uint16_t)port, PROTO_MODE_UNSEQUENCED, fresh);
    assert_int_equal(harness_poll_until(rec.c, 1, WAIT_MS, harness_rec_event,
                                        harness_all_welcomed, &rec), 0);
    assert_true(ricochet_sealed(rec.c[0]));
    struct ricochet *late = ticket_client((uint16_t)port, PROTO_MODE_UNSEQUENCED, stale);
    end_reason(late, why, sizeof why);
    ricochet_close(late);
    ricochet_close(rec.c[0]);
    assert_non_null(strstr(why, "ticket_expired"));
    pid_t relay = unshare_child(p.pid); /* unshare itself ignores SIGTERM */
    assert_true(relay > 0);
    kill(relay, SIGTERM);
    assert_int_equal(spawn_stop(&p, 0, WAIT_MS), 0);
    spawn_free(&p);
}

/* ricochet-bot --ticket @FILE: one ticket per bot, the tickets' names. */
static void bot_with_tickets(void **state)
{
    (void)state;
    const char *args[] = {"--ticket-key", key_path, "--encrypt", NULL};
    struct spawn_proc relay;
    int port = harness_start_relay(&relay, args);
    assert_true(port > 0);
    char file[300], p[16], arg[310];
    snprintf(file, sizeof file, "%s/bots.tickets", dir);
    FILE *f = fopen(file, "w");
    assert_non_null(f);
    for (int i = 0; i < 2; i++) {
        char t[TICKET_TEXT_MAX + 1], name[24];
        snprintf(name, sizeof name, "rider-%d", i + 1);
        mint_at(key_path, "track", name, clock_unix_s(), 60, t);
        fprintf(f, "%s\n", t);
    }
    fclose(f);
    snprintf(p, sizeof p, "%d", port);
    snprintf(arg, sizeof arg, "@%s", file);
    const char *bargs[] = {"--port", p, "--count", "2", "--ticket", arg, "--duration", "1",
                           "--json", NULL};
    struct spawn_proc bot;
    assert_int_equal(harness_spawn(&bot, "ricochet-bot", bargs), 0);
    assert_int_equal(spawn_stop(&bot, 0, WAIT_MS), 0);
    char *out = spawn_read_stdout(&bot), *err = spawn_read_stderr(&bot);
    assert_non_null(out);
    assert_non_null(strstr(out, "\"rider-2\""));
    assert_null(strstr(err ? err : "", "warning: --ticket")); /* @FILE: nothing to say */
    free(out);
    free(err);
    spawn_free(&bot);
    /* inline: it runs, and says where the ticket can be read */
    char inline_t[TICKET_TEXT_MAX + 1];
    mint_at(key_path, "track", "rider-9", clock_unix_s(), 60, inline_t);
    const char *iargs[] = {"--port", p, "--ticket", inline_t, "--duration", "1", NULL};
    assert_int_equal(harness_spawn(&bot, "ricochet-bot", iargs), 0);
    assert_int_equal(spawn_stop(&bot, 0, WAIT_MS), 0);
    err = spawn_read_stderr(&bot);
    assert_non_null(err);
    assert_non_null(strstr(err, "ricochet-bot: warning: --ticket on the command line"));
    assert_non_null(strstr(err, "@FILE"));
    free(err);
    spawn_free(&bot);
    /* one ticket for two bots: exit 2 before connecting */
    const char *few[] = {"--port", p, "--count", "3", "--ticket", arg, NULL};
    assert_int_equal(harness_spawn(&bot, "ricochet-bot", few), 0);
    assert_int_equal(spawn_stop(&bot, 0, WAIT_MS), 2);
    spawn_free(&bot);
    assert_int_equal(harness_relay_stat(&relay, "joins"), 3);
    free(harness_relay_finish(&relay));
    spawn_free(&relay);
}

/* ---- a whole ticket where its pass belongs, on every edge ---- */

/* The join of a client that sent the whole ticket (as mint prints it). */
static int whole_join(const char *ticket, const char *cookie, char *json, size_t cap)
{
    return snprintf(json, cap, "{\"type\":\"join\",\"version\":3,\"ticket\":\"%s\","
                    "\"mode\":\"%s\"%s%s%s}", ticket, cookie ? "udp" : "unsequenced",
                    cookie ? ",\"cookie\":\"" : "", cookie ? cookie : "", cookie ? "\"" : "");
}

/* The relay's answer is the error that says what was sent. */
static void told_whole(const struct proto_control *m, const char *edge)
{
    if (m->type != PROTO_CTL_ERROR || strcmp(m->code, "ticket_malformed") != 0 ||
        strcmp(m->text, TICKET_WHOLE_TEXT) != 0)
        fail_msg("%s: not told to send the pass: %s %s", edge, m->code, m->text);
}

static int stream_connect(uint16_t port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = raw_loopback(port);
    assert_true(fd >= 0);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    struct timeval tv = {.tv_sec = WAIT_MS / 1000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return fd;
}

/* Reads fd until it holds n bytes past *have (buf of cap); false at its end. */
static bool stream_fill(int fd, uint8_t *buf, size_t cap, size_t *have, size_t n)
{
    while (*have < n) {
        ssize_t got = n <= cap ? recv(fd, buf + *have, cap - *have, 0) : -1;
        if (got <= 0)
            return false;
        *have += (size_t)got;
    }
    return true;
}

/* The tcp edge: the join in a frame (2 bytes of length), the error in one. */
static void whole_over_tcp(uint16_t port, const char *json, struct proto_control *m)
{
    int fd = stream_connect(port);
    size_t len = strlen(json), have = 0;
    uint8_t frame[2 + TICKET_TEXT_MAX + 128] = {(uint8_t)(len >> 8), (uint8_t)len}, in[2048];
    memcpy(frame + 2, json, len);
    assert_int_equal(send(fd, frame, 2 + len, 0), (ssize_t)(2 + len));
    assert_true(stream_fill(fd, in, sizeof in, &have, 2));
    size_t n = (size_t)in[0] << 8 | in[1];
    assert_true(stream_fill(fd, in, sizeof in, &have, 2 + n));
    char why[128];
    assert_int_equal(proto_control_decode((char *)in + 2, n, m, why, sizeof why), PROTO_OK);
    close(fd);
}

/* The ws edge: the upgrade, the join in a masked text frame, the error in
 * a frame of the relay's (unmasked, short). */
static void whole_over_ws(uint16_t port, const char *json, struct proto_control *m)
{
    int fd = stream_connect(port);
    const char *req = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                      "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                      "Sec-WebSocket-Version: 13\r\n\r\n";
    assert_int_equal(send(fd, req, strlen(req), 0), (ssize_t)strlen(req));
    uint8_t in[4096], frame[8 + TICKET_TEXT_MAX + 128] = {0x81, 0x80 | 126};
    size_t have = 0, len = strlen(json), head = 0;
    while (!head) {
        assert_true(stream_fill(fd, in, sizeof in, &have, have + 1));
        uint8_t *end = memmem(in, have, "\r\n\r\n", 4);
        head = end ? (size_t)(end + 4 - in) : 0;
    }
    assert_memory_equal(in, "HTTP/1.1 101", 12);
    frame[2] = (uint8_t)(len >> 8);
    frame[3] = (uint8_t)len;
    memcpy(frame + 4, "\x12\x34\x56\x78", 4); /* the mask */
    for (size_t i = 0; i < len; i++)
        frame[8 + i] = (uint8_t)(json[i] ^ frame[4 + i % 4]);
    assert_int_equal(send(fd, frame, 8 + len, 0), (ssize_t)(8 + len));
    assert_true(stream_fill(fd, in, sizeof in, &have, head + 2));
    size_t n = in[head + 1] & 0x7f, at = head + 2;
    if (n == 126) {
        assert_true(stream_fill(fd, in, sizeof in, &have, head + 4));
        n = (size_t)in[head + 2] << 8 | in[head + 3];
        at += 2;
    }
    assert_true(stream_fill(fd, in, sizeof in, &have, at + n));
    char why[128];
    assert_int_equal(proto_control_decode((char *)in + at, n, m, why, sizeof why), PROTO_OK);
    close(fd);
}

/* WebRTC: the offer POSTed to /rtc with the whole ticket as its bearer:
 * 403, saying what was sent. */
static void whole_as_bearer(uint16_t port, const char *ticket)
{
    static const char offer[] =
        "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n"
        "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\n"
        "a=ice-ufrag:peer\r\na=ice-pwd:peerpasswordpeerpassword\r\n"
        "a=fingerprint:sha-256 00:01:02:03:04:05:06:07:08:09:0A:0B:0C:0D:0E:0F:10:11:12:13:"
        "14:15:16:17:18:19:1A:1B:1C:1D:1E:1F\r\na=setup:actpass\r\na=mid:0\r\n"
        "a=sctp-port:5000\r\n";
    static char req[4096];
    int n = snprintf(req, sizeof req, "POST /rtc HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     "Authorization: Bearer %s\r\nContent-Type: application/sdp\r\n"
                     "Content-Length: %zu\r\n\r\n%s", ticket, strlen(offer), offer);
    int fd = stream_connect(port);
    assert_int_equal(send(fd, req, (size_t)n, 0), n);
    static uint8_t in[4096];
    size_t have = 0;
    while (stream_fill(fd, in, sizeof in - 1, &have, have + 1))
        ;
    in[have] = '\0';
    close(fd);
    if (strncmp((char *)in, "HTTP/1.1 403", 12) != 0 || !strstr((char *)in, TICKET_WHOLE_TEXT))
        fail_msg("webrtc: the offer with a whole ticket got: %.200s", (char *)in);
}

/* A game backend hands on the whole ticket, as mint printed it, where its
 * pass belongs: every edge refuses it with ticket_malformed, saying what
 * was sent and what to send (not ticket_expired, "issued in the future"). */
static void whole_ticket_told_on_every_edge(void **state)
{
    (void)state;
    int code;
    char err[512];
    const char *mint[] = {"mint", "--key", key_path, "--room", "lobby", "--name", "dana",
                          "--ttl", "60", NULL};
    char *t = ticket_prog(mint, &code, err, sizeof err);
    assert_int_equal(code, 0);
    *strchr(t, '\n') = '\0';
    const char *args[] = {"--ticket-key", key_path, "--encrypt", "--listen", "enet://127.0.0.1:0",
                          "--listen", "udp://127.0.0.1:0", "--listen", "tcp://127.0.0.1:0",
                          "--listen", "ws://127.0.0.1:0", "--listen", "webrtc://127.0.0.1:0",
                          NULL};
    struct spawn_proc relay;
    assert_true(harness_start_relay(&relay, args) > 0);
    static char json[TICKET_TEXT_MAX + 256];
    struct proto_control m;
    whole_join(t, NULL, json, sizeof json);

    struct raw_enet re;
    assert_int_equal(raw_enet_open(&re, harness_edge_port(&relay, "enet")), 0);
    raw_enet_send(&re, 0, ENET_PACKET_FLAG_RELIABLE, json, strlen(json));
    assert_int_equal(raw_enet_expect(&re, PROTO_CTL_ERROR, NULL, WAIT_MS, &m), 0);
    told_whole(&m, "enet");
    raw_enet_close(&re);

    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in udp = raw_loopback(harness_edge_port(&relay, "udp"));
    assert_int_equal(connect(fd, (struct sockaddr *)&udp, sizeof udp), 0);
    assert_int_equal(send(fd, json, strlen(json), 0), (ssize_t)strlen(json));
    assert_int_equal(raw_udp_expect(fd, PROTO_CTL_COOKIE, NULL, WAIT_MS, &m), 0);
    char cookie[sizeof m.cookie];
    snprintf(cookie, sizeof cookie, "%s", m.cookie);
    whole_join(t, cookie, json, sizeof json);
    assert_int_equal(send(fd, json, strlen(json), 0), (ssize_t)strlen(json));
    assert_int_equal(raw_udp_expect(fd, PROTO_CTL_ERROR, NULL, WAIT_MS, &m), 0);
    told_whole(&m, "udp");
    close(fd);

    whole_join(t, NULL, json, sizeof json);
    whole_over_tcp(harness_edge_port(&relay, "tcp"), json, &m);
    told_whole(&m, "tcp");
    whole_over_ws(harness_edge_port(&relay, "ws"), json, &m);
    told_whole(&m, "ws");
    whole_as_bearer(harness_edge_port(&relay, "ws"), t);

    char *out = harness_relay_finish(&relay);
    assert_int_equal(harness_stats_field(out, true, "drops.ticket_malformed"), 4);
    assert_int_equal(harness_stats_field(out, true, "drops.ticket_expired"), 0);
    free(out);
    spawn_free(&relay);
    free(t);
}

/* The relay's own mistakes: --encrypt without a key, a key file that is
 * none: exit 2, one line. */
static void relay_option_mistakes(void **state)
{
    (void)state;
    const char *no_key[] = {"--port", "0", "--encrypt", NULL};
    const char *missing[] = {"--port", "0", "--ticket-key", "/nonexistent/key", NULL};
    const char *const *cases[] = {no_key, missing};
    for (size_t i = 0; i < 2; i++) {
        struct spawn_proc p;
        assert_int_equal(harness_spawn(&p, "ricochet-relay", cases[i]), 0);
        assert_int_equal(spawn_stop(&p, 0, WAIT_MS), 2);
        char *err = spawn_read_stderr(&p);
        assert_non_null(err);
        assert_true(strncmp(err, "ricochet-relay: error: ", 23) == 0);
        free(err);
        spawn_free(&p);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(keygen_then_mint),
        cmocka_unit_test(mint_relays_and_count),
        cmocka_unit_test(mistakes_are_one_line),
        cmocka_unit_test(relay_takes_tickets),
        cmocka_unit_test(other_key_refused),
        cmocka_unit_test(a_webtransport_session_carries_its_pass),
        cmocka_unit_test(sealed_ticket_needs_encrypt),
        cmocka_unit_test(a_ticket_for_other_relays_names_them),
        cmocka_unit_test(old_client_told_to_upgrade),
        cmocka_unit_test(whole_ticket_told_on_every_edge),
        cmocka_unit_test(wall_clock_in_a_time_namespace),
        cmocka_unit_test(bot_with_tickets),
        cmocka_unit_test(relay_option_mistakes),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
