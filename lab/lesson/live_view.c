/* live_view.c: the students' view's answers (see live_view.h). Thirty
 * laptops polling each second would cost the loop thirty live.json a
 * second, and each of them the whole of every lane. Instead the loop writes
 * a frame every VIEW_EVERY_US (live_http_view_take: while a viewer asks):
 * live.json's head, each lane and program whole and brief, and the states
 * that changed since the frame before. A viewer's answer is put together
 * from the frames it has not had (by the cursor of its last answer): the
 * lanes it shows and its own program whole, with their states, the others
 * by name and state only. A viewer costs copies of those bytes. */
#include "live_view.h"
#include "live_guests.h"
#include "live_json.h"
#include "live_snapshot.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VIEW_FRAMES 8           /* frames kept: 4 s at one every 500 ms */
#define VIEW_SINCE_US 2500000u  /* the first frame's states: those changed this long back */
#define PARTS (BENCH_MODES + LIVE_GUESTS)

/* A lane's or a program's part of a frame: live.json's item open, whole
 * and brief, and its states that changed in the frame, comma-separated. */
struct view_part {
    char name[64];              /* the lane's name, or the program's ("udp IP:PORT") */
    char host[48];              /* a program's address (a lane's: "") */
    char *whole, *brief, *marks;
    size_t whole_n, brief_n, marks_n;
};

struct view_frame {
    uint64_t since, cursor;     /* its states changed in (since, cursor], the loop's clock */
    uint64_t instance, generation; /* the lanes' start it is of */
    char *head, *door;          /* live.json's head, and its "door" */
    size_t head_n, door_n;
    size_t n_lanes, n_parts;    /* the lanes' parts first, then the programs' */
    struct view_part parts[PARTS];
};

struct live_view {
    pthread_mutex_t lock;       /* over the ring (the loop writes, the view's thread reads) */
    struct view_frame *ring[VIEW_FRAMES];
    size_t at, n;               /* the next slot; frames kept */
};

struct live_view *live_view_new(void)
{
    struct live_view *v = calloc(1, sizeof *v);
    if (v)
        pthread_mutex_init(&v->lock, NULL);
    return v;
}

static void frame_free(struct view_frame *fr)
{
    if (!fr)
        return;
    free(fr->head);
    free(fr->door);
    for (size_t k = 0; k < fr->n_parts; k++) {
        free(fr->parts[k].whole);
        free(fr->parts[k].brief);
        free(fr->parts[k].marks);
    }
    free(fr);
}

/* A text written to f (open_memstream's) closed; false if there was none. */
static bool closed(FILE *f)
{
    return f && fclose(f) == 0;
}

static bool lane_part(struct view_part *p, const struct live_lane_snap *l, uint64_t t0,
                      uint64_t since)
{
    FILE *w = open_memstream(&p->whole, &p->whole_n), *b = open_memstream(&p->brief, &p->brief_n);
    FILE *m = open_memstream(&p->marks, &p->marks_n);
    snprintf(p->name, sizeof p->name, "%s", bench_lane(l->lane)->name);
    if (w && b && m) {
        live_json_lane(w, l, true);
        live_json_lane(b, l, false);
        live_json_marks(m, l, t0, since);
    }
    bool whole = closed(w), brief = closed(b), marks = closed(m); /* all three, always */
    return whole && brief && marks;
}

static bool guest_part(struct view_part *p, const struct live_guest_snap *g, uint64_t t0,
                       uint64_t since)
{
    FILE *w = open_memstream(&p->whole, &p->whole_n), *b = open_memstream(&p->brief, &p->brief_n);
    FILE *m = open_memstream(&p->marks, &p->marks_n);
    live_guest_name(g, p->name, sizeof p->name);
    const char *host = g->endpoint + (g->endpoint[0] == '['); /* IPv6: "[::1]:80" */
    snprintf(p->host, sizeof p->host, "%.*s", (int)strcspn(host, g->endpoint[0] == '[' ? "]" : ":"),
             host);
    if (w && b && m) {
        live_guest_json(w, g, true);
        live_guest_json(b, g, false);
        live_guest_marks(m, g, t0, since);
    }
    bool whole = closed(w), brief = closed(b), marks = closed(m); /* all three, always */
    return whole && brief && marks;
}

static bool frame_make(struct view_frame *fr, const struct live_snapshot *s, const char *model)
{
    FILE *h = open_memstream(&fr->head, &fr->head_n), *d = open_memstream(&fr->door, &fr->door_n);
    if (h && d) {
        live_json_head(h, s, model);
        live_door_head_json(d, s);
    }
    bool head = closed(h), door = closed(d); /* both, always */
    if (!head || !door)
        return false;
    for (size_t k = 0; k < s->n_lanes; k++)
        if (!lane_part(&fr->parts[fr->n_parts++], &s->lanes[k], s->t0_us, fr->since))
            return false;
    fr->n_lanes = fr->n_parts;
    for (size_t k = 0; k < s->n_guests; k++)
        if (!guest_part(&fr->parts[fr->n_parts++], &s->guests[k], s->t0_us, fr->since))
            return false;
    return true;
}

