/* bench_tickets.c: the tickets of a run's clients (see bench_tickets.h). */
#include "bench_tickets.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sys/clock.h"
#include "sys/keyfile.h"

#define BENCH_TICKET_TTL_S 3600

/* The room and name the swarm gives client i of n in rooms of k. */
static void layout(size_t i, size_t n, size_t k, struct ticket_claims *c)
{
    if (k < n)
        snprintf(c->room, sizeof c->room, "bench-%zu", i / k + 1);
    else
        snprintf(c->room, sizeof c->room, "bench");
    snprintf(c->name, sizeof c->name, "bench-%zu", i + 1);
}

static int mint_all(struct bench_tickets *bt, size_t n, size_t k, char *err, size_t err_cap)
{
    snprintf(bt->dir, sizeof bt->dir, "/tmp/ricochet-bench-key.XXXXXX");
    if (!mkdtemp(bt->dir)) {
        bt->dir[0] = '\0';
        snprintf(err, err_cap, "mkdtemp: cannot make a folder for the key");
        return -1;
    }
    snprintf(bt->key_file, sizeof bt->key_file, "%s/ticket.key", bt->dir);
    struct ticket_key key;
    if (keyfile_generate(bt->key_file, err, err_cap) != 0 ||
        keyfile_load(bt->key_file, &key, err, err_cap) != 0)
        return -1;
    bt->texts = calloc(n, sizeof *bt->texts);
    bt->list = calloc(n, sizeof *bt->list);
    if (!bt->texts || !bt->list) {
        snprintf(err, err_cap, "out of memory (%zu tickets)", n);
        return -1;
    }
    /* Minted only for the bench's own relay, which seals (--encrypt). */
    struct ticket_claims c = {.issued_s = clock_unix_s(), .sealed = true};
    c.expires_s = c.issued_s + BENCH_TICKET_TTL_S;
    snprintf(c.fleet, sizeof c.fleet, "ricochet");
    for (size_t i = 0; i < n; i++) {
        layout(i, n, k, &c);
        if (ticket_mint(&key, &c, bt->texts[i], sizeof bt->texts[i]) < 0) {
            snprintf(err, err_cap, "cannot mint a ticket for %s", c.name);
            return -1;
        }
        bt->list[i] = bt->texts[i];
    }
    sodium_memzero(&key, sizeof key);
    sodium_memzero(&c, sizeof c);
    bt->n = n;
    return 0;
}

/* given[i] must be a ticket for client i's room and name. */
static int check_given(struct bench_tickets *bt, const char *const *given, size_t n_given,
                       size_t n, size_t k, char *err, size_t err_cap)
{
    if (n_given < n) {
        snprintf(err, err_cap, "--ticket gives %zu tickets for %zu clients", n_given, n);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        struct ticket_claims want = {0}, got;
        char pass[TICKET_PASS_TEXT_MAX + 1];
        layout(i, n, k, &want);
        if (ticket_read(given[i], &got, pass, sizeof pass) != 0) {
            snprintf(err, err_cap, "--ticket: line %zu is not a ticket", i + 1);
            return -1;
        }
        if (strcmp(got.room, want.room) != 0 || strcmp(got.name, want.name) != 0) {
            snprintf(err, err_cap, "--ticket: line %zu is for %s in room %s; the bench "
                     "puts client %zu in room %s as %s", i + 1, got.name, got.room, i + 1,
                     want.room, want.name);
            return -1;
        }
    }
    bt->list = calloc(n, sizeof *bt->list);
    if (!bt->list) {
        snprintf(err, err_cap, "out of memory");
        return -1;
    }
    memcpy(bt->list, given, n * sizeof *bt->list);
    bt->n = n;
    return 0;
}

int bench_tickets_open(struct bench_tickets *bt, bool mint, const char *const *given,
                       size_t n_given, size_t n, size_t k, char *err, size_t err_cap)
{
    memset(bt, 0, sizeof *bt);
    if (!mint && !given)
        return 0;
    if (ticket_crypto_init() != 0) {
        snprintf(err, err_cap, "libsodium cannot start");
        return -1;
    }
    return mint ? mint_all(bt, n, k, err, err_cap)
                : check_given(bt, given, n_given, n, k, err, err_cap);
}

void bench_tickets_close(struct bench_tickets *bt)
{
    if (bt->key_file[0])
        unlink(bt->key_file);
    if (bt->dir[0])
        rmdir(bt->dir);
    if (bt->texts)
        sodium_memzero(bt->texts, bt->n * sizeof *bt->texts);
    free(bt->texts);
    free(bt->list);
    memset(bt, 0, sizeof *bt);
}

/* ---- --ticket-cost ---- */

