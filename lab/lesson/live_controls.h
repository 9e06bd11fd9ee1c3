/* live_controls.h: the lesson page's controls and netsim's model, each into
 * the other. The page speaks of the path end to end (loss, delay and jitter
 * over both hops, bursts by their mean length, a rate in kbit/s or as a
 * share of what the lanes send); netsim of each hop on its own
 * (netsim_options.h's model options). Pure: no I/O, no state. */
#ifndef RICOCHET_LIVE_CONTROLS_H
#define RICOCHET_LIVE_CONTROLS_H

#include <stddef.h>

/* A PUT /model's body, the page's controls (a JSON object: the path's
 * loss, delay and jitter, burst-length, any of netsim's model options as
 * they are; up-rate-share and down-rate-share, a rate as a share of
 * offered_kbps, what the lanes send each way, NULL or 0: not measured
 * yet), as the model options every netsim is sent: a JSON object into
 * *out (malloc'ed, the caller frees; NULL on failure). Returns 0, -1 for
 * controls refused (the one-line reason in err: the answer's 400), or -2
 * when out of memory. Pure: the fuzz target's way in. */
int live_controls_to_model(const char *body, const double offered_kbps[2], char **out,
                           char *err, size_t err_cap);

/* netsim's model (its answer to GET or PUT /model: {"up": {...}, "down":
 * {...}}) as the page's controls that make it, the model in force: the
 * path's loss, delay and jitter end to end (both hops), burst-length (its
 * Gilbert-Elliott chain's mean burst), reorder, up- and down-rate-kbps,
 * queue-limit; a JSON object into out. Returns 0, or -1 (not such a
 * model, or cap too small). Pure. */
int live_controls_in_force(const char *model, char *out, size_t cap);

/* A model change as netsim's drop log writes it ("up loss=1.00505
 * delay=20; down loss=1.00505 delay=20": each direction's settings that
 * differ from its defaults) as the page's controls that make it, as
 * live_controls_in_force says them: the strips' marker of the change, in
 * the words and numbers of the page's buttons. Returns 0, or -1. Pure. */
int live_controls_of_change(const char *change, char *out, size_t cap);

#endif