/* The i'th frame kept, oldest first. The lock held. */
static struct view_frame *kept(struct live_view *v, size_t i)
{
    return v->ring[(v->at + VIEW_FRAMES - v->n + i) % VIEW_FRAMES];
}

/* The newest frame, or NULL. The lock held. */
static struct view_frame *newest(struct live_view *v)
{
    return v->n ? v->ring[(v->at + VIEW_FRAMES - 1) % VIEW_FRAMES] : NULL;
}

void live_view_take(struct live_view *v, const struct live_snapshot *s, const char *model)
{
    struct view_frame *fr = calloc(1, sizeof *fr);
    if (!fr)
        return;
    pthread_mutex_lock(&v->lock);
    const struct view_frame *last = newest(v);
    bool same = last && last->instance == s->instance && last->generation == s->generation;
    fr->since = same ? last->cursor
                     : s->now_us > VIEW_SINCE_US ? s->now_us - VIEW_SINCE_US : 0;
    pthread_mutex_unlock(&v->lock); /* the loop is the ring's one writer */
    fr->cursor = s->now_us;
    fr->instance = s->instance;
    fr->generation = s->generation;
    if (!frame_make(fr, s, model)) {
        frame_free(fr);
        return;
    }
    pthread_mutex_lock(&v->lock);
    for (; !same && v->n; v->n--) { /* the lanes started again: another clock */
        size_t old = (v->at + VIEW_FRAMES - v->n) % VIEW_FRAMES;
        frame_free(v->ring[old]);
        v->ring[old] = NULL;
    }
    frame_free(v->ring[v->at]);
    v->ring[v->at] = fr;
    v->at = (v->at + 1) % VIEW_FRAMES;
    v->n += v->n < VIEW_FRAMES;
    pthread_mutex_unlock(&v->lock);
}

uint64_t live_view_made(struct live_view *v)
{
    pthread_mutex_lock(&v->lock);
    const struct view_frame *fr = newest(v);
    uint64_t t = fr ? fr->cursor : 0;
    pthread_mutex_unlock(&v->lock);
    return t;
}

/* Part name's states in the frames from the first'th kept on, comma-separated. The
 * lock held. */
static void marks_of(FILE *f, struct live_view *v, size_t first, const char *name)
{
    bool any = false;
    for (size_t i = first; i < v->n; i++) {
        const struct view_frame *fr = kept(v, i);
        for (size_t k = 0; k < fr->n_parts; k++) {
            const struct view_part *p = &fr->parts[k];
            if (strcmp(p->name, name) || !p->marks_n)
                continue;
            if (any)
                fputc(',', f);
            fwrite(p->marks, 1, p->marks_n, f);
            any = true;
            break;
        }
    }
}

int live_view_answer(struct live_view *v, uint64_t since, const char *shown, const char *fresh,
                     const char *you, char **text, size_t *len)
{
    *text = NULL;
    *len = 0;
    pthread_mutex_lock(&v->lock);
    const struct view_frame *fr = newest(v);
    if (!fr) {
        pthread_mutex_unlock(&v->lock);
        return 1;
    }
    /* the first frame the viewer has not had; all of them if it had none */
    size_t first = 0;
    while (first < v->n && kept(v, first)->cursor <= since)
        first++;
    if (first < v->n && kept(v, first)->since > since)
        first = 0;
    FILE *f = open_memstream(text, len);
    if (!f) {
        pthread_mutex_unlock(&v->lock);
        return -1;
    }
    fwrite(fr->head, 1, fr->head_n, f);
    fputs("\"lanes\":[", f);
    for (size_t k = 0; k < fr->n_parts; k++) {
        const struct view_part *p = &fr->parts[k];
        bool whole = live_json_listed(shown, p->name) ||
                     (p->host[0] && you && !strcmp(p->host, you));
        if (k == fr->n_lanes) {
            fputs("],", f);
            fwrite(fr->door, 1, fr->door_n, f);
            fputs(",\"guests\":[", f);
        } else if (k) {
            fputc(',', f);
        }
        if (!whole) {
            fwrite(p->brief, 1, p->brief_n, f);
            fputc('}', f);
            continue;
        }
        fwrite(p->whole, 1, p->whole_n, f);
        fputs(",\"marks\":[", f);
        marks_of(f, v, fresh && live_json_listed(fresh, p->name) ? 0 : first, p->name);
        fputs("]}", f);
    }
    if (fr->n_parts == fr->n_lanes) {
        fputs("],", f);
        fwrite(fr->door, 1, fr->door_n, f);
        fputs(",\"guests\":[", f);
    }
    fputs("]}", f);
    fclose(f);
    pthread_mutex_unlock(&v->lock);
    return *text ? 0 : -1;
}

void live_view_free(struct live_view *v)
{
    if (!v)
        return;
    for (size_t k = 0; k < VIEW_FRAMES; k++)
        frame_free(v->ring[k]);
    pthread_mutex_destroy(&v->lock);
    free(v);
}
