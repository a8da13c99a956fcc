/*
 * s3xml: S3's XML answers, read with expat.
 *
 * One event-driven reader serves the three documents.  It tracks the
 * depth and the local name of each element (namespace processing is on,
 * so "s3:Key" and "{uri}Key" both arrive as "Key"), collects the text of
 * the few leaf elements it wants into one bounded buffer, and stores each
 * finished leaf into the entry being built.  Anything else is skipped.
 * The first problem stops expat and is kept as one message; the public
 * functions report it.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <expat.h>

#include "buf.h"
#include "clock.h"
#include "digest.h"
#include "err.h"
#include "num.h"
#include "s3xml.h"

#define NS_SEP '\n'        /* never in a local name */
#define MAX_DEPTH 16       /* S3's answers nest 4 deep */
#define MAX_TEXT 4096      /* keys are at most 1024 bytes, 3072 encoded */
#define MAX_ENTRIES 100000 /* a page holds at most 1000 */

enum doc { DOC_ERROR, DOC_VERSIONS, DOC_DELETE };

/* The depth-2 element being read, when it is an entry of a list. */
enum entry { E_NONE, E_VERSION, E_MARKER, E_DELETED, E_DERROR };

enum field {
	F_NONE,
	F_CODE,
	F_MESSAGE,
	F_REQUEST_ID, /* <Error> */
	F_TRUNCATED,
	F_NEXT_KEY,
	F_NEXT_VERSION,
	F_ENCODING, /* list page */
	F_KEY,
	F_VERSION_ID,
	F_LATEST,
	F_SIZE,
	F_MODIFIED /* entries */
};

/* Where each wanted leaf lives: document, enclosing entry, local name. */
static const struct {
	enum doc doc;
	enum entry in;
	const char *name;
	enum field f;
} s_fields[] = {
    {DOC_ERROR, E_NONE, "Code", F_CODE},
    {DOC_ERROR, E_NONE, "Message", F_MESSAGE},
    {DOC_ERROR, E_NONE, "RequestId", F_REQUEST_ID},
    {DOC_VERSIONS, E_NONE, "IsTruncated", F_TRUNCATED},
    {DOC_VERSIONS, E_NONE, "NextKeyMarker", F_NEXT_KEY},
    {DOC_VERSIONS, E_NONE, "NextVersionIdMarker", F_NEXT_VERSION},
    {DOC_VERSIONS, E_NONE, "EncodingType", F_ENCODING},
    {DOC_VERSIONS, E_VERSION, "Key", F_KEY},
    {DOC_VERSIONS, E_VERSION, "VersionId", F_VERSION_ID},
    {DOC_VERSIONS, E_VERSION, "IsLatest", F_LATEST},
    {DOC_VERSIONS, E_VERSION, "Size", F_SIZE},
    {DOC_VERSIONS, E_VERSION, "LastModified", F_MODIFIED},
    {DOC_VERSIONS, E_MARKER, "Key", F_KEY},
    {DOC_VERSIONS, E_MARKER, "VersionId", F_VERSION_ID},
    {DOC_VERSIONS, E_MARKER, "IsLatest", F_LATEST},
    {DOC_VERSIONS, E_MARKER, "LastModified", F_MODIFIED},
    {DOC_DELETE, E_DERROR, "Key", F_KEY},
    {DOC_DELETE, E_DERROR, "VersionId", F_VERSION_ID},
    {DOC_DELETE, E_DERROR, "Code", F_CODE},
    {DOC_DELETE, E_DERROR, "Message", F_MESSAGE},
};

static const char *s_roots[] = {"Error", "ListVersionsResult", "DeleteResult"};

struct reader {
	XML_Parser p;
	enum doc doc;
	int depth;
	int failed; /* stopped: WHY says why */
	char why[160];
	char root[64];    /* local name of the root, truncated */
	enum entry entry; /* the depth-2 entry being read */
	enum field field; /* the leaf being collected, or F_NONE */
	int field_depth;
	struct buf text; /* the leaf's text, at most MAX_TEXT bytes */
	int text_over;   /* the leaf's text did not fit */
	int url_encoded; /* <EncodingType>url</EncodingType> */
	/* The entry being built, then the results. */
	struct s3xml_version ver;
	struct s3xml_delete_error derr;
	struct s3xml_error *error;
	struct s3xml_versions *versions;
	struct s3xml_delete_result *delete;
	size_t alloc; /* entries allocated in the result's array */
};

