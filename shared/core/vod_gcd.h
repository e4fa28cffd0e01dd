/*
 * vod_gcd.h: the greatest common divisor, which reduces ratios: a
 * timescale's, a picture's aspect, a sample's (Euclid's algorithm; 0
 * when both are 0).
 */

#ifndef _VOD_GCD_H_INCLUDED_
#define _VOD_GCD_H_INCLUDED_


#include "vod_core.h"


uint64_t vod_gcd(uint64_t a, uint64_t b);


#endif /* _VOD_GCD_H_INCLUDED_ */
