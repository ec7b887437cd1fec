/* features.h — point-in-time features of a game: the one code path that training, backtests and
 * live picks share (reference/platform-spec.md §4.6).
 *
 * A feature state replays a sport's history (model/history.h, read as plain data) in time order.
 * For game gi, aps_feat_row() reads only:
 *   - the state, which has learned from finished games of EARLIER DAYS only (the caller observes
 *     a day's games after computing every row of that day, as the predictor interface does);
 *   - the game's own pre-game facts: teams, date, neutral site, playoff flag, season;
 *   - its odds quoted at the open or pre-match phases (never the close; live snapshots only when
 *     the game has no pre-match prices), and of those only quotes recorded at or before its start,
 *     each book's latest;
 *   - its pre-game extras: weather (spreadspoke), rankings, points, surface and best-of (tennis),
 *     and its venue's coordinates and time zone (venues table).
 * Past games' closing lines feed the against-the-spread form of later games; the closing line of
 * the game itself is never read. tests/unit/model/test_features.c proves it: rows computed on the
 * full store equal rows computed on a history truncated just before each game.
 *
 * Columns (full row, APS_FEAT__COUNT wide; a spec keeps the ones a sport has data for):
 *   Elo difference with home advantage (default parameters, so nothing is fitted on the future),
 *   rest days, back-to-backs and games in the last 7 days per side, recent form (time-decayed with
 *   a 30-day half-life: win share, margin, points for and against; last five games), against-the-
 *   spread form, head-to-head (365-day half-life), the market at the open/pre-match phase (no-vig
 *   home/draw/away log-odds averaged over books and per book, their spread between books, the
 *   opening spread and total lines with their no-vig prices, moves from the open to the last quote
 *   before the start), weather and tennis rankings/surface, and travel: each side's great-circle
 *   distance (km) to the game's venue from the venue of its previous game of the season (from its
 *   home, the venue of its latest earlier home game not at a neutral site, at a season's start or
 *   when the previous venue is unknown) and the time-zone shift (hours, positive eastwards, from
 *   standard-time offsets) over the same trip.
 * Market-implied ratings, fitted online from earlier days' finished games (point in time like
 * the form): each team's rating in the market's own units, moved after every game towards what
 * its closing market said (else its entry market): the moneyline's no-vig home log-odds (home
 * against away in three-way markets), the home margin the spread line implies (minus the home
 * line) and the total line. A game's columns are the prediction from the two teams' ratings and
 * the home advantage fitted the same way — what the market would price the game at from the
 * prices of the teams' earlier games. A team seen for the first time takes the rating that makes
 * its first game's price exact; ratings shrink towards the mean at a team's first game of a
 * season.
 * Attack and defence ratings, fitted online from earlier days' final scores the same way (a
 * Poisson-style log-linear model of each side's score, as Dixon and Coles rate football teams,
 * used here for every sport's scores: goals, runs, points, sets): the home side is expected to
 * score exp(base + home/2 + attack_home − defence_away) and the away side exp(base − home/2 +
 * attack_away − defence_home) (no home term at a neutral site). After a final game each rating
 * moves by a share of the score's error over the sport's mean score — the gradient of the Poisson
 * log-likelihood, made unitless — and the base and home advantage more slowly. A game's columns
 * are the two expected scores, once both teams have a final game behind them; the ratings
 * shrink towards the mean at a team's first game of a season like the market ratings.
 * Missing values are NAN. */
#ifndef APS_MODEL_FEATURES_H
#define APS_MODEL_FEATURES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "model/history.h"
#include "model/elo.h"
#include "model/elo_replay.h"

struct aps_conn;

#define APS_FEAT_BOOKS 6     /* per-book market columns at most */

