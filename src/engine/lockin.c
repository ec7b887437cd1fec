/* lockin.c — canonical form, SHA-256 chain, append and verify (see lockin.h). */
#include "engine/lockin.h"

#include <inttypes.h>
#include <math.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "core/buf.h"
#include "core/log.h"
#include "core/str.h"
#include "core/timeutil.h"
#include "odds/convert.h"
#include "store/store.h"

void aps_lockin_round(struct aps_pick *p)
{
    p->line = aps_round_line(p->line);
    p->price = aps_round_price(p->price);
    p->probability = aps_round_probability(p->probability);
    p->market_probability = aps_round_probability(p->market_probability);
    p->edge = aps_round_probability(p->edge);
    p->stake_fraction = aps_round_probability(p->stake_fraction);
}

static void put_str(struct aps_buf *b, const char *key, const char *v)
{
    aps_buf_printf(b, ",\"%s\":\"", key);
    aps_json_escape(b, v);
    aps_buf_putc(b, '"');
}

/* A number in a fixed format, or null. -0 is written as 0 so equal values hash equally. */
static void put_num(struct aps_buf *b, const char *key, double v, int decimals)
{
    if (isnan(v)) {
        aps_buf_printf(b, ",\"%s\":null", key);
        return;
    }
    if (v == 0)
        v = 0;
    aps_buf_printf(b, ",\"%s\":%.*f", key, decimals, v);
}

void aps_lockin_canonical(const struct aps_pick *p, struct aps_buf *b)
{
    aps_buf_printf(b, "{\"v\":%d,\"prev_hash\":\"%s\",\"game_id\":%" PRId64,
                   p->publication[0] ? 2 : 1, p->prev_hash, p->game_id);
    put_str(b, "sport", p->sport);
    put_str(b, "game_date", p->game_date);
    put_str(b, "home", p->home);
    put_str(b, "away", p->away);
    put_str(b, "model", p->model);
    put_str(b, "market", aps_market_name(p->market));
    put_str(b, "selection", aps_selection_name(p->selection));
    put_num(b, "line", p->line, 2);
    put_num(b, "price", p->price, 4);
    put_str(b, "book", p->book);
    put_num(b, "probability", p->probability, 6);
    put_num(b, "market_probability", p->market_probability, 6);
    put_num(b, "edge", p->edge, 6);
    put_str(b, "tier", p->tier);
    put_num(b, "stake_fraction", p->stake_fraction, 6);
    if (p->publication[0]) {
        put_str(b, "publication", p->publication);
        put_str(b, "no_bet_reason", p->no_bet_reason);
    }
    put_str(b, "locked_at", p->locked_at);
    aps_buf_putc(b, '}');
}

void aps_lockin_hash(const struct aps_pick *p, char out[APS_HASH_HEX])
{
    struct aps_buf b = {0};
    aps_lockin_canonical(p, &b);
    unsigned char md[32];
    unsigned int len = 0;
    if (!EVP_Digest(b.data, b.len, md, &len, EVP_sha256(), NULL) || len != 32) {
        /* libcrypto failing to hash is not recoverable: leave an impossible hash. */
        memset(out, 'x', APS_HASH_HEX - 1);
        out[APS_HASH_HEX - 1] = '\0';
    } else {
        for (int i = 0; i < 32; i++)
            snprintf(out + 2 * i, 3, "%02x", md[i]);
    }
    aps_buf_cleanup(&b);
}

void aps_lockin_format_time(int64_t us, char out[32])
{
    char iso[32];
    int64_t s = us >= 0 ? us / 1000000 : -((-us + 999999) / 1000000);
    unsigned frac = (unsigned)(us - s * 1000000) % 1000000u;
    aps_time_format_iso(s, iso, sizeof iso);
    iso[19] = '\0';
    snprintf(out, 32, "%.19s.%06uZ", iso, frac);
}

/* The columns a pick is rebuilt from, with its game's identity. */
#define PICK_COLUMNS                                                                         \
    "p.id, p.game_id, sp.code, COALESCE(p.game_date, g.game_date), th.key, ta.key, p.model," \
    " p.market, p.selection, p.line, p.price, p.book, p.probability, p.market_probability,"  \
    " p.edge, p.tier, p.stake_fraction, p.locked_at, p.prev_hash, p.hash, p.publication,"    \
    " p.no_bet_reason"
