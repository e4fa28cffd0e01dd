/*
 * vod_gcd.c: the greatest common divisor (vod_gcd.h).
 */

#include "vod_gcd.h"


uint64_t
vod_gcd(uint64_t a, uint64_t b)
{
    uint64_t  t;

    while (b != 0) {
        t = a % b;
        a = b;
        b = t;
    }

    return a;
}
