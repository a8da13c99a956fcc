/*
 * ids: csc's ids are lowercase UUIDs (libuuid), checked as such before
 * they become part of a key, a path or a URL.
 */
#ifndef CSC_IDS_H
#define CSC_IDS_H

/* ids_valid(id): 1 if ID is a lowercase UUID (8-4-4-4-12 hex), else 0. */
int ids_valid(const char *id);

/* ids_check(what, id): as ids_valid, reporting EX_DATAERR ("WHAT 'ID' is
 * not a lowercase UUID", or "WHAT is missing") when it is not one.
 * Returns 0 or -1. */
int ids_check(const char *what, const char *id);

/* ids_new(out): a new random (version 4) id, lowercase. */
void ids_new(char out[37]);

#endif /* !CSC_IDS_H */
