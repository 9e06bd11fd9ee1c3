/* keyfile.c: ticket keys and tickets in files (see keyfile.h). */
#include "keyfile.h"
#include "netaddr.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define KEY_HEX (2 * TICKET_KEY_BYTES)

int keyfile_generate(const char *path, char *err, size_t err_cap)
{
    uint8_t secret[TICKET_KEY_BYTES];
    char line[KEY_HEX + 2];
    if (ticket_crypto_init() != 0) {
        snprintf(err, err_cap, "libsodium cannot start");
        return -1;
    }
    randombytes_buf(secret, sizeof secret);
    sodium_bin2hex(line, sizeof line, secret, sizeof secret);
    sodium_memzero(secret, sizeof secret);
    strcat(line, "\n");
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        snprintf(err, err_cap, "%s: %s%s", path, strerror(errno),
                 errno == EEXIST ? " (a key file is never overwritten)" : "");
        return -1;
    }
    ssize_t n = write(fd, line, strlen(line));
    int saved = errno;
    sodium_memzero(line, sizeof line);
    if (n != (ssize_t)(KEY_HEX + 1) || close(fd) != 0) {
        snprintf(err, err_cap, "%s: %s", path, n < 0 ? strerror(saved) : "short write");
        unlink(path);
        return -1;
    }
    return 0;
}

int keyfile_load(const char *path, struct ticket_key *key, char *err, size_t err_cap)
{
    char text[KEY_HEX + 8] = "";
    uint8_t secret[TICKET_KEY_BYTES];
    size_t n = 0;
    FILE *f = fopen(path, "re");
    if (!f) {
        snprintf(err, err_cap, "%s: %s", path, strerror(errno));
        return -1;
    }
    n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == '\r'))
        text[--n] = '\0';
    int bad = n != KEY_HEX || sodium_hex2bin(secret, sizeof secret, text, n, NULL, NULL,
                                             NULL) != 0;
    sodium_memzero(text, sizeof text);
    if (bad) {
        snprintf(err, err_cap, "%s: not a ticket key (64 hex digits, as ricochet-ticket "
                 "keygen writes)", path);
        return -1;
    }
    ticket_key_from_secret(key, secret);
    sodium_memzero(secret, sizeof secret);
    return 0;
}

/* The relays list as canonical endpoints ("127.0.0.1:7777") into claims. */
static int parse_relays(const char *list, struct ticket_claims *claims, char *err,
                        size_t err_cap)
{
    char copy[256], why[256];
    if (strlen(list) >= sizeof copy) {
        snprintf(err, err_cap, "relays: longer than %zu bytes", sizeof copy - 1);
        return -1;
    }
    snprintf(copy, sizeof copy, "%s", list);
    char *save = NULL;
    for (char *e = strtok_r(copy, ",", &save); e; e = strtok_r(NULL, ",", &save)) {
        union netaddr addr;
        char text[NETADDR_STR_MAX];
        if (claims->n_relays == TICKET_RELAYS_MAX) {
            snprintf(err, err_cap, "relays: more than %d", TICKET_RELAYS_MAX);
            return -1;
        }
        if (netaddr_parse_endpoint(e, &addr, why, sizeof why) != 0) {
            snprintf(err, err_cap, "relay %s: %s", e, why);
            return -1;
        }
        netaddr_format(&addr, text, sizeof text);
        if (strlen(text) > TICKET_ENDPOINT_MAX) {
            snprintf(err, err_cap, "relay %s: too long for a ticket", e);
            return -1;
        }
        memcpy(claims->relays[claims->n_relays++], text, strlen(text) + 1);
    }
    return 0;
}

/* s fits max bytes (NULL: "" does). */
static bool fits(const char *s, size_t max)
{
    return !s || strlen(s) <= max;
}

int keyfile_claims(const struct keyfile_ask *ask, uint64_t now_s, struct ticket_claims *claims,
                   char *err, size_t err_cap)
{
    memset(claims, 0, sizeof *claims);
    bool relays = ask->relays && ask->relays[0];
    if (!fits(ask->room, PROTO_ROOM_MAX) || !fits(ask->name, PROTO_NAME_MAX) ||
        (!relays && !fits(ask->fleet, TICKET_FLEET_MAX))) {
        snprintf(err, err_cap, "the room, name or fleet is longer than %d bytes",
                 PROTO_NAME_MAX);
        return -1;
    }
    if (relays && parse_relays(ask->relays, claims, err, err_cap) != 0)
        return -1;
    if (!relays)
        snprintf(claims->fleet, sizeof claims->fleet, "%s", ask->fleet ? ask->fleet : "");
    snprintf(claims->room, sizeof claims->room, "%s", ask->room ? ask->room : "");
    snprintf(claims->name, sizeof claims->name, "%s", ask->name ? ask->name : "");
    claims->sealed = !ask->clear;
    claims->issued_s = now_s;
    claims->expires_s = now_s + (uint64_t)(ask->ttl_s > 0 ? ask->ttl_s : 0);
    const char *bad = ticket_claims_invalid(claims);
    if (bad) {
        snprintf(err, err_cap, "%s", bad);
        return -1;
    }
    return 0;
}

/* line without surrounding white space, in place. */
static char *trim(char *line)
{
    while (*line == ' ' || *line == '\t')
        line++;
    size_t n = strlen(line);
    while (n > 0 && strchr(" \t\r\n", line[n - 1]))
        line[--n] = '\0';
    return line;
}

/* Appends text to out[*n] if there is room; -1 with a message if not. */
static int add_ticket(const char *text, char (*out)[TICKET_TEXT_MAX + 1], int max, int *n,
                      const char *where, char *err, size_t err_cap)
{
    if (strlen(text) > TICKET_TEXT_MAX) {
        snprintf(err, err_cap, "%s: longer than a ticket (%d characters at most)", where,
                 TICKET_TEXT_MAX);
        return -1;
    }
    if (*n >= max) {
        snprintf(err, err_cap, "%s: more than %d tickets", where, max);
        return -1;
    }
    snprintf(out[(*n)++], TICKET_TEXT_MAX + 1, "%s", text);
    return 0;
}

void keyfile_warn_inline(const char *prog, const char *arg)
{
    if (arg && arg[0] && arg[0] != '@')
        fprintf(stderr, "%s: warning: --ticket on the command line can be read by every user "
                        "of this machine while it runs (ps): give --ticket @FILE\n", prog);
}

int keyfile_read_tickets(const char *arg, char (*out)[TICKET_TEXT_MAX + 1], int max,
                         char *err, size_t err_cap)
{
    int n = 0;
    if (arg[0] != '@')
        return add_ticket(arg, out, max, &n, "--ticket", err, err_cap) == 0 ? n : -1;
    FILE *f = fopen(arg + 1, "re");
    if (!f) {
        snprintf(err, err_cap, "%s: %s", arg + 1, strerror(errno));
        return -1;
    }
    char line[TICKET_TEXT_MAX + 64];
    int rc = 0;
    while (rc == 0 && fgets(line, sizeof line, f)) {
        char *t = trim(line);
        if (t[0])
            rc = add_ticket(t, out, max, &n, arg + 1, err, err_cap);
    }
    fclose(f);
    if (rc == 0 && n == 0) {
        snprintf(err, err_cap, "%s: no ticket in the file", arg + 1);
        rc = -1;
    }
    return rc == 0 ? n : -1;
}
