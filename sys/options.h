/* options.h: configuration as a table.
 *
 * Each program describes its options once, as an array of struct option_def
 * ending with {0}. The command line (--name VALUE, --name=VALUE, --flag) and
 * a JSON config file ({"name": value, ...}, given with --config FILE) both
 * go through that table, so --help, validation and the manual pages cannot drift
 * apart. Order: defaults, then the config file, then the command line. */
#ifndef RICOCHET_OPTIONS_H
#define RICOCHET_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum option_type {
    OPTION_INT,    /* long; min/max inclusive */
    OPTION_DOUBLE, /* double; min/max inclusive */
    OPTION_BOOL,   /* bool; --name sets true, --name=false/0 clears */
    OPTION_STRING, /* char[cap] with cap = (size_t)max; min = minimum length */
    OPTION_CHOICE, /* int index into the '|'-separated list in choices */
    OPTION_UINT,   /* a whole number, min/max inclusive (0 <= min), into an unsigned
                      field of `size` bytes (2: uint16_t, 4: uint32_t, 8: uint64_t or
                      size_t) that holds it times `scale` (0 means 1; 1000: whole
                      seconds given, milliseconds kept) */
    OPTION_SECONDS, /* seconds, decimals allowed, min/max inclusive (0 <= min), into a
                      uint32_t of milliseconds (rounded); a positive value under
                      0.001 is refused rather than rounded to 0 */
    OPTION_LIST    /* repeatable: char[cap] with cap = (size_t)max, every value given
                      joined by one space (a value is not empty and holds none); the
                      command line's first occurrence replaces what the config file
                      gave (there: a string, or an array of strings) */
};

/* An option's default from a numeric macro, as the text def wants:
 * OPTION_DEF(PROTO_TIMEOUT_MS) is "5000". */
#define OPTION_DEF(n) OPTION_DEF_TEXT(n)
#define OPTION_DEF_TEXT(n) #n

struct option_def {
    const char *name;     /* long option without the dashes, e.g. "port" */
    enum option_type type;
    size_t offset;        /* offsetof(struct your_config, field) */
    const char *def;      /* default as text, parsed like a command-line value */
    double min, max;      /* range (see enum option_type) */
    const char *choices;  /* OPTION_CHOICE: "unsequenced|sequenced|reliable" */
    const char *help;     /* one line */
    size_t size;          /* OPTION_UINT: sizeof the field */
    unsigned scale;       /* OPTION_UINT: the field holds value * scale (0 = 1) */
    char short_name;      /* -p for --port, as iperf3 and netcat users type it (0: none) */
    const char *short_value; /* with short_name: the value it sets (-u: "udp"); NULL: the
                                next argument, as for the long name */
    const char *old_name; /* a former name, still read on the command line and in config
                             files, with a warning, until OPTIONS_FORMER_UNTIL (NULL: none) */
};

/* The version that no longer reads former names (old_name): every 0.1
 * version reads them, with a warning that says so. test_e2e_conventions
 * fails once RICOCHET_VERSION_BASE reaches it while one is left. */
#define OPTIONS_FORMER_UNTIL "0.2.0"

/* An example of a manual page: what it does, then the command as typed. */
struct options_example {
    const char *what;
    const char *command;
};

/* The hand-written part of a program's manual page; the generated part is
 * the option table. Text is plain (no roff): paragraphs are separated by a
 * blank line. Lists are {term, text, term, text, ..., NULL}. */
struct options_manual {
    const char *description;          /* after the summary */
    const char *const *signals;       /* "SIGTERM", what it does; NULL: none handled */
    const char *const *exit_status;   /* "0", when */
    const char *const *files;         /* a path, what it is; NULL: none */
    const char *extra_title;          /* a section of the program's own ("KEYS"), after */
    const char *const *extra;         /* DESCRIPTION: term, text pairs (NULL: none) */
    const struct options_example *examples; /* ends with {0} */
    const char *config_example;       /* a JSON object the program takes with --config */
    const char *see_also;             /* "docs/operations.md, proto/PROTOCOL.md" */
};

