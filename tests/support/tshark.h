/* tshark.h: what the Wireshark dissector's tests share: tshark run with
 * proto/wireshark/ricochet.lua on a capture, in a scratch folder of its own
 * (its HOME and configuration: no personal plugin or preference counts),
 * and datagrams written into captures for it. Failures fail the test
 * (cmocka). */
#ifndef RICOCHET_TEST_TSHARK_H
#define RICOCHET_TEST_TSHARK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lab/netsim/capture.h"

#define TSHARK_LUA "proto/wireshark/ricochet.lua"

/* A display filter for what the dissector warns of (its expert infos: a
 * message the relay would refuse), a Lua error anywhere, and a ricochet
 * message malformed; not the warnings of other protocols (TCP's analysis of
 * a segment netsim dropped, DTLS's of a retransmitted hello). */
#define TSHARK_RICOCHET_WARNED                                                                \
    "(_ws.malformed && ricochet) || _ws.lua.error || ricochet.short || ricochet.bad_version || " \
    "ricochet.unknown_type || ricochet.too_long || ricochet.bad_value || "                    \
    "ricochet.wrong_channel || ricochet.empty || ricochet.bad_batch || ricochet.bad_json || " \
    "ricochet.unknown_control || ricochet.bad_ticket"

struct CMUnitTest;
struct tshark_list;

/* Runs a test binary's n tests with the scratch folder made before them
 * and removed after, or, if tshark is not installed, none: a line naming
 * the binary (name) says it was skipped and 0 is returned. The group fails
 * to start if Wireshark's global plugin folder holds a dissector other than
 * the tree's, which would shadow it. */
int tshark_run_tests(const char *name, const struct CMUnitTest *tests, size_t n);
#define TSHARK_RUN_TESTS(name, tests) \
    tshark_run_tests(name, tests, sizeof(tests) / sizeof((tests)[0]))

/* The scratch folder (tshark's HOME; the tests' captures go there too). */
const char *tshark_dir(void);

/* The ports of the machine's ephemeral range (clients' ports) that this
 * Wireshark gives another protocol by number, a line each ("udp 34962
 * pn_rt"): Wireshark tries the lower of a datagram's two ports first, so a
 * client on one would read as that protocol's. */
void tshark_taken_ports(struct tshark_list *out);

/* Runs tshark with the dissector on pcap (the rest of its command line in
 * opts), the protocols of tshark_taken_ports turned off, and returns its
 * standard output (the caller frees). Anything on
 * its standard error but the warning about running as root, or an exit
 * status but 0, fails the test. */
char *tshark_run(const char *pcap, const char *opts);

/* Splits line at each sep into at most max fields (in place); returns how
 * many. */
size_t tshark_split(char *line, char **f, size_t max, char sep);

/* A growing list of lines (what tshark found, what a ledger expected), to
 * compare as multisets. Allocation failures fail the test. */
struct tshark_list {
    char **v;
    size_t n, cap;
};
void tshark_list_add(struct tshark_list *l, const char *s); /* a copy of s */
void tshark_list_free(struct tshark_list *l);
void tshark_list_sort(struct tshark_list *l); /* by strcmp */

/* Sorts a and b and fails, naming the first difference, unless they hold
 * the same lines. */
void tshark_lists_equal(struct tshark_list *a, struct tshark_list *b, const char *what);

struct spawn_proc;

/* Starts dumpcap on loopback for UDP port into pcap (stop it with SIGINT);
 * false, with one line, if it cannot capture here. */
bool tshark_capture(struct spawn_proc *p, uint16_t port, const char *pcap);

/* Writes one datagram of n bytes from src to dst (ip:port) into c. */
void tshark_put(struct capture *c, const char *src, const char *dst, const uint8_t *d, size_t n);

#endif
