/* registry_files.c — a trained model's artefacts on disk (see registry.h): model.json and one
 * XGBoost JSON file per boosted base model. */
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/mem.h"
#include "model/registry.h"
#include "model/registry_int.h"

#define FORMAT 1

/* mkdir -p */
int aps_registry_mkdirs(const char *path)
{
    char buf[PATH_MAX];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
        return APS_E_TOOBIG;
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0755) && errno != EEXIST)
            return APS_E_IO;
        *p = '/';
    }
    if (mkdir(buf, 0755) && errno != EEXIST)
        return APS_E_IO;
    return 0;
}

static json_t *parsed(char *txt)
{
    json_error_t e;
    json_t *j = json_loads(txt, 0, &e);
    aps_free(txt);
    return j ? j : json_null();
}

static int base_to_json(const struct aps_trained *t, int b, const char *dir, json_t *arr)
{
    const struct aps_base_model *bm = &t->base[b];
    json_t *o = json_object();
    char file[32], path[PATH_MAX];
    int rc = 0;
    json_object_set_new(o, "candidate", parsed(aps_candidate_to_json(&bm->c)));
    json_object_set_new(o, "calibration", parsed(aps_calib_to_json(&t->calib[b])));
    json_object_set_new(o, "sigma", json_real(t->sigma[b]));
    json_object_set_new(o, "group", json_integer(t->group[b]));
    if (bm->regression)
        json_object_set_new(o, "margin", parsed(aps_margin_to_json(&bm->mm)));
    else if (bm->c.family == APS_FAM_LOGISTIC)
        json_object_set_new(o, "logistic", parsed(aps_logit_to_json(&bm->lr)));
    const struct aps_gbm *gb = bm->regression ? &bm->mm.gb : &bm->gb;
    if (gb->booster) {
        snprintf(file, sizeof file, "base%d.json", b);
        if (snprintf(path, sizeof path, "%s/%s", dir, file) >= (int)sizeof path)
            rc = APS_E_TOOBIG;
        if (!rc)
            rc = aps_gbm_save(gb, path);
        json_object_set_new(o, "gbm_file", json_string(file));
    }
    json_array_append_new(arr, o);
    return rc;
}

static json_t *pool_json(const struct aps_trained *t)
{
    json_t *o = json_object(), *w = json_array(), *b = json_array();
    for (int g = 0; g < t->ngroups; g++)
        json_array_append_new(w, json_real(t->pool_w[g]));
    for (int c = 0; c < 3; c++)
        json_array_append_new(b, json_real(t->pool_b[c]));
    json_object_set_new(o, "w", w);
    json_object_set_new(o, "b", b);
    return o;
}

static int pool_from_json(json_t *o, struct aps_trained *t)
{
    json_t *w = json_object_get(o, "w"), *b = json_object_get(o, "b");
    if (json_array_size(w) != (size_t)t->ngroups || json_array_size(b) != 3)
        return APS_E_PARSE;
    for (int g = 0; g < t->ngroups; g++)
        t->pool_w[g] = json_number_value(json_array_get(w, (size_t)g));
    for (int c = 0; c < 3; c++)
        t->pool_b[c] = json_number_value(json_array_get(b, (size_t)c));
    return 0;
}

int aps_registry_write_model(const struct aps_trained *t, const char *dir)
{
    int rc = aps_registry_mkdirs(dir);
    json_t *o = json_object(), *bases = json_array();
    json_object_set_new(o, "format", json_integer(FORMAT));
    json_object_set_new(o, "sport", json_string(aps_sport_info(t->sport)->code));
    json_object_set_new(o, "market", json_string(aps_market_name(t->market)));
    json_object_set_new(o, "family", json_string(aps_family_name(t->family)));
    json_object_set_new(o, "name", json_string(t->name));
    json_object_set_new(o, "k", json_integer(t->k));
    json_object_set_new(o, "regression", json_boolean(t->regression));
    json_object_set_new(o, "spec", parsed(aps_feat_spec_to_json(&t->spec)));
    json_object_set_new(o, "groups", json_integer(t->ngroups));
    for (int b = 0; b < t->nbase && !rc; b++)
        rc = base_to_json(t, b, dir, bases);
    json_object_set_new(o, "bases", bases);
    if (t->has_meta && t->regression)
        json_object_set_new(o, "meta_regression", parsed(aps_margin_to_json(&t->meta_reg)));
    else if (t->has_meta)
        json_object_set_new(o, "pool", pool_json(t));
    if (t->has_meta)
        json_object_set_new(o, "out_calibration", parsed(aps_calib_to_json(&t->out_calib)));
    char path[PATH_MAX];
    if (!rc && snprintf(path, sizeof path, "%s/model.json", dir) >= (int)sizeof path)
        rc = APS_E_TOOBIG;
    if (!rc && json_dump_file(o, path, JSON_INDENT(1) | JSON_REAL_PRECISION(17)))
        rc = APS_E_IO;
    json_decref(o);
    return rc;
}

