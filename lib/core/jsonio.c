#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "env.h"
#include "err.h"
#include "jsonio.h"

static unsigned long s_lineno; /* lines read by jsonio_read_line */

/* A double holds every integer up to 2^53 exactly. */
#define EXACT_INT_MAX 9007199254740992.0

/* Bytes of a member name, and of a path, shown in a message. */
#define NAME_SHOWN 40
#define PATH_SHOWN 160

static cJSON *keep_number_texts(cJSON *, const char *, size_t);

int
jsonio_limit(size_t *out)
{
	long v;

	*out = JSONIO_DEFAULT_LIMIT;
	if (env_long("CSC_MAX_INPUT", 1, JSONIO_MAX_LIMIT,
	        (long)JSONIO_DEFAULT_LIMIT, &v))
		return (-1);
	*out = (size_t)v;
	return (0);
}

static int
is_space(char c)
{
	return (c == ' ' || c == '\t' || c == '\n' || c == '\r');
}

/* The offset of the first "\u0000" escape in TEXT, or LEN if none.
 * cJSON would end the string there without a word, cutting the rest of
 * it off: such input is refused like a raw NUL byte.  A backslash is an
 * escape only after an even run of backslashes. */
static size_t
escaped_nul(const char *text, size_t len)
{
	const char *p = text, *end = text + len;
	size_t run;

	while ((p = memchr(p, '\\', (size_t)(end - p))) != NULL) {
		for (run = 0; p + run < end && p[run] == '\\'; run++)
			;
		p += run;
		if (run % 2 == 1 && end - p >= 5 && p[0] == 'u' &&
		    memcmp(p + 1, "0000", 4) == 0)
			return ((size_t)(p - 1 - text));
	}
	return (len);
}

/* The offset of the first byte of TEXT that is not well-formed UTF-8
 * (overlong forms, surrogates and code points past U+10FFFF included), or
 * LEN.  JSON is UTF-8 (RFC 8259), and cJSON does not check. */
