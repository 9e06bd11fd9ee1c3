/* rtc_sctp.c: data channels on usrsctp (see rtc_sctp.h).
 *
 * One usrsctp socket (one-to-one style) per association, bound and
 * connected to the AF_CONN address that is the association itself: the
 * pointer usrsctp hands back to conn_output is the struct to send for.
 * Both sides connect (as browsers do), and SCTP's INIT collision rules
 * make one association of the two INITs. Messages come through usrsctp's
 * receive callback, whole or, past the partial delivery point, in pieces
 * gathered here up to max_message. */
#include "rtc_sctp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <usrsctp.h>

#include "rtc_dcep.h"

struct slot {
    struct rtc_sctp_channel ch;
    bool used;          /* a channel holds the stream */
    bool open;          /* theirs: opened; ours: acknowledged (messages may go before) */
    bool resetting;     /* our outgoing stream reset asked */
};

struct rtc_sctp {
    struct socket *so;
    struct rtc_sctp_config cfg;
    struct rtc_sctp_ops ops;
    void *ctx;
    enum rtc_sctp_state state;
    bool freeing;            /* inside rtc_sctp_free: only packets go out */
    uint32_t peer_max;       /* the peer's largest message; 0: any */
    unsigned theirs;         /* channels the peer opened */
    struct slot slots[RTC_SCTP_STREAMS];
    uint8_t *partial;        /* a message arriving in pieces */
    size_t partial_len;
    bool partial_drop;       /* it is too long: the rest is dropped */
    struct rtc_sctp_counters own;
    struct rtc_sctp_counters *counters; /* &own, or the caller's */
};

static struct {
    bool started;
    uint64_t last_us;        /* the timers' clock, advanced by whole milliseconds */
    unsigned count;          /* associations alive */
} stack;

static int conn_output(void *addr, void *buffer, size_t len, uint8_t tos, uint8_t set_df)
{
    (void)tos;
    (void)set_df;
    struct rtc_sctp *a = addr;
    if (a && a->ops.send)
        a->ops.send(a->ctx, buffer, len);
    return 0;
}

int rtc_sctp_global_init(uint64_t now_us)
{
    if (stack.started)
        return 0;
    usrsctp_init_nothreads(0, conn_output, NULL);
    usrsctp_sysctl_set_sctp_ecn_enable(0);
    usrsctp_sysctl_set_sctp_pr_enable(1);      /* partial reliability: maxRetransmits */
    usrsctp_sysctl_set_sctp_asconf_enable(0);  /* one path, never reconfigured */
    usrsctp_sysctl_set_sctp_auth_enable(0);    /* DTLS authenticates already */
    usrsctp_sysctl_set_sctp_delayed_sack_time_default(RTC_SCTP_SACK_DELAY_MS);
    usrsctp_sysctl_set_sctp_rto_min_default(200);  /* as TCP's; usrsctp's default is 1 s */
    usrsctp_sysctl_set_sctp_rto_initial_default(1000);
    usrsctp_sysctl_set_sctp_rto_max_default(10000);
    usrsctp_sysctl_set_sctp_init_rto_max_default(10000);
    stack.started = true;
    stack.last_us = now_us;
    return 0;
}

void rtc_sctp_timers(uint64_t now_us)
{
    if (!stack.started || now_us <= stack.last_us)
        return;
    uint64_t ms = (now_us - stack.last_us) / 1000;
    if (ms == 0)
        return;
    stack.last_us += ms * 1000;
    usrsctp_handle_timers((uint32_t)(ms > UINT32_MAX ? UINT32_MAX : ms));
}

uint64_t rtc_sctp_due(void)
{
    return stack.count ? stack.last_us + RTC_SCTP_TICK_US : UINT64_MAX;
}

unsigned rtc_sctp_count(void)
{
    return stack.count;
}

static void set_state(struct rtc_sctp *a, enum rtc_sctp_state s)
{
    if (a->state == s || a->state == RTC_SCTP_CLOSED)
        return;
    a->state = s;
    if (!a->freeing && a->ops.state)
        a->ops.state(a->ctx, s);
}

/* --- sending --- */