#define PICK_FROM                                                                             \
    " FROM predictions p JOIN games g ON g.id = p.game_id JOIN sports sp ON sp.id = g.sport_id" \
    " JOIN teams th ON th.id = g.home_team_id JOIN teams ta ON ta.id = g.away_team_id"

static void copy_text(char *dst, size_t cap, const struct aps_stmt *st, int col)
{
    const char *t = aps_stmt_text(st, col);
    (void)aps_str_copy(dst, cap, t ? t : "");
}

static void read_pick(const struct aps_stmt *st, struct aps_pick *p)
{
    memset(p, 0, sizeof *p);
    p->id = aps_stmt_int64(st, 0);
    p->game_id = aps_stmt_int64(st, 1);
    copy_text(p->sport, sizeof p->sport, st, 2);
    copy_text(p->game_date, sizeof p->game_date, st, 3);
    copy_text(p->home, sizeof p->home, st, 4);
    copy_text(p->away, sizeof p->away, st, 5);
    copy_text(p->model, sizeof p->model, st, 6);
    const char *m = aps_stmt_text(st, 7), *s = aps_stmt_text(st, 8);
    p->market = m ? aps_market_parse(m) : -1;
    p->selection = s ? aps_selection_parse(s) : -1;
    p->line = aps_stmt_double(st, 9);
    p->price = aps_stmt_double(st, 10);
    copy_text(p->book, sizeof p->book, st, 11);
    p->probability = aps_stmt_double(st, 12);
    p->market_probability = aps_stmt_double(st, 13);
    p->edge = aps_stmt_double(st, 14);
    copy_text(p->tier, sizeof p->tier, st, 15);
    p->stake_fraction = aps_stmt_double(st, 16);
    copy_text(p->locked_at, sizeof p->locked_at, st, 17);
    copy_text(p->prev_hash, sizeof p->prev_hash, st, 18);
    copy_text(p->hash, sizeof p->hash, st, 19);
    copy_text(p->publication, sizeof p->publication, st, 20);
    copy_text(p->no_bet_reason, sizeof p->no_bet_reason, st, 21);
}

/* True when every number already has its canonical precision (a stored value changed by less
 * than the printed precision would otherwise slip through the hash). */
static bool canonical_numbers(const struct aps_pick *p)
{
    struct aps_pick r = *p;
    aps_lockin_round(&r);
    return memcmp(&r, p, sizeof r) == 0;
}

static bool pick_matches(const struct aps_pick *p, char *reason, size_t cap)
{
    if ((int)p->market < 0 || (int)p->selection < 0) {
        snprintf(reason, cap, "unknown market or selection");
        return false;
    }
    if (!canonical_numbers(p)) {
        snprintf(reason, cap, "a stored number differs from its locked-in value");
        return false;
    }
    char h[APS_HASH_HEX];
    aps_lockin_hash(p, h);
    if (strcmp(h, p->hash)) {
        snprintf(reason, cap, "stored content no longer matches its hash");
        return false;
    }
    return true;
}

int aps_lockin_verify(struct aps_conn *c, struct aps_verify_result *r)
{
    memset(r, 0, sizeof *r);
    (void)aps_str_copy(r->head, sizeof r->head, APS_GENESIS_HASH);
    struct aps_stmt *st = NULL;
    int rc = aps_conn_prepare(c, "SELECT " PICK_COLUMNS PICK_FROM " ORDER BY p.id", &st);
    int64_t prev_id = 0;
    r->ok = true;
    while (!rc && (rc = aps_stmt_step(st)) == APS_ROW) {
        rc = 0;
        struct aps_pick p;
        read_pick(st, &p);
        if (!pick_matches(&p, r->reason, sizeof r->reason)) {
            r->ok = false;
        } else if (strcmp(p.prev_hash, r->head)) {
            r->ok = false;
            if (prev_id)
                snprintf(r->reason, sizeof r->reason,
                         "its previous hash is not the hash of pick %" PRId64
                         ": a pick between them was deleted or replaced",
                         prev_id);
            else
                snprintf(r->reason, sizeof r->reason,
                         "it is the first stored pick but does not start the chain: earlier "
                         "picks were deleted");
        }
        if (!r->ok) {
            r->bad_id = p.id;
            break;
        }
        r->checked++;
        prev_id = p.id;
        (void)aps_str_copy(r->head, sizeof r->head, p.hash);
    }
    aps_stmt_finalize(st);
    return rc < 0 ? rc : 0;
}