static size_t
utf8_invalid_at(const char *text, size_t len)
{
	const unsigned char *p = (const unsigned char *)text;
	size_t i = 0, n, k;
	unsigned long cp;

	while (i < len) {
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		if (p[i] >= 0xc2 && p[i] <= 0xdf)
			n = 1, cp = p[i] & 0x1f;
		else if (p[i] >= 0xe0 && p[i] <= 0xef)
			n = 2, cp = p[i] & 0x0f;
		else if (p[i] >= 0xf0 && p[i] <= 0xf4)
			n = 3, cp = p[i] & 0x07;
		else
			return (i);
		if (len - i <= n)
			return (i);
		for (k = 1; k <= n; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return (i);
			cp = cp << 6 | (p[i + k] & 0x3f);
		}
		if ((n == 2 &&
		        (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
		    (n == 3 && (cp < 0x10000 || cp > 0x10ffff)))
			return (i);
		i += n + 1;
	}
	return (len);
}

cJSON *
jsonio_parse_with(const char *text, size_t len, const char *what, int flags)
{
	/* A peer's answer that cannot be read is a broken peer. */
	int code = (flags & JSONIO_ANSWER) ? EX_UNAVAILABLE : EX_DATAERR;
	const char *end = NULL;
	cJSON *doc;
	size_t i;

	for (i = 0; i < len && is_space(text[i]); i++)
		;
	if (i == len) {
		err_set(code, "%s: empty input, expected JSON", what);
		return (NULL);
	}
	if (memchr(text, '\0', len) != NULL) {
		err_set(code, "%s: NUL byte in JSON input", what);
		return (NULL);
	}
	if ((i = utf8_invalid_at(text, len)) != len) {
		err_set(code, "%s: invalid UTF-8 at byte %zu", what, i);
		return (NULL);
	}
	if ((i = escaped_nul(text, len)) != len) {
		err_set(code, "%s: \\u0000 in a JSON string at byte %zu", what,
		    i);
		return (NULL);
	}
	doc = cJSON_ParseWithLengthOpts(text, len, &end, 0);
	if (doc == NULL) {
		/* cJSON leaves END at the first byte it could not use. */
		err_set(code, "%s: invalid JSON near byte %zu", what,
		    end != NULL && end >= text ? (size_t)(end - text) : 0);
		return (NULL);
	}
	for (i = (size_t)(end - text); i < len && is_space(text[i]); i++)
		;
	if (i != len) {
		err_set(code, "%s: unexpected data after JSON at byte %zu",
		    what, i);
		goto fail;
	}
	if (jsonio_check_unique(doc, what, code))
		goto fail;
	if ((flags & JSONIO_NUMBER_TEXT) &&
	    (doc = keep_number_texts(doc, text, (size_t)(end - text))) == NULL)
		err_set(EX_SOFTWARE, "%s: out of memory keeping number texts",
		    what);
	return (doc);
fail:
	cJSON_Delete(doc);
	return (NULL);
}

cJSON *
jsonio_parse(const char *text, size_t len, const char *what)
{
	return (jsonio_parse_with(text, len, what, 0));
}

cJSON *
jsonio_read_with(FILE *f, size_t limit, int flags)
{
	struct buf in;
	char chunk[65536];
	size_t n;
	cJSON *doc = NULL;

	buf_init(&in, limit);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (buf_add(&in, chunk, n)) {
			err_set(EX_DATAERR,
			    "standard input: larger than the %zu-byte limit",
			    limit);
			goto done;
		}
	}
	if (ferror(f)) {
		err_set(EX_IOERR, "standard input: %s", strerror(errno));
		goto done;
	}
	doc = jsonio_parse_with(in.data ? in.data : "", in.len,
	    "standard input", flags);
done:
	buf_free(&in);
	return (doc);
}

cJSON *
jsonio_read(FILE *f, size_t limit)
{
	return (jsonio_read_with(f, limit, 0));
}

int
jsonio_read_line(FILE *f, size_t limit, cJSON **out)
{
	char what[64];
	char *line = NULL;
	size_t alloc = 0, i;
	ssize_t n;
	int rc = -1;

	*out = NULL;
	for (;;) {
		errno = 0;
		n = getline(&line, &alloc, f);
		if (n < 0) {
			if (ferror(f)) {
				err_set(EX_IOERR, "standard input: %s",
				    strerror(errno));
				goto done;
			}
			rc = 0;
			goto done;
		}
		s_lineno++;
		for (i = 0; i < (size_t)n && is_space(line[i]); i++)
			;
		if (i < (size_t)n)
			break; /* blank lines are skipped */
	}
	snprintf(what, sizeof(what), "standard input line %lu", s_lineno);
	if ((size_t)n > limit) {
		err_set(EX_DATAERR, "%s: larger than the %zu-byte limit", what,
		    limit);
		goto done;
	}
	*out = jsonio_parse(line, (size_t)n, what);
	if (*out != NULL)
		rc = 1;
done:
	free(line);
	return (rc);
}

char *
jsonio_print(const cJSON *doc)
{
	char *text = cJSON_PrintUnformatted(doc);

	if (text == NULL)
		err_set(EX_SOFTWARE, "out of memory printing JSON");
	return (text);
}

int
jsonio_write_text(FILE *f, const char *text, size_t len)
{
	if (fwrite(text, 1, len, f) != len || fflush(f) != 0) {
		err_set(EX_IOERR, "writing output: %s", strerror(errno));
		return (-1);
	}
	return (0);
}

int
jsonio_write(FILE *f, const cJSON *doc)
{
	char *text = jsonio_print(doc);
	size_t len;
	int rc;

	if (text == NULL)
		return (-1);
	len = strlen(text);
	text[len] = '\n'; /* replaces the NUL: text is written by length */
	rc = jsonio_write_text(f, text, len + 1);
	free(text);
	return (rc);
}

int
jsonio_close(FILE *f)
{
	if (ferror(f) || fclose(f)) {
		err_set(EX_IOERR, "writing output: %s", strerror(errno));
		return (-1);
	}
	return (0);
}

const char *
jsonio_string(const cJSON *obj, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);

	return (cJSON_IsString(v) ? v->valuestring : NULL);
}

