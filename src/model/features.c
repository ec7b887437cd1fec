/* features.c — point-in-time features (see features.h): the replay state, one row per game, and
 * the matrix over a history. The market columns are in feat_market.c. */
#include "model/features.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/mem.h"
#include "core/str.h"
#include "core/timeutil.h"
#include "model/feat_int.h"

#define TEAM_HALF_LIFE 30.0   /* days (platform-spec §4.6) */
#define H2H_HALF_LIFE 365.0
#define REST_CAP 30.0
#define H2H_CAP 20.0
#define EARTH_RADIUS_KM 6371.0
#define MKT_STEP 0.35         /* share of a market-rating error each team takes */
#define MKT_BASE_STEP 0.01    /* same for the home advantage and the mean total */
#define SCORE_STEP 0.03       /* share of a score's relative error each attack/defence takes */
#define SCORE_BASE_STEP 0.005 /* same for the base and the home advantage of the scores */
#define RATING_CARRY 0.8      /* share of a rating kept into a team's next season */

struct aps_feat_team {
    int64_t last_day;          /* day of the last game, -1 before the first */
    int season, season_games;
    int64_t recent[8];         /* days of the last 8 games, ring */
    int nrecent;
    double w, s_win, s_margin, s_pf, s_pa; /* time-decayed sums, weights as of t_upd */
    int64_t t_upd;
    double ats_w, ats_s;
    int64_t ats_t;
    double last_res[5], last_margin[5];
    int n5, p5;
    struct place { double lat, lon, utc_min; } last_venue, home_venue; /* NAN when unknown */
    double mkt[3];             /* market-implied: moneyline log-odds, spread and total points */
    int mkt_n[3];              /* games each learned from */
    double att, def;           /* scoring ratings (log scale); learnt from nrecent games */
};

struct aps_feat_pair {
    uint64_t key;              /* (lo + 1) << 32 | (hi + 1); 0 = empty */
    double w, s_share, s_margin; /* from lo's side */
    int64_t t;
    int n;
};

static const char *const col_names[APS_FEAT__COUNT] = {
    "elo_diff", "neutral", "playoff", "rest_home", "rest_away", "b2b_home", "b2b_away",
    "busy7_home", "busy7_away", "form_win_home", "form_win_away", "form_margin_home",
    "form_margin_away", "form_pf_home", "form_pa_home", "form_pf_away", "form_pa_away",
    "last5_win_diff", "last5_margin_diff", "season_games", "ats_home", "ats_away", "h2h_n",
    "h2h_share", "h2h_margin", "ml_home", "ml_draw", "ml_away", "ml_book_sd", "ml_books", "ml_move",
    "spread_open", "spread_open_p", "spread_move", "total_open", "total_open_p", "total_move",
    "wx_temp", "wx_wind", "wx_humidity", "wx_dome", "tn_rank", "tn_points", "tn_hard", "tn_clay",
    "tn_grass", "tn_best_of5", "travel_home", "travel_away", "tz_shift_home", "tz_shift_away",
    "mkt_rating_ml", "mkt_rating_spread", "mkt_rating_total", "score_exp_home", "score_exp_away",
    "ml_book0", "ml_book1", "ml_book2", "ml_book3", "ml_book4",
    "ml_book5",
};

const char *aps_feat_col_name(int col)
{
    return col >= 0 && col < APS_FEAT__COUNT ? col_names[col] : "?";
}

const char *aps_feat_spec_name(const struct aps_feat_spec *s, int j, char *buf, size_t cap)
{
    int c = s->col[j];
    if (c >= APS_F_BOOK0 && s->books[c - APS_F_BOOK0][0]) {
        snprintf(buf, cap, "ml_%s", s->books[c - APS_F_BOOK0]);
        return buf;
    }
    (void)aps_str_copy(buf, cap, aps_feat_col_name(c));
    return buf;
}

int64_t aps_feat_day(const struct aps_hist_game *g)
{
    int64_t t;
    if (aps_time_parse_iso(g->date, &t))
        t = g->start_time;
    return t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
}

size_t aps_feat_day_end(const struct aps_history *h, size_t gi)
{
    size_t e = gi + 1;
    while (e < h->ngames && !strcmp(h->games[e].date, h->games[gi].date))
        e++;
    return e;
}

/* ---- team table: id → index, open addressing ---- */

static uint64_t mix(uint64_t k)
{
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    return k;
}