static int send_raw(struct rtc_sctp *a, uint16_t sid, uint32_t ppid, const struct slot *s,
                    const uint8_t *data, size_t len)
{
    struct sctp_sendv_spa spa;
    memset(&spa, 0, sizeof spa);
    spa.sendv_flags = SCTP_SEND_SNDINFO_VALID;
    spa.sendv_sndinfo.snd_sid = sid;
    spa.sendv_sndinfo.snd_ppid = htonl(ppid);
    if (s && !s->ch.ordered)
        spa.sendv_sndinfo.snd_flags = SCTP_UNORDERED;
    if (s && !s->ch.reliable) {
        spa.sendv_flags |= SCTP_SEND_PRINFO_VALID;
        spa.sendv_prinfo.pr_policy =
            (s->ch.type & 0x7F) == RTC_DCEP_TIMED ? SCTP_PR_SCTP_TTL : SCTP_PR_SCTP_RTX;
        spa.sendv_prinfo.pr_value = s->ch.reliability;
    }
    if (usrsctp_sendv(a->so, data, len, NULL, 0, &spa, sizeof spa, SCTP_SENDV_SPA, 0) < 0) {
        if (errno == EWOULDBLOCK || errno == EAGAIN)
            a->counters->send_blocked++;
        return -1;
    }
    return 0;
}

static void reset_stream(struct rtc_sctp *a, uint16_t sid)
{
    uint8_t buf[sizeof(struct sctp_reset_streams) + sizeof(uint16_t)];
    struct sctp_reset_streams *srs = (struct sctp_reset_streams *)buf;
    memset(buf, 0, sizeof buf);
    srs->srs_flags = SCTP_STREAM_RESET_OUTGOING;
    srs->srs_number_streams = 1;
    srs->srs_stream_list[0] = sid;
    (void)usrsctp_setsockopt(a->so, IPPROTO_SCTP, SCTP_RESET_STREAMS, srs, sizeof buf);
}

int rtc_sctp_open(struct rtc_sctp *a, uint16_t sid, uint8_t type, uint32_t reliability,
                  const char *label)
{
    if (sid >= RTC_SCTP_STREAMS || a->slots[sid].used || (sid & 1) != a->cfg.dtls_server)
        return -1;
    struct slot *s = &a->slots[sid];
    size_t label_len = strlen(label);
    if (label_len > RTC_SCTP_LABEL_MAX)
        return -1;
    struct rtc_dcep_open o = {.channel_type = type, .reliability = reliability,
                              .label = (const uint8_t *)label, .label_len = (uint16_t)label_len};
    uint8_t msg[RTC_DCEP_OPEN_HEADER + RTC_SCTP_LABEL_MAX];
    size_t n = rtc_dcep_write_open(msg, sizeof msg, &o);
    if (send_raw(a, sid, RTC_DCEP_PPID_CONTROL, NULL, msg, n) < 0)
        return -1;
    *s = (struct slot){.used = true};
    s->ch = (struct rtc_sctp_channel){.sid = sid, .type = type, .reliability = reliability,
                                      .ordered = rtc_dcep_ordered(type),
                                      .reliable = rtc_dcep_reliable(type), .ours = true};
    memcpy(s->ch.label, label, label_len + 1);
    return 0;
}

int rtc_sctp_send(struct rtc_sctp *a, uint16_t sid, bool binary, const uint8_t *data, size_t len)
{
    if (sid >= RTC_SCTP_STREAMS || !a->slots[sid].used || a->slots[sid].resetting ||
        a->state != RTC_SCTP_OPEN || (a->peer_max && len > a->peer_max))
        return -1;
    static const uint8_t empty = 0;
    uint32_t ppid = rtc_dcep_ppid(binary, len);
    return send_raw(a, sid, ppid, &a->slots[sid], len ? data : &empty, len ? len : 1);
}

void rtc_sctp_close_channel(struct rtc_sctp *a, uint16_t sid)
{
    if (sid >= RTC_SCTP_STREAMS || !a->slots[sid].used || a->slots[sid].resetting)
        return;
    a->slots[sid].resetting = true;
    reset_stream(a, sid);
}

/* --- receiving --- */