const char *
jsonio_type_name(const cJSON *v)
{
	if (v == NULL)
		return ("nothing");
	if (cJSON_IsString(v))
		return ("a string");
	if (cJSON_IsNumber(v))
		return ("a number");
	if (cJSON_IsBool(v))
		return ("a boolean");
	if (cJSON_IsArray(v))
		return ("an array");
	if (cJSON_IsObject(v))
		return ("an object");
	return ("null");
}

int
jsonio_is_int(const cJSON *v, double lo, double hi)
{
	/* The range is checked first: the cast is defined only within it. */
	return (cJSON_IsNumber(v) && v->valuedouble >= lo &&
	        v->valuedouble <= hi &&
	        v->valuedouble == (double)(long long)v->valuedouble);
}

int
jsonio_set(cJSON *obj, const char *name, cJSON *value)
{
	cJSON_bool ok = 0;

	if (obj != NULL && value != NULL) {
		if (cJSON_GetObjectItemCaseSensitive(obj, name) != NULL)
			ok = cJSON_ReplaceItemInObjectCaseSensitive(obj, name,
			    value);
		else
			ok = cJSON_AddItemToObject(obj, name, value);
	}
	if (!ok) {
		/* Neither cJSON call takes VALUE when it fails. */
		cJSON_Delete(value);
		err_set(EX_SOFTWARE, "out of memory");
		return (-1);
	}
	return (0);
}

static int
is_digit(char c)
{
	return (c >= '0' && c <= '9');
}

/* number_span(p, len): 1 if the LEN bytes at P are exactly one JSON
 * number (-?int frac? exp?), else 0. */
static int
number_span(const char *p, size_t len)
{
	const char *end = p + len;

	if (p < end && *p == '-')
		p++;
	/* int: a lone 0, or digits not starting with 0 */
	if (p < end && *p == '0')
		p++;
	else if (p < end && *p >= '1' && *p <= '9')
		while (p < end && is_digit(*p))
			p++;
	else
		return (0);
	/* frac */
	if (p < end && *p == '.') {
		if (++p == end || !is_digit(*p))
			return (0);
		while (p < end && is_digit(*p))
			p++;
	}
	/* exp */
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		if (p == end || !is_digit(*p))
			return (0);
		while (p < end && is_digit(*p))
			p++;
	}
	return (p == end);
}

int
jsonio_is_number_text(const char *text)
{
	return (text != NULL && number_span(text, strlen(text)));
}

const char *
jsonio_number_text(const cJSON *n, char tmp[JSONIO_NUMBER_MAX])
{
	double d;
	int prec;

	if (cJSON_IsRaw(n))
		return (jsonio_is_number_text(n->valuestring) ? n->valuestring
		                                              : NULL);
	if (!cJSON_IsNumber(n) || !isfinite(n->valuedouble))
		return (NULL);
	d = n->valuedouble;
	/* Whole numbers a double holds exactly read better without the
	 * exponent %g would give them from 1e15 on. */
	if (d == floor(d) && fabs(d) < EXACT_INT_MAX) {
		snprintf(tmp, JSONIO_NUMBER_MAX, "%.0f", d);
		return (tmp);
	}
	/* The shortest of these that reads back as D; 17 digits always do. */
	for (prec = 15; prec < 17; prec++) {
		snprintf(tmp, JSONIO_NUMBER_MAX, "%.*g", prec, d);
		if (strtod(tmp, NULL) == d)
			return (tmp);
	}
	snprintf(tmp, JSONIO_NUMBER_MAX, "%.17g", d);
	return (tmp);
}