static void team_rehash(struct aps_feat_state *st)
{
    size_t ocap = st->tcap;
    int64_t *okeys = st->tkeys;
    int *ovals = st->tvals;
    st->tcap = ocap ? ocap * 2 : 256;
    st->tkeys = aps_calloc(st->tcap, sizeof *st->tkeys);
    st->tvals = aps_calloc(st->tcap, sizeof *st->tvals);
    for (size_t i = 0; i < ocap; i++) {
        if (!ovals[i])
            continue;
        size_t j = mix((uint64_t)okeys[i]) & (st->tcap - 1);
        while (st->tvals[j])
            j = (j + 1) & (st->tcap - 1);
        st->tkeys[j] = okeys[i];
        st->tvals[j] = ovals[i];
    }
    aps_free(okeys);
    aps_free(ovals);
}

/* The state of a team, created empty on first sight. */
static int team_of(struct aps_feat_state *st, int64_t id)
{
    if (2 * (st->nteams + 1) > st->tcap)
        team_rehash(st);
    size_t j = mix((uint64_t)id) & (st->tcap - 1);
    while (st->tvals[j] && st->tkeys[j] != id)
        j = (j + 1) & (st->tcap - 1);
    if (st->tvals[j])
        return st->tvals[j] - 1;
    if (st->nteams == st->capteams) {
        st->capteams = st->capteams ? st->capteams * 2 : 256;
        st->teams = aps_realloc(st->teams, st->capteams * sizeof *st->teams);
    }
    struct aps_feat_team *t = &st->teams[st->nteams];
    memset(t, 0, sizeof *t);
    t->last_day = -1;
    t->season = -1;
    t->last_venue = t->home_venue = (struct place){NAN, NAN, NAN};
    st->tkeys[j] = id;
    st->tvals[j] = (int)++st->nteams;
    return (int)st->nteams - 1;
}

/* ---- head-to-head pairs ---- */

static struct aps_feat_pair *pair_of(struct aps_feat_state *st, int a, int b, bool create)
{
    int lo = a < b ? a : b, hi = a < b ? b : a;
    uint64_t key = ((uint64_t)(lo + 1) << 32) | (uint64_t)(hi + 1);
    if (create && 2 * (st->npairs + 1) > st->pcap) {
        size_t ocap = st->pcap;
        struct aps_feat_pair *old = st->pairs;
        st->pcap = ocap ? ocap * 2 : 1024;
        st->pairs = aps_calloc(st->pcap, sizeof *st->pairs);
        for (size_t i = 0; i < ocap; i++) {
            if (!old[i].key)
                continue;
            size_t j = mix(old[i].key) & (st->pcap - 1);
            while (st->pairs[j].key)
                j = (j + 1) & (st->pcap - 1);
            st->pairs[j] = old[i];
        }
        aps_free(old);
    }
    if (!st->pcap)
        return NULL;
    size_t j = mix(key) & (st->pcap - 1);
    while (st->pairs[j].key && st->pairs[j].key != key)
        j = (j + 1) & (st->pcap - 1);
    if (st->pairs[j].key)
        return &st->pairs[j];
    if (!create)
        return NULL;
    memset(&st->pairs[j], 0, sizeof st->pairs[j]);
    st->pairs[j].key = key;
    st->npairs++;
    return &st->pairs[j];
}

/* ---- state ---- */


int aps_feat_state_init(struct aps_feat_state *st, const struct aps_history *h,
                        const struct aps_feat_extras *x, const struct aps_feat_spec *spec)
{
    memset(st, 0, sizeof *st);
    st->h = h;
    st->x = x && x->n == h->ngames ? x : NULL;
    st->three_way = aps_sport_info(h->sport)->three_way;
    for (int b = 0; b < APS_FEAT_BOOKS; b++) {
        st->book_index[b] = -1;
        for (size_t k = 0; spec->books[b][0] && k < h->nbooks; k++)
            if (!strcmp(h->books[k].key, spec->books[b]))
                st->book_index[b] = (int)k;
    }
    struct aps_elo_params p;
    int rc = aps_elo_params_default(h->sport, &p);
    if (!rc)
        rc = aps_elo_replay_init(&st->elo, &p);
    return rc;
}

void aps_feat_state_cleanup(struct aps_feat_state *st)
{
    aps_elo_replay_cleanup(&st->elo);
    aps_free(st->teams);
    aps_free(st->tkeys);
    aps_free(st->tvals);
    aps_free(st->pairs);
    memset(st, 0, sizeof *st);
}

