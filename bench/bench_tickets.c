/* bench_tickets.c: the tickets of a run's clients (see bench_tickets.h). */
#include "bench_tickets.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../sys/clock.h"
#include "../ticket/keyfile.h"

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
    struct ticket_claims c = {.issued_s = clock_unix_s()};
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