/* prints_as(n, text, len): 1 if the Number N both prints (cJSON) and
 * goes to DynamoDB (jsonio_number_text) as the LEN bytes of TEXT.  Two
 * checks, because cJSON prints some doubles with fewer digits than read
 * back exactly (9007199254740992 as 9.00719925474099e+15). */
static int
prints_as(const cJSON *n, const char *text, size_t len)
{
	char tmp[JSONIO_NUMBER_MAX];
	const char *t;

	if ((t = jsonio_number_text(n, tmp)) == NULL || strlen(t) != len ||
	    memcmp(t, text, len) != 0)
		return (0);
	/* cJSON's printers take a mutable item, but only read it. */
	return (cJSON_PrintPreallocated((cJSON *)n, tmp, sizeof(tmp), 0) &&
	        strlen(tmp) == len && memcmp(tmp, text, len) == 0);
}

/* raw_number(text, len): a Raw node holding the LEN bytes of TEXT, which
 * the caller has checked are a JSON number; NULL if out of memory. */
static cJSON *
raw_number(const char *text, size_t len)
{
	char *s;
	cJSON *raw;

	if ((s = strndup(text, len)) == NULL)
		return (NULL);
	raw = cJSON_CreateRaw(s);
	free(s);
	return (raw);
}

cJSON *
jsonio_number_from_text(const char *text)
{
	cJSON *n;

	if (!jsonio_is_number_text(text))
		return (NULL);
	/* The value as a document parse reads it, then the same choice. */
	if ((n = cJSON_Parse(text)) == NULL)
		return (NULL);
	if (prints_as(n, text, strlen(text)))
		return (n);
	cJSON_Delete(n);
	return (raw_number(text, strlen(text)));
}

/* A cursor over JSON text that finds the number tokens outside strings. */
struct numlex {
	const char *text;
	size_t len;
	size_t i;
};

/* numlex_next(lx, start, len): 1 with the next number token at START and
 * LEN bytes long, or 0 at the end of the text.  The text is one that
 * cJSON parsed, so a '-' or digit outside a string starts a number, and
 * the number runs over every [0-9+-.eE] byte after it: JSON allows none
 * of these straight after a value. */
static int
numlex_next(struct numlex *lx, size_t *start, size_t *len)
{
	const char *t = lx->text;
	size_t i = lx->i;
	int found = 0;

	while (i < lx->len && !found) {
		if (t[i] == '"') {
			/* a string: on to its closing quote, over escapes */
			for (i++; i < lx->len && t[i] != '"'; i++)
				if (t[i] == '\\')
					i++;
			i++;
		} else if (t[i] == '-' || is_digit(t[i])) {
			*start = i;
			while (
			    i < lx->len &&
			    (is_digit(t[i]) || strchr("+-.eE", t[i]) != NULL))
				i++;
			*len = i - *start;
			found = 1;
		} else {
			i++;
		}
	}
	lx->i = i;
	return (found);
}

/* count_numbers(node): the Number nodes of the tree NODE. */
static size_t
count_numbers(const cJSON *node)
{
	const cJSON *c;
	size_t n = 0;

	if (cJSON_IsNumber(node))
		return (1);
	for (c = node->child; c != NULL; c = c->next)
		n += count_numbers(c);
	return (n);
}

/* kept(n, lx): the node to stand for the Number N, whose text is the next
 * token of LX: N itself if it prints as that text (or the text is not in
 * JSON's grammar), else a new Raw node holding the text.  NULL if out of
 * memory. */
static cJSON *
kept(cJSON *n, struct numlex *lx)
{
	size_t start, len;

	if (!numlex_next(lx, &start, &len))
		return (n); /* not reached: the counts matched */
	if (!number_span(lx->text + start, len) ||
	    prints_as(n, lx->text + start, len))
		return (n);
	return (raw_number(lx->text + start, len));
}

/* keep_in(parent, lx): give each Number under PARENT, depth first in
 * member order, the text of the next token of LX, replacing those that
 * need it by Raw nodes.  Returns 0, or -1 if out of memory. */
