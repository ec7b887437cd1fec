/* tennis_names.c — a provider's full tennis name against the history's "Surname I." form (see
 * tennis_names.h). */
#include "ingest/tennis_names.h"

#include <string.h>

enum { FOLD_MAX = 128, TOKENS_MAX = 12, PIECES_MAX = 8 };

/* U+00C0..U+00FF and U+0100..U+017F without their accents, lower case ('*' for × and ÷). */
static const char LATIN1[] = "aaaaaaaceeeeiiiidnooooo*ouuuuytsaaaaaaaceeeeiiiidnooooo*ouuuuyty";
static const char LATIN_EXT_A[] = "aaaaaaccccccccddddeeeeeeeeeegggggggghhhhiiiiiiiiiiiijjkkkllllllllll"
                                  "nnnnnnnnnoooooooorrrrrrsssssssstttttt"
                                  "uuuuuuuuuuuuwwyyyzzzzzzs";

/* Appends s[0..n) to out (length *len, cap FOLD_MAX) folded: ASCII letters lower case, accented
 * Latin letters without the accent, white space, hyphens, dots and apostrophes dropped. False
 * when it does not fit. */
static bool fold(const char *s, size_t n, char *out, size_t *len)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        char f = 0;
        if (c == ' ' || c == '\t' || c == '-' || c == '.' || c == '\'')
            continue;
        if (c == 0xE2 && i + 2 < n && (unsigned char)s[i + 1] == 0x80 &&
            (unsigned char)s[i + 2] == 0x99) { /* U+2019, the typographic apostrophe */
            i += 2;
            continue;
        }
        if (c >= 0xC3 && c <= 0xC5 && i + 1 < n) {
            unsigned cp = ((c & 0x1Fu) << 6) | ((unsigned char)s[i + 1] & 0x3Fu);
            f = cp >= 0x100 ? LATIN_EXT_A[cp - 0x100] : cp >= 0xC0 ? LATIN1[cp - 0xC0] : 0;
            i++;
        } else {
            f = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
        }
        if (*len + 1 >= FOLD_MAX)
            return false;
        out[(*len)++] = f;
        out[*len] = '\0';
    }
    return true;
}

struct tokens {
    const char *s[TOKENS_MAX];
    size_t n[TOKENS_MAX];
    size_t count;
};

/* Splits name on spaces; false when it has more tokens than TOKENS_MAX. */
static bool split(const char *name, struct tokens *t)
{
    t->count = 0;
    for (const char *p = name; *p;) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p)
            break;
        const char *q = p;
        while (*q && *q != ' ' && *q != '\t')
            q++;
        if (t->count == TOKENS_MAX)
            return false;
        t->s[t->count] = p;
        t->n[t->count++] = (size_t)(q - p);
        p = q;
    }
    return true;
}

/* A name's given names or initials, folded. */
struct pieces {
    char s[PIECES_MAX][FOLD_MAX];
    size_t count;
};

/* Tokens t[from..to) cut at dots and hyphens, each piece folded ("Jo-Wilfried" is jo, wilfried;
 * "J.M." is j, m). False when there are more than PIECES_MAX pieces or none. */
static bool cut(const struct tokens *t, size_t from, size_t to, struct pieces *out)
{
    out->count = 0;
    for (size_t i = from; i < to; i++) {
        const char *p = t->s[i], *end = t->s[i] + t->n[i];
        while (p < end) {
            const char *q = p;
            while (q < end && *q != '.' && *q != '-')
                q++;
            size_t len = 0;
            if (q > p) {
                if (out->count == PIECES_MAX)
                    return false;
                out->s[out->count][0] = '\0';
                if (!fold(p, (size_t)(q - p), out->s[out->count], &len))
                    return false;
                out->count += len > 0;
            }
            p = q + 1;
        }
    }
    return out->count > 0;
}

/* The history's name as a folded surname and its initials (each piece the start of one given
 * name: "Pliskova Ka." tells Karolina from Kristyna). */
static bool parse_history(const char *hist, char *surname, struct pieces *initials)
{
    struct tokens t;
    if (!split(hist, &t) || t.count < 2)
        return false;
    size_t first_initial = t.count;
    while (first_initial > 1 && t.s[first_initial - 1][t.n[first_initial - 1] - 1] == '.')
        first_initial--;
    if (first_initial == t.count)
        return false;
    size_t slen = 0;
    surname[0] = '\0';
    for (size_t i = 0; i < first_initial; i++)
        if (!fold(t.s[i], t.n[i], surname, &slen))
            return false;
    return slen > 0 && cut(&t, first_initial, t.count, initials);
}

bool aps_tennis_is_history_form(const char *hist)
{
    char surname[FOLD_MAX];
    struct pieces initials;
    return hist && parse_history(hist, surname, &initials);
}

/* One given name per initial, each starting with it. */
static bool initials_fit(const struct pieces *given, const struct pieces *initials)
{
    if (given->count != initials->count)
        return false;
    for (size_t i = 0; i < given->count; i++)
        if (strncmp(given->s[i], initials->s[i], strlen(initials->s[i])))
            return false;
    return true;
}

bool aps_tennis_name_fits(const char *full, const char *hist)
{
    char hs[FOLD_MAX];
    struct pieces hi, given;
    struct tokens t;
    if (!full || !hist || !parse_history(hist, hs, &hi) || !split(full, &t) || t.count < 2)
        return false;
    for (size_t k = 1; k < t.count; k++) {
        size_t first = t.count - k, slen = 0;
        char fs[FOLD_MAX];
        fs[0] = '\0';
        bool ok = true;
        for (size_t i = first; i < t.count && ok; i++)
            ok = fold(t.s[i], t.n[i], fs, &slen);
        if (ok && !strcmp(fs, hs) && cut(&t, 0, first, &given) && initials_fit(&given, &hi))
            return true;
    }
    return false;
}

bool aps_tennis_name_key(const char *name, char *out, size_t cap)
{
    char folded[FOLD_MAX];
    size_t len = 0;
    folded[0] = '\0';
    if (!name || !fold(name, strlen(name), folded, &len) || !len || len >= cap)
        return false;
    memcpy(out, folded, len + 1);
    return true;
}