/* DATA_CHANNEL_OPEN or _ACK on stream sid. */
static void on_dcep(struct rtc_sctp *a, uint16_t sid, const uint8_t *p, size_t n)
{
    struct slot *s = &a->slots[sid];
    if (rtc_dcep_is_ack(p, n)) {
        if (!s->used || !s->ch.ours || s->open) {
            a->counters->bad_dcep++;
            return;
        }
        s->open = true;
        if (a->ops.channel)
            a->ops.channel(a->ctx, &s->ch);
        return;
    }
    struct rtc_dcep_open o;
    /* Any free stream: RFC 8832 gives the DTLS client even ids, but
     * python3-aiortc 1.4 picks by ICE role (odd as the DTLS client). */
    if (rtc_dcep_read_open(p, n, &o) < 0 || s->used) {
        a->counters->bad_dcep++;
        return;
    }
    if (a->theirs >= a->cfg.channels_max) {
        a->counters->channels_refused++;
        reset_stream(a, sid); /* the peer sees its channel closed */
        return;
    }
    static const uint8_t ack = RTC_DCEP_ACK;
    if (send_raw(a, sid, RTC_DCEP_PPID_CONTROL, NULL, &ack, 1) < 0)
        return;
    a->theirs++;
    *s = (struct slot){.used = true, .open = true};
    size_t label_len = o.label_len > RTC_SCTP_LABEL_MAX ? RTC_SCTP_LABEL_MAX : o.label_len;
    s->ch = (struct rtc_sctp_channel){.sid = sid, .type = o.channel_type,
                                      .reliability = o.reliability,
                                      .ordered = rtc_dcep_ordered(o.channel_type),
                                      .reliable = rtc_dcep_reliable(o.channel_type)};
    memcpy(s->ch.label, o.label, label_len);
    if (a->ops.channel)
        a->ops.channel(a->ctx, &s->ch);
}

/* A whole message on stream sid. */
static void on_message(struct rtc_sctp *a, uint16_t sid, uint32_t ppid, const uint8_t *p,
                       size_t n)
{
    bool binary = false, empty = false;
    int kind = rtc_dcep_ppid_kind(ppid, &binary, &empty);
    if (sid >= RTC_SCTP_STREAMS || kind < 0) {
        a->counters->stray++;
        return;
    }
    if (kind == 0) {
        on_dcep(a, sid, p, n);
        return;
    }
    if (!a->slots[sid].used) {
        a->counters->stray++;
        return;
    }
    if (a->ops.message)
        a->ops.message(a->ctx, sid, binary, p, empty ? 0 : n);
}

/* A piece of a message; eor: its last. */
static void on_data(struct rtc_sctp *a, uint16_t sid, uint32_t ppid, const uint8_t *p, size_t n,
                    bool eor)
{
    if (eor && !a->partial_len && !a->partial_drop) {
        if (n > a->cfg.max_message)
            a->counters->oversize++;
        else
            on_message(a, sid, ppid, p, n);
        return;
    }
    if (!a->partial_drop && a->partial_len + n > a->cfg.max_message) {
        a->partial_drop = true;
        a->counters->oversize++;
    }
    if (!a->partial_drop) {
        if (!a->partial && !(a->partial = malloc(a->cfg.max_message ? a->cfg.max_message : 1))) {
            a->partial_drop = true;
        } else {
            memcpy(a->partial + a->partial_len, p, n);
            a->partial_len += n;
        }
    }
    if (!eor)
        return;
    if (!a->partial_drop)
        on_message(a, sid, ppid, a->partial, a->partial_len);
    free(a->partial);
    a->partial = NULL;
    a->partial_len = 0;
    a->partial_drop = false;
}

static void on_stream_reset(struct rtc_sctp *a, const struct sctp_stream_reset_event *e,
                            size_t len)
{
    if (len < sizeof *e || (e->strreset_flags & (SCTP_STREAM_RESET_DENIED |
                                                 SCTP_STREAM_RESET_FAILED)))
        return;
    size_t n = (len - sizeof *e) / sizeof(uint16_t);
    for (size_t i = 0; i < n; i++) {
        uint16_t sid = e->strreset_stream_list[i];
        if (sid >= RTC_SCTP_STREAMS || !a->slots[sid].used)
            continue;
        struct slot *s = &a->slots[sid];
        if (e->strreset_flags & SCTP_STREAM_RESET_INCOMING_SSN) {
            /* the peer closed its side: close ours, and the channel is gone */
            if (!s->resetting) {
                s->resetting = true;
                reset_stream(a, sid);
            }
            if (!s->ch.ours && a->theirs)
                a->theirs--;
            *s = (struct slot){0};
            if (a->ops.closed && !a->freeing)
                a->ops.closed(a->ctx, sid);
        }
    }
}

