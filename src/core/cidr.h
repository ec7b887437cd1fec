/* cidr.h — address lists in CIDR notation ("127.0.0.1/32,10.0.0.0/8,::1/128"), for routes that
 * only some networks may reach (the api's /metrics under METRICS_ALLOW_CIDRS). IPv4 and IPv6;
 * an IPv4-mapped IPv6 address (::ffff:a.b.c.d) is compared as the IPv4 address. */
#ifndef APS_CORE_CIDR_H
#define APS_CORE_CIDR_H

#include <stdbool.h>

/* 0 when every comma-separated entry of list is an address with an optional /prefix (of at
 * most 32 or 128 bits), else APS_E_INVAL. An empty list is valid (and matches nothing). */
int aps_cidr_list_check(const char *list);
/* True when ip (text) falls inside an entry of list. Entries that do not parse never match,
 * so a mistyped list fails closed. */
bool aps_cidr_list_match(const char *list, const char *ip);

#endif
