/* bench_plot.c: gnuplot plots of a list of bench results (see bench.h,
 * bench_report_plot): data files, a script, PNGs. */
#include "bench.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static double ms(uint64_t us)
{
    return (double)us / 1000.0;
}

static int mkdir_p(const char *dir)
{
    char path[1024];
    snprintf(path, sizeof path, "%s", dir);
    for (char *q = path + 1; *q; q++) {
        if (*q == '/') {
            *q = '\0';
            if (mkdir(path, 0777) != 0 && errno != EEXIST)
                return -1;
            *q = '/';
        }
    }
    if (mkdir(path, 0777) != 0 && errno != EEXIST)
        return -1;
    return 0;
}

/* File-name label of a scenario: "path-loss_5" in a sweep, "run" otherwise. */
static void label(char *buf, size_t cap, const struct bench_result *x, enum bench_param swept,
                  size_t group)
{
    if (swept != BENCH_P_NONE)
        snprintf(buf, cap, "%s_%g", bench_param_name(swept), bench_param_get(&x->params, swept));
    else
        snprintf(buf, cap, group ? "run%zu" : "run", group);
}

static const char *const axis_name[BENCH_P_COUNT] = {
    [BENCH_P_CLIENTS] = "clients in the room",
    [BENCH_P_RATE] = "send rate per client (Hz)",
    [BENCH_P_PAYLOAD] = "datagram size (bytes)",
    [BENCH_P_LOSS] = "end-to-end loss (%)",
    [BENCH_P_DELAY] = "end-to-end delay (ms)",
    [BENCH_P_JITTER] = "end-to-end jitter (ms)",
};

/* Runs gnuplot on script inside dir. Returns 0 or -1 with err. */
static int run_gnuplot(const char *dir, const char *script, char *err, size_t err_cap)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, err_cap, "fork: %s", strerror(errno));
        return -1;
    }
    if (pid == 0) {
        if (chdir(dir) != 0)
            _exit(126);
        execlp("gnuplot", "gnuplot", script, (char *)NULL);
        _exit(127);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) {
            snprintf(err, err_cap, "waitpid: %s", strerror(errno));
            return -1;
        }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
        snprintf(err, err_cap, "gnuplot not found (install gnuplot-nox)");
        return -1;
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        snprintf(err, err_cap, "gnuplot failed on %s/%s", dir, script);
        return -1;
    }
    return 0;
}

/* The style of mode m, its lane's (lab/harness/lanes.c): "lw 2.5 dt 1 pt 7 lc
 * rgb '#1f77b4'" (pt only for points: gnuplot refuses it on steps). */
static const char *style(struct bench_mode m, bool points)
{
    static char buf[96];
    char pt[16] = "";
    const struct bench_lane *l = bench_lane_of(m);
    if (points)
        snprintf(pt, sizeof pt, " pt %d", l->style.point);
    snprintf(buf, sizeof buf, "lw %g dt %d%s lc rgb '%s'", l->style.width, l->style.dash, pt,
             l->style.color);
    return buf;
}

/* Settings every plot shares: plain tick labels ("1", "0.001", never
 * "1.0000000"), the legend right of the plot where it covers no curve. */
static void plot_defaults(FILE *gp)
{
    fprintf(gp, "set grid\nset format x '%%g'\nset format y '%%g'\n"
                "set key outside right top vertical Left reverse\n");
}

/* Latency of the states sent in one scenario (results r[a..b)), a CDF and
 * its tail per mode. Over every *sent* state: a lost one never arrives, so
 * a curve ends at the mode's delivery, and the tail at its loss. */