void aps_feat_begin(struct aps_feat_state *st, size_t gi)
{
    aps_elo_replay_enter(&st->elo, st->h->games[gi].season_no);
}

/* ---- one row ---- */

static double ratio(double s, double w)
{
    return w > 0 ? s / w : NAN;
}

static void team_cols(const struct aps_feat_team *t, int64_t day, int season, double *rest,
                      double *b2b, double *busy)
{
    if (t->last_day < 0) {
        *rest = *b2b = NAN;
        *busy = 0;
        return;
    }
    double r = (double)(day - t->last_day);
    *rest = r > REST_CAP ? REST_CAP : r;
    *b2b = r <= 1;
    int n = 0;
    for (int i = 0; i < t->nrecent && i < 8; i++)
        n += day - t->recent[i] <= 7;
    *busy = n;
    (void)season;
}

static double last5(const double *v, int n)
{
    if (!n)
        return NAN;
    double s = 0;
    for (int i = 0; i < n; i++)
        s += v[i];
    return s / n;
}

static void form_cols(struct aps_feat_state *st, int th, int ta, const struct aps_hist_game *g,
                      int64_t day, double *f)
{
    const struct aps_feat_team *a = &st->teams[th], *b = &st->teams[ta];
    team_cols(a, day, g->season_no, &f[APS_F_REST_HOME], &f[APS_F_B2B_HOME], &f[APS_F_BUSY_HOME]);
    team_cols(b, day, g->season_no, &f[APS_F_REST_AWAY], &f[APS_F_B2B_AWAY], &f[APS_F_BUSY_AWAY]);
    f[APS_F_FORM_WIN_HOME] = ratio(a->s_win, a->w);
    f[APS_F_FORM_WIN_AWAY] = ratio(b->s_win, b->w);
    f[APS_F_FORM_MARGIN_HOME] = ratio(a->s_margin, a->w);
    f[APS_F_FORM_MARGIN_AWAY] = ratio(b->s_margin, b->w);
    f[APS_F_FORM_PF_HOME] = ratio(a->s_pf, a->w);
    f[APS_F_FORM_PA_HOME] = ratio(a->s_pa, a->w);
    f[APS_F_FORM_PF_AWAY] = ratio(b->s_pf, b->w);
    f[APS_F_FORM_PA_AWAY] = ratio(b->s_pa, b->w);
    f[APS_F_LAST5_WIN_DIFF] = last5(a->last_res, a->n5) - last5(b->last_res, b->n5);
    f[APS_F_LAST5_MARGIN_DIFF] = last5(a->last_margin, a->n5) - last5(b->last_margin, b->n5);
    f[APS_F_SEASON_GAMES] = a->season == g->season_no ? a->season_games : 0;
    f[APS_F_ATS_HOME] = ratio(a->ats_s, a->ats_w);
    f[APS_F_ATS_AWAY] = ratio(b->ats_s, b->ats_w);
    const struct aps_feat_pair *p = pair_of(st, th, ta, false);
    f[APS_F_H2H_N] = p ? (p->n > H2H_CAP ? H2H_CAP : p->n) : 0;
    f[APS_F_H2H_SHARE] = f[APS_F_H2H_MARGIN] = NAN;
    if (p && p->w > 0) {
        bool home_lo = th < ta;
        double share = p->s_share / p->w, margin = p->s_margin / p->w;
        f[APS_F_H2H_SHARE] = home_lo ? share : 1 - share;
        f[APS_F_H2H_MARGIN] = home_lo ? margin : -margin;
    }
}

