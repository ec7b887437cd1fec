/* cidr.c — the address lists of cidr.h: each entry parsed with inet_pton into 16 bytes (IPv4 as
 * its IPv4-mapped IPv6 form, so one comparison covers both) and compared bit by bit up to its
 * prefix. */
#include "core/cidr.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"

/* ip → 16 bytes; *v4 tells whether it was written as IPv4. false when it does not parse. */
static bool parse_addr(const char *ip, uint8_t out[16], bool *v4)
{
    struct in_addr a4;
    if (inet_pton(AF_INET, ip, &a4) == 1) {
        static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        memcpy(out, mapped, 12);
        memcpy(out + 12, &a4, 4);
        *v4 = true;
        return true;
    }
    *v4 = false;
    return inet_pton(AF_INET6, ip, out) == 1;
}

/* One entry "addr[/prefix]" (n bytes, not NUL-terminated) → address and prefix in IPv6 bits. */
static bool parse_entry(const char *s, size_t n, uint8_t addr[16], int *bits)
{
    char buf[64];
    while (n && (*s == ' ' || *s == '\t'))
        s++, n--;
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    if (!n || n >= sizeof buf)
        return false;
    memcpy(buf, s, n);
    buf[n] = '\0';
    char *slash = strchr(buf, '/');
    long prefix = -1;
    if (slash) {
        char *end = NULL;
        *slash = '\0';
        prefix = strtol(slash + 1, &end, 10);
        if (end == slash + 1 || *end || prefix < 0)
            return false;
    }
    bool v4;
    if (!parse_addr(buf, addr, &v4))
        return false;
    int max = v4 ? 32 : 128;
    if (prefix > max)
        return false;
    *bits = (int)(prefix < 0 ? max : prefix) + (v4 ? 96 : 0);
    return true;
}

static bool same_prefix(const uint8_t a[16], const uint8_t b[16], int bits)
{
    int whole = bits / 8, rest = bits % 8;
    if (memcmp(a, b, (size_t)whole))
        return false;
    if (!rest)
        return true;
    uint8_t mask = (uint8_t)(0xff << (8 - rest));
    return (a[whole] & mask) == (b[whole] & mask);
}

int aps_cidr_list_check(const char *list)
{
    for (const char *p = list ? list : ""; *p;) {
        size_t n = strcspn(p, ",");
        uint8_t addr[16];
        int bits;
        if (!parse_entry(p, n, addr, &bits))
            return APS_E_INVAL;
        p += n + (p[n] == ',');
    }
    return 0;
}

bool aps_cidr_list_match(const char *list, const char *ip)
{
    uint8_t want[16];
    bool v4;
    if (!ip || !parse_addr(ip, want, &v4))
        return false;
    for (const char *p = list ? list : ""; *p;) {
        size_t n = strcspn(p, ",");
        uint8_t addr[16];
        int bits;
        if (parse_entry(p, n, addr, &bits) && same_prefix(addr, want, bits))
            return true;
        p += n + (p[n] == ',');
    }
    return false;
}
