/* config_print.c — `aps config print`: the effective settings as an aligned table (NAME VALUE
 * SOURCE) or as one JSON object {"NAME": {"value": …, "source": "…", "origin": "…"}}. Secrets
 * appear only as "(set, redacted)" or "(unset)"; secret URLs with their password masked. */
#include <string.h>

#include "config/config_int.h"
#include "core/buf.h"
#include "core/log.h"

static void print_table(const struct aps_config *cfg, FILE *out)
{
    int wname = 4, wval = 5;
    for (int k = 0; k < APS_SET__COUNT; k++) {
        int n = (int)strlen(aps_config_table[k].name);
        int m = (int)strlen(aps_cfg_display(cfg, k));
        wname = n > wname ? n : wname;
        wval = m > wval ? m : wval;
    }
    if (wval > 48)
        wval = 48; /* a long URL may push its SOURCE out of line rather than every row */
    fprintf(out, "%-*s  %-*s  %s\n", wname, "NAME", wval, "VALUE", "SOURCE");
    for (int k = 0; k < APS_SET__COUNT; k++)
        fprintf(out, "%-*s  %-*s  %s\n", wname, aps_config_table[k].name, wval,
                aps_cfg_display(cfg, k), aps_cfg_origin(cfg, k));
}

/* The JSON value of one setting: numbers and booleans bare, unset non-secrets null, the rest
 * (and every secret) a string. */
static void json_value(struct aps_buf *b, const struct aps_config *cfg, int k)
{
    const struct aps_setting_def *d = &aps_config_table[k];
    const char *text = aps_cfg_str(cfg, k);
    bool bare = d->type == APS_T_INT || d->type == APS_T_DOUBLE || d->type == APS_T_BOOL;
    if (!text && !d->secret) {
        aps_buf_puts(b, "null");
    } else if (bare && !d->secret) {
        aps_buf_puts(b, text); /* normalised by the loader: a valid JSON number or bool */
    } else {
        aps_buf_putc(b, '"');
        aps_json_escape(b, aps_cfg_display(cfg, k));
        aps_buf_putc(b, '"');
    }
}

static void print_json(const struct aps_config *cfg, FILE *out)
{
    struct aps_buf b = {0};
    aps_buf_puts(&b, "{");
    for (int k = 0; k < APS_SET__COUNT; k++) {
        aps_buf_printf(&b, "%s\n  \"%s\": {\"value\": ", k ? "," : "", aps_config_table[k].name);
        json_value(&b, cfg, k);
        aps_buf_printf(&b, ", \"source\": \"%s\", \"origin\": \"",
                       aps_cfg_source_name(aps_cfg_source(cfg, k)));
        aps_json_escape(&b, aps_cfg_origin(cfg, k));
        aps_buf_puts(&b, "\"}");
    }
    aps_buf_puts(&b, "\n}\n");
    fwrite(b.data, 1, b.len, out);
    aps_buf_cleanup(&b);
}

void aps_config_print(const struct aps_config *cfg, FILE *out, bool json)
{
    if (json)
        print_json(cfg, out);
    else
        print_table(cfg, out);
}