static void extra_cols(const struct aps_feat_state *st, size_t gi, double *f)
{
    const struct aps_feat_extra none = APS_FEAT_EXTRA_NONE;
    const struct aps_feat_extra *x = st->x ? &st->x->g[gi] : &none;
    const struct aps_hist_game *g = &st->h->games[gi];
    f[APS_F_WX_TEMP] = x->temp;
    f[APS_F_WX_WIND] = x->wind;
    f[APS_F_WX_HUMIDITY] = x->humidity;
    f[APS_F_WX_DOME] = x->dome;
    f[APS_F_TN_RANK] = x->rank_home > 0 && x->rank_away > 0 ? log(x->rank_away) - log(x->rank_home)
                                                            : NAN;
    f[APS_F_TN_POINTS] = x->pts_home >= 0 && x->pts_away >= 0
                             ? log(x->pts_home + 1) - log(x->pts_away + 1) : NAN;
    bool tennis = aps_sport_info(st->h->sport)->kind == APS_KIND_TENNIS;
    f[APS_F_TN_HARD] = tennis && g->surface >= 0 ? g->surface == APS_ELO_SURFACE_HARD : NAN;
    f[APS_F_TN_CLAY] = tennis && g->surface >= 0 ? g->surface == APS_ELO_SURFACE_CLAY : NAN;
    f[APS_F_TN_GRASS] = tennis && g->surface >= 0 ? g->surface == APS_ELO_SURFACE_GRASS : NAN;
    f[APS_F_TN_BEST5] = isnan(x->best_of) ? NAN : x->best_of >= 5;
}

double aps_feat_haversine_km(double lat1, double lon1, double lat2, double lon2)
{
    const double rad = M_PI / 180.0;
    double dlat = (lat2 - lat1) * rad, dlon = (lon2 - lon1) * rad;
    double a = sin(dlat / 2) * sin(dlat / 2) +
               cos(lat1 * rad) * cos(lat2 * rad) * sin(dlon / 2) * sin(dlon / 2);
    return 2 * EARTH_RADIUS_KM * asin(sqrt(a > 1 ? 1 : a));
}

/* Where a team comes from to game g: its previous game's venue in the same season, else home. */
static struct place trip_origin(const struct aps_feat_team *t, const struct aps_hist_game *g)
{
    bool same_season = t->last_day >= 0 && t->season == g->season_no;
    if (same_season && !isnan(t->last_venue.lat + t->last_venue.utc_min))
        return t->last_venue;
    return t->home_venue;
}

static void trip_cols(const struct aps_feat_team *t, const struct aps_hist_game *g,
                      const struct aps_feat_extra *x, double *dist, double *shift)
{
    struct place o = trip_origin(t, g);
    *dist = aps_feat_haversine_km(o.lat, o.lon, x->venue_lat, x->venue_lon);
    *shift = (x->venue_utc_min - o.utc_min) / 60.0;
}

static void travel_cols(struct aps_feat_state *st, int th, int ta, size_t gi, double *f)
{
    if (!st->x)
        return;
    const struct aps_feat_extra *x = &st->x->g[gi];
    const struct aps_hist_game *g = &st->h->games[gi];
    trip_cols(&st->teams[th], g, x, &f[APS_F_TRAVEL_HOME], &f[APS_F_TZ_HOME]);
    trip_cols(&st->teams[ta], g, x, &f[APS_F_TRAVEL_AWAY], &f[APS_F_TZ_AWAY]);
}

/* ---- market-implied ratings ---- */

/* A team's ratings as they stand for a game of `season`: shrunk towards the mean at its first
 * game of a new season (t->season is the season of its last observed game; the shrink is applied
 * for good when that game is observed, before team_learn moves t->season on). */
static double carried(const struct aps_feat_team *t, int season, double v)
{
    return t->season >= 0 && t->season != season ? v * RATING_CARRY : v;
}

static void carry_into(struct aps_feat_team *t, int season)
{
    for (int k = 0; k < 3; k++)
        t->mkt[k] = carried(t, season, t->mkt[k]);
    t->att = carried(t, season, t->att);
    t->def = carried(t, season, t->def);
}

/* Home side's market rating term: + for moneyline and spread (home minus away), and the sum of
 * both teams for totals. */
static double mkt_pair(int k, double home, double away)
{
    return k == 2 ? home + away : home - away;
}

static double mkt_base(const struct aps_feat_state *st, int k, bool neutral)
{
    return k == 2 || !neutral ? st->mkt_base[k] : 0;
}

static void rating_cols(const struct aps_feat_state *st, int th, int ta,
                        const struct aps_hist_game *g, double *f)
{
    const struct aps_feat_team *a = &st->teams[th], *b = &st->teams[ta];
    int season = g->season_no;
    for (int k = 0; k < 3; k++)
        if (a->mkt_n[k] && b->mkt_n[k])
            f[APS_F_MKT_ML + k] = mkt_base(st, k, g->neutral) +
                                  mkt_pair(k, carried(a, season, a->mkt[k]),
                                           carried(b, season, b->mkt[k]));
}