static int write_cdf(FILE *gp, const char *dir, const struct bench_result *r, size_t a,
                     size_t b, const char *lab)
{
    char path[1100], desc[256];
    snprintf(path, sizeof path, "%s/cdf_%s.dat", dir, lab);
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    int blocks = 0;
    size_t block_of[64];
    double right = 1; /* the x axis ends here: where "never" is drawn */
    for (size_t i = a; i < b; i++)
        if (r[i].latency && r[i].latency->total && ms(r[i].latency->max) * 2 > right)
            right = ms(r[i].latency->max) * 2;
    for (size_t i = a; i < b && blocks < 64; i++) {
        const struct histogram *h = r[i].latency;
        if (!h || h->total == 0)
            continue;
        double sent = (double)(r[i].expected > h->total ? r[i].expected : h->total);
        fprintf(f, "# %s: latency_ms fraction_of_sent_delivered fraction_of_sent_not_yet "
                   "(%llu sent x receivers, %llu delivered)\n",
                bench_mode_name(bench_result_mode(&r[i])), (unsigned long long)sent,
                (unsigned long long)h->total);
        uint32_t cur = 0;
        uint64_t v, c, seen = 0;
        double tail = 1;
        while (histogram_next_bucket(h, &cur, &v, &c)) {
            seen += c;
            tail = 1.0 - (double)seen / sent;
            /* the tail plot is log-scale: everything delivered is drawn
             * half a state above 0 */
            fprintf(f, "%.4f %.8f %.8g\n", ms(v) < 0.01 ? 0.01 : ms(v), (double)seen / sent,
                    tail > 0 ? tail : 0.5 / sent);
        }
        /* the lost ones, never: the curve stays at its height to the end */
        fprintf(f, "%.4f %.8f %.8g\n\n\n", right, (double)seen / sent,
                tail > 0 ? tail : 0.5 / sent);
        block_of[blocks++] = i;
    }
    fclose(f);
    if (blocks == 0)
        return 0;
    bench_result_describe(desc, sizeof desc, &r[a]);
    fprintf(gp,
            "set terminal pngcairo size 1500,560 font ',10'\nset output 'cdf_%s.png'\n",
            lab);
    plot_defaults(gp);
    fprintf(gp,
            "set multiplot layout 1,2 title \"One-way latency of every state sent, from its "
            "intended send time (a lost state never arrives)\\n%s\" noenhanced\n"
            "set logscale x\nset xrange [*:%g]\nset xlabel 'latency (ms, log)'\n"
            "set ylabel 'fraction of sent states delivered by then'\n"
            "set yrange [0:1]\nunset logscale y\nset title 'CDF (ends at the delivery %%)'\n"
            "plot ",
            desc, right);
    for (int k = blocks - 1; k >= 0; k--)
        fprintf(gp, "'cdf_%s.dat' index %d using 1:2 with steps %s title '%s'%s", lab, k,
                style(bench_result_mode(&r[block_of[k]]), false),
                bench_mode_name(bench_result_mode(&r[block_of[k]])),
                k ? ", " : "");
    /* powers of ten: %g would print 1e-05 */
    fprintf(gp, "\nset logscale y\nset format y '10^{%%T}'\nset yrange [*:1]\n"
                "set ylabel 'fraction of sent states not delivered by then (log)'\n"
                "set title 'tail: 1 - CDF (ends at the loss)'\nplot ");
    for (int k = blocks - 1; k >= 0; k--)
        fprintf(gp, "'cdf_%s.dat' index %d using 1:3 with steps %s title '%s'%s", lab, k,
                style(bench_result_mode(&r[block_of[k]]), false),
                bench_mode_name(bench_result_mode(&r[block_of[k]])),
                k ? ", " : "");
    fprintf(gp, "\nunset multiplot\nunset logscale\nset format y '%%g'\nset autoscale\n");
    return 0;
}

/* The strips of one scenario (results r[a..b)), a PNG per mode, on one
 * latency scale: each state the second client expected, a point at its
 * intended send time and one-way latency; a lost one a cross at the top.
 * A loss shows as a gap, a stall as a staircase of states that waited for
 * one retransmission. */
