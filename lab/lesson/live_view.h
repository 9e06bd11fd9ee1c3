/* live_view.h: the students' view's answers (live_view.c): live.json made
 * by the loop for every viewer at once, a frame at a time, and each
 * viewer's answer put together from the frames it has not had yet. */
#ifndef RICOCHET_LIVE_VIEW_H
#define RICOCHET_LIVE_VIEW_H

#include <stddef.h>
#include <stdint.h>

struct live_snapshot;
struct live_view;

struct live_view *live_view_new(void);

/* A frame of s (model: the model's JSON text): every lane's and program's
 * parts, whole and brief, and the states changed since the last frame.
 * The loop's to call. */
void live_view_take(struct live_view *v, const struct live_snapshot *s, const char *model);

/* When the last frame was made (its snapshot's clock; 0: none). */
uint64_t live_view_made(struct live_view *v);

/* A viewer's live.json into *text (malloc'ed, *len bytes): the newest
 * frame's figures; the lanes and programs listed in shown (comma-separated
 * names; NULL: every one) and the viewer's own program (from address you)
 * whole, with the states of the frames after since (every frame kept for
 * those in fresh, and for all if since is older than the frames kept),
 * the others brief. Returns 0, 1 with no frame yet, or -1 out of memory. */
int live_view_answer(struct live_view *v, uint64_t since, const char *shown, const char *fresh,
                     const char *you, char **text, size_t *len);

void live_view_free(struct live_view *v);

#endif