static int
keep_in(cJSON *parent, struct numlex *lx)
{
	cJSON *c, *next, *raw;

	for (c = parent->child; c != NULL; c = next) {
		next = c->next;
		if (!cJSON_IsNumber(c)) {
			if (keep_in(c, lx) == -1)
				return (-1);
			continue;
		}
		if ((raw = kept(c, lx)) == NULL)
			return (-1);
		if (raw == c)
			continue;
		/* The replacement takes C's place in the list, and its
		 * member name: cJSON_ReplaceItemViaPointer moves no name. */
		raw->string = c->string;
		c->string = NULL;
		(void)cJSON_ReplaceItemViaPointer(parent, c, raw);
	}
	return (0);
}

/*
 * keep_number_texts(doc, text, len): DOC, just parsed from the LEN bytes
 * of TEXT, with its numbers kept as written (JSONIO_NUMBER_TEXT).  cJSON
 * keeps members and elements in document order, so the Nth number token
 * of the text is the Nth Number of a depth-first walk.  Should the counts
 * differ, DOC is left as cJSON made it: a wrong pairing would be worse
 * than none.  Returns the document (a new node if DOC is itself a number
 * that needs one), or NULL after freeing DOC if out of memory.
 */
static cJSON *
keep_number_texts(cJSON *doc, const char *text, size_t len)
{
	struct numlex lx = {text, len, 0};
	size_t start, toklen, tokens = 0;
	cJSON *top;

	while (numlex_next(&lx, &start, &toklen))
		tokens++;
	if (tokens != count_numbers(doc)) {
		err_debug("jsonio: %zu number tokens but %zu number nodes; "
		          "numbers keep no text",
		    tokens, count_numbers(doc));
		return (doc);
	}
	lx.i = 0;
	if (cJSON_IsNumber(doc)) {
		if ((top = kept(doc, &lx)) != doc)
			cJSON_Delete(doc);
		return (top);
	}
	if (keep_in(doc, &lx) == -1) {
		cJSON_Delete(doc);
		return (NULL);
	}
	return (doc);
}

/* A step of the walk down a document: NODE, the INDEXth child of UP's
 * node (UP is NULL at the top). */
struct step {
	const struct step *up;
	const cJSON *node;
	size_t index;
};

/* add_name(b, name): NAME quoted as a JSON string, cut after NAME_SHOWN
 * bytes (never inside a UTF-8 character) with "...".  Returns as
 * buf_add. */
static int
add_name(struct buf *b, const char *name)
{
	static const char short_escapes[] = "\n\r\t\b\f";
	const unsigned char *p = (const unsigned char *)name;
	const char *e;
	size_t n;
	int rc = buf_addstr(b, "\"");

	for (n = 0; *p != '\0' && rc == 0; p++, n++) {
		if (n >= NAME_SHOWN && (*p & 0xc0) != 0x80) {
			rc = buf_addstr(b, "...");
			break;
		}
		if (*p == '"' || *p == '\\')
			rc = buf_printf(b, "\\%c", *p);
		else if (*p != '\0' && (e = strchr(short_escapes, *p)) != NULL)
			rc = buf_printf(b, "\\%c", "nrtbf"[e - short_escapes]);
		else if (*p < 0x20 || *p == 0x7f)
			rc = buf_printf(b, "\\u%04x", *p);
		else
			rc = buf_add(b, p, 1);
	}
	return (rc || buf_addstr(b, "\""));
}

/* is_identifier(s): 1 if S can follow a dot in a jq path. */
static int
is_identifier(const char *s)
{
	if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
	        *s == '_'))
		return (0);
	for (s++; *s != '\0'; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		        (*s >= '0' && *s <= '9') || *s == '_'))
			return (0);
	return (1);
}

/* add_path(b, at): the jq path of AT's node (see jsonio.h).  Returns as
 * buf_add. */
