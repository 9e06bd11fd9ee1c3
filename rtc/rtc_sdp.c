/* rtc_sdp.c: a data channel's SDP, read and written (see rtc_sdp.h).
 *
 * Lines are read one by one (CRLF or LF); a= lines before the first m=
 * are the session's, after it the section's, and a section's own value
 * wins. Attributes the relay has no use for are skipped. */
#include "rtc_sdp.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>

#define LINE_MAX_LEN 1024

struct reader {
    struct rtc_sdp *out;
    int sections;          /* m= lines seen */
    bool in_data;          /* inside the data channel's section */
    int fp_level;          /* where the fingerprint came from: 0 none, 1 session, 2 section */
    char bundle[256];      /* a=group:BUNDLE's mids, space-separated */
    enum rtc_sdp_fault fault;
};

bool rtc_sdp_ice_chars(const char *s, size_t min, size_t max)
{
    size_t n = strlen(s);
    if (n < min || n > max)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '+' && s[i] != '/')
            return false;
    return true;
}

/* "sha-256 AB:CD:..." into 32 bytes; false if it is another hash or does
 * not read. */
static bool parse_fingerprint(const char *v, uint8_t out[RTC_SDP_FINGERPRINT])
{
    if (strncasecmp(v, "sha-256 ", 8) != 0)
        return false;
    const char *p = v + 8;
    for (int i = 0; i < RTC_SDP_FINGERPRINT; i++) {
        if (!isxdigit((unsigned char)p[0]) || !isxdigit((unsigned char)p[1]))
            return false;
        char hex[3] = {p[0], p[1], 0};
        out[i] = (uint8_t)strtoul(hex, NULL, 16);
        p += 2;
        if (i + 1 < RTC_SDP_FINGERPRINT && *p++ != ':')
            return false;
    }
    return *p == '\0';
}

/* A decimal number up to max, the whole of v (or up to a space if
 * space_ends). */
static bool parse_number(const char *v, unsigned long max, bool space_ends, unsigned long *out)
{
    char *end;
    if (!isdigit((unsigned char)v[0]))
        return false;
    unsigned long n = strtoul(v, &end, 10);
    if (n > max || !(*end == '\0' || (space_ends && *end == ' ')))
        return false;
    *out = n;
    return true;
}

/* "foundation component transport priority address port typ host ...":
 * the first UDP host candidate of component 1 with a literal address. */
static void parse_candidate(struct rtc_sdp *out, const char *v)
{
    char transport[8], address[64], typ[8], kind[8];
    unsigned component, port;
    unsigned long priority;
    if (out->has_candidate ||
        sscanf(v, "%*s %u %7s %lu %63s %u %7s %7s", &component, transport, &priority, address,
               &port, typ, kind) != 7)
        return;
    if (component != 1 || strcasecmp(transport, "udp") != 0 || strcmp(typ, "typ") != 0 ||
        strcmp(kind, "host") != 0 || port == 0 || port > 65535)
        return;
    char err[96];
    /* a literal address only: never a name to look up (an mDNS .local one) */
    if ((inet_pton(AF_INET, address, err) == 1 || inet_pton(AF_INET6, address, err) == 1) &&
        netaddr_resolve(address, (uint16_t)port, &out->candidate, err, sizeof err) == 0)
        out->has_candidate = true;
}

/* An m= line: the data channel's section, or media the relay refuses. */
static void read_media(struct reader *r, const char *v)
{
    char media[16], proto[32], fmt[32];
    unsigned long port;
    r->sections++;
    r->in_data = false;
    if (sscanf(v, "%15s %*s %31s %31s", media, proto, fmt) != 3 || strcmp(media, "application")) {
        r->fault = RTC_SDP_OTHER_MEDIA;
        return;
    }
    if (r->sections > 1) {
        r->fault = RTC_SDP_OTHER_MEDIA;
        return;
    }
    if (!parse_number(v + strlen("application "), 65535, true, &port) || port == 0) {
        r->fault = RTC_SDP_NO_DATA_CHANNEL;
        return;
    }
    if (strcmp(proto, "UDP/DTLS/SCTP") == 0 && strcmp(fmt, "webrtc-datachannel") == 0) {
        r->in_data = true;
    } else if (strcmp(proto, "DTLS/SCTP") == 0) {
        unsigned long sctp;
        r->in_data = r->out->legacy = true;
        if (!parse_number(fmt, 65535, false, &sctp) || sctp == 0)
            r->fault = RTC_SDP_BAD_SCTP;
        else
            r->out->sctp_port = (uint16_t)sctp;
    } else {
        r->fault = RTC_SDP_NO_DATA_CHANNEL;
    }
}

