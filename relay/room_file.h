/* room_file.h: the rooms a relay keeps in a file (--room-file; PROTOCOL.md,
 * "Rooms kept"): every live room's record (proto/room_record.h) written
 * atomically (PATH.tmp, fsync, rename) at most every 100 ms after a change
 * and at a stop, read back at start, where each room is made again, empty,
 * held for its members (--room-hold-s).
 *
 * The file: {"v":1,"rooms":{"NAME":RECORD,...}}, the rooms in name order.
 * Only a room whose record changed is encoded again; the file is written
 * whole. Runs on the loop's thread. */
#ifndef RICOCHET_ROOM_FILE_H
#define RICOCHET_ROOM_FILE_H

#include <stddef.h>
#include <stdint.h>

struct relay;
struct room_file;

/* Opens path for r (whose rooms are at most max_rooms: what bounds the
 * file): reads it back if it is there (each room made again through
 * relay_room_restore at now_us; a missing file is no rooms), then keeps
 * writing it. Returns 0 with *out set, or -1 with one line in err
 * naming the file and what is wrong with it (unreadable, not a room file,
 * too long, a room refused); then nothing is restored. */
int room_file_open(struct room_file **out, const char *path, struct relay *r,
                   uint32_t max_rooms, uint64_t now_us, char *err, size_t err_cap);

/* ricochet-relay's start: room_file_open for --room-file path ("": none,
 * NULL), at the clock's now; a file it cannot read back ends the program
 * (exit 1) with its one line on stderr. */
struct room_file *room_file_start(const char *path, struct relay *r, uint32_t max_rooms);

/* The loop's periodic call: writes the file if a room's record changed
 * since it last did and at least 100 ms have passed. A failed write is
 * logged (once until one succeeds) and tried again at the next change. */
void room_file_tick(struct room_file *f, const struct relay *r, uint64_t now_us);

/* Writes the file now if anything changed (a stop: before the rooms are
 * emptied). Returns 0, or -1 (logged). */
int room_file_save(struct room_file *f, const struct relay *r);

/* room_file_save, then frees f (NULL: nothing). */
void room_file_close(struct room_file *f, const struct relay *r);

#endif
