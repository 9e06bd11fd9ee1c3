/* triple.h: a triple buffer. One writer thread publishes fixed-size
 * snapshots, one reader thread reads the newest; neither ever waits on the
 * other (no lock: one atomic exchange per publish and per fresh read).
 *
 * Three slots: the writer fills its back slot and publishes it, the reader
 * holds its front slot, the third (middle) is the newest published one
 * not yet taken. Publishing swaps back and middle; reading a fresh
 * snapshot swaps front and middle. A slot the reader holds is never
 * written. Exactly one thread may call the writer's functions and one the
 * reader's. */
#ifndef RICOCHET_TRIPLE_H
#define RICOCHET_TRIPLE_H

#include <stddef.h>

struct triple;

/* Three zeroed slots of size bytes each. NULL when out of memory. */
struct triple *triple_create(size_t size);
void triple_destroy(struct triple *tb); /* NULL is fine */

/* Writer: the slot to fill next. Its old contents are a snapshot two or
 * more publishes back (or zeros): fill every field. */
void *triple_back(struct triple *tb);

/* Writer: makes the back slot the newest snapshot; triple_back then gives
 * another slot. Never waits. */
void triple_publish(struct triple *tb);

/* Reader: the newest published snapshot, or NULL before the first publish.
 * It stays valid and unchanged until the reader's next call. */
const void *triple_front(struct triple *tb);

#endif