int aps_lockin_verify_hash(struct aps_conn *c, const char *hash, struct aps_verify_result *r)
{
    memset(r, 0, sizeof *r);
    struct aps_stmt *st = NULL;
    int rc = aps_conn_preparef(c, &st, "SELECT " PICK_COLUMNS PICK_FROM " WHERE p.hash = ?1",
                               "s", hash);
    if (!rc)
        rc = aps_stmt_step(st);
    if (rc == APS_ROW) {
        struct aps_pick p;
        read_pick(st, &p);
        r->ok = pick_matches(&p, r->reason, sizeof r->reason);
        r->bad_id = r->ok ? 0 : p.id;
        r->checked = r->ok ? 1 : 0;
        (void)aps_str_copy(r->head, sizeof r->head, p.hash);
        rc = 0;
    } else if (rc == APS_DONE) {
        r->ok = false;
        snprintf(r->reason, sizeof r->reason, "no pick has this hash");
        rc = 0;
    }
    aps_stmt_finalize(st);
    return rc < 0 ? rc : 0;
}

/* The game's identity as the hash covers it; a value longer than its field is APS_E_TOOBIG
 * rather than a silently shortened key. */
static int read_game_identity(struct aps_conn *c, struct aps_pick *p)
{
    return aps_conn_query_row(c,
                              "SELECT sp.code, g.game_date, th.key, ta.key FROM games g"
                              " JOIN sports sp ON sp.id = g.sport_id"
                              " JOIN teams th ON th.id = g.home_team_id"
                              " JOIN teams ta ON ta.id = g.away_team_id WHERE g.id = ?1",
                              "ssss", p->sport, sizeof p->sport, p->game_date,
                              sizeof p->game_date, p->home, sizeof p->home, p->away,
                              sizeof p->away, "i", p->game_id);
}

/* NaN prices, lines and edges are stored as NULL (the typed API's rule for 'd'); an empty
 * publication or no-bet reason as NULL. game_start: the game's start as it stands now, the start
 * the pick is made for (grading voids the pick of a game not played within the grace period of
 * it, odds/grade.h); not part of the hashed pick. game_date: the game's date the hash covers,
 * kept with the pick because a rescheduled game moves to its new date (ingest/live_store.h). */
static int insert_pick(struct aps_conn *c, struct aps_pick *p)
{
    int rc = aps_conn_query_row(
        c,
        "INSERT INTO predictions (game_id, model, market, selection, line, price, book,"
        " probability, market_probability, edge, tier, stake_fraction, locked_at, prev_hash,"
        " hash, created_at, publication, no_bet_reason, game_start, game_date) VALUES (?1, ?2,"
        " ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18,"
        " (SELECT start_time FROM games WHERE id = ?1), ?19) RETURNING id",
        "i", &p->id, "isssddsdddsdsssiSSs", p->game_id, p->model, aps_market_name(p->market),
        aps_selection_name(p->selection), p->line, p->price, p->book, p->probability,
        p->market_probability, p->edge, p->tier, p->stake_fraction, p->locked_at, p->prev_hash,
        p->hash, aps_time_now(), p->publication, p->no_bet_reason, p->game_date);
    return rc == APS_E_NOTFOUND ? APS_E_DB : rc;
}

static int newest_hash(struct aps_conn *c, char out[APS_HASH_HEX])
{
    int rc = aps_conn_query_row(c, "SELECT hash FROM predictions ORDER BY id DESC LIMIT 1", "s",
                                out, (size_t)APS_HASH_HEX, "");
    if (rc == APS_E_NOTFOUND)
        rc = aps_str_copy(out, APS_HASH_HEX, APS_GENESIS_HASH);
    return rc;
}

int aps_lockin_append(struct aps_conn *c, struct aps_pick *p)
{
    aps_lockin_round(p);
    int rc = aps_conn_begin(c);
    if (rc)
        return rc;
    /* Writers must take turns at the head of the chain. */
    rc = aps_conn_lock(c, APS_LOCK_LOCKIN);
    if (!rc)
        rc = read_game_identity(c, p);
    if (!rc)
        rc = newest_hash(c, p->prev_hash);
    if (!rc) {
        aps_lockin_format_time(aps_time_now_us(), p->locked_at);
        aps_lockin_hash(p, p->hash);
        rc = insert_pick(c, p);
    }
    if (!rc)
        rc = aps_conn_commit(c);
    if (rc)
        aps_conn_rollback(c);
    return rc;
}