/* Stop the parse with a message; only the first one is kept. */
static void stop(struct reader *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
stop(struct reader *r, const char *fmt, ...)
{
	va_list ap;

	if (r->failed)
		return;
	r->failed = 1;
	va_start(ap, fmt);
	vsnprintf(r->why, sizeof(r->why), fmt, ap); /* truncation is fine */
	va_end(ap);
	XML_StopParser(r->p, XML_FALSE);
}

/* The local part of an expat name: "uri\nKey" or "Key". */
static const char *
local_name(const char *name)
{
	const char *sep = strrchr(name, NS_SEP);

	return (sep != NULL ? sep + 1 : name);
}

/* Copy SRC into DST of SIZE bytes, cut at a UTF-8 character boundary. */
static void
copy_trunc(char *dst, size_t size, const char *src)
{
	size_t n = strlen(src);

	if (n >= size) {
		n = size - 1;
		/* Back off over continuation bytes to a lead byte. */
		while (n > 0 && ((unsigned char)src[n] & 0xC0) == 0x80)
			n--;
	}
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* TEXT without leading and trailing XML white space, in place. */
static char *
trim(char *s)
{
	char *end;

	s += strspn(s, " \t\r\n");
	end = s + strlen(s);
	while (end > s && strchr(" \t\r\n", end[-1]) != NULL)
		end--;
	*end = '\0';
	return (s);
}

/* Parse "true" or "false" into *OUT; -1 for anything else. */
static int
parse_bool(const char *s, int *out)
{
	if (strcmp(s, "true") == 0)
		*out = 1;
	else if (strcmp(s, "false") == 0)
		*out = 0;
	else
		return (-1);
	return (0);
}

/* Decode S3's encoding-type=url in place: %XX, and '+' for a space as S3
 * writes it (a literal '+' arrives as %2B).  -1 on a bad escape or %00. */
static int
url_decode(char *s)
{
	char *out = s;
	int hi, lo;

	for (; *s != '\0'; s++) {
		if (*s == '+') {
			*out++ = ' ';
		} else if (*s != '%') {
			*out++ = *s;
		} else {
			/* s[2] is read only when s[1] was a digit, not NUL. */
			if ((hi = digest_hex_value(s[1])) < 0 ||
			    (lo = digest_hex_value(s[2])) < 0 || (hi | lo) == 0)
				return (-1);
			*out++ = (char)(hi << 4 | lo);
			s += 2;
		}
	}
	*out = '\0';
	return (0);
}

/* Replace *DST with a copy of the collected text. */
static void
take_string(struct reader *r, char **dst, const char *name)
{
	char *s;

	if (r->text_over) {
		stop(r, "S3 sent a <%s> longer than %d bytes", name, MAX_TEXT);
		return;
	}
	if ((s = strdup(r->text.data != NULL ? r->text.data : "")) == NULL) {
		stop(r, "out of memory reading S3's XML");
		return;
	}
	free(*dst);
	*dst = s;
}

/* Append one entry to the result's array, growing it by doubling. */
static void *
grow(struct reader *r, void *array, size_t n, size_t size)
{
	size_t want;
	void *p;

	if (n >= MAX_ENTRIES) {
		stop(r, "S3 sent more than %d entries", MAX_ENTRIES);
		return (NULL);
	}
	if (n < r->alloc)
		return (array);
	want = r->alloc ? r->alloc * 2 : 16;
	if ((p = realloc(array, want * size)) == NULL) {
		stop(r, "out of memory reading S3's XML");
		return (NULL);
	}
	r->alloc = want;
	return (p);
}

/* A finished leaf: store its text where it belongs. */
static void
end_field(struct reader *r, const char *name)
{
	char empty[1] = "", *v;
	char *t = r->text.data != NULL ? r->text.data : empty; /* trimmed */

	switch (r->field) {
	case F_CODE:
		v = trim(t);
		if (r->doc == DOC_ERROR)
			copy_trunc(r->error->code, sizeof(r->error->code), v);
		else
			copy_trunc(r->derr.code, sizeof(r->derr.code), v);
		break;
	case F_MESSAGE:
		if (r->doc == DOC_ERROR)
			copy_trunc(r->error->message, sizeof(r->error->message),
			    t);
		else
			copy_trunc(r->derr.message, sizeof(r->derr.message), t);
		break;
	case F_REQUEST_ID:
		copy_trunc(r->error->request_id, sizeof(r->error->request_id),
		    trim(t));
		break;
	case F_TRUNCATED:
		v = trim(t);
		if (parse_bool(v, &r->versions->is_truncated))
			stop(r, "S3 sent <IsTruncated>%.32s</IsTruncated>", v);
		break;
	case F_NEXT_KEY:
		take_string(r, &r->versions->next_key_marker, name);
		break;
	case F_NEXT_VERSION:
		take_string(r, &r->versions->next_version_id_marker, name);
		break;
	case F_ENCODING:
		r->url_encoded = strcmp(trim(t), "url") == 0;
		break;
	case F_KEY:
		take_string(r,
		    r->doc == DOC_VERSIONS ? &r->ver.key : &r->derr.key, name);
		break;
	case F_VERSION_ID:
		take_string(r,
		    r->doc == DOC_VERSIONS ? &r->ver.version_id
		                           : &r->derr.version_id,
		    name);
		break;
	case F_LATEST:
		v = trim(t);
		if (parse_bool(v, &r->ver.is_latest))
			stop(r, "S3 sent <IsLatest>%.32s</IsLatest>", v);
		break;
	case F_SIZE:
		v = trim(t);
		if (num_parse(v, 0, LLONG_MAX, &r->ver.size))
			stop(r, "S3 sent <Size>%.32s</Size>", v);
		break;
	case F_MODIFIED:
		v = trim(t);
		if (clock_parse_rfc3339(v, &r->ver.last_modified))
			stop(r, "S3 sent <LastModified>%.40s</LastModified>",
			    v);
		break;
	case F_NONE:
		break;
	}
}

/* A finished <Version>, <DeleteMarker> or <Error> entry: check it has
 * what names an object and move it into the result. */
static void
end_entry(struct reader *r, const char *name)
{
	struct s3xml_versions *vs = r->versions;
	struct s3xml_delete_result *dr = r->delete;
	void *p;

	switch (r->entry) {
	case E_VERSION:
	case E_MARKER:
		if (r->ver.key == NULL || r->ver.key[0] == '\0' ||
		    r->ver.version_id == NULL) {
			stop(r, "S3 sent a <%s> without a Key and VersionId",
			    name);
			return;
		}
		if ((p = grow(r, vs->v, vs->n, sizeof(*vs->v))) == NULL)
			return;
		vs->v = p;
		r->ver.is_delete_marker = r->entry == E_MARKER;
		if (r->entry == E_MARKER)
			r->ver.size = -1;
		vs->v[vs->n++] = r->ver;
		memset(&r->ver, 0, sizeof(r->ver));
		break;
	case E_DERROR:
		if (r->derr.key == NULL || r->derr.key[0] == '\0') {
			stop(r, "S3 sent a DeleteResult <Error> without a Key");
			return;
		}
		if ((p = grow(r, dr->errors, dr->nerrors,
		         sizeof(*dr->errors))) == NULL)
			return;
		dr->errors = p;
		dr->errors[dr->nerrors++] = r->derr;
		memset(&r->derr, 0, sizeof(r->derr));
		break;
	case E_DELETED:
		dr->deleted++;
		break;
	case E_NONE:
		break;
	}
}

/* Which entry a depth-2 element starts, in this document. */
static enum entry
entry_of(enum doc doc, const char *name)
{
	if (doc == DOC_VERSIONS && strcmp(name, "Version") == 0)
		return (E_VERSION);
	if (doc == DOC_VERSIONS && strcmp(name, "DeleteMarker") == 0)
		return (E_MARKER);
	if (doc == DOC_DELETE && strcmp(name, "Deleted") == 0)
		return (E_DELETED);
	if (doc == DOC_DELETE && strcmp(name, "Error") == 0)
		return (E_DERROR);
	return (E_NONE);
}

/* Which leaf NAME is, inside ENTRY of this document. */
static enum field
field_of(enum doc doc, enum entry in, const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(s_fields) / sizeof(s_fields[0]); i++)
		if (s_fields[i].doc == doc && s_fields[i].in == in &&
		    strcmp(s_fields[i].name, name) == 0)
			return (s_fields[i].f);
	return (F_NONE);
}

static void XMLCALL
on_start(void *data, const XML_Char *qname, const XML_Char **attrs)
{
	struct reader *r = data;
	const char *name = local_name(qname);
	enum field f = F_NONE;

	(void)attrs;
	if (r->failed)
		return;
	if (++r->depth > MAX_DEPTH) {
		stop(r, "S3 sent XML nested deeper than %d", MAX_DEPTH);
		return;
	}
	if (r->depth == 1) {
		copy_trunc(r->root, sizeof(r->root), name);
		if (strcmp(name, s_roots[r->doc]) != 0)
			stop(r, "S3 sent <%.64s> where <%s> was expected", name,
			    s_roots[r->doc]);
		return;
	}
	if (r->field != F_NONE)
		return; /* an element inside a leaf: skipped */
	if (r->depth == 2) {
		r->entry = entry_of(r->doc, name);
		if (r->entry == E_NONE)
			f = field_of(r->doc, E_NONE, name);
		else
			r->ver.size = -1; /* unless it has a <Size> */
	} else if (r->depth == 3 && r->entry != E_NONE) {
		f = field_of(r->doc, r->entry, name);
	}
	if (f != F_NONE) {
		r->field = f;
		r->field_depth = r->depth;
		buf_reset(&r->text);
		r->text_over = 0;
	}
}

static void XMLCALL
on_end(void *data, const XML_Char *qname)
{
	struct reader *r = data;
	const char *name = local_name(qname);

	if (r->failed)
		return;
	if (r->field != F_NONE && r->depth == r->field_depth) {
		end_field(r, name);
		r->field = F_NONE;
	} else if (r->depth == 2 && r->entry != E_NONE) {
		end_entry(r, name);
		r->entry = E_NONE;
	}
	r->depth--;
}

/* Text of the leaf being collected; what does not fit is dropped and
 * noted (a key cut short would name another object). */
static void XMLCALL
on_text(void *data, const XML_Char *s, int len)
{
	struct reader *r = data;
	size_t n = (size_t)len, room = MAX_TEXT - r->text.len;

	if (r->failed || r->field == F_NONE || r->depth != r->field_depth)
		return;
	if (n > room) {
		n = room;
		r->text_over = 1;
	}
	if (buf_add(&r->text, s, n))
		stop(r, "out of memory reading S3's XML");
}

/* A DOCTYPE could declare entities (the "billion laughs") or name an
 * external DTD; S3 never sends one. */
static void XMLCALL
on_doctype(void *data, const XML_Char *name, const XML_Char *sysid,
    const XML_Char *pubid, int has_internal_subset)
{
	struct reader *r = data;

	(void)name;
	(void)sysid;
	(void)pubid;
	(void)has_internal_subset;
	stop(r, "S3 sent a DOCTYPE, which is refused");
}

/* Parse TEXT as document DOC into the result R points to.  Returns 0, or
 * -1 with R->why set. */
static int
read_doc(struct reader *r, const char *text, size_t len)
{
	int rc = -1;

	buf_init(&r->text, MAX_TEXT);
	if (len > INT_MAX) {
		snprintf(r->why, sizeof(r->why), "S3 sent %zu bytes of XML",
		    len);
		goto done;
	}
	if ((r->p = XML_ParserCreateNS(NULL, NS_SEP)) == NULL) {
		snprintf(r->why, sizeof(r->why),
		    "out of memory reading S3's XML");
		goto done;
	}
	XML_SetUserData(r->p, r);
	XML_SetElementHandler(r->p, on_start, on_end);
	XML_SetCharacterDataHandler(r->p, on_text);
	XML_SetStartDoctypeDeclHandler(r->p, on_doctype);
	/* No external entity is ever loaded: no handler is set, and
	 * parameter entities are never parsed. */
	XML_SetParamEntityParsing(r->p, XML_PARAM_ENTITY_PARSING_NEVER);
	if (XML_Parse(r->p, text, (int)len, XML_TRUE) != XML_STATUS_OK) {
		if (!r->failed)
			snprintf(r->why, sizeof(r->why),
			    "S3 sent malformed XML (%s at line %lu)",
			    XML_ErrorString(XML_GetErrorCode(r->p)),
			    (unsigned long)XML_GetCurrentLineNumber(r->p));
		goto done;
	}
	if (r->failed)
		goto done;

	/* Success! */
	rc = 0;
done:
	if (r->p != NULL)
		XML_ParserFree(r->p);
	buf_free(&r->text);
	free(r->ver.key);
	free(r->ver.version_id);
	free(r->derr.key);
	free(r->derr.version_id);
	return (rc);
}

/* Report a document that is not the one expected; an S3 <Error> in its
 * place is named by its code, which is what the user can act on. */
static void
report(const struct reader *r, const char *text, size_t len)
{
	struct s3xml_error e;

	if (strcmp(r->root, "Error") == 0 &&
	    s3xml_parse_error(text, len, &e) == 0)
		err_set(EX_UNAVAILABLE,
		    "S3 sent an error instead of <%s>: "
		    "%s: %s",
		    s_roots[r->doc], e.code, e.message);
	else
		err_set(EX_UNAVAILABLE, "%s", r->why);
}

/*
 * s3xml_parse_error(text, len, out): fill OUT from an error body.
 * Returns 0 when TEXT is an <Error> document with a Code, -1 otherwise
 * (OUT then holds empty strings).  Reports nothing.
 */
int
s3xml_parse_error(const char *text, size_t len, struct s3xml_error *out)
{
	struct reader r;

	memset(out, 0, sizeof(*out));
	memset(&r, 0, sizeof(r));
	r.doc = DOC_ERROR;
	r.error = out;
	if (read_doc(&r, text, len) || out->code[0] == '\0') {
		memset(out, 0, sizeof(*out));
		return (-1);
	}
	return (0);
}

void
s3xml_versions_free(struct s3xml_versions *v)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < v->n; i++) {
		free(v->v[i].key);
		free(v->v[i].version_id);
	}
	free(v->v);
	free(v->next_key_marker);
	free(v->next_version_id_marker);
	memset(v, 0, sizeof(*v));
}

