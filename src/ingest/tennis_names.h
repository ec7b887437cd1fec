/* tennis_names.h — a tennis player as a live provider names them ("Jannik Sinner",
 * "Pablo Carreño Busta") and as the history (tennis-data.co.uk) does ("Sinner J.",
 * "Carreno Busta P.", "Struff J.L.", "Del Potro J. M.").
 *
 * The rule: the history's name is a surname followed by initials (its trailing tokens that end
 * in a dot; each piece between dots or hyphens is one initial: "J.M.", "J. M." and "C-M." are
 * two, "Ka." is one, written longer to tell Karolina Pliskova from Kristyna). A full name of n
 * tokens fits it when, for some split k = 1..n-1, the last k tokens are the surname and the other
 * tokens, each part of a hyphenated one counted alone ("Jo-Wilfried" is two), are as many given
 * names as there are initials, each starting with its initial, in order.
 * Both sides are compared case- and accent-insensitively (Latin letters), ignoring spaces,
 * hyphens, dots and apostrophes: "Felix Auger Aliassime" fits "Auger-Aliassime F.".
 *
 * One player, one key: two spellings of a name are one player when they are equal after that
 * same folding (lower case, Latin letters without accents, white space, hyphens, dots and
 * apostrophes dropped). tennis-data.co.uk writes some players two ways ("Carreno Busta P." and
 * "Carreno-Busta P.", "De Voest R." and "de Voest R.", "Del Potro J.M." and "Del Potro J. M.",
 * "O'Connell C." and "O Connell C.", "Herbert P.H." and "Herbert P.H"); aps_tennis_name_key()
 * gives them one key. Names that differ in a letter stay apart: "Kuznetsov A." and "Kuznetsov
 * An.", "Pliskova Ka." and "Pliskova Kr." are the source's own way of telling players apart. */
#ifndef APS_INGEST_TENNIS_NAMES_H
#define APS_INGEST_TENNIS_NAMES_H

#include <stdbool.h>
#include <stddef.h>

/* True when hist is written in the history's "Surname I." form: a surname and at least one
 * trailing initials token. */
bool aps_tennis_is_history_form(const char *hist);
/* True when the full name ("Given Names Surname") fits the history's name (see above). */
bool aps_tennis_name_fits(const char *full, const char *hist);
/* Writes name's key (see above) to out, cap bytes with the NUL: "De Minaur A." and "de Minaur
 * A." both give "deminaura". False when nothing is left of the name or the key does not fit. */
bool aps_tennis_name_key(const char *name, char *out, size_t cap);

#endif
