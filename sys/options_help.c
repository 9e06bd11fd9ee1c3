/* options_help.c: the rows of --help from an option table (see options.h);
 * the manual page (options_man.c) shows the same rows. */
#include "options.h"

#include <stdio.h>

/* The rows every program has after its table's. */
static const struct options_row builtin_rows[] = {
    {"--config FILE", "read options from a JSON object {\"name\": value}"},
    {"--check", "check the options and the config file, say what is wrong, and exit "
                "(0: nothing) without doing anything else"},
    {"-h, --help", "show this help"},
    {"-v, --version", "print the version and the ENet and cJSON versions"},
};

bool options_help_row(const struct option_def *defs, size_t i, struct options_row *row)
{
    size_t n = 0;
    while (defs[n].name)
        n++;
    if (i >= n) {
        if (i - n >= sizeof builtin_rows / sizeof builtin_rows[0])
            return false;
        *row = builtin_rows[i - n];
        return true;
    }
    const struct option_def *d = &defs[i];
    char range[96] = "", def[96] = "";
    switch (d->type) {
    case OPTION_INT:
    case OPTION_UINT: snprintf(range, sizeof range, " [%.0f..%.0f]", d->min, d->max); break;
    case OPTION_DOUBLE:
    case OPTION_SECONDS: snprintf(range, sizeof range, " [%g..%g]", d->min, d->max); break;
    case OPTION_CHOICE: snprintf(range, sizeof range, " {%s}", d->choices); break;
    case OPTION_LIST: snprintf(range, sizeof range, " (repeatable)"); break;
    default: break;
    }
    if (d->def && d->def[0])
        snprintf(def, sizeof def, " (default %s)", d->def);
    /* a short name that takes the value is shown beside the long one; one
     * that sets a value is said in the text */
    char short_left[8] = "", short_text[96] = "";
    if (d->short_name && !d->short_value)
        snprintf(short_left, sizeof short_left, "-%c, ", d->short_name);
    else if (d->short_name)
        snprintf(short_text, sizeof short_text, "; -%c: %s", d->short_name, d->short_value);
    snprintf(row->left, sizeof row->left, "%s--%s%s", short_left, d->name,
             d->type == OPTION_BOOL ? "" : " V");
    char old[72] = "";
    if (d->old_name)
        snprintf(old, sizeof old, "; formerly --%s", d->old_name);
    snprintf(row->text, sizeof row->text, "%s%s%s%s%s", d->help, short_text, old, range, def);
    return true;
}

void options_print_help(FILE *out, const struct options_program *p)
{
    struct options_row row;
    fprintf(out, "usage: %s [options]\n%s\n\noptions:\n", p->name, p->summary);
    for (size_t i = 0; options_help_row(p->defs, i, &row); i++)
        fprintf(out, "  %-22s %s\n", row.left, row.text);
}