/* Decode the url-encoded keys of a page, and drop markers of a page
 * that is the last.  Returns 0, or -1 with R->why set. */
static int
finish_versions(struct reader *r)
{
	struct s3xml_versions *vs = r->versions;
	size_t i;

	if (!vs->is_truncated) {
		free(vs->next_key_marker);
		free(vs->next_version_id_marker);
		vs->next_key_marker = vs->next_version_id_marker = NULL;
	} else if (vs->next_key_marker == NULL) {
		snprintf(r->why, sizeof(r->why),
		    "S3 sent a truncated "
		    "ListVersionsResult without a NextKeyMarker");
		return (-1);
	}
	if (!r->url_encoded)
		return (0);
	for (i = 0; i < vs->n; i++)
		if (url_decode(vs->v[i].key))
			goto bad;
	if (vs->next_key_marker != NULL && url_decode(vs->next_key_marker))
		goto bad;
	return (0);
bad:
	snprintf(r->why, sizeof(r->why),
	    "S3 sent a url-encoded key with a bad %% escape");
	return (-1);
}

/*
 * s3xml_parse_versions(text, len, out): parse a ListVersionsResult page.
 * Each entry needs a Key and a VersionId; a truncated page needs a
 * NextKeyMarker.  With <EncodingType>url</EncodingType> the keys and
 * NextKeyMarker are decoded (%XX, '+' for space).  Returns 0, or -1 after
 * err_set(EX_UNAVAILABLE, "S3 sent ...") for text that is not one (an
 * S3 <Error> is reported by its Code and Message; OUT then empty).  Free
 * OUT with s3xml_versions_free (NULL or an emptied OUT: nothing).
 */