enum aps_feat_col {
    APS_F_ELO_DIFF, APS_F_NEUTRAL, APS_F_PLAYOFF,
    APS_F_REST_HOME, APS_F_REST_AWAY, APS_F_B2B_HOME, APS_F_B2B_AWAY,
    APS_F_BUSY_HOME, APS_F_BUSY_AWAY,
    APS_F_FORM_WIN_HOME, APS_F_FORM_WIN_AWAY, APS_F_FORM_MARGIN_HOME, APS_F_FORM_MARGIN_AWAY,
    APS_F_FORM_PF_HOME, APS_F_FORM_PA_HOME, APS_F_FORM_PF_AWAY, APS_F_FORM_PA_AWAY,
    APS_F_LAST5_WIN_DIFF, APS_F_LAST5_MARGIN_DIFF, APS_F_SEASON_GAMES,
    APS_F_ATS_HOME, APS_F_ATS_AWAY,
    APS_F_H2H_N, APS_F_H2H_SHARE, APS_F_H2H_MARGIN,
    APS_F_ML_HOME, APS_F_ML_DRAW, APS_F_ML_AWAY, APS_F_ML_SD, APS_F_ML_BOOKS, APS_F_ML_MOVE,
    APS_F_SPREAD, APS_F_SPREAD_P, APS_F_SPREAD_MOVE, APS_F_TOTAL, APS_F_TOTAL_P, APS_F_TOTAL_MOVE,
    APS_F_WX_TEMP, APS_F_WX_WIND, APS_F_WX_HUMIDITY, APS_F_WX_DOME,
    APS_F_TN_RANK, APS_F_TN_POINTS, APS_F_TN_HARD, APS_F_TN_CLAY, APS_F_TN_GRASS, APS_F_TN_BEST5,
    APS_F_TRAVEL_HOME, APS_F_TRAVEL_AWAY, APS_F_TZ_HOME, APS_F_TZ_AWAY,
    APS_F_MKT_ML, APS_F_MKT_SPREAD, APS_F_MKT_TOTAL,
    APS_F_SCORE_HOME, APS_F_SCORE_AWAY,
    APS_F_BOOK0, /* APS_FEAT_BOOKS per-book no-vig home log-odds follow */
    APS_FEAT__COUNT = APS_F_BOOK0 + APS_FEAT_BOOKS
};

/* Pre-game facts only some sources give, one per history game (NAN when absent). */
struct aps_feat_extra {
    double temp, wind, humidity, dome;
    double rank_home, rank_away, pts_home, pts_away, best_of;
    double venue_lat, venue_lon, venue_utc_min; /* the game's venue: degrees, standard offset */
};

/* An extra with nothing known. */
#define APS_FEAT_EXTRA_NONE                                                                   \
    ((struct aps_feat_extra){NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN})

/* Great-circle distance in km between two points given in degrees (haversine, on a sphere of the
 * Earth's mean radius 6371.0 km); NAN when any coordinate is. */
double aps_feat_haversine_km(double lat1, double lon1, double lat2, double lon2);

struct aps_feat_extras {
    struct aps_feat_extra *g; /* parallel to history games */
    size_t n;
};

/* Which columns a model uses, by name, and which books fill the per-book columns. A spec is
 * fixed at training time and stored with the model, so rows computed later have the same shape. */
struct aps_feat_spec {
    int ncols;
    int col[APS_FEAT__COUNT];            /* full-row index of each used column */
    char books[APS_FEAT_BOOKS][32];      /* book keys of APS_F_BOOK0.. ("" for unused slots) */
};

struct aps_feat_team;
struct aps_feat_pair;

/* The replay state. init/cleanup pair; cleanup is safe on a zeroed struct. */
struct aps_feat_state {
    const struct aps_history *h;
    const struct aps_feat_extras *x;     /* may be NULL */
    int book_index[APS_FEAT_BOOKS];      /* history book of each per-book slot, -1 */
    struct aps_elo_replay elo;           /* the ratings, walked game by game */
    bool three_way;
    struct aps_feat_team *teams;
    size_t nteams, capteams;
    int64_t *tkeys;                      /* team id hash → teams index + 1 (0 empty) */
    int *tvals;
    size_t tcap;
    struct aps_feat_pair *pairs;         /* head-to-head, open addressing by team pair */
    size_t pcap, npairs;
    double mkt_base[3];                  /* market ratings: home advantage (moneyline log-odds,
                                          * spread points) and the mean total */
    int mkt_n[3];                        /* games each market's ratings learned from */
    double sc_base, sc_home;             /* scoring ratings: log mean score, home advantage */
    int sc_n;                            /* final games the scoring ratings learned from */
};

/* A sport's feature matrix over its whole history, rows in history order. */
struct aps_feat_matrix {
    size_t n;
    int d;                               /* spec->ncols */
    double *x;                           /* n × d, NAN = missing */
    double *elo;                         /* n × 3: Elo's home/draw/away probabilities */
};

/* Full-row name of a column ("elo_diff", …; per-book columns are "ml_book0".. until a spec names
 * them). */
const char *aps_feat_col_name(int col);
/* Name of used column j of a spec ("ml_pinnacle" for a per-book column). Writes into buf. */
const char *aps_feat_spec_name(const struct aps_feat_spec *s, int j, char *buf, size_t cap);

/* Reads the weather and tennis extras of the history's games from game_sources, and each game's
 * venue coordinates and time zone from venues. Cleanup frees;
 * safe on a zeroed struct. */
int aps_feat_extras_load(struct aps_conn *c, const struct aps_history *h,
                         struct aps_feat_extras *out) APS_MUST_CHECK;
void aps_feat_extras_cleanup(struct aps_feat_extras *x);

