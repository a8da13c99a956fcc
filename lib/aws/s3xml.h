/*
 * s3xml: the XML that S3 answers with, read with expat (never by string
 * search): error bodies (of every operation), ListObjectVersions pages
 * and DeleteObjects results.
 *
 * Input comes from the network: it is size-checked by the caller, parsed
 * without DTDs or external entities (a DOCTYPE is refused), nested at
 * most 16 deep, and every field is copied out bounded: the fixed arrays
 * below are cut (at a UTF-8 character boundary), while a key, version id
 * or marker longer than 4096 bytes makes the document refused, since a
 * key cut short would name another object.  Elements are matched by
 * local name, so the S3 namespace and any prefix are accepted; elements
 * not named here are skipped, in any order.
 */
#ifndef CSC_S3XML_H
#define CSC_S3XML_H

#include <stddef.h>
#include <time.h>

/* An S3 error body: <Error><Code/><Message/><RequestId/>...</Error>. */
struct s3xml_error {
	char code[64];
	char message[256];
	char request_id[128];
};

/* s3xml_parse_error(text, len, out): fill OUT from an error body.
 * Returns 0 when TEXT is an <Error> document with a Code, -1 otherwise
 * (OUT then holds empty strings).  Reports nothing. */
int s3xml_parse_error(const char *text, size_t len, struct s3xml_error *out);

/* One entry of a ListObjectVersions page: a <Version> or a
 * <DeleteMarker>. */
struct s3xml_version {
	char *key;
	char *version_id; /* "null" for objects from before versioning */
	int is_delete_marker;
	int is_latest;
	long long size;       /* -1 for delete markers (or if S3 left it out) */
	time_t last_modified; /* 0 if S3 left it out */
};

/* A ListObjectVersions page (ListVersionsResult). */
struct s3xml_versions {
	struct s3xml_version *v;
	size_t n;
	int is_truncated;
	char *next_key_marker;        /* NULL unless truncated */
	char *next_version_id_marker; /* NULL unless truncated */
};

/* s3xml_parse_versions(text, len, out): parse a ListVersionsResult page.
 * Each entry needs a Key and a VersionId; a truncated page needs a
 * NextKeyMarker.  With <EncodingType>url</EncodingType> the keys and
 * NextKeyMarker are decoded (%XX, '+' for space).  Returns 0, or -1 after
 * err_set(EX_UNAVAILABLE, "S3 sent ...") for text that is not one (an
 * S3 <Error> is reported by its Code and Message; OUT then empty).  Free
 * OUT with s3xml_versions_free (NULL or an emptied OUT: nothing). */
int s3xml_parse_versions(const char *text, size_t len,
    struct s3xml_versions *out);
void s3xml_versions_free(struct s3xml_versions *v);

/* One failed key of a DeleteObjects answer (<DeleteResult><Error>). */
struct s3xml_delete_error {
	char *key;
	char *version_id; /* NULL if absent */
	char code[64];
	char message[256];
};

struct s3xml_delete_result {
	size_t deleted; /* <Deleted> entries */
	struct s3xml_delete_error *errors;
	size_t nerrors;
};

/* s3xml_parse_delete_result(text, len, out): parse a DeleteResult;
 * each <Error> entry needs a Key.  Returns 0, or -1 after
 * err_set(EX_UNAVAILABLE, ...) for text that is not one (OUT then empty).
 * Free OUT with s3xml_delete_result_free (NULL: nothing). */
int s3xml_parse_delete_result(const char *text, size_t len,
    struct s3xml_delete_result *out);
void s3xml_delete_result_free(struct s3xml_delete_result *r);

/* s3xml_escape(b, s): append S to B with &, <, >, " and ' escaped, and
 * tab, newline and carriage return as character references (a parser
 * would read a raw carriage return as a newline), for request bodies
 * (DeleteObjects keys).  Returns 0, or -1 after err_set when S is not
 * UTF-8 that XML 1.0 can carry (control characters other than those
 * three, U+FFFE, U+FFFF: EX_DATAERR) or when out of memory or over B's
 * cap (EX_SOFTWARE); B then holds what it held before. */
struct buf;
int s3xml_escape(struct buf *b, const char *s);

#endif /* !CSC_S3XML_H */