int
s3xml_parse_versions(const char *text, size_t len, struct s3xml_versions *out)
{
	struct reader r;

	memset(out, 0, sizeof(*out));
	memset(&r, 0, sizeof(r));
	r.doc = DOC_VERSIONS;
	r.versions = out;
	if (read_doc(&r, text, len) || finish_versions(&r)) {
		report(&r, text, len);
		s3xml_versions_free(out);
		return (-1);
	}
	return (0);
}

void
s3xml_delete_result_free(struct s3xml_delete_result *d)
{
	size_t i;

	if (d == NULL)
		return;
	for (i = 0; i < d->nerrors; i++) {
		free(d->errors[i].key);
		free(d->errors[i].version_id);
	}
	free(d->errors);
	memset(d, 0, sizeof(*d));
}

/*
 * s3xml_parse_delete_result(text, len, out): parse a DeleteResult;
 * each <Error> entry needs a Key.  Returns 0, or -1 after
 * err_set(EX_UNAVAILABLE, ...) for text that is not one (OUT then empty).
 * Free OUT with s3xml_delete_result_free (NULL: nothing).
 */
int
s3xml_parse_delete_result(const char *text, size_t len,
    struct s3xml_delete_result *out)
{
	struct reader r;

	memset(out, 0, sizeof(*out));
	memset(&r, 0, sizeof(r));
	r.doc = DOC_DELETE;
	r.delete = out;
	if (read_doc(&r, text, len)) {
		report(&r, text, len);
		s3xml_delete_result_free(out);
		return (-1);
	}
	return (0);
}

