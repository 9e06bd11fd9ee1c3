/* options_man.c: a program's manual page, written by the program itself
 * (PROG --man; make runs it into BUILD/man/PROG.1): OPTIONS are the rows of
 * --help, so the page cannot drift from the table; the rest is the
 * program's hand-written part (struct options_manual). */
#include "options.h"

#include <ctype.h>
#include <string.h>

#include "version.h"

static const char *const programs[] = {"ricochet-relay", "ricochet-bot", "ricochet-client",
                                       "ricochet-netsim", "ricochet-bench", "ricochet-ticket"};

/* Writes len bytes of text for roff: '\' as \e and every '-' as \- (a
 * minus sign that stays a minus, so options can be copied and searched);
 * a line may break after a '|' (\:, a break point that prints nothing), so
 * a long list of choices fits the page's width. */
static void roff_text(FILE *out, const char *text, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (text[i] == '\\')
            fputs("\\e", out);
        else if (text[i] == '-')
            fputs("\\-", out);
        else if (text[i] == '|')
            fputs("|\\:", out);
        else
            fputc(text[i], out);
    }
}

/* One line of running text; \& keeps a leading '.' or '\'' from being read
 * as a request. */
static void roff_line(FILE *out, const char *text, size_t len)
{
    fputs("\\&", out);
    roff_text(out, text, len);
    fputc('\n', out);
}

/* Plain text as roff paragraphs: a blank line starts a new one. */
static void roff_paragraphs(FILE *out, const char *text)
{
    bool start = true;
    for (const char *p = text; *p;) {
        size_t n = strcspn(p, "\n");
        if (n == 0) {
            start = true;
        } else {
            if (start)
                fputs(".PP\n", out);
            start = false;
            roff_line(out, p, n);
        }
        p += n + (p[n] == '\n');
    }
}

/* Lines shown as typed (a command, a config file). */
static void roff_literal(FILE *out, const char *text)
{
    fputs(".PP\n.RS 4\n.nf\n", out);
    for (const char *p = text; *p;) {
        size_t n = strcspn(p, "\n");
        roff_line(out, p, n);
        p += n + (p[n] == '\n');
    }
    fputs(".fi\n.RE\n", out);
}

/* The NAME line: the summary's first sentence, on one line, without its
 * final period. */
static void print_whatis(FILE *out, const char *summary)
{
    size_t len = strlen(summary);
    for (const char *p = summary; *p; p++)
        if (*p == '.' && (p[1] == '\0' || isspace((unsigned char)p[1]))) {
            len = (size_t)(p - summary);
            break;
        }
    for (size_t i = 0; i < len; i++) {
        if (summary[i] == '\n')
            fputc(' ', out);
        else
            roff_text(out, &summary[i], 1);
    }
    fputc('\n', out);
}

/* The option as typed, bold, its value placeholder italic: "--port V". */
static void print_tag(FILE *out, const char *left)
{
    const char *space = strrchr(left, ' ');
    if (space && space[-1] == ',')
        space = NULL; /* "-h, --help": no placeholder */
    size_t n = space ? (size_t)(space - left) : strlen(left);
    fputs("\\fB", out);
    roff_text(out, left, n);
    fputs("\\fR", out);
    if (space) {
        fputs(" \\fI", out);
        roff_text(out, space + 1, strlen(space + 1));
        fputs("\\fR", out);
    }
    fputc('\n', out);
}

/* {term, text, ...} pairs under the current section. */
static void print_items(FILE *out, const char *const *list)
{
    for (size_t i = 0; list && list[i] && list[i + 1]; i += 2) {
        fputs(".TP\n\\fB", out);
        roff_text(out, list[i], strlen(list[i]));
        fputs("\\fR\n", out);
        roff_line(out, list[i + 1], strlen(list[i + 1]));
    }
}

/* A section of {term, text, ...} pairs. */
static void print_list(FILE *out, const char *section, const char *const *list)
{
    if (!list || !list[0])
        return;
    fprintf(out, ".SH %s\n", section);
    print_items(out, list);
}