/* A sub-object re-serialised, for the parsers that take text. */
static int with_text(json_t *o, const char *key, char **txt)
{
    json_t *v = json_object_get(o, key);
    *txt = v ? json_dumps(v, JSON_COMPACT | JSON_REAL_PRECISION(17)) : NULL;
    return *txt ? 0 : APS_E_PARSE;
}

/* Where aps_registry_load says why it failed: NULL, or cap bytes at why. */
struct load_why {
    char *why;
    size_t cap;
};

static void say_why(const struct load_why *w, const char *file, const char *what)
{
    if (w->why)
        snprintf(w->why, w->cap, "%s: %s", file, what);
}

static int load_booster(json_t *o, const char *dir, enum aps_gbm_objective obj, int k,
                        struct aps_gbm *gb, const struct load_why *w)
{
    const char *file = json_string_value(json_object_get(o, "gbm_file"));
    char path[PATH_MAX];
    if (!file || strchr(file, '/'))
        return APS_E_PARSE;
    if (snprintf(path, sizeof path, "%s/%s", dir, file) >= (int)sizeof path)
        return APS_E_TOOBIG;
    int rc = aps_gbm_load(path, obj, k, gb);
    if (rc)
        say_why(w, path, aps_strerror(rc));
    return rc;
}

static int base_from_json(json_t *o, const char *dir, struct aps_trained *t, int b,
                          const struct load_why *w)
{
    struct aps_base_model *bm = &t->base[b];
    char *txt = NULL;
    bm->regression = t->regression;
    bm->k = t->k;
    bm->d = t->spec.ncols;
    int rc = with_text(o, "candidate", &txt);
    if (!rc)
        rc = aps_candidate_from_json(txt, &bm->c);
    aps_free(txt);
    if (!rc && !with_text(o, "calibration", &txt)) {
        rc = aps_calib_from_json(txt, &t->calib[b]);
        aps_free(txt);
    }
    t->sigma[b] = json_number_value(json_object_get(o, "sigma"));
    t->group[b] = (int)json_integer_value(json_object_get(o, "group"));
    if (t->group[b] < 0 || t->group[b] >= APS_ENS_MAX)
        return APS_E_PARSE;
    if (!rc && t->regression) {
        rc = with_text(o, "margin", &txt);
        if (!rc)
            rc = aps_margin_from_json(txt, &bm->mm);
        aps_free(txt);
        if (!rc && bm->mm.kind == APS_MARGIN_GBM)
            rc = load_booster(o, dir, APS_GBM_REGRESSION, 1, &bm->mm.gb, w);
    } else if (!rc && bm->c.family == APS_FAM_LOGISTIC) {
        rc = with_text(o, "logistic", &txt);
        if (!rc)
            rc = aps_logit_from_json(txt, &bm->lr);
        aps_free(txt);
    } else if (!rc && bm->c.family == APS_FAM_GBM) {
        rc = load_booster(o, dir, t->k == 2 ? APS_GBM_BINARY : APS_GBM_SOFTMAX, t->k, &bm->gb, w);
    }
    return rc;
}

static int header_from_json(json_t *o, struct aps_trained *t)
{
    int sport = aps_sport_from_code(json_string_value(json_object_get(o, "sport")));
    int market = aps_market_parse(json_string_value(json_object_get(o, "market")));
    int fam = aps_family_parse(json_string_value(json_object_get(o, "family")));
    const char *name = json_string_value(json_object_get(o, "name"));
    char *txt = NULL;
    if (sport < 0 || market < 0 || fam < 0 || !name ||
        json_integer_value(json_object_get(o, "format")) != FORMAT)
        return APS_E_PARSE;
    t->sport = sport;
    t->market = market;
    t->family = fam;
    snprintf(t->name, sizeof t->name, "%s", name);
    t->k = (int)json_integer_value(json_object_get(o, "k"));
    t->regression = json_is_true(json_object_get(o, "regression"));
    t->ngroups = (int)json_integer_value(json_object_get(o, "groups"));
    if (t->ngroups < 0 || t->ngroups > APS_ENS_MAX)
        return APS_E_PARSE;
    int rc = t->k == 2 || t->k == 3 ? with_text(o, "spec", &txt) : APS_E_PARSE;
    if (!rc)
        rc = aps_feat_spec_from_json(txt, &t->spec);
    aps_free(txt);
    return rc;
}

