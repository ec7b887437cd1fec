/* elo_fit.c — walk-forward log-loss of Elo parameters and a coordinate search over them (see
 * elo_fit.h). */
#include "model/elo_fit.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/mem.h"
#include "core/str.h"
#include "model/elo_replay.h"

#define P_CLIP 1e-15

static double clip(double p)
{
    return p < P_CLIP ? P_CLIP : p > 1 - P_CLIP ? 1 - P_CLIP : p;
}

int aps_elo_replay_loss(const struct aps_elo_params *p, bool three_way,
                        const struct aps_elo_fit_game *g, size_t n, int burn_in,
                        double *log_loss, double *brier, size_t *scored)
{
    struct aps_elo_replay r;
    int rc = aps_elo_replay_init(&r, p);
    if (rc)
        return rc;
    double ll = 0, bs = 0;
    size_t k = 0;
    int first = n ? g[0].season_no : 0;
    for (size_t i = 0; i < n && !rc; i++) {
        aps_elo_replay_enter(&r, g[i].season_no);
        if (g[i].home_score < 0 || g[i].away_score < 0)
            continue;
        struct aps_elo_game eg = {g[i].home, g[i].away, g[i].neutral, g[i].surface};
        bool score = r.season - first >= burn_in;
        /* a scored game is fed (it is final) with its pre-game probabilities in the same step */
        if (score && three_way) {
            double pr[3];
            rc = aps_elo_prob_update(&r.elo, &eg, g[i].home_score, g[i].away_score, true, pr);
            int y = g[i].home_score > g[i].away_score ? 0
                    : g[i].home_score == g[i].away_score ? 1 : 2;
            if (!rc) {
                ll -= log(clip(pr[y]));
                for (int c = 0; c < 3; c++)
                    bs += (pr[c] - (c == y)) * (pr[c] - (c == y));
                k++;
            }
        } else if (score && g[i].home_score != g[i].away_score) {
            double pr[3];
            rc = aps_elo_prob_update(&r.elo, &eg, g[i].home_score, g[i].away_score, false, pr);
            int y = g[i].home_score > g[i].away_score;
            if (!rc) {
                double ph = pr[0];
                ll -= y ? log(clip(ph)) : log(clip(1 - ph));
                bs += (ph - y) * (ph - y);
                k++;
            }
        } else {
            rc = aps_elo_replay_feed(&r, &eg, g[i].home_score, g[i].away_score, NULL);
        }
    }
    aps_elo_replay_cleanup(&r);
    if (rc)
        return rc;
    *log_loss = k ? ll / (double)k : NAN;
    *brier = k ? bs / (double)k : NAN;
    *scored = k;
    return 0;
}

/* The replays already done in one search, by the values of the parameters it moves (the others
 * stay at the start's): a coordinate search comes back to points it has measured (a step down an
 * axis and the first step back up land on the point it left, and the last replay is of the best
 * point), and replays are the whole cost of the search. The replay is deterministic, so a stored
 * result is the one a new replay would give. Keys compare bit for bit. */
#define MEMO_CAP 256

struct memo_entry {
    double key[4];
    double ll, bs;
    size_t scored;
};

struct memo {
    size_t n;
    struct memo_entry e[MEMO_CAP];
};

static void memo_key(const struct aps_elo_params *p, double key[4])
{
    key[0] = p->k;
    key[1] = p->home_adv;
    key[2] = p->regress;
    key[3] = p->draw_width;
}

static int replay_memo(struct memo *m, const struct aps_elo_params *p, bool three_way,
                       const struct aps_elo_fit_game *g, size_t n, int burn_in, double *ll,
                       double *bs, size_t *scored)
{
    double key[4];
    memo_key(p, key);
    for (size_t i = 0; i < m->n; i++) {
        if (!memcmp(m->e[i].key, key, sizeof key)) {
            *ll = m->e[i].ll;
            *bs = m->e[i].bs;
            *scored = m->e[i].scored;
            return 0;
        }
    }
    int rc = aps_elo_replay_loss(p, three_way, g, n, burn_in, ll, bs, scored);
    if (!rc && m->n < MEMO_CAP) {
        struct memo_entry *e = &m->e[m->n++];
        memcpy(e->key, key, sizeof key);
        e->ll = *ll;
        e->bs = *bs;
        e->scored = *scored;
    }
    return rc;
}

/* The parameters the search moves, with their allowed ranges. */
struct axis {
    size_t off;
    double lo, hi, step;
};

static double *field(struct aps_elo_params *p, size_t off)
{
    return (double *)((char *)p + off);
}

