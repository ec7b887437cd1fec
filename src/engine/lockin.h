/* lockin.h — tamper-evident lock-in of picks (DESIGN §8).
 *
 * When a pick is created it is frozen as a byte-exact canonical JSON — fixed key order, fixed
 * number formats, UTC locked_at with microseconds, and the previous pick's hash — and hashed with
 * SHA-256. The picks form a chain: each names its predecessor's hash, the first names 64 zeros.
 * Verification walks the chain from the start, recomputing every hash from the stored columns;
 * the first pick whose content or link does not match is named. The game's date is stored with
 * the pick as it was locked in (a rescheduled game later moves to another date); the sport and
 * team keys are read from the game. (Deleting the newest picks cannot
 * be seen from inside the chain: publish the head hash that aps verify prints.)
 *
 * Version 2 of the canonical form (every pick locked in since publication was recorded) adds the
 * pick's publication and its no-bet reason after stake_fraction; a pick with no publication is
 * hashed in version 1, as it was locked in.
 *
 * The values a pick carries are rounded to their canonical precision when it is created, so the
 * stored columns and the hashed text say exactly the same thing. */
#ifndef APS_ENGINE_LOCKIN_H
#define APS_ENGINE_LOCKIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/domain.h"
#include "core/err.h"

struct aps_buf;
struct aps_conn;

#define APS_HASH_HEX 65
#define APS_GENESIS_HASH "0000000000000000000000000000000000000000000000000000000000000000"

struct aps_pick {
    int64_t id;                  /* set by aps_lockin_append */
    int64_t game_id;
    char sport[16], game_date[11], home[96], away[96]; /* read from the game when appended */
    char model[64];
    enum aps_market market;
    enum aps_selection selection;
    double line;                 /* NAN: none */
    double price;                /* decimal odds; NAN: no price */
    char book[32];               /* "" when no price */
    double probability;          /* model probability of the selection */
    double market_probability;   /* no-vig market probability; NAN when unknown */
    double edge;                 /* NAN when unknown */
    char tier[2];                /* "A".."C"; "" when the pick is not a bet */
    double stake_fraction;       /* of bankroll; 0 when not staked */
    char publication[16];        /* "published" or "tracking_only" (v2); "" for a v1 pick */
    char no_bet_reason[256];     /* why the pick is not a bet; "" when it is one */
    char locked_at[32];          /* YYYY-MM-DDTHH:MM:SS.ffffffZ */
    char prev_hash[APS_HASH_HEX];
    char hash[APS_HASH_HEX];
};

/* Rounds the pick's numbers to their canonical precision (probabilities and edge 6 decimals,
 * price 4, line 2, stake 6). */
void aps_lockin_round(struct aps_pick *p);
/* Appends the canonical JSON of p (including prev_hash and locked_at) to out. */
void aps_lockin_canonical(const struct aps_pick *p, struct aps_buf *out);
/* SHA-256 of the canonical JSON as 64 lower-case hex characters. */
void aps_lockin_hash(const struct aps_pick *p, char out[APS_HASH_HEX]);
/* Formats a time in microseconds as locked_at. */
void aps_lockin_format_time(int64_t us, char out[32]);

/* Locks the pick in: rounds it, reads its game's identity, stamps locked_at (now), links it to
 * the newest stored pick, hashes it and inserts it — in its own transaction, serialised against
 * other writers. Sets p->id, p->hash, p->prev_hash, p->locked_at. */
int aps_lockin_append(struct aps_conn *c, struct aps_pick *p) APS_MUST_CHECK;

struct aps_verify_result {
    int64_t checked;             /* picks whose content and link matched */
    bool ok;
    int64_t bad_id;              /* the first pick that does not match (0 when ok) */
    char reason[256];
    char head[APS_HASH_HEX];     /* hash of the newest pick (genesis when there is none) */
};

/* Walks the whole chain in id order. Returns 0 when the walk could be done (then r->ok tells the
 * verdict), or a negative APS_E_* for a database error. */
int aps_lockin_verify(struct aps_conn *c, struct aps_verify_result *r) APS_MUST_CHECK;
/* Finds the pick with this hash and checks it and its link; r->checked is 1 when it matches. */
int aps_lockin_verify_hash(struct aps_conn *c, const char *hash,
                           struct aps_verify_result *r) APS_MUST_CHECK;

#endif