/* a=sctp-port, a=sctpmap and a=max-message-size. */
static void read_sctp(struct reader *r, const char *name, const char *v)
{
    unsigned long n;
    if (strcmp(name, "sctp-port") == 0) {
        if (!parse_number(v, 65535, false, &n) || n == 0)
            r->fault = RTC_SDP_BAD_SCTP;
        else
            r->out->sctp_port = (uint16_t)n;
    } else if (strcmp(name, "sctpmap") == 0) {
        if (!parse_number(v, 65535, true, &n) || n == 0 || !strstr(v, " webrtc-datachannel"))
            r->fault = RTC_SDP_BAD_SCTP;
        else
            r->out->sctp_port = (uint16_t)n;
    } else if (strcmp(name, "max-message-size") == 0) {
        if (!parse_number(v, UINT32_MAX, false, &n))
            r->fault = RTC_SDP_BAD_SCTP;
        else
            r->out->max_message = (uint32_t)n;
    }
}

/* One a= line: name, and its value after ':' ("" if none). */
static void read_attribute(struct reader *r, char *line)
{
    struct rtc_sdp *out = r->out;
    char *colon = strchr(line, ':');
    const char *v = colon ? colon + 1 : "";
    if (colon)
        *colon = '\0';
    const char *name = line;
    if (r->sections > 0 && !r->in_data)
        return;
    if (strcmp(name, "ice-ufrag") == 0) {
        if (!rtc_sdp_ice_chars(v, 4, RTC_SDP_UFRAG_MAX))
            r->fault = RTC_SDP_BAD_ICE;
        else
            memcpy(out->ufrag, v, strlen(v) + 1);
    } else if (strcmp(name, "ice-pwd") == 0) {
        if (!rtc_sdp_ice_chars(v, 22, RTC_SDP_PWD_MAX))
            r->fault = RTC_SDP_BAD_ICE;
        else
            memcpy(out->pwd, v, strlen(v) + 1);
    } else if (strcmp(name, "fingerprint") == 0) {
        /* the first sha-256 one; a section's own wins over the session's */
        uint8_t fp[RTC_SDP_FINGERPRINT];
        int level = r->sections > 0 ? 2 : 1;
        if (r->fp_level < level && parse_fingerprint(v, fp)) {
            memcpy(out->fingerprint, fp, sizeof fp);
            r->fp_level = level;
        }
    } else if (strcmp(name, "setup") == 0) {
        out->setup = strcmp(v, "actpass") == 0   ? RTC_SDP_ACTPASS
                     : strcmp(v, "active") == 0  ? RTC_SDP_ACTIVE
                     : strcmp(v, "passive") == 0 ? RTC_SDP_PASSIVE
                                                 : RTC_SDP_SETUP_NONE;
    } else if (strcmp(name, "mid") == 0) {
        if (strlen(v) > RTC_SDP_MID_MAX || !v[0] || strchr(v, ' '))
            r->fault = RTC_SDP_NO_DATA_CHANNEL;
        else
            snprintf(out->mid, sizeof out->mid, "%s", v);
    } else if (strcmp(name, "group") == 0 && strncmp(v, "BUNDLE", 6) == 0) {
        snprintf(r->bundle, sizeof r->bundle, "%s ", v + 6);
    } else if (strcmp(name, "ice-lite") == 0) {
        out->ice_lite = true;
    } else if (strcmp(name, "candidate") == 0) {
        parse_candidate(out, v);
    } else {
        read_sctp(r, name, v);
    }
}

/* What the whole description lacks, once read. */
static enum rtc_sdp_fault finish(struct reader *r)
{
    struct rtc_sdp *out = r->out;
    if (r->fault)
        return r->fault;
    if (r->sections == 0)
        return RTC_SDP_NO_DATA_CHANNEL;
    if (!out->ufrag[0] || !out->pwd[0])
        return RTC_SDP_BAD_ICE;
    if (!r->fp_level)
        return RTC_SDP_BAD_FINGERPRINT;
    if (out->mid[0] && r->bundle[0]) {
        char word[RTC_SDP_MID_MAX + 3];
        snprintf(word, sizeof word, " %s ", out->mid);
        out->bundle = strstr(r->bundle, word) != NULL;
    }
    return RTC_SDP_OK;
}

enum rtc_sdp_fault rtc_sdp_parse(const char *text, size_t len, struct rtc_sdp *out)
{
    memset(out, 0, sizeof *out);
    out->sctp_port = RTC_SDP_SCTP_PORT;
    out->max_message = RTC_SDP_MESSAGE_DEFAULT;
    struct reader r = {.out = out};
    if (len > RTC_SDP_TEXT_MAX || memchr(text, '\0', len))
        return RTC_SDP_TOO_LONG;
    size_t at = 0;
    while (at < len && !r.fault) {
        const char *nl = memchr(text + at, '\n', len - at);
        size_t n = (nl ? (size_t)(nl - text) : len) - at;
        char line[LINE_MAX_LEN];
        if (n >= sizeof line)
            return RTC_SDP_TOO_LONG;
        memcpy(line, text + at, n);
        line[n] = '\0';
        if (n && line[n - 1] == '\r')
            line[n - 1] = '\0';
        at += n + 1;
        if (strncmp(line, "m=", 2) == 0)
            read_media(&r, line + 2);
        else if (strncmp(line, "a=", 2) == 0)
            read_attribute(&r, line + 2);
    }
    return finish(&r);
}

