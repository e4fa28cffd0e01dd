/*
 * vod_cenc_int.h: the encryptor's state, shared by vod_cenc.c (samples)
 * and vod_cenc_box.c (boxes) only.
 */

#ifndef _VOD_CENC_INT_H_INCLUDED_
#define _VOD_CENC_INT_H_INCLUDED_


#include <openssl/evp.h>

#include "vod_cenc.h"


struct vod_cenc_s {
    vod_env_t         *env;
    vod_cenc_conf_t    conf;        /* conf.key wiped after setup */
    EVP_CIPHER_CTX    *ctx;         /* the key schedule */
    uint32_t           crypt;       /* pattern in blocks: 1:9 cbcs video */
    uint32_t           skip;
    u_char             next_iv[VOD_CENC_IV_SIZE];   /* cenc */
};


#endif /* _VOD_CENC_INT_H_INCLUDED_ */
