/* options_man.c: a program's manual page from its option table, written by
 * the program itself (PROG --man; make runs it into BUILD/man/PROG.1), so
 * the page shows exactly the rows of --help and cannot drift from them. */
#include "options.h"

#include <ctype.h>
#include <string.h>

#include "version.h"

static const char *const programs[] = {"ricochet-relay", "ricochet-bot", "ricochet-client",
                                       "ricochet-netsim", "ricochet-bench"};

/* Writes len bytes of text for roff: '\' as \e and every '-' as \- (a
 * minus sign that stays a minus, so options can be copied and searched). */
static void roff_text(FILE *out, const char *text, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (text[i] == '\\')
            fputs("\\e", out);
        else if (text[i] == '-')
            fputs("\\-", out);
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
    const char *space = strchr(left, ' ');
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

static void print_header(FILE *out, const char *prog, const char *summary)
{
    fputs(".TH ", out);
    for (const char *p = prog; *p; p++)
        if (*p == '-')
            fputs("\\-", out);
        else
            fputc(toupper((unsigned char)*p), out);
    fprintf(out, " 1 \"\" \"ricochet %s\" \"User Commands\"\n.nh\n.SH NAME\n", version_ricochet());
    roff_text(out, prog, strlen(prog));
    fputs(" \\- ", out);
    print_whatis(out, summary);
    fputs(".SH SYNOPSIS\n.B ", out);
    roff_text(out, prog, strlen(prog));
    fputs("\n[\\fIoptions\\fR]\n.SH DESCRIPTION\n", out);
    for (const char *p = summary; *p;) {
        size_t n = strcspn(p, "\n");
        roff_line(out, p, n);
        p += n + (p[n] == '\n');
    }
    fputs(".PP\nEach option is \\fB\\-\\-name\\fR \\fIV\\fR or \\fB\\-\\-name=\\fR\\fIV\\fR; "
          "a flag (shown without \\fIV\\fR) is set by \\fB\\-\\-name\\fR and cleared by "
          "\\fB\\-\\-name=false\\fR. Numbers are checked against the range in brackets, "
          "choices against the list in braces.\n",
          out);
}

static void print_footer(FILE *out, const char *prog)
{
    fputs(".SH CONFIGURATION FILE\n"
          "\\fB\\-\\-config\\fR \\fIFILE\\fR reads a JSON object whose members are options "
          "by their long names without the dashes, for example "
          "{\"port\": 7777, \"log\\-level\": \"warn\"}. "
          "Options given on the command line override the file.\n"
          ".SH EXIT STATUS\n"
          "0 on success; 2 for a bad option or value, with one line on standard error; "
          "1 (or another non\\-zero status) when the program fails later.\n"
          ".SH SEE ALSO\n",
          out);
    bool first = true;
    for (size_t i = 0; i < sizeof programs / sizeof programs[0]; i++) {
        if (!strcmp(programs[i], prog))
            continue;
        fprintf(out, "%s\\fB", first ? "" : ",\n");
        roff_text(out, programs[i], strlen(programs[i]));
        fputs("\\fR(1)", out);
        first = false;
    }
    fputs("\n.PP\nREADME.md and proto/PROTOCOL.md in the ricochet source tree.\n", out);
}

void options_print_man(FILE *out, const char *prog, const char *summary,
                       const struct option_def *defs)
{
    struct options_row row;
    print_header(out, prog, summary);
    fputs(".SH OPTIONS\n", out);
    for (size_t i = 0; options_help_row(defs, i, &row); i++) {
        fputs(".TP\n", out);
        print_tag(out, row.left);
        roff_line(out, row.text, strlen(row.text));
    }
    print_footer(out, prog);
}