/* The length of the UTF-8 character at S that XML 1.0 can carry (a Char
 * of its production 2), or 0: invalid UTF-8, a control character other
 * than tab, newline and carriage return, a surrogate, U+FFFE or U+FFFF. */
static size_t
xml_char_len(const unsigned char *s)
{
	unsigned long c;
	size_t n, i;

	if (s[0] < 0x80)
		return (
		    s[0] >= 0x20 || s[0] == '\t' || s[0] == '\n' || s[0] == '\r'
		        ? 1
		        : 0);
	if (s[0] >= 0xC2 && s[0] <= 0xDF) {
		n = 2;
		c = s[0] & 0x1F;
	} else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
		n = 3;
		c = s[0] & 0x0F;
	} else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
		n = 4;
		c = s[0] & 0x07;
	} else {
		return (0);
	}
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return (0); /* also stops at the NUL */
		c = c << 6 | (s[i] & 0x3F);
	}
	/* Overlong forms, surrogates, beyond U+10FFFF, the two non-Chars. */
	if ((n == 3 && c < 0x800) || (n == 4 && c < 0x10000) ||
	    (c >= 0xD800 && c <= 0xDFFF) || c > 0x10FFFF || c == 0xFFFE ||
	    c == 0xFFFF)
		return (0);
	return (n);
}

