/* rtc_sdp.h: the SDP of a WebRTC data channel (RFC 8866, 8839, 8841,
 * 8842), as much as an ICE-lite answerer needs: a browser's offer read
 * (ICE credentials, certificate fingerprint, DTLS role, SCTP port, the
 * largest message it takes) and the answer written (ICE-lite, one host
 * candidate, the relay's fingerprint, setup:passive). Both the current
 * form (m=application ... UDP/DTLS/SCTP webrtc-datachannel, a=sctp-port)
 * and the older one (DTLS/SCTP 5000, a=sctpmap) that python3-aiortc 1.4
 * still offers are read, and the answer keeps the offer's. The same
 * reader takes an answer, and an offer can be written, for a client.
 * Pure: no I/O. */
#ifndef RICOCHET_RTC_SDP_H
#define RICOCHET_RTC_SDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sys/netaddr.h"

#define RTC_SDP_TEXT_MAX 16384    /* bytes of SDP read at most */
#define RTC_SDP_UFRAG_MAX 256     /* RFC 8839: ice-ufrag 4 to 256 ice-chars */
#define RTC_SDP_PWD_MAX 256       /* ice-pwd 22 to 256 */
#define RTC_SDP_MID_MAX 32
#define RTC_SDP_FINGERPRINT 32    /* SHA-256 */
#define RTC_SDP_SCTP_PORT 5000    /* RFC 8841's default */
#define RTC_SDP_MESSAGE_DEFAULT 65536 /* a=max-message-size absent (RFC 8841 section 6) */
#define RTC_SDP_ANSWER_MAX 1024   /* the longest answer rtc_sdp_write_answer writes */

enum rtc_sdp_setup { RTC_SDP_SETUP_NONE = 0, RTC_SDP_ACTPASS, RTC_SDP_ACTIVE, RTC_SDP_PASSIVE };

enum rtc_sdp_fault {
    RTC_SDP_OK = 0,
    RTC_SDP_TOO_LONG,        /* over RTC_SDP_TEXT_MAX, or a line with a NUL */
    RTC_SDP_NO_DATA_CHANNEL, /* no m=application section for data channels, or a port of 0 */
    RTC_SDP_OTHER_MEDIA,     /* audio, video or a second section: the relay carries data only */
    RTC_SDP_BAD_ICE,         /* ice-ufrag or ice-pwd missing or not ice-chars of the right length */
    RTC_SDP_BAD_FINGERPRINT, /* no well-formed a=fingerprint:sha-256 */
    RTC_SDP_BAD_SETUP,       /* an offer asking the answerer to be the DTLS client */
    RTC_SDP_BAD_SCTP,        /* an SCTP port or message size that does not read */
};

/* What one side's description says. */
struct rtc_sdp {
    char ufrag[RTC_SDP_UFRAG_MAX + 1];
    char pwd[RTC_SDP_PWD_MAX + 1];
    uint8_t fingerprint[RTC_SDP_FINGERPRINT];
    enum rtc_sdp_setup setup;
    char mid[RTC_SDP_MID_MAX + 1];  /* "" if none */
    bool bundle;                    /* a=group:BUNDLE names the section */
    bool legacy;                    /* DTLS/SCTP with a=sctpmap */
    bool ice_lite;
    uint16_t sctp_port;
    uint32_t max_message;           /* bytes; 0: any size */
    bool has_candidate;
    union netaddr candidate;        /* the first UDP host candidate with an address */
};

/* Reads the description text[0..len) into out (an offer or an answer;
 * setup:passive is refused only by rtc_sdp_check_offer). Returns
 * RTC_SDP_OK or the first fault. */
enum rtc_sdp_fault rtc_sdp_parse(const char *text, size_t len, struct rtc_sdp *out);

/* Whether a parsed offer can be answered by a passive DTLS endpoint:
 * RTC_SDP_OK or RTC_SDP_BAD_SETUP. */
enum rtc_sdp_fault rtc_sdp_check_offer(const struct rtc_sdp *offer);

/* A fault as a few words ("no data channel section"). */
const char *rtc_sdp_fault_text(enum rtc_sdp_fault f);

/* What this side writes about itself. */
struct rtc_sdp_local {
    const char *ufrag, *pwd;        /* ice-chars, 4..256 and 22..256 */
    const char *fingerprint;        /* "AB:CD:..." (SHA-256) */
    const union netaddr *address;   /* the host candidate */
    uint16_t sctp_port;
    uint32_t max_message;
    uint64_t session_id;            /* o= line; under 2^63 */
};

/* The ICE-lite answer to offer, setup:passive, into out (NUL-terminated).
 * Returns its length, or -1 if cap is too small. */
int rtc_sdp_write_answer(const struct rtc_sdp *offer, const struct rtc_sdp_local *local,
                         char *out, size_t cap);

/* A full-ICE offer (setup:actpass, the current form, mid "0", bundled),
 * for a client. Returns its length, or -1 if cap is too small. */
int rtc_sdp_write_offer(const struct rtc_sdp_local *local, char *out, size_t cap);

/* Whether s is 1..max of RFC 8839's ice-chars (ALPHA / DIGIT / "+" / "/"). */
bool rtc_sdp_ice_chars(const char *s, size_t min, size_t max);

#endif