static int write_timelines(FILE *gp, const char *dir, const struct bench_result *r, size_t a,
                           size_t b, const char *lab)
{
    double top = 1, span = 0.1;
    for (size_t i = a; i < b; i++)
        for (size_t k = 0; k < r[i].strip.n; k++) {
            top = fmax(top, r[i].strip.marks[k].latency_ms * 1.15);
            span = fmax(span, r[i].strip.marks[k].t_s);
        }
    for (size_t i = a; i < b; i++) {
        const struct bench_strip *st = &r[i].strip;
        const char *mode = bench_mode_name(bench_result_mode(&r[i]));
        char path[1100], desc[256];
        if (st->n == 0)
            continue;
        snprintf(path, sizeof path, "%s/timeline_%s_%s.dat", dir, lab, mode);
        FILE *f = fopen(path, "w");
        if (!f)
            return -1;
        size_t lost = 0;
        fprintf(f, "# %s: send_s latency_ms sender seq (the arrived), then the lost\n", mode);
        for (int pass = 0; pass < 2; pass++) {
            for (size_t k = 0; k < st->n; k++) {
                const struct bench_mark *m = &st->marks[k];
                if ((m->latency_ms < 0) != (pass == 1))
                    continue;
                lost += (size_t)pass;
                fprintf(f, "%.6f %.4f %u %u\n", m->t_s, pass ? top : m->latency_ms,
                        (unsigned)m->sender, (unsigned)m->seq);
            }
            fprintf(f, pass ? "" : "\n\n");
        }
        if (!lost) /* gnuplot refuses an empty block */
            fprintf(f, "-1 -1 0 0\n");
        fclose(f);
        bench_result_describe(desc, sizeof desc, &r[i]);
        fprintf(gp,
                "set terminal pngcairo size 1500,420 font ',10'\n"
                "set output 'timeline_%s_%s.png'\n", lab, mode);
        plot_defaults(gp);
        fprintf(gp,
                "set title \"%s: each state the second client expected, at its intended send "
                "time and one-way latency (%zu of %zu lost: crosses at the top)\\n%s\" "
                "noenhanced\nset xlabel 'intended send time (s into the window)'\n"
                "set ylabel 'one-way latency (ms)'\nset xrange [0:%g]\nset yrange [0:%g]\n"
                "plot 'timeline_%s_%s.dat' index 0 using 1:2 with points pt 7 ps 0.5 "
                "lc rgb '%s' title 'arrived', "
                "'' index 1 using 1:2 with points pt 2 ps 1 lw 1.5 lc rgb '#d62728' "
                "title 'lost'\nset autoscale\n",
                mode, lost, st->n, desc, span, top * 1.04, lab, mode,
                bench_lane_of(bench_result_mode(&r[i]))->style.color);
    }
    return 0;
}

/* The scenario of a sweep, with the swept parameter on the x axis. */
static void describe_sweep(char *buf, size_t cap, const struct bench_result *r,
                           enum bench_param swept)
{
    const struct bench_params *p = &r->params;
    char part[BENCH_P_COUNT][48];
    snprintf(part[BENCH_P_CLIENTS], sizeof part[0], "%ld clients", p->clients);
    snprintf(part[BENCH_P_RATE], sizeof part[0], "%g Hz", p->rate_hz);
    snprintf(part[BENCH_P_PAYLOAD], sizeof part[0], "%ld B", p->payload);
    snprintf(part[BENCH_P_LOSS], sizeof part[0], "loss %g%%", p->loss_pct);
    snprintf(part[BENCH_P_DELAY], sizeof part[0], "delay %g ms", p->delay_ms);
    snprintf(part[BENCH_P_JITTER], sizeof part[0], "jitter %g ms", p->jitter_ms);
    snprintf(part[swept], sizeof part[0], "%s: x axis", bench_param_name(swept));
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < BENCH_P_COUNT && used < cap; i++)
        used += (size_t)snprintf(buf + used, cap - used, "%s%s", i ? ", " : "", part[i]);
    if (used < cap && r->spread.repeats > 1)
        snprintf(buf + used, cap - used, "; median and min-max of %zu runs per point",
                 r->spread.repeats);
}