static void print_header(FILE *out, const struct options_program *p)
{
    fputs(".TH ", out);
    for (const char *c = p->name; *c; c++)
        if (*c == '-')
            fputs("\\-", out);
        else
            fputc(toupper((unsigned char)*c), out);
    fprintf(out, " 1 \"\" \"ricochet %s\" \"User Commands\"\n.nh\n.SH NAME\n", version_ricochet());
    roff_text(out, p->name, strlen(p->name));
    fputs(" \\- ", out);
    print_whatis(out, p->summary);
    fputs(".SH SYNOPSIS\n.B ", out);
    roff_text(out, p->name, strlen(p->name));
    fputs("\n[\\fIoptions\\fR]\n.SH DESCRIPTION\n", out);
    for (const char *c = p->summary; *c;) {
        size_t n = strcspn(c, "\n");
        roff_line(out, c, n);
        c += n + (c[n] == '\n');
    }
    if (p->manual && p->manual->description)
        roff_paragraphs(out, p->manual->description);
}

static void print_options(FILE *out, const struct options_program *p)
{
    struct options_row row;
    fputs(".SH OPTIONS\n"
          "Each option is \\fB\\-\\-name\\fR \\fIV\\fR or \\fB\\-\\-name=\\fR\\fIV\\fR; "
          "a flag (shown without \\fIV\\fR) is set by \\fB\\-\\-name\\fR and cleared by "
          "\\fB\\-\\-name=false\\fR. A short option stands for its long one: "
          "\\fB\\-p\\fR \\fIV\\fR is \\fB\\-\\-port\\fR \\fIV\\fR. Numbers are checked against "
          "the range in brackets, choices against the list in braces.\n",
          out);
    for (size_t i = 0; options_help_row(p->defs, i, &row); i++) {
        fputs(".TP\n", out);
        print_tag(out, row.left);
        roff_line(out, row.text, strlen(row.text));
    }
}

static void print_config(FILE *out, const struct options_program *p)
{
    fputs(".SH CONFIGURATION FILE\n"
          "\\fB\\-\\-config\\fR \\fIFILE\\fR reads a JSON object whose members are options "
          "by their long names without the dashes, each value of its option's JSON type: a "
          "number, \\fBtrue\\fR or \\fBfalse\\fR for a flag, a string for the rest. "
          "Options given on the command line override the file. An unknown or repeated "
          "key, a value of the wrong type or out of range is an error, as on the command "
          "line; \\fB\\-\\-check\\fR says whether a file is right without doing anything "
          "else.",
          out);
    if (p->manual && p->manual->config_example) {
        fputs(" For example:\n", out);
        roff_literal(out, p->manual->config_example);
    } else {
        fputc('\n', out);
    }
}

static void print_examples(FILE *out, const struct options_example *ex)
{
    if (!ex || !ex->what)
        return;
    fputs(".SH EXAMPLES\n", out);
    for (; ex->what; ex++) {
        roff_paragraphs(out, ex->what);
        roff_literal(out, ex->command);
    }
}

static void print_see_also(FILE *out, const struct options_program *p)
{
    fputs(".SH SEE ALSO\n", out);
    bool first = true;
    for (size_t i = 0; i < sizeof programs / sizeof programs[0]; i++) {
        if (!strcmp(programs[i], p->name))
            continue;
        fprintf(out, "%s\\fB", first ? "" : ",\n");
        roff_text(out, programs[i], strlen(programs[i]));
        fputs("\\fR(1)", out);
        first = false;
    }
    fputs(",\n\\fBricochet\\fR(3)\n", out);
    fputs(".PP\nThe documentation, installed in share/doc/ricochet under the install prefix "
          "(in the source tree: README.md, docs/ and proto/)", out);
    if (p->manual && p->manual->see_also) {
        fputs(": ", out);
        roff_text(out, p->manual->see_also, strlen(p->manual->see_also));
    }
    fputs(".\n", out);
}

void options_print_man(FILE *out, const struct options_program *p)
{
    const struct options_manual *m = p->manual;
    static const char *const default_exit[] = {
        "0", "success",
        "1", "the program failed once running, with one line on standard error saying why",
        "2", "a bad option, value or config file, with one line on standard error", NULL};
    print_header(out, p);
    if (m && m->extra_title)
        print_list(out, m->extra_title, m->extra);
    print_options(out, p);
    print_config(out, p);
    static const char *const default_signals[] = {
        "SIGINT, SIGTERM", "the default: the program ends at once", NULL};
    static const char *const config_file[] = {
        "--config FILE", "options as a JSON object (see CONFIGURATION FILE)", NULL};
    print_list(out, "SIGNALS", m && m->signals ? m->signals : default_signals);
    print_list(out, "EXIT STATUS", m && m->exit_status ? m->exit_status : default_exit);
    print_list(out, "FILES", config_file);
    print_items(out, m ? m->files : NULL);
    print_examples(out, m ? m->examples : NULL);
    print_see_also(out, p);
}
