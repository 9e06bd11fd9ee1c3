/* rtc_cost_relay.h: rtc-cost's relay side (bench/costs/rtc_cost_main.c): the
 * child process that holds the relay's webrtc modules (an rtc_host on one
 * UDP socket of 127.0.0.1) and measures itself, told what to do over a
 * control socket (SOCK_SEQPACKET) by the clients' side
 * (rtc_cost_clients.h). Its messages, one a packet:
 *   it says "ready" once its host is up;
 *   "offer SDP"  -> "answer SDP", or "refused WHY";
 *   "mark"       -> "CPU_US HEAP RSS IN SENT FAILED": its CPU so far (µs),
 *                   the C library's heap in use and VmRSS (bytes), the
 *                   messages it got, sent down, and could not send;
 *   "down M"     -> "done": M messages to every session's unordered
 *                   channel, a round at a time;
 *   anything else (or the socket's end) ends it. */
#ifndef RICOCHET_RTC_COST_RELAY_H
#define RICOCHET_RTC_COST_RELAY_H

#define RTC_COST_PROG "rtc-cost"
#define RTC_COST_CTL_MAX 4096   /* bytes of a control message (an SDP) */
#define RTC_COST_PEERS_MAX 500  /* sessions at most (--peers) */

/* Runs the relay side on ctl, sending messages of size bytes down, until
 * told to stop. Returns the process's exit code (0, or 1 if its socket or
 * host could not be made). */
int rtc_cost_relay_side(int ctl, unsigned size);

#endif
