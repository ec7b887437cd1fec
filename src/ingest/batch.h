/* batch.h — what a historical loader makes of one file, before anything touches the store.
 *
 * A loader parses a whole file into a batch: games (with names as the source spells them), odds
 * snapshots that point at those games by index, 538 forecasts, and counts of rejected rows by
 * reason. The writer (writer.h) then resolves team names and stores the batch in one transaction,
 * so a broken file leaves nothing half-written. Loaders never touch the store. */
#ifndef APS_INGEST_BATCH_H
#define APS_INGEST_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/domain.h"
#include "core/err.h"

#define APS_NAME_MAX 96
#define APS_BOOK_MAX 32
#define APS_EXTRA_MAX 512
#define APS_REASON_MAX 64
#define APS_MAX_REASONS 48

struct aps_game_rec {
    enum aps_sport sport;
    char season[16];           /* "2014-15" for split-year seasons, "2014" otherwise */
    char date[11];             /* the game's local calendar date, YYYY-MM-DD */
    int64_t start_time;        /* UTC seconds; when time_known is false: the date at 00:00 UTC */
    bool time_known;
    char home[APS_NAME_MAX];   /* as the source spells it; tennis: the side chosen without the result */
    char away[APS_NAME_MAX];
    bool neutral;              /* neutral site (tennis: always true) */
    bool playoff;
    enum aps_game_status status;
    int home_score, away_score; /* -1 when unknown; tennis: sets won */
    int game_no;               /* 1; 2 for the second game of a doubleheader on the same date */
    char venue[APS_NAME_MAX];  /* "" when unknown */
    char extra[APS_EXTRA_MAX]; /* a JSON object with source facts (weather, surface, ranks,
                                  periods, comment…), "" for none */
    size_t line;               /* source line, for messages */
};

struct aps_odds_rec {
    size_t game;               /* index into the batch's games */
    char book[APS_BOOK_MAX];   /* canonical book key: "pinnacle", "bet365", "consensus", "max", "avg" */
    enum aps_market market;
    enum aps_selection sel;
    enum aps_phase phase;
    double line;               /* spread from this selection's side, or total points; NAN for moneyline */
    double price;              /* decimal odds, > 1 */
};

/* A published probability from an outside model (FiveThirtyEight). team1/team2 as given; the
 * writer matches them to a stored game by sport, date and the two teams in either order. */
struct aps_forecast_rec {
    enum aps_sport sport;
    char season[16];
    char date[11];
    char team1[APS_NAME_MAX], team2[APS_NAME_MAX];
    char model[24];            /* "538_elo", "538_qbelo", "538_raptor", "538" */
    double prob1, prob2, prob_tie; /* NAN when not given */
    double result1;            /* 1, 0, 0.5; NAN when not played */
    int score1, score2;        /* -1 when not given */
    bool team1_home;           /* true when the source says team1 is at home */
    bool neutral;
    int game_no;               /* 0 or 1: the day's first game; 2: second of a doubleheader */
};

/* Where a venue is, for loaders whose source says so; name as the games spell it. */
struct aps_venue_rec {
    char name[APS_NAME_MAX];
    char city[APS_NAME_MAX];   /* "" when unknown */
    double latitude, longitude; /* degrees; NAN when unknown */
    char timezone[40];         /* IANA name, "" when unknown */
    int utc_offset_min;        /* standard-time offset from UTC, minutes (valid with timezone) */
};

struct aps_reject_count {
    char reason[APS_REASON_MAX];
    size_t count;
    size_t line; /* the file's line of the first row rejected for it, 0 when not known */
};

struct aps_batch {
    const char *source;        /* "football-data", "sbr", … (static string) */
    struct aps_game_rec *games;
    size_t ngames, capgames;
    struct aps_odds_rec *odds;
    size_t nodds, capodds;
    struct aps_forecast_rec *forecasts;
    size_t nforecasts, capforecasts;
    struct aps_venue_rec *venues;
    size_t nvenues, capvenues;
    struct aps_reject_count rejects[APS_MAX_REASONS];
    size_t nrejects;
    size_t rows;               /* data rows read from the file (games for two-row layouts: rows) */
    size_t line;               /* the line of the row being read (set by the loader), 0 if none */
};

/* A zeroed batch is empty. Cleanup frees and zeroes. */
void aps_batch_cleanup(struct aps_batch *b);
/* Appends a zeroed record (scores -1, game_no 1, line NAN, probs NAN) and returns it; the pointer
 * is valid until the next add of the same kind. */
struct aps_game_rec *aps_batch_add_game(struct aps_batch *b);
struct aps_odds_rec *aps_batch_add_odds(struct aps_batch *b);
struct aps_forecast_rec *aps_batch_add_forecast(struct aps_batch *b);
/* Appends a zeroed venue record with latitude and longitude NAN. */
struct aps_venue_rec *aps_batch_add_venue(struct aps_batch *b);
/* Drops the last game and every odds record that points at it (a row rejected half-way). */
void aps_batch_drop_last_game(struct aps_batch *b);
/* Counts a rejected row under reason (short, lower case, e.g. "bad date", "unknown team"). */
/* Counts a reject for reason; the first of each reason keeps b->line, so that the operator can
 * find the row. */
void aps_batch_reject(struct aps_batch *b, const char *reason);
size_t aps_batch_rejected(const struct aps_batch *b);
/* True for a spread or total line on the quarter-point grid (..., -0.25, 0, 0.25, 0.5, ...), the
 * lines books quote and grading settles; a line off it (a source's "36.6") is a typing error. */
bool aps_line_on_grid(double line);
/* Adds an odds record for game gi when price is a valid decimal price (> 1.0); a missing price
 * (NAN) is skipped silently; a present but invalid one is counted as reject "bad price"
 * and skipped, and so is a spread or total line off the quarter-point grid, as "bad line".
 * Returns 1 when added. */
int aps_batch_odds(struct aps_batch *b, size_t gi, const char *book, enum aps_market m,
                   enum aps_selection sel, enum aps_phase ph, double line, double price);

#endif