/* A dashed line at a --break-* limit, labelled. */
static void plot_limit(FILE *gp, double value, const char *what)
{
    fprintf(gp, "set arrow 1 from graph 0, first %g to graph 1, first %g nohead dt 3 lw 1.5 "
                "lc rgb '#000000' front\n"
                "set label 1 '%s' at graph 0.99, first %g right offset 0,0.7 front noenhanced\n",
            value, value, what, value);
}

/* One sweep plot: column col (min-max in cols lo, hi) of every mode. */
static void plot_sweep_column(FILE *gp, const struct bench_mode *modes, int blocks, int col,
                              int lo, int hi)
{
    fprintf(gp, "plot ");
    for (int k = blocks - 1; k >= 0; k--)
        fprintf(gp, "'sweep.dat' index %d using 1:%d:%d:%d with yerrorlines %s title '%s'%s",
                k, col, lo, hi, style(modes[k], true), bench_mode_name(modes[k]), k ? ", " : "");
    fprintf(gp, "\nunset arrow 1\nunset label 1\n");
}

/* sweep.dat: per mode, the swept value, p99, delivery, p50 and the
 * min-max of p99 and delivery. Returns the modes written, or -1. */
static int write_sweep_data(const char *dir, const struct bench_result *r, size_t n,
                            enum bench_param swept, struct bench_mode *modes)
{
    char path[1100];
    snprintf(path, sizeof path, "%s/sweep.dat", dir);
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    int blocks = 0;
    for (int m = 0; m < BENCH_MODES; m++) {
        bool any = false;
        for (size_t i = 0; i < n; i++) {
            const struct bench_result *x = &r[i];
            if (bench_mode_index(bench_result_mode(x)) != m || !x->ok || x->expected == 0)
                continue;
            if (!any)
                fprintf(f, "# %s: %s p99_ms delivery_pct p50_ms p99_min p99_max "
                           "delivery_min delivery_max\n",
                        bench_mode_name(bench_result_mode(x)), bench_param_name(swept));
            any = true;
            double lo = x->spread.repeats > 1 ? x->spread.min[BENCH_F_P99] : ms(x->p99_us);
            double hi = x->spread.repeats > 1 ? x->spread.max[BENCH_F_P99] : ms(x->p99_us);
            double dlo = 100.0 - (x->spread.repeats > 1 ? x->spread.max[BENCH_F_LOST] : x->lost_pct);
            double dhi = 100.0 - (x->spread.repeats > 1 ? x->spread.min[BENCH_F_LOST] : x->lost_pct);
            fprintf(f, "%g %.4f %.4f %.4f %.4f %.4f %.4f %.4f\n",
                    bench_param_get(&x->params, swept), fmax(ms(x->p99_us), 0.01),
                    100.0 - x->lost_pct, ms(x->p50_us), fmax(lo, 0.01), fmax(hi, 0.01), dlo,
                    dhi);
        }
        if (any) {
            fprintf(f, "\n\n");
            modes[blocks++] = bench_mode_at(m);
        }
    }
    fclose(f);
    return blocks;
}

/* p99 and delivery % against the swept parameter, one line per mode, with
 * the spread of --repeat as error bars and the --break-* limits drawn. */
