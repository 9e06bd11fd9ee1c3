/* room_file.h: the rooms a relay keeps in a file (--room-file; PROTOCOL.md,
 * "Rooms kept"): every live room's record (proto/room_record.h) written
 * atomically (PATH.tmp made afresh, never through a link, fsync, rename)
 * after a change, by a thread of its own, at most every 100 ms and no
 * faster than 4 MiB a second, and at a stop; read back at start, where
 * each room is made again, empty, held for its members (--room-hold-s).
 * PATH's folder must be the relay's alone (its owner or root's, written
 * by no one else): checked at start.
 *
 * The file: {"v":1,"rooms":{"NAME":RECORD,...}}, the rooms in name order.
 * The loop hands the writer a copy of each record that changed; the
 * writer encodes only those and writes the file whole. */
#ifndef RICOCHET_ROOM_FILE_H
#define RICOCHET_ROOM_FILE_H

#include <stddef.h>
#include <stdint.h>

struct relay;
struct room_file;

/* Opens path for r (whose rooms are at most max_rooms: what bounds the
 * file): checks its folder, reads it back if it is there (each room made
 * again through relay_room_restore at now_us; a missing file is no
 * rooms), then keeps writing it. Returns 0 with *out set, or -1 with one
 * line in err naming the file and what is wrong with it (a folder others
 * may write, unreadable, not a room file, too long, a room refused); then
 * nothing more is restored. */
int room_file_open(struct room_file **out, const char *path, struct relay *r,
                   uint32_t max_rooms, uint64_t now_us, char *err, size_t err_cap);

/* ricochet-relay's start: room_file_open for --room-file path ("": none,
 * NULL), at the clock's now; a file it cannot read back ends the program
 * (exit 1) with its one line on stderr. */
struct room_file *room_file_start(const char *path, struct relay *r, uint32_t max_rooms);

/* The loop's periodic call: hands the writer what changed since it last
 * did, if the writer has taken that (a copy of each changed room's record:
 * never a stall of the loop's). The writer writes it once 100 ms have
 * passed since it last wrote, and the file's bytes at 4 MiB a second. A
 * failed write is logged (once until one succeeds) and tried again at the
 * next change. */
void room_file_tick(struct room_file *f, const struct relay *r, uint64_t now_us);

/* Writes the file now if anything changed, and waits until it is written
 * (a stop: before the rooms are emptied). Returns 0, or -1 (logged). */
int room_file_save(struct room_file *f, const struct relay *r);

/* room_file_save, then ends the writer and frees f (NULL: nothing). */
void room_file_close(struct room_file *f, const struct relay *r);

#endif
