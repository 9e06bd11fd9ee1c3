/* tls_error.h: OpenSSL's last error as one line of text, for the messages
 * of the edges and connections that speak TLS. */
#ifndef RICOCHET_TLS_ERROR_H
#define RICOCHET_TLS_ERROR_H

#include <stddef.h>

/* OpenSSL's oldest queued error as text in buf (cap bytes), the queue
 * cleared; none when nothing is queued. Returns buf or none. */
const char *tls_error(char *buf, size_t cap, const char *none);

#endif