static void on_notification(struct rtc_sctp *a, const union sctp_notification *n, size_t len)
{
    if (len < sizeof n->sn_header)
        return;
    if (n->sn_header.sn_type == SCTP_ASSOC_CHANGE && len >= sizeof n->sn_assoc_change) {
        uint16_t st = n->sn_assoc_change.sac_state;
        if (st == SCTP_COMM_UP)
            set_state(a, RTC_SCTP_OPEN);
        else if (st == SCTP_COMM_LOST || st == SCTP_SHUTDOWN_COMP || st == SCTP_CANT_STR_ASSOC)
            set_state(a, RTC_SCTP_CLOSED);
    } else if (n->sn_header.sn_type == SCTP_STREAM_RESET_EVENT) {
        on_stream_reset(a, &n->sn_strreset_event, len);
    }
}

static int on_receive(struct socket *so, union sctp_sockstore addr, void *data, size_t len,
                      struct sctp_rcvinfo rcv, int flags, void *ulp_info)
{
    (void)so;
    (void)addr;
    struct rtc_sctp *a = ulp_info;
    if (!data) { /* the association is down */
        set_state(a, RTC_SCTP_CLOSED);
        return 1;
    }
    if (!a->freeing) {
        if (flags & MSG_NOTIFICATION)
            on_notification(a, data, len);
        else
            on_data(a, rcv.rcv_sid, ntohl(rcv.rcv_ppid), data, len, (flags & MSG_EOR) != 0);
    }
    free(data);
    return 1;
}

/* --- the association --- */

/* Socket options: no Nagle, abort on close, stream resets, the events
 * read, the MTU, the streams, delayed SACK and the buffers. */
static int configure(struct rtc_sctp *a)
{
    struct socket *so = a->so;
    int on = 1;
    struct linger lin = {.l_onoff = 1, .l_linger = 0};
    struct sctp_assoc_value reset = {.assoc_id = SCTP_FUTURE_ASSOC,
                                     .assoc_value = SCTP_ENABLE_RESET_STREAM_REQ};
    struct sctp_paddrparams pp;
    memset(&pp, 0, sizeof pp);
    pp.spp_assoc_id = SCTP_FUTURE_ASSOC;
    /* No heartbeats: ICE's consent checks say whether the peer is there
     * (and its silence ends a session), and each heartbeat timer is one more
     * entry usrsctp walks on every tick, for every association. */
    pp.spp_flags = SPP_PMTUD_DISABLE | SPP_HB_DISABLE;
    pp.spp_pathmtu = RTC_SCTP_MTU - 12; /* usrsctp adds the common header for AF_CONN */
    struct sctp_initmsg init = {.sinit_num_ostreams = RTC_SCTP_STREAMS,
                                .sinit_max_instreams = RTC_SCTP_STREAMS};
    struct sctp_sack_info sack = {.sack_assoc_id = SCTP_FUTURE_ASSOC,
                                  .sack_delay = RTC_SCTP_SACK_DELAY_MS,
                                  .sack_freq = RTC_SCTP_SACK_FREQ};
    int buffer = (int)a->cfg.buffer;
    if (usrsctp_set_non_blocking(so, 1) < 0 ||
        usrsctp_setsockopt(so, SOL_SOCKET, SO_LINGER, &lin, sizeof lin) < 0 ||
        usrsctp_setsockopt(so, IPPROTO_SCTP, SCTP_NODELAY, &on, sizeof on) < 0 ||
        usrsctp_setsockopt(so, IPPROTO_SCTP, SCTP_ENABLE_STREAM_RESET, &reset, sizeof reset) < 0 ||
        usrsctp_setsockopt(so, IPPROTO_SCTP, SCTP_RECVRCVINFO, &on, sizeof on) < 0 ||
        usrsctp_setsockopt(so, IPPROTO_SCTP, SCTP_PEER_ADDR_PARAMS, &pp, sizeof pp) < 0 ||
        usrsctp_setsockopt(so, IPPROTO_SCTP, SCTP_INITMSG, &init, sizeof init) < 0 ||
        usrsctp_setsockopt(so, IPPROTO_SCTP, SCTP_DELAYED_SACK, &sack, sizeof sack) < 0 ||
        usrsctp_setsockopt(so, SOL_SOCKET, SO_SNDBUF, &buffer, sizeof buffer) < 0 ||
        usrsctp_setsockopt(so, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof buffer) < 0)
        return -1;
    const uint16_t events[] = {SCTP_ASSOC_CHANGE, SCTP_STREAM_RESET_EVENT};
    for (size_t i = 0; i < sizeof events / sizeof events[0]; i++) {
        struct sctp_event ev = {.se_assoc_id = SCTP_FUTURE_ASSOC, .se_type = events[i], .se_on = 1};
        if (usrsctp_setsockopt(so, IPPROTO_SCTP, SCTP_EVENT, &ev, sizeof ev) < 0)
            return -1;
    }
    return 0;
}

