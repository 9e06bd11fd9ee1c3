/* keyfile.h: the backend's ticket keys on disk, and tickets given on a
 * command line.
 *
 * A key file holds 64 hexadecimal digits (32 random bytes) and a newline;
 * ricochet-ticket keygen writes it readable by its owner only, and the
 * backend (ricochet-ticket mint, or a program calling ricochet_ticket_mint)
 * and every relay of the fleet (--ticket-key) read the same file. What a
 * backend asks a ticket for, in words, becomes claims here too. */
#ifndef RICOCHET_KEYFILE_H
#define RICOCHET_KEYFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/ticket.h"

/* Writes a new random key to path, created with mode 0600; an existing file
 * is never overwritten. Returns 0, or -1 with a one-line message in err. */
int keyfile_generate(const char *path, char *err, size_t err_cap);

/* Reads the key file at path into key (its id computed). Returns 0, or -1
 * with a one-line message in err (unreadable, not 64 hex digits). */
int keyfile_load(const char *path, struct ticket_key *key, char *err, size_t err_cap);

/* What a backend asks a ticket for, in words: ricochet-ticket mint's
 * options, ricochet_ticket_mint's arguments. */
struct keyfile_ask {
    const char *room;
    const char *name;
    const char *fleet;  /* its relays' --fleet-name, when relays is NULL or "" */
    const char *relays; /* or up to TICKET_RELAYS_MAX "host:port", comma-separated */
    long ttl_s;         /* valid this long from now_s */
    bool clear;         /* the session may run in clear */
};

/* The claims ask makes at now_s (Unix seconds), checked as ticket_mint
 * checks them; the session keys are ticket_mint's. Returns 0, or -1 with
 * a one-line message in err. */
int keyfile_claims(const struct keyfile_ask *ask, uint64_t now_s, struct ticket_claims *claims,
                   char *err, size_t err_cap);

/* The tickets an option names (--ticket): arg itself, or with "@FILE" the
 * lines of FILE (blank lines skipped, white space around each trimmed).
 * Copies them into out[0..max) and returns how many (at least 1), or -1
 * with a one-line message (unreadable file, a line too long, no ticket,
 * more than max). Only the form is checked here, not the tickets. */
int keyfile_read_tickets(const char *arg, char (*out)[TICKET_TEXT_MAX + 1], int max,
                         char *err, size_t err_cap);

/* A ticket holds its session's keys, and every user of the machine can read
 * a running program's command line (ps, /proc/PID/cmdline): a program that
 * runs for long and was given a ticket inline (arg not "@FILE") says so, one
 * line on stderr ("prog: warning: ..."). Nothing for "@FILE" or "". */
void keyfile_warn_inline(const char *prog, const char *arg);

#endif
