/*
 * vod_slot.h: Redis Cluster's hash slot of a key, as the Cluster
 * specification defines it: CRC16 (the XMODEM variant: polynomial
 * 0x1021, initial value 0, no reflection) of the key, modulo 16384.
 * When the key holds a hash tag, a '{' followed later by a '}' with at
 * least one byte between them, only the bytes between the first '{' and
 * the first '}' after it are hashed, so keys with one tag share a slot.
 */

#ifndef _VOD_SLOT_H_INCLUDED_
#define _VOD_SLOT_H_INCLUDED_


#include "vod_core.h"


#define VOD_SLOTS  16384


uint16_t vod_crc16(const u_char *p, size_t len);

/* 0 .. VOD_SLOTS - 1 */
uint16_t vod_slot(const u_char *key, size_t len);


#endif /* _VOD_SLOT_H_INCLUDED_ */