/* The character reference or entity that stands for C in escaped text. */
static const char *
reference(unsigned char c)
{
	switch (c) {
	case '&':
		return ("&amp;");
	case '<':
		return ("&lt;");
	case '>':
		return ("&gt;");
	case '"':
		return ("&quot;");
	case '\'':
		return ("&apos;");
	case '\t':
		return ("&#9;");
	case '\n':
		return ("&#10;");
	default:
		return ("&#13;"); /* '\r' */
	}
}

/*
 * s3xml_escape(b, s): append S to B with &, <, >, " and ' escaped, and
 * tab, newline and carriage return as character references (a parser
 * would read a raw carriage return as a newline), for request bodies
 * (DeleteObjects keys).  Returns 0, or -1 after err_set when S is not
 * UTF-8 that XML 1.0 can carry (control characters other than those
 * three, U+FFFE, U+FFFF: EX_DATAERR) or when out of memory or over B's
 * cap (EX_SOFTWARE); B then holds what it held before.
 */
int
s3xml_escape(struct buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t start = b->len, i, n;
	int rc = -1;

	/* Check the whole string first, so a refusal appends nothing. */
	for (i = 0; p[i] != '\0'; i += n) {
		if ((n = xml_char_len(p + i)) == 0) {
			err_set(EX_DATAERR,
			    "key has byte 0x%02x at offset "
			    "%zu, which XML 1.0 cannot carry",
			    p[i], i);
			return (-1);
		}
	}
	/* Append runs of plain text, each followed by one reference. */
	for (i = 0;; i++) {
		n = strcspn(s + i, "&<>\"'\t\n\r");
		if (buf_add(b, s + i, n))
			goto done;
		i += n;
		if (p[i] == '\0')
			break;
		if (buf_addstr(b, reference(p[i])))
			goto done;
	}

	/* Success! */
	rc = 0;
done:
	if (rc != 0) {
		/* Take back the part appended. */
		b->len = start;
		if (b->data != NULL)
			b->data[start] = '\0';
		err_set(EX_SOFTWARE, "out of memory or request too large "
		                     "escaping a key");
	}
	return (rc);
}
