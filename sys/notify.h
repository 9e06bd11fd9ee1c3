/* notify.h: telling a service manager (systemd, Type=notify) how the
 * service is doing, the way sd_notify(3) does it: one datagram of
 * "KEY=VALUE" lines to the unix socket named by $NOTIFY_SOCKET. No
 * libsystemd: the protocol is one sendto, and it never blocks. */
#ifndef RICOCHET_NOTIFY_H
#define RICOCHET_NOTIFY_H

#include <stddef.h>

/* Sends state ("READY=1", "STOPPING=1", "STATUS=...") to $NOTIFY_SOCKET
 * (a path, or "@name" for an abstract socket). Returns 1 if sent, 0 when
 * NOTIFY_SOCKET is unset (not run by a service manager), -1 with a
 * one-line message in err. */
int notify_service_manager(const char *state, char *err, size_t err_cap);

#endif