/* µs per verification of each of passes[0..n) at now_s by keys. */
static double time_verify(char (*passes)[TICKET_PASS_TEXT_MAX + 1], size_t n,
                          const struct ticket_key *key, uint64_t now_s)
{
    const struct ticket_self self = {"ricochet", NULL, 0};
    struct ticket_claims c;
    uint64_t t0 = clock_now_us();
    for (size_t i = 0; i < n; i++)
        ticket_verify(passes[i], key, 1, &self, now_s, &c, NULL, 0);
    return (double)(clock_now_us() - t0) / (double)n;
}

/* µs per ephemeral X25519 key exchange, the relay's side of one join
 * (libsodium crypto_kx: a key pair drawn, the session keys from the
 * client's public key): what forward secrecy per session would add. */
static double time_kx(size_t n)
{
    uint8_t client_pk[crypto_kx_PUBLICKEYBYTES], client_sk[crypto_kx_SECRETKEYBYTES];
    uint8_t pk[crypto_kx_PUBLICKEYBYTES], sk[crypto_kx_SECRETKEYBYTES];
    uint8_t rx[crypto_kx_SESSIONKEYBYTES], tx[crypto_kx_SESSIONKEYBYTES];
    crypto_kx_keypair(client_pk, client_sk);
    uint64_t t0 = clock_now_us();
    for (size_t i = 0; i < n; i++) {
        crypto_kx_keypair(pk, sk);
        if (crypto_kx_server_session_keys(rx, tx, pk, sk, client_pk) != 0)
            break;
    }
    double us = (double)(clock_now_us() - t0) / (double)n;
    sodium_memzero(sk, sizeof sk);
    sodium_memzero(client_sk, sizeof client_sk);
    return us;
}

/* µs per sealed session's start (two keys and the `sealed` message's tag,
 * from the client's nonce and a salt), per state sealed, per state opened. */
static void time_sealing(size_t n, const struct ticket_claims *c, struct bench_ticket_cost *cost)
{
    uint8_t salt[SEAL_SALT_BYTES] = {1}, nonce[SEAL_NONCE_BYTES] = {2}, key[SEAL_KEY_BYTES];
    uint8_t tag[SEAL_PROOF_BYTES];
    uint64_t t0 = clock_now_us();
    for (size_t i = 0; i < n; i++) {
        salt[0] = (uint8_t)i;
        seal_session_key(key, c->up_key, nonce, salt);
        seal_session_key(key, c->down_key, nonce, salt);
        seal_proof(tag, c->down_key, nonce, salt);
    }
    cost->session_us = (double)(clock_now_us() - t0) / (double)n;
    cost->kx_us = time_kx(n);
    struct seal_tx tx;
    struct seal_rx rx;
    seal_tx_init(&tx, key);
    seal_rx_init(&rx, key);
    uint8_t state[PROTO_STATE_SIZE] = {1, 1}, box[PROTO_STATE_SIZE + SEAL_OVERHEAD];
    uint8_t (*boxes)[sizeof box] = malloc(n * sizeof *boxes);
    if (!boxes)
        return;
    t0 = clock_now_us();
    for (size_t i = 0; i < n; i++)
        seal_box(&tx, SEAL_LANE_STATE, state, sizeof state, boxes[i], sizeof box);
    cost->seal_us = (double)(clock_now_us() - t0) / (double)n;
    t0 = clock_now_us();
    for (size_t i = 0; i < n; i++)
        seal_open(&rx, boxes[i], sizeof box, state, sizeof state, NULL);
    cost->open_us = (double)(clock_now_us() - t0) / (double)n;
    free(boxes);
}

int bench_ticket_cost(size_t n, struct bench_ticket_cost *cost)
{
    uint8_t secret[TICKET_KEY_BYTES];
    struct ticket_key key;
    char text[TICKET_TEXT_MAX + 1];
    char (*passes)[TICKET_PASS_TEXT_MAX + 1] = malloc(n * sizeof *passes);
    if (!passes || ticket_crypto_init() != 0) {
        free(passes);
        return -1;
    }
    randombytes_buf(secret, sizeof secret);
    ticket_key_from_secret(&key, secret);
    struct ticket_claims c = {.room = "bench", .fleet = "ricochet", .issued_s = clock_unix_s()};
    c.expires_s = c.issued_s + 60;
    for (size_t i = 0; i < n; i++) {
        snprintf(c.name, sizeof c.name, "bench-%zu", i + 1);
        ticket_mint(&key, &c, text, sizeof text);
        ticket_read(text, &c, passes[i], sizeof passes[i]);
    }
    cost->verify_us = time_verify(passes, n, &key, c.issued_s);
    cost->expired_us = time_verify(passes, n, &key, c.expires_s + TICKET_SKEW_S);
    for (size_t i = 0; i < n; i++) /* a changed character in the sealed claims */
        passes[i][100] = passes[i][100] == 'A' ? 'B' : 'A';
    cost->tampered_us = time_verify(passes, n, &key, c.issued_s);
    time_sealing(n, &c, cost);
    sodium_memzero(&key, sizeof key);
    free(passes);
    return 0;
}
