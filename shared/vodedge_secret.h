/*
 * vodedge_secret.h: a small secret file the configuration names (a token
 * key, a Redis password), read once at configuration time by the master,
 * which can read what the workers' user may not.
 */

#ifndef _VODEDGE_SECRET_H_INCLUDED_
#define _VODEDGE_SECRET_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>


/* Reads the file *name (relative to the configuration prefix; *name is
 * made the full name) into buf, at most size bytes.  Returns the bytes
 * read, or NGX_ERROR after an emerg line naming the file as what says
 * ("<what> "<file>" cannot be opened", "... cannot be read or is larger
 * than <size> bytes").  The caller wipes buf when done. */
ssize_t vodedge_secret_read(ngx_conf_t *cf, const char *what,
    ngx_str_t *name, u_char *buf, size_t size);


#endif /* _VODEDGE_SECRET_H_INCLUDED_ */
