/* bot_report.h: ricochet-bot's summary: who saw whom, delivery, loss,
 * duplicates, reordering, latency and jitter, per bot and per mode, as a
 * table or (--json) one JSON object; one error line for lost bots. */
#ifndef RICOCHET_BOT_REPORT_H
#define RICOCHET_BOT_REPORT_H

#include "bot_run.h"

/* Prints the summary (human or --json) and one error line if bots lost
 * their connection. Returns the exit status: 0, or 1 if any did. */
int bot_report(struct bot_run *sw);

#endif