struct rtc_sctp *rtc_sctp_new(const struct rtc_sctp_config *cfg, const struct rtc_sctp_ops *ops,
                              void *ctx)
{
    if (!stack.started)
        return NULL;
    struct rtc_sctp *a = calloc(1, sizeof *a);
    if (!a)
        return NULL;
    a->cfg = *cfg;
    if (a->cfg.channels_max > RTC_SCTP_STREAMS)
        a->cfg.channels_max = RTC_SCTP_STREAMS;
    a->ops = *ops;
    a->ctx = ctx;
    a->counters = cfg->counters ? cfg->counters : &a->own;
    usrsctp_register_address(a);
    stack.count++;
    a->so = usrsctp_socket(AF_CONN, SOCK_STREAM, IPPROTO_SCTP, on_receive, NULL, 0, a);
    struct sockaddr_conn local = {.sconn_family = AF_CONN, .sconn_port = htons(cfg->local_port),
                                  .sconn_addr = a};
    struct sockaddr_conn remote = local;
    remote.sconn_port = htons(cfg->remote_port);
    if (!a->so || configure(a) < 0 ||
        usrsctp_bind(a->so, (struct sockaddr *)&local, sizeof local) < 0 ||
        (usrsctp_connect(a->so, (struct sockaddr *)&remote, sizeof remote) < 0 &&
         errno != EINPROGRESS)) {
        a->ops.send = NULL;
        rtc_sctp_free(a);
        return NULL;
    }
    return a;
}

void rtc_sctp_input(struct rtc_sctp *a, const uint8_t *packet, size_t len)
{
    usrsctp_conninput(a, packet, len, 0);
}

void rtc_sctp_set_peer_max(struct rtc_sctp *a, uint32_t max_message)
{
    a->peer_max = max_message;
}

unsigned rtc_sctp_unsent(const struct rtc_sctp *a)
{
    struct sctp_status st;
    socklen_t len = sizeof st;
    memset(&st, 0, sizeof st);
    if (a->state != RTC_SCTP_OPEN ||
        usrsctp_getsockopt(a->so, IPPROTO_SCTP, SCTP_STATUS, &st, &len) < 0)
        return 0;
    return (unsigned)st.sstat_unackdata + st.sstat_penddata;
}

enum rtc_sctp_state rtc_sctp_state(const struct rtc_sctp *a)
{
    return a->state;
}

const struct rtc_sctp_channel *rtc_sctp_channel(const struct rtc_sctp *a, uint16_t sid)
{
    return sid < RTC_SCTP_STREAMS && a->slots[sid].used ? &a->slots[sid].ch : NULL;
}

const struct rtc_sctp_counters *rtc_sctp_counters(const struct rtc_sctp *a)
{
    return a->counters;
}

void rtc_sctp_free(struct rtc_sctp *a)
{
    if (!a)
        return;
    a->freeing = true;
    if (a->so)
        usrsctp_close(a->so); /* SO_LINGER 0: an ABORT, and no timer left behind */
    usrsctp_deregister_address(a);
    stack.count--;
    free(a->partial);
    free(a);
}
