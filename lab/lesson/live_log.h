/* live_log.h: netsim's drop log and stats lines, read as they grow
 * (live_log.c). */
#ifndef RICOCHET_LIVE_LOG_H
#define RICOCHET_LIVE_LOG_H

#include <stdint.h>

struct live;

/* Reads what each netsim wrote since the last call: its drop log's lines
 * into the lanes' marks, segments and the model changes, its stats lines
 * into lv->net. */
void live_log_read(struct live *lv, uint64_t now_us);

#endif
