/* bans.c: IP addresses kicked recently, refused for kick_ban_ms (see
 * core.h). A small table: when full, the entry closest to expiry goes. */
#include "core.h"

#include <string.h>
#include <stdio.h>

/* The IP address part of an "ip:port" text (IPv4: before the last ':'). */
static void addr_ip(const char *addr, char *ip, size_t cap)
{
    const char *colon = strrchr(addr, ':');
    size_t n = colon ? (size_t)(colon - addr) : strlen(addr);
    if (n >= cap)
        n = cap - 1;
    memcpy(ip, addr, n);
    ip[n] = '\0';
}

void core_ban_add(struct relay *r, const char *addr, uint64_t now_us)
{
    char ip[RELAY_ADDR_MAX];
    addr_ip(addr, ip, sizeof ip);
    if (r->cfg.kick_ban_ms == 0 || !ip[0] || strcmp(ip, "?") == 0)
        return;
    /* The same IP again, else a free or expired slot, else the one that
     * expires first. */
    struct relay_ban *slot = NULL;
    for (size_t i = 0; i < BAN_SLOTS && !slot; i++)
        if (strcmp(r->bans[i].ip, ip) == 0)
            slot = &r->bans[i];
    for (size_t i = 0; i < BAN_SLOTS && !slot; i++)
        if (!r->bans[i].ip[0] || r->bans[i].until_us <= now_us)
            slot = &r->bans[i];
    if (!slot) {
        slot = &r->bans[0];
        for (size_t i = 1; i < BAN_SLOTS; i++)
            if (r->bans[i].until_us < slot->until_us)
                slot = &r->bans[i];
    }
    snprintf(slot->ip, sizeof slot->ip, "%s", ip);
    slot->until_us = now_us + (uint64_t)r->cfg.kick_ban_ms * 1000;
}

uint64_t core_ban_left_us(const struct relay *r, const char *addr, uint64_t now_us)
{
    if (r->cfg.kick_ban_ms == 0)
        return 0;
    char ip[RELAY_ADDR_MAX];
    addr_ip(addr, ip, sizeof ip);
    for (size_t i = 0; i < BAN_SLOTS; i++)
        if (r->bans[i].ip[0] && r->bans[i].until_us > now_us &&
            strcmp(r->bans[i].ip, ip) == 0)
            return r->bans[i].until_us - now_us;
    return 0;
}