/* ---- attack and defence ratings ---- */

/* The log of each side's expected score (home, away) from the two teams' attack and defence. */
static void score_logs(const struct aps_feat_state *st, double att_h, double def_h, double att_a,
                       double def_a, bool neutral, double out[2])
{
    double half = neutral ? 0 : st->sc_home / 2;
    out[0] = st->sc_base + half + att_h - def_a;
    out[1] = st->sc_base - half + att_a - def_h;
}

static void score_cols(const struct aps_feat_state *st, int th, int ta,
                       const struct aps_hist_game *g, double *f)
{
    const struct aps_feat_team *h = &st->teams[th], *a = &st->teams[ta];
    int season = g->season_no;
    if (!h->nrecent || !a->nrecent) /* a team's final games so far */
        return;
    double l[2];
    score_logs(st, carried(h, season, h->att), carried(h, season, h->def),
               carried(a, season, a->att), carried(a, season, a->def), g->neutral, l);
    f[APS_F_SCORE_HOME] = exp(l[0]);
    f[APS_F_SCORE_AWAY] = exp(l[1]);
}

/* One step of the ratings towards game g's final score (hs, as): each error is the score minus
 * its expectation over the sport's mean score. The first final game of the history sets the base
 * (its mean score, at least 0.5) and moves no team; the base and home advantage then move by
 * 1/n of the error of the nth game until that is below SCORE_BASE_STEP. Called after
 * carry_into. */
static void learn_scores(struct aps_feat_state *st, struct aps_feat_team *h,
                         struct aps_feat_team *a, const struct aps_hist_game *g, double hs,
                         double as)
{
    if (!st->sc_n++) {
        st->sc_base = log(fmax((hs + as) / 2, 0.5));
    } else {
        double l[2];
        score_logs(st, h->att, h->def, a->att, a->def, g->neutral, l);
        double mean = exp(st->sc_base), eh = (hs - exp(l[0])) / mean, ea = (as - exp(l[1])) / mean;
        h->att += SCORE_STEP * eh;
        a->def -= SCORE_STEP * eh;
        a->att += SCORE_STEP * ea;
        h->def -= SCORE_STEP * ea;
        double step = fmax(SCORE_BASE_STEP, 1.0 / st->sc_n); /* a running mean at first */
        st->sc_base += step * (eh + ea) / 2;
        if (!g->neutral)
            st->sc_home += step * (eh - ea);
    }
}

/* Moves both teams' market ratings towards what game g's market said. A team never rated takes
 * the whole error (both new: half each), so its first price is matched exactly. */
static void learn_market(struct aps_feat_state *st, struct aps_feat_team *h,
                         struct aps_feat_team *a, const struct aps_hist_game *g,
                         const double target[3])
{
    for (int k = 0; k < 3; k++) {
        if (isnan(target[k]))
            continue;
        double err = target[k] - mkt_base(st, k, g->neutral) - mkt_pair(k, h->mkt[k], a->mkt[k]);
        double sh = h->mkt_n[k] ? (a->mkt_n[k] ? MKT_STEP : 0) : (a->mkt_n[k] ? 1 : 0.5);
        double sa = a->mkt_n[k] ? (h->mkt_n[k] ? MKT_STEP : 0) : (h->mkt_n[k] ? 1 : 0.5);
        if (!st->mkt_n[k] && k == 2) {
            st->mkt_base[k] = target[k]; /* the first total sets the mean */
            sh = sa = 0;
        } else if (st->mkt_n[k] && (k == 2 || !g->neutral)) {
            st->mkt_base[k] += MKT_BASE_STEP * err;
        }
        h->mkt[k] += sh * err;
        a->mkt[k] += k == 2 ? sa * err : -sa * err;
        h->mkt_n[k]++;
        a->mkt_n[k]++;
        st->mkt_n[k]++;
    }
}

static int elo_cols(struct aps_feat_state *st, const struct aps_hist_game *g, double *f,
                    double elo[3])
{
    struct aps_elo_game eg = aps_elo_hist_game(g);
    f[APS_F_ELO_DIFF] = aps_elo_diff(&st->elo.elo, g);
    f[APS_F_NEUTRAL] = g->neutral;
    f[APS_F_PLAYOFF] = g->playoff;
    if (!elo)
        return 0;
    if (st->three_way)
        return aps_elo_prob3(&st->elo.elo, &eg, elo);
    elo[1] = 0;
    int rc = aps_elo_prob(&st->elo.elo, &eg, &elo[0]);
    elo[2] = 1 - elo[0];
    return rc;
}

