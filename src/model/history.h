/* history.h — a sport's stored games with results and odds, loaded into memory in time order for
 * walk-forward work (Elo fitting, backtests). Read-only snapshot; nothing here writes. */
#ifndef APS_MODEL_HISTORY_H
#define APS_MODEL_HISTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/domain.h"
#include "core/err.h"

struct aps_conn;

struct aps_hist_quote {
    int book;                 /* index into aps_history.books */
    enum aps_market market;
    enum aps_selection sel;
    enum aps_phase phase;
    double line;              /* NAN for moneyline */
    double price;             /* decimal */
    int64_t recorded_at;      /* when the quote was taken (unix seconds; historical files: 0) */
};

struct aps_hist_game {
    int64_t id, home, away;   /* team ids */
    int64_t start_time;
    char date[11];
    char season[16];
    int season_no;            /* 0, 1, … in order of first appearance */
    bool neutral, playoff;
    enum aps_game_status status;
    int home_score, away_score; /* -1 when unknown */
    int surface;              /* enum aps_elo_surface for tennis, -1 otherwise */
    size_t q0, nq;            /* this game's quotes: quotes[q0 .. q0+nq) */
    double fc_538;            /* FiveThirtyEight's probability that the home side wins, NAN */
};

struct aps_hist_book {
    char key[32];
    bool aggregate, sharp;
};

struct aps_history {
    enum aps_sport sport;
    struct aps_hist_game *games; /* ordered by start_time, then id */
    size_t ngames;
    struct aps_hist_quote *quotes;
    size_t nquotes;
    struct aps_hist_book *books;
    size_t nbooks;
    int nseasons;
};

/* Loads the sport's games (optionally only those whose date is in [from, to], either may be NULL)
 * with their odds, and 538 forecasts when stored. Cleanup frees; safe on a zeroed struct. */
int aps_history_load(struct aps_conn *c, enum aps_sport sport, const char *from, const char *to,
                     struct aps_history *h) APS_MUST_CHECK;
/* The sport's games as aps_history_load() loads them, without their odds and forecasts (no
 * quotes, fc_538 NAN): for walks that read only results (the standings). */
int aps_history_load_games(struct aps_conn *c, enum aps_sport sport, const char *from,
                           const char *to, struct aps_history *h) APS_MUST_CHECK;
void aps_history_cleanup(struct aps_history *h);
/* Keeps only the quotes known at time t (unix seconds), as a pick made at t saw the market: a
 * snapshot recorded at or before t; of the lines imported from files, which carry no recording
 * time (recorded_at 0), the open and pre-match ones (offered before their game: the entry of a
 * game that starts at or after t) and the close of a game that started before t. The close of
 * a game starting at or after t (the games a pick at t is made for; a date-only game is stored
 * at midnight) is its benchmark, taken at its start: not known at t. Game order and each
 * game's quote order are kept. */
void aps_history_known_at(struct aps_history *h, int64_t t);
/* True when the game has a final score. */
bool aps_hist_final(const struct aps_hist_game *g);

#endif
