/* rtc_cost_clients.h: rtc-cost's clients (bench/costs/rtc_cost_main.c), in the
 * parent process: --peers WebRTC clients (rtc/rtc_peer.h), each on a UDP
 * socket of its own, against the relay side (rtc_cost_relay.h, its control
 * messages): their offers answered, every session open, then --messages
 * messages of --size bytes up from each and as many down to each, the
 * relay side marking its CPU and memory between the phases; the figures,
 * the relay side's alone, printed as a table or one JSON object. */
#ifndef RICOCHET_RTC_COST_CLIENTS_H
#define RICOCHET_RTC_COST_CLIENTS_H

#include <stdbool.h>

struct rtc_cost_options {
    unsigned peers, messages, size;
    bool json;
    double floor; /* the machine's floor, datagrams a second (0: not measured) */
};

/* Runs the clients against the relay side on ctl (its "ready" first),
 * prints the figures on stdout and tells it to quit. Returns 0; a failure
 * exits with one line (options_fail). */
int rtc_cost_clients_side(int ctl, const struct rtc_cost_options *o);

#endif