int aps_feat_row(struct aps_feat_state *st, const struct aps_feat_spec *spec, size_t gi,
                 double *row, double elo[3])
{
    double f[APS_FEAT__COUNT];
    const struct aps_hist_game *g = &st->h->games[gi];
    for (int i = 0; i < APS_FEAT__COUNT; i++)
        f[i] = NAN;
    int rc = elo_cols(st, g, f, elo);
    if (rc)
        return rc;
    int th = team_of(st, g->home), ta = team_of(st, g->away);
    form_cols(st, th, ta, g, aps_feat_day(g), f);
    travel_cols(st, th, ta, gi, f);
    rating_cols(st, th, ta, g, f);
    score_cols(st, th, ta, g, f);
    aps_feat_market_cols(st, gi, f);
    extra_cols(st, gi, f);
    for (int j = 0; j < spec->ncols; j++)
        row[j] = f[spec->col[j]];
    return 0;
}

/* ---- learning ---- */

static void decay_add(double *w, double *sums[], const double *vals, int n, int64_t *t,
                      int64_t day, double half_life)
{
    double k = *w > 0 ? exp(-log(2.0) * (double)(day - *t) / half_life) : 0;
    *w = *w * k + 1;
    for (int i = 0; i < n; i++)
        *sums[i] = *sums[i] * k + vals[i];
    *t = day;
}

static void team_learn(struct aps_feat_team *t, int64_t day, int season, double res, double pf,
                       double pa, double cover)
{
    double *sums[] = {&t->s_win, &t->s_margin, &t->s_pf, &t->s_pa};
    double vals[] = {res, pf - pa, pf, pa};
    decay_add(&t->w, sums, vals, 4, &t->t_upd, day, TEAM_HALF_LIFE);
    if (!isnan(cover)) {
        double *as[] = {&t->ats_s};
        decay_add(&t->ats_w, as, &cover, 1, &t->ats_t, day, TEAM_HALF_LIFE);
    }
    t->recent[t->nrecent % 8] = day;
    t->nrecent++;
    t->last_res[t->p5] = res;
    t->last_margin[t->p5] = pf - pa;
    t->p5 = (t->p5 + 1) % 5;
    if (t->n5 < 5)
        t->n5++;
    if (t->season != season) {
        t->season = season;
        t->season_games = 0;
    }
    t->season_games++;
    t->last_day = day;
}

/* The game's venue becomes both teams' last venue, and the home team's home unless neutral. */
static void learn_venue(struct aps_feat_state *st, int th, int ta, size_t gi)
{
    if (!st->x)
        return;
    const struct aps_feat_extra *x = &st->x->g[gi];
    struct place v = {x->venue_lat, x->venue_lon, x->venue_utc_min};
    st->teams[th].last_venue = st->teams[ta].last_venue = v;
    if (!st->h->games[gi].neutral && !isnan(v.lat) && !isnan(v.utc_min))
        st->teams[th].home_venue = v;
}

int aps_feat_observe(struct aps_feat_state *st, size_t gi)
{
    const struct aps_hist_game *g = &st->h->games[gi];
    if (!aps_hist_final(g))
        return 0;
    int64_t day = aps_feat_day(g);
    int th = team_of(st, g->home), ta = team_of(st, g->away);
    double hs = g->home_score, as = g->away_score;
    double res = hs > as ? 1 : hs < as ? 0 : 0.5;
    double line = aps_feat_main_line(st->h, gi, APS_MKT_SPREAD, APS_PHASE_CLOSE);
    double cover = NAN;
    if (!isnan(line) && hs - as + line != 0)
        cover = hs - as + line > 0;
    struct aps_feat_team *ht = &st->teams[th], *at = &st->teams[ta];
    double target[3];
    aps_feat_market_targets(st, gi, target);
    carry_into(ht, g->season_no); /* before team_learn sets the team's season */
    carry_into(at, g->season_no);
    learn_market(st, ht, at, g, target);
    learn_scores(st, ht, at, g, hs, as);
    team_learn(&st->teams[th], day, g->season_no, res, hs, as, cover);
    team_learn(&st->teams[ta], day, g->season_no, 1 - res, as, hs, isnan(cover) ? NAN : 1 - cover);
    learn_venue(st, th, ta, gi);
    struct aps_feat_pair *p = pair_of(st, th, ta, true);
    bool home_lo = th < ta;
    double sums_share = home_lo ? res : 1 - res, sums_margin = home_lo ? hs - as : as - hs;
    double *sums[] = {&p->s_share, &p->s_margin};
    double vals[] = {sums_share, sums_margin};
    decay_add(&p->w, sums, vals, 2, &p->t, day, H2H_HALF_LIFE);
    p->n++;
    return aps_elo_replay_feed_hist(&st->elo, g, NULL);
}