/* The spec of every column with per-book slots for the books that quote the moneyline at the
 * open/pre-match phase most often (at least a fifth of the games). */
void aps_feat_spec_all(const struct aps_history *h, struct aps_feat_spec *out);
/* Keeps only the columns that have a value in at least 5 % of the finished games and are not
 * constant there, from a matrix built with aps_feat_spec_all(). */
void aps_feat_spec_prune(const struct aps_feat_matrix *m, const struct aps_history *h,
                         const struct aps_feat_spec *all, struct aps_feat_spec *out);
/* Serialises the spec as a JSON object text (caller frees with aps_free) and back. */
char *aps_feat_spec_to_json(const struct aps_feat_spec *s);
int aps_feat_spec_from_json(const char *json, struct aps_feat_spec *s) APS_MUST_CHECK;

int aps_feat_state_init(struct aps_feat_state *st, const struct aps_history *h,
                        const struct aps_feat_extras *x,
                        const struct aps_feat_spec *spec) APS_MUST_CHECK;
void aps_feat_state_cleanup(struct aps_feat_state *st);
/* Season bookkeeping before game gi (call for every game, in order). */
void aps_feat_begin(struct aps_feat_state *st, size_t gi);
/* The used columns of game gi's row (spec->ncols values) and, when elo is not NULL, Elo's
 * home/draw/away probabilities, from what the state knows now. */
int aps_feat_row(struct aps_feat_state *st, const struct aps_feat_spec *spec, size_t gi,
                 double *row, double elo[3]) APS_MUST_CHECK;
/* Learns from game gi when it is final (a no-op otherwise). */
int aps_feat_observe(struct aps_feat_state *st, size_t gi) APS_MUST_CHECK;

/* Builds the matrix over the whole history day by day: rows of a day first, then its results.
 * Cleanup frees; safe on a zeroed struct. */
int aps_feat_build(const struct aps_history *h, const struct aps_feat_extras *x,
                   const struct aps_feat_spec *spec, struct aps_feat_matrix *m) APS_MUST_CHECK;
/* The same replay with the rows of the games before `first` left out (NaN): the rows from first
 * on equal aps_feat_build()'s bit for bit, for the price of learning from the games before it. */
int aps_feat_build_from(const struct aps_history *h, const struct aps_feat_extras *x,
                        const struct aps_feat_spec *spec, size_t first,
                        struct aps_feat_matrix *m) APS_MUST_CHECK;
void aps_feat_matrix_cleanup(struct aps_feat_matrix *m);
/* The matrix of spec `to` taken from src, built with spec `from`: each of to's columns copied
 * from the same column of from, and the Elo probabilities (a row's values do not depend on the
 * other columns of its spec, so this equals aps_feat_build() with `to`, bit for bit, without
 * replaying the history). APS_E_INVAL when a column of to is not in from, or a per-book column
 * names another book there. Cleanup frees out; safe on a zeroed struct. */
int aps_feat_matrix_select(const struct aps_feat_matrix *src, const struct aps_feat_spec *from,
                           const struct aps_feat_spec *to, struct aps_feat_matrix *out)
    APS_MUST_CHECK;

/* The leakage check: for `samples` finished games spread evenly over the history (all when 0),
 * the row computed on the full history must equal, bit for bit, the row computed on a history
 * truncated just before the game — the games of earlier days only, plus the game itself with its
 * result erased and its closing quotes removed — and, a second time, to the row computed
 * on that history with every quote timestamped after the game's start removed instead (so no
 * feature reads a quote taken after the start, whatever its phase). *checked gets the number of
 * games compared and *bad the first game index that differs in either (or -1). */
int aps_feat_leakage_check(const struct aps_history *h, const struct aps_feat_extras *x,
                           const struct aps_feat_spec *spec, const struct aps_feat_matrix *full,
                           size_t samples, size_t *checked, long *bad) APS_MUST_CHECK;
/* The truncated history of the check (games before gi's day, then gi stripped of its result
 * and closing quotes), with the matching extras. Cleanup: aps_feat_truncated_cleanup. */
int aps_feat_truncate(const struct aps_history *h, const struct aps_feat_extras *x, size_t gi,
                      struct aps_history *out, struct aps_feat_extras *xout) APS_MUST_CHECK;
void aps_feat_truncated_cleanup(struct aps_history *t, struct aps_feat_extras *x);

/* The line of the home (spread) or over (total) side that most books quote at phase ph for game
 * gi (what spread/total labels are graded against at the close); NAN when none. */
double aps_feat_main_line(const struct aps_history *h, size_t gi, enum aps_market m,
                          enum aps_phase ph);

/* Index of the last game of gi's day + 1 (days group games with the same date). */
size_t aps_feat_day_end(const struct aps_history *h, size_t gi);

#endif