enum rtc_sdp_fault rtc_sdp_check_offer(const struct rtc_sdp *offer)
{
    return offer->setup == RTC_SDP_PASSIVE ? RTC_SDP_BAD_SETUP : RTC_SDP_OK;
}

const char *rtc_sdp_fault_text(enum rtc_sdp_fault f)
{
    switch (f) {
    case RTC_SDP_OK: return "ok";
    case RTC_SDP_TOO_LONG: return "description too long or not text";
    case RTC_SDP_NO_DATA_CHANNEL: return "no data channel section";
    case RTC_SDP_OTHER_MEDIA: return "media other than one data channel section";
    case RTC_SDP_BAD_ICE: return "missing or malformed ice-ufrag or ice-pwd";
    case RTC_SDP_BAD_FINGERPRINT: return "missing or malformed sha-256 fingerprint";
    case RTC_SDP_BAD_SETUP: return "setup:passive offered; the relay is passive";
    case RTC_SDP_BAD_SCTP: return "malformed SCTP port or message size";
    }
    return "?";
}

/* The session part, the m= and c= lines and the ICE and DTLS
 * attributes every description of ours has. */
static int write_common(const struct rtc_sdp_local *l, const char *mid, bool bundle, bool lite,
                        bool legacy, const char *setup, char *out, size_t cap)
{
    char host[INET6_ADDRSTRLEN];
    bool v6 = l->address->sa.sa_family == AF_INET6;
    inet_ntop(v6 ? AF_INET6 : AF_INET, v6 ? (const void *)&l->address->v6.sin6_addr
                                           : (const void *)&l->address->v4.sin_addr,
              host, sizeof host);
    const char *ip = v6 ? "IP6" : "IP4";
    char proto[48];
    if (legacy)
        snprintf(proto, sizeof proto, "DTLS/SCTP %u", (unsigned)l->sctp_port);
    else
        snprintf(proto, sizeof proto, "UDP/DTLS/SCTP webrtc-datachannel");
    return snprintf(out, cap,
                    "v=0\r\no=- %llu 1 IN %s %s\r\ns=-\r\nt=0 0\r\n%s%s%s%s"
                    "m=application %u %s\r\nc=IN %s %s\r\n%s%s%s"
                    "a=ice-ufrag:%s\r\na=ice-pwd:%s\r\na=fingerprint:sha-256 %s\r\n"
                    "a=setup:%s\r\n",
                    (unsigned long long)l->session_id, ip, host, bundle ? "a=group:BUNDLE " : "",
                    bundle ? mid : "", bundle ? "\r\n" : "", lite ? "a=ice-lite\r\n" : "",
                    (unsigned)netaddr_port(l->address), proto, ip, host, mid[0] ? "a=mid:" : "",
                    mid, mid[0] ? "\r\n" : "", l->ufrag, l->pwd, l->fingerprint, setup);
}

/* The SCTP lines, and the one host candidate. */
static int write_tail(const struct rtc_sdp_local *l, bool legacy, char *out, size_t cap)
{
    char host[INET6_ADDRSTRLEN];
    bool v6 = l->address->sa.sa_family == AF_INET6;
    inet_ntop(v6 ? AF_INET6 : AF_INET, v6 ? (const void *)&l->address->v6.sin6_addr
                                           : (const void *)&l->address->v4.sin_addr,
              host, sizeof host);
    char sctp[64];
    if (legacy)
        snprintf(sctp, sizeof sctp, "a=sctpmap:%u webrtc-datachannel 65535", (unsigned)l->sctp_port);
    else
        snprintf(sctp, sizeof sctp, "a=sctp-port:%u", (unsigned)l->sctp_port);
    return snprintf(out, cap,
                    "%s\r\na=max-message-size:%lu\r\n"
                    "a=candidate:1 1 udp 2130706431 %s %u typ host\r\na=end-of-candidates\r\n",
                    sctp, (unsigned long)l->max_message, host, (unsigned)netaddr_port(l->address));
}

static int write_whole(const struct rtc_sdp_local *l, const char *mid, bool bundle, bool lite,
                       bool legacy, const char *setup, char *out, size_t cap)
{
    int a = write_common(l, mid, bundle, lite, legacy, setup, out, cap);
    if (a < 0 || (size_t)a >= cap)
        return -1;
    int b = write_tail(l, legacy, out + a, cap - (size_t)a);
    if (b < 0 || (size_t)b >= cap - (size_t)a)
        return -1;
    return a + b;
}

int rtc_sdp_write_answer(const struct rtc_sdp *offer, const struct rtc_sdp_local *local,
                         char *out, size_t cap)
{
    return write_whole(local, offer->mid, offer->bundle && offer->mid[0], true, offer->legacy,
                       "passive", out, cap);
}

int rtc_sdp_write_offer(const struct rtc_sdp_local *local, char *out, size_t cap)
{
    return write_whole(local, "0", true, false, false, "actpass", out, cap);
}