/* A program as its --help and manual page describe it. */
struct options_program {
    const char *name;                 /* "ricochet-relay" */
    const char *summary;              /* --help's text; its first sentence names the page */
    const struct option_def *defs;
    const struct options_manual *manual; /* NULL: a page of the generated part only */
};

/* What options_parse found besides options: a request to print something,
 * or to check and stop. */
enum options_request {
    OPTIONS_HELP = 1,    /* --help or -h */
    OPTIONS_VERSION = 2, /* --version or -v */
    OPTIONS_MAN = 3,     /* --man (not in --help): the manual page, for make */
    OPTIONS_CHECK = 4    /* --check: every option and the config file were read and are
                            valid; the program checks the rest and exits (options_checked) */
};

/* Fills cfg from defaults, then --config FILE if present in argv, then the
 * rest of argv. Short options (-p 7777) stand for their long names; a former
 * name (old_name) is read with a warning on stderr. Returns 0 on success, an
 * enum options_request if --help, --version or --man was given (nothing
 * printed; --help wins) or --check (after a full parse), -1 on error with a
 * one-line message in err (no trailing newline). Positional arguments are
 * errors. */
int options_parse(const struct option_def *defs, void *cfg, int argc,
                  char **argv, char *err, size_t err_cap);

/* Sets every option that has one to its default. Returns 0 or -1 with a
 * message in err (a default outside its own range: a table bug). */
int options_defaults(const struct option_def *defs, void *cfg, char *err, size_t err_cap);

/* Brings every number in cfg into its option's range (for structures
 * filled by code rather than parsed). */
void options_clamp(const struct option_def *defs, void *cfg);

/* Sets one option from text; used by both argv and the config file.
 * Returns 0 or -1 with a message in err. */
int options_set(const struct option_def *defs, void *cfg, const char *name,
                const char *value, char *err, size_t err_cap);

/* One row of --help: the option as typed and its text, which ends with the
 * range and the default. The manual page shows the same rows. */
struct options_row {
    char left[64];  /* "--port V", "--reflect", "--config FILE" */
    char text[512]; /* "UDP port [0..65535] (default 7777)" */
};

/* Row i of the help of defs: the table's options in order, then --config,
 * --help and --version. Returns false (row untouched) past the last. */
bool options_help_row(const struct option_def *defs, size_t i, struct options_row *row);

/* Prints "usage: prog [options]", the summary, and one line per option with
 * its default and range. */
void options_print_help(FILE *out, const struct options_program *p);

/* The manual page in roff (man(7) macros): NAME (the summary's first
 * sentence), SYNOPSIS, DESCRIPTION (the summary and the manual's text),
 * OPTIONS (the rows of --help), CONFIGURATION FILE (with the manual's
 * example), SIGNALS, EXIT STATUS, FILES, EXAMPLES, SEE ALSO. make writes it
 * to BUILD/man/prog.1 with prog --man. */
void options_print_man(FILE *out, const struct options_program *p);

/* Convenience for programs: parses, prints "prog: error" to stderr and
 * exits 2 on error; prints the help, the version line (version.h) or the
 * manual page to stdout and exits 0 after --help, --version or --man. With
 * --check it returns, and the program calls options_checked() once it has
 * checked what the table cannot (required options, combinations). */
void options_parse_or_exit(const struct options_program *p, void *cfg, int argc,
                           char **argv);

/* After a program's own checks of its options: with --check, says so on
 * stdout and exits 0 before the program does anything; otherwise returns. */
void options_checked(const struct options_program *p);

/* For checks a program makes after parsing: prints "prog: error: MESSAGE"
 * (one line) to stderr and exits 2, like a bad option. */
void options_fail(const char *prog, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 2, 3)));

#endif
