/* violations.c — one instance of each rule of scripts/check-source, for its self-test
 * (tests/source/check_source_selftest.sh). Never compiled. sprintf( in a comment is not a finding. */
#include <stdio.h>
#include <stdlib.h>

/* The lock key of issue 6. */
static int lock_name(char *key, size_t cap, const char *name)
{
    char sql[64];
    snprintf(key, cap, "aps:lock:%s", name);
    snprintf(sql, sizeof sql, "SELECT %d", 1);
    char *p = malloc(16);
    free(p);
    return atoi(name) + (int)sizeof sql;
}

static int long_function(void)
{
    int x = 0;
    x++;
    x++;
    x++;
    x++;
    x++;
    x++;
    x++;
    x++;
    x++;
    x++;
    x++;
    x++;
    x++;
    x++;
    x++;
    x++;
    x++;
    x++;
    x++;
    x++;
    x++;
    x++;
    x++;
    x++;
    x++;
    x++;
    x++;
    x++;
    x++;
    x++;
    x++;
    x++;
    x++;
    x++;
    x++;
    x++;
    x++;
    x++;
    x++;
    x++;
    x++;
    x++;
    x++;
    x++;
    x++;
    x++;
    x++;
    x++;
    x++;
    x++;
    x++;
    x++;
    x++;
    x++;
    x++;
    x++;
    x++;
    x++;
    x++;
    x++;
    x++;
    x++;
    x++;
    x++;
    x++;
    x++;
    x++;
    x++;
    x++;
    x++;
    x++;
    x++;
    x++;
    x++;
    x++;
    x++;
    x++;
    x++;
    x++;
    x++;
    x++;
    return x;
}

/* A handler reading the connection instead of the request. */
static const char *user_agent(void *connection)
{
    return MHD_lookup_connection_value(connection, 1, "User-Agent");
}