static int
add_path(struct buf *b, const struct step *at)
{
	int in_array, plain, rc = 0;

	if (at->up == NULL)
		return (buf_addstr(b, "."));
	in_array = cJSON_IsArray(at->up->node);
	plain = !in_array && is_identifier(at->node->string);
	/* The container's path; at the top only "[...]" needs a "." first. */
	if (at->up->up != NULL)
		rc = add_path(b, at->up);
	else if (!plain)
		rc = buf_addstr(b, ".");
	if (rc != 0)
		return (rc);
	if (in_array)
		return (buf_printf(b, "[%zu]", at->index));
	if (plain)
		return (buf_printf(b, ".%s", at->node->string));
	return (buf_addstr(b, "[") || add_name(b, at->node->string) ||
	        buf_addstr(b, "]"));
}

/* report_duplicate(at, name, what, code): report NAME, a member name the
 * object at AT has twice, as err_set(CODE, "WHAT: duplicate key ..."). */
static void
report_duplicate(const struct step *at, const char *name, const char *what,
    int code)
{
	struct buf key, path;
	const char *p;

	buf_init(&key, 4 * NAME_SHOWN + 8);
	buf_init(&path, (size_t)1 << 20);
	if (add_name(&key, name) || add_path(&path, at)) {
		err_set(EX_SOFTWARE, "%s: out of memory", what);
		goto done;
	}
	/* A long path keeps its end, the object that has the name twice. */
	p = path.data;
	if (path.len > PATH_SHOWN) {
		p += path.len - PATH_SHOWN;
		while ((*p & 0xc0) == 0x80)
			p++;
	}
	err_set(code, "%s: duplicate key %s at %s%s", what, key.data,
	    p == path.data ? "" : "...", p);
done:
	buf_free(&key);
	buf_free(&path);
}

/* A member of an object, for finding names given twice. */
struct member {
	const char *name;
	size_t pos;
};

static int
compare_members(const void *a, const void *b)
{
	const struct member *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	if (c != 0)
		return (c);
	return (x->pos < y->pos ? -1 : x->pos > y->pos);
}

/* repeated(obj, out): 1 with *OUT = the first member name of the object
 * OBJ that an earlier member already had, 0 if there is none, -1 if out
 * of memory.  The names are sorted, so that a large object does not cost
 * quadratic time. */
static int
repeated(const cJSON *obj, const char **out)
{
	const cJSON *c;
	struct member *m;
	size_t n = 0, i, best = (size_t)-1;

	for (c = obj->child; c != NULL; c = c->next)
		n++;
	if (n < 2)
		return (0);
	if ((m = calloc(n, sizeof(*m))) == NULL)
		return (-1);
	for (i = 0, c = obj->child; c != NULL; c = c->next, i++) {
		m[i].name = c->string != NULL ? c->string : "";
		m[i].pos = i;
	}
	qsort(m, n, sizeof(*m), compare_members);
	for (i = 1; i < n; i++) {
		if (strcmp(m[i - 1].name, m[i].name) == 0 && m[i].pos < best) {
			best = m[i].pos;
			*out = m[i].name;
		}
	}
	free(m);
	return (best != (size_t)-1);
}

/* duplicate_under(at, what, code): check the node at AT and everything
 * in it, objects before their members.  Returns 0, or -1 after
 * reporting. */
static int
duplicate_under(const struct step *at, const char *what, int code)
{
	struct step down;
	const char *name;

	switch (cJSON_IsObject(at->node) ? repeated(at->node, &name) : 0) {
	case 0:
		break;
	case 1:
		report_duplicate(at, name, what, code);
		return (-1);
	default:
		err_set(EX_SOFTWARE, "%s: out of memory", what);
		return (-1);
	}
	down.up = at;
	down.index = 0;
	for (down.node = at->node->child; down.node != NULL;
	     down.node = down.node->next, down.index++)
		if (duplicate_under(&down, what, code) == -1)
			return (-1);
	return (0);
}

int
jsonio_check_unique(const cJSON *doc, const char *what, int code)
{
	struct step top = {NULL, doc, 0};

	return (duplicate_under(&top, what, code));
}