int aps_elo_fit(const struct aps_elo_params *start, bool three_way,
                const struct aps_elo_fit_game *g, size_t n, int burn_in,
                struct aps_elo_fit_result *out)
{
    struct axis axes[4] = {
        {offsetof(struct aps_elo_params, k), 1, 80, 4},
        {offsetof(struct aps_elo_params, home_adv), 0, 200, 10},
        {offsetof(struct aps_elo_params, regress), 0, 1, 0.1},
        {offsetof(struct aps_elo_params, draw_width), 0, 300, 15},
    };
    int naxes = three_way ? 4 : 3;
    if (!start->has_home)
        axes[1].step = 0; /* tennis: no home advantage to fit */
    struct aps_elo_params best = *start;
    double best_ll, bs;
    size_t scored;
    int evals = 1;
    struct memo *memo = aps_malloc(sizeof *memo);
    memo->n = 0;
    int rc = replay_memo(memo, &best, three_way, g, n, burn_in, &best_ll, &bs, &scored);
    if (!rc && !scored)
        rc = APS_E_NOTFOUND;
    if (rc)
        goto out;
    for (int round = 0; round < 3; round++) {
        bool improved = true;
        for (int pass = 0; improved && pass < 6; pass++) {
            improved = false;
            for (int a = 0; a < naxes; a++) {
                double step = axes[a].step / (double)(1 << (2 * round));
                if (step <= 0)
                    continue;
                for (int dir = -1; dir <= 1; dir += 2) {
                    for (;;) {
                        struct aps_elo_params cand = best;
                        double v = *field(&cand, axes[a].off) + dir * step;
                        if (v < axes[a].lo || v > axes[a].hi)
                            break;
                        *field(&cand, axes[a].off) = v;
                        double ll;
                        rc = replay_memo(memo, &cand, three_way, g, n, burn_in, &ll, &bs,
                                         &scored);
                        evals++;
                        if (rc)
                            goto out;
                        if (!(ll < best_ll - 1e-9))
                            break;
                        best = cand;
                        best_ll = ll;
                        improved = true;
                    }
                }
            }
        }
    }
    rc = replay_memo(memo, &best, three_way, g, n, burn_in, &best_ll, &bs, &scored);
    if (rc)
        goto out;
    out->params = best;
    out->log_loss = best_ll;
    out->brier = bs;
    out->scored = scored;
    out->evaluations = evals;
out:
    aps_free(memo);
    return rc;
}

void aps_elo_params_to_json(const struct aps_elo_params *p, char *out, size_t cap)
{
    snprintf(out, cap,
             "{\"k\":%.6g,\"home_adv\":%.6g,\"mov\":%d,\"regress\":%.6g,\"mean\":%.6g,"
             "\"initial\":%.6g,\"scale\":%.6g,\"has_home\":%d,\"draw_width\":%.6g,"
             "\"surface_weight\":%.6g}",
             p->k, p->home_adv, (int)p->mov, p->regress, p->mean, p->initial, p->scale,
             p->has_home ? 1 : 0, p->draw_width, p->surface_weight);
}

/* A tiny reader for the flat object written above (keys in any order). */
static int get_num(const char *json, const char *key, double *v)
{
    char pat[40];
    snprintf(pat, sizeof pat, "\"%s\":", key);
    const char *s = strstr(json, pat);
    if (!s)
        return APS_E_PARSE;
    s += strlen(pat);
    char buf[40];
    size_t i = 0;
    while (*s && *s != ',' && *s != '}' && i + 1 < sizeof buf)
        buf[i++] = *s++;
    buf[i] = '\0';
    return aps_parse_double(buf, v);
}

int aps_elo_params_from_json(const char *json, struct aps_elo_params *p)
{
    double v[10];
    static const char *keys[10] = {"k",       "home_adv", "mov",      "regress",    "mean",
                                   "initial", "scale",    "has_home", "draw_width", "surface_weight"};
    for (int i = 0; i < 10; i++)
        if (get_num(json, keys[i], &v[i]))
            return APS_E_PARSE;
    struct aps_elo_params q = *p;
    q.k = v[0];
    q.home_adv = v[1];
    q.mov = v[2] == 1 ? APS_ELO_MOV_FIVETHIRTYEIGHT : APS_ELO_MOV_NONE;
    q.regress = v[3];
    q.mean = v[4];
    q.initial = v[5];
    q.scale = v[6];
    q.has_home = v[7] != 0;
    q.draw_width = v[8];
    q.surface_weight = v[9];
    struct aps_elo probe;
    int rc = aps_elo_init(&probe, &q);
    aps_elo_cleanup(&probe);
    if (rc)
        return rc;
    *p = q;
    return 0;
}