/* MODEL_PATH: where this process finds a model whose recorded directory is not on this machine. */
static char read_root[PATH_MAX];

void aps_registry_configure(const char *model_path)
{
    snprintf(read_root, sizeof read_root, "%s", model_path ? model_path : "");
}

static int load_dir(const char *dir, struct aps_trained *t, char *why, size_t cap);

/* The model's directory under MODEL_PATH (alt, cap PATH_MAX) when dir has no model.json and
 * MODEL_PATH/<dir's last component> has one; false otherwise. */
static bool moved_dir(const char *dir, char *alt)
{
    char path[PATH_MAX];
    struct stat st;
    if (!read_root[0] || snprintf(path, sizeof path, "%s/model.json", dir) >= (int)sizeof path ||
        stat(path, &st) == 0 || errno != ENOENT)
        return false;
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/')
        n--;
    size_t b = n;
    while (b > 0 && dir[b - 1] != '/')
        b--;
    if (b == n || snprintf(alt, PATH_MAX, "%s/%.*s", read_root, (int)(n - b), dir + b) >= PATH_MAX)
        return false;
    return snprintf(path, sizeof path, "%s/model.json", alt) < (int)sizeof path &&
           stat(path, &st) == 0 && strcmp(alt, dir) != 0;
}

int aps_registry_load(const char *dir, struct aps_trained *t, char *why, size_t cap)
{
    char alt[PATH_MAX];
    bool moved = moved_dir(dir, alt);
    int rc = load_dir(moved ? alt : dir, t, why, cap);
    size_t n = rc && !moved && why && cap && read_root[0] ? strlen(why) : 0;
    if (n && strstr(why, "unable to open"))
        snprintf(why + n, cap - n, " (nor is it under MODEL_PATH %s)", read_root);
    return rc;
}

static int load_dir(const char *dir, struct aps_trained *t, char *why, size_t cap)
{
    char path[PATH_MAX], *txt = NULL;
    json_error_t e;
    const struct load_why w = {cap ? why : NULL, cap};
    memset(t, 0, sizeof *t);
    if (w.why)
        w.why[0] = '\0';
    if (snprintf(path, sizeof path, "%s/model.json", dir) >= (int)sizeof path) {
        say_why(&w, dir, "path too long");
        return APS_E_TOOBIG;
    }
    json_t *o = json_load_file(path, 0, &e);
    if (!o) {
        /* jansson's text names the file it cannot open ("unable to open PATH: strerror") */
        if (w.why && json_error_code(&e) == json_error_cannot_open_file)
            snprintf(w.why, w.cap, "%s", e.text);
        else if (w.why)
            snprintf(w.why, w.cap, "%s: line %d: %s", path, e.line, e.text);
        return APS_E_IO;
    }
    int rc = header_from_json(o, t);
    json_t *bases = json_object_get(o, "bases");
    size_t nb = json_array_size(bases);
    if (!rc && (nb < 1 || nb > APS_ENS_MAX))
        rc = APS_E_PARSE;
    for (size_t b = 0; !rc && b < nb; b++) {
        rc = base_from_json(json_array_get(bases, b), dir, t, (int)b, &w);
        t->nbase = (int)b + 1;
    }
    if (!rc && json_object_get(o, "meta_regression")) {
        rc = with_text(o, "meta_regression", &txt);
        if (!rc)
            rc = aps_margin_from_json(txt, &t->meta_reg);
        t->has_meta = !rc;
    } else if (!rc && json_object_get(o, "pool")) {
        rc = pool_from_json(json_object_get(o, "pool"), t);
        t->has_meta = !rc;
    }
    aps_free(txt);
    txt = NULL;
    if (!rc && t->has_meta && !with_text(o, "out_calibration", &txt))
        rc = aps_calib_from_json(txt, &t->out_calib);
    aps_free(txt);
    json_decref(o);
    if (rc && w.why && !w.why[0])
        say_why(&w, path,
                rc == APS_E_PARSE ? "not a model this version can read" : aps_strerror(rc));
    if (rc)
        aps_trained_cleanup(t);
    return rc;
}