/* ---- matrix ---- */

int aps_feat_build_from(const struct aps_history *h, const struct aps_feat_extras *x,
                        const struct aps_feat_spec *spec, size_t first, struct aps_feat_matrix *m)
{
    struct aps_feat_state st;
    memset(m, 0, sizeof *m);
    m->n = h->ngames;
    m->d = spec->ncols;
    m->x = aps_malloc((h->ngames * (size_t)spec->ncols + 1) * sizeof *m->x);
    m->elo = aps_malloc((h->ngames * 3 + 1) * sizeof *m->elo);
    int rc = aps_feat_state_init(&st, h, x, spec);
    for (size_t d0 = 0; d0 < h->ngames && !rc;) {
        size_t d1 = aps_feat_day_end(h, d0);
        for (size_t gi = d0; gi < d1 && !rc; gi++) {
            double *row = m->x + gi * (size_t)spec->ncols, *elo = m->elo + gi * 3;
            aps_feat_begin(&st, gi);
            if (gi >= first) {
                rc = aps_feat_row(&st, spec, gi, row, elo);
                continue;
            }
            /* a row would meet its teams first: they are numbered in the same order */
            (void)team_of(&st, h->games[gi].home);
            (void)team_of(&st, h->games[gi].away);
            for (int j = 0; j < spec->ncols; j++)
                row[j] = NAN;
            elo[0] = elo[1] = elo[2] = NAN;
        }
        for (size_t gi = d0; gi < d1 && !rc; gi++)
            rc = aps_feat_observe(&st, gi);
        d0 = d1;
    }
    aps_feat_state_cleanup(&st);
    if (rc)
        aps_feat_matrix_cleanup(m);
    return rc;
}

int aps_feat_build(const struct aps_history *h, const struct aps_feat_extras *x,
                   const struct aps_feat_spec *spec, struct aps_feat_matrix *m)
{
    return aps_feat_build_from(h, x, spec, 0, m);
}

void aps_feat_matrix_cleanup(struct aps_feat_matrix *m)
{
    aps_free(m->x);
    aps_free(m->elo);
    memset(m, 0, sizeof *m);
}

/* The column of from that holds to's column j, or -1. */
static int select_source(const struct aps_feat_spec *from, const struct aps_feat_spec *to, int j)
{
    int col = to->col[j];
    if (col >= APS_F_BOOK0 && col < APS_F_BOOK0 + APS_FEAT_BOOKS &&
        strcmp(from->books[col - APS_F_BOOK0], to->books[col - APS_F_BOOK0]))
        return -1;
    for (int i = 0; i < from->ncols; i++)
        if (from->col[i] == col)
            return i;
    return -1;
}

int aps_feat_matrix_select(const struct aps_feat_matrix *src, const struct aps_feat_spec *from,
                           const struct aps_feat_spec *to, struct aps_feat_matrix *out)
{
    int map[APS_FEAT__COUNT];
    memset(out, 0, sizeof *out);
    if (src->d != from->ncols || to->ncols > APS_FEAT__COUNT)
        return APS_E_INVAL;
    for (int j = 0; j < to->ncols; j++)
        if ((map[j] = select_source(from, to, j)) < 0)
            return APS_E_INVAL;
    size_t n = src->n, dn = (size_t)to->ncols, ds = (size_t)src->d;
    out->n = n;
    out->d = to->ncols;
    out->x = aps_malloc((n * dn + 1) * sizeof *out->x);
    out->elo = aps_malloc((n * 3 + 1) * sizeof *out->elo);
    memcpy(out->elo, src->elo, n * 3 * sizeof *out->elo);
    for (size_t gi = 0; gi < n; gi++)
        for (size_t j = 0; j < dn; j++)
            out->x[gi * dn + j] = src->x[gi * ds + (size_t)map[j]];
    return 0;
}