static int write_sweep(FILE *gp, const char *dir, const struct bench_result *r, size_t n,
                       const struct bench_plot_opts *o)
{
    struct bench_mode modes[BENCH_MODES];
    int blocks = write_sweep_data(dir, r, n, o->swept, modes);
    if (blocks <= 0)
        return blocks;
    char desc[256], what[96];
    describe_sweep(desc, sizeof desc, &r[0], o->swept);
    /* delivery axis: down to a little below the worst point, at least 95..100 */
    double lowest = 95;
    for (size_t i = 0; i < n; i++)
        if (r[i].ok && r[i].expected) {
            double worst = 100.0 - (r[i].spread.repeats > 1 ? r[i].spread.max[BENCH_F_LOST]
                                                             : r[i].lost_pct);
            lowest = fmin(lowest, worst - 2);
        }
    if (o->break_delivery_pct > 0)
        lowest = fmin(lowest, o->break_delivery_pct - 1);
    fprintf(gp, "set terminal pngcairo size 1000,560 font ',10'\nset output 'p99.png'\n");
    plot_defaults(gp);
    /* room left and right for the error bars of the first and last value */
    fprintf(gp, "set autoscale xfix\nset offsets graph 0.03, graph 0.03, 0, 0\n");
    fprintf(gp, "set title \"p99 one-way latency\\n%s\" noenhanced\n"
                "set xlabel '%s'\nset ylabel 'p99 latency (ms, log)'\nset logscale y\n"
                "set yrange [*:*]\n",
            desc, axis_name[o->swept]);
    if (o->break_p99_ms > 0) {
        snprintf(what, sizeof what, "--break-p99 %g ms: a mode past it is not run further",
                 o->break_p99_ms);
        plot_limit(gp, o->break_p99_ms, what);
    }
    plot_sweep_column(gp, modes, blocks, 2, 5, 6);
    fprintf(gp, "unset logscale y\nset output 'delivery.png'\n"
                "set title \"delivered (%% of expected)\\n%s\" noenhanced\n"
                "set ylabel 'delivered (%%)'\nset yrange [%g:100.5]\n",
            desc, fmax(floor(lowest), 0));
    if (o->break_delivery_pct > 0) {
        snprintf(what, sizeof what, "--break-delivery %g%%: a mode below it is not run further",
                 o->break_delivery_pct);
        plot_limit(gp, o->break_delivery_pct, what);
    }
    plot_sweep_column(gp, modes, blocks, 3, 7, 8);
    fprintf(gp, "set autoscale\nset offsets 0, 0, 0, 0\n");
    return 0;
}

int bench_report_plot(const char *dir, const struct bench_result *r, size_t n,
                      const struct bench_plot_opts *opts, char *err, size_t err_cap)
{
    enum bench_param swept = opts->swept;
    if (mkdir_p(dir) != 0) {
        snprintf(err, err_cap, "mkdir %s: %s", dir, strerror(errno));
        return -1;
    }
    char path[1100];
    snprintf(path, sizeof path, "%s/plot.gp", dir);
    FILE *gp = fopen(path, "w");
    if (!gp) {
        snprintf(err, err_cap, "%s: %s", path, strerror(errno));
        return -1;
    }
    fprintf(gp, "# written by ricochet-bench; run: cd %s && gnuplot plot.gp\n", dir);
    size_t group = 0;
    for (size_t a = 0; a < n;) {
        size_t b = a + 1;
        while (b < n && bench_params_equal(&r[b].params, &r[a].params))
            b++;
        char lab[64];
        label(lab, sizeof lab, &r[a], swept, group++);
        if (write_cdf(gp, dir, r, a, b, lab) != 0 ||
            write_timelines(gp, dir, r, a, b, lab) != 0) {
            fclose(gp);
            snprintf(err, err_cap, "%s: cannot write data: %s", dir, strerror(errno));
            return -1;
        }
        a = b;
    }
    if (swept != BENCH_P_NONE && write_sweep(gp, dir, r, n, opts) != 0) {
        fclose(gp);
        snprintf(err, err_cap, "%s: cannot write data: %s", dir, strerror(errno));
        return -1;
    }
    if (fclose(gp) != 0) {
        snprintf(err, err_cap, "%s: %s", path, strerror(errno));
        return -1;
    }
    return run_gnuplot(dir, "plot.gp", err, err_cap);
}
