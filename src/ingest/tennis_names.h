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
 * hyphens, dots and apostrophes: "Felix Auger Aliassime" fits "Auger-Aliassime F.". */
#ifndef APS_INGEST_TENNIS_NAMES_H
#define APS_INGEST_TENNIS_NAMES_H

#include <stdbool.h>

/* True when hist is written in the history's "Surname I." form: a surname and at least one
 * trailing initials token. */
bool aps_tennis_is_history_form(const char *hist);
/* True when the full name ("Given Names Surname") fits the history's name (see above). */
bool aps_tennis_name_fits(const char *full, const char *hist);

#endif
