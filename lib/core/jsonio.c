#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "jsonio.h"

static unsigned long s_lineno; /* lines read by jsonio_read_line */
static int s_exact;           /* jsonio_exact_numbers: keep number texts */

/* A double holds every integer up to 2^53 exactly. */
#define EXACT_INT_MAX 9007199254740992.0

static int keep_number_texts(cJSON *, const char *, size_t);

size_t
jsonio_limit(void)
{
	const char *s = getenv("CSC_MAX_INPUT");
	char *end;
	unsigned long long v;

	if (s == NULL || *s == '\0')
		return (JSONIO_DEFAULT_LIMIT);
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v == 0 || *s == '-')
		return (JSONIO_DEFAULT_LIMIT);
	return ((size_t)v);
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
		if ((n == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
		    (n == 3 && (cp < 0x10000 || cp > 0x10ffff)))
			return (i);
		i += n + 1;
	}
	return (len);
}

cJSON *
jsonio_parse(const char *text, size_t len, const char *what)
{
	const char *end = NULL;
	cJSON *doc;
	size_t i;

	for (i = 0; i < len && is_space(text[i]); i++)
		;
	if (i == len) {
		err_set(EX_DATAERR, "%s: empty input, expected JSON", what);
		return (NULL);
	}
	if (memchr(text, '\0', len) != NULL) {
		err_set(EX_DATAERR, "%s: NUL byte in JSON input", what);
		return (NULL);
	}
	if ((i = utf8_invalid_at(text, len)) != len) {
		err_set(EX_DATAERR, "%s: invalid UTF-8 at byte %zu", what, i);
		return (NULL);
	}
	if ((i = escaped_nul(text, len)) != len) {
		err_set(EX_DATAERR, "%s: \\u0000 in a JSON string at byte %zu",
		    what, i);
		return (NULL);
	}
	doc = cJSON_ParseWithLengthOpts(text, len, &end, 0);
	if (doc == NULL) {
		/* cJSON leaves END at the first byte it could not use. */
		err_set(EX_DATAERR, "%s: invalid JSON near byte %zu", what,
		    end != NULL && end >= text ? (size_t)(end - text) : 0);
		return (NULL);
	}
	for (i = (size_t)(end - text); i < len && is_space(text[i]); i++)
		;
	if (i != len) {
		err_set(EX_DATAERR, "%s: unexpected data after JSON at byte %zu",
		    what, i);
		cJSON_Delete(doc);
		return (NULL);
	}
	if (s_exact && keep_number_texts(doc, text, (size_t)(end - text))) {
		err_set(EX_SOFTWARE, "%s: out of memory keeping number texts",
		    what);
		cJSON_Delete(doc);
		return (NULL);
	}
	return (doc);
}

cJSON *
jsonio_read(FILE *f, size_t limit)
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
	doc = jsonio_parse(in.data ? in.data : "", in.len, "standard input");
done:
	buf_free(&in);
	return (doc);
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

/* kept_numbers(node, list): how many number nodes in the tree NODE carry a
 * kept text that is a JSON number, storing them in LIST unless it is
 * NULL. */
static size_t
kept_numbers(cJSON *node, cJSON **list)
{
	cJSON *c;
	size_t n = 0;

	if (node == NULL)
		return (0);
	if (cJSON_IsNumber(node) && node->valuestring != NULL &&
	    jsonio_is_number_text(node->valuestring)) {
		if (list != NULL)
			list[0] = node;
		return (1);
	}
	for (c = node->child; c != NULL; c = c->next)
		n += kept_numbers(c, list != NULL ? list + n : NULL);
	return (n);
}

/*
 * cJSON prints a Number from its double (%1.15g, or %1.17g when that does
 * not read back), so 12345678901234567890 would come out as
 * 1.2345678901234567e+19 and 0.10 as 0.1; it prints a Raw node's
 * valuestring verbatim.  So for the length of the print the numbers with
 * a kept text become Raw nodes, and then Numbers again: the caller's tree
 * is as it was once this returns, which is why the const can be cast
 * away.  Only texts that are JSON numbers are swapped, so the output is
 * always JSON.  The nodes are listed rather than found again afterwards,
 * because a Raw node of the caller's must stay Raw.
 */
char *
jsonio_print(const cJSON *doc)
{
	cJSON **swapped = NULL;
	char *text = NULL;
	size_t n, i;

	n = kept_numbers((cJSON *)doc, NULL);
	if (n > 0) {
		if ((swapped = calloc(n, sizeof(*swapped))) == NULL)
			goto done;
		kept_numbers((cJSON *)doc, swapped);
		for (i = 0; i < n; i++)
			swapped[i]->type =
			    (swapped[i]->type & ~0xFF) | cJSON_Raw;
	}
	text = cJSON_PrintUnformatted(doc);
	for (i = 0; i < n; i++)
		swapped[i]->type = (swapped[i]->type & ~0xFF) | cJSON_Number;
done:
	free(swapped);
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

const char *
jsonio_string(const cJSON *obj, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);

	return (cJSON_IsString(v) ? v->valuestring : NULL);
}

void
jsonio_exact_numbers(int on)
{
	s_exact = on != 0;
}

static int
is_digit(char c)
{
	return (c >= '0' && c <= '9');
}

int
jsonio_is_number_text(const char *text)
{
	const char *p = text;

	if (p == NULL)
		return (0);
	if (*p == '-')
		p++;
	/* int: a lone 0, or digits not starting with 0 */
	if (*p == '0')
		p++;
	else if (*p >= '1' && *p <= '9')
		while (is_digit(*p))
			p++;
	else
		return (0);
	/* frac */
	if (*p == '.') {
		if (!is_digit(*++p))
			return (0);
		while (is_digit(*p))
			p++;
	}
	/* exp */
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (!is_digit(*p))
			return (0);
		while (is_digit(*p))
			p++;
	}
	return (*p == '\0');
}

const char *
jsonio_number_text(const cJSON *n, char tmp[32])
{
	double d;
	int prec;

	if (!cJSON_IsNumber(n))
		return (NULL);
	if (n->valuestring != NULL && jsonio_is_number_text(n->valuestring))
		return (n->valuestring);
	d = n->valuedouble;
	if (!isfinite(d))
		return (NULL);
	/* Whole numbers a double holds exactly read better without the
	 * exponent %g would give them from 1e15 on. */
	if (d == floor(d) && fabs(d) < EXACT_INT_MAX) {
		snprintf(tmp, 32, "%.0f", d);
		return (tmp);
	}
	/* The shortest of these that reads back as D; 17 digits always do. */
	for (prec = 15; prec < 17; prec++) {
		snprintf(tmp, 32, "%.*g", prec, d);
		if (strtod(tmp, NULL) == d)
			return (tmp);
	}
	snprintf(tmp, 32, "%.17g", d);
	return (tmp);
}

/* set_text(n, text, len): give the number node N a copy of TEXT as its
 * kept text, if TEXT is a JSON number.  cJSON_Delete frees a valuestring
 * whatever the node's type, with cJSON's allocator, hence cJSON_malloc.
 * Returns -1 if out of memory. */
static int
set_text(cJSON *n, const char *text, size_t len)
{
	char *s;

	if ((s = cJSON_malloc(len + 1)) == NULL)
		return (-1);
	memcpy(s, text, len);
	s[len] = '\0';
	if (!jsonio_is_number_text(s)) {
		cJSON_free(s);
		return (0);
	}
	cJSON_free(n->valuestring);
	n->valuestring = s;
	return (0);
}

cJSON *
jsonio_create_number_text(const char *text)
{
	cJSON *n;

	if (!jsonio_is_number_text(text))
		return (NULL);
	/* Beyond a double's range the value is +-inf or 0, the text exact. */
	if ((n = cJSON_CreateNumber(strtod(text, NULL))) == NULL)
		return (NULL);
	if (set_text(n, text, strlen(text)) == -1) {
		cJSON_Delete(n);
		return (NULL);
	}
	return (n);
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
			while (i < lx->len && (is_digit(t[i]) ||
			    strchr("+-.eE", t[i]) != NULL))
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

/* count_numbers(node): the number nodes of the tree NODE. */
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

/* attach_texts(node, lx): give each number node of the tree NODE, depth
 * first in member order, the text of the next number token of LX.
 * Returns -1 if out of memory. */
static int
attach_texts(cJSON *node, struct numlex *lx)
{
	cJSON *c;
	size_t start, len;

	if (cJSON_IsNumber(node)) {
		if (!numlex_next(lx, &start, &len))
			return (0); /* not reached: the counts matched */
		return (set_text(node, lx->text + start, len));
	}
	for (c = node->child; c != NULL; c = c->next)
		if (attach_texts(c, lx) == -1)
			return (-1);
	return (0);
}

/*
 * keep_number_texts(doc, text, len): attach to each number node of DOC,
 * just parsed from the LEN bytes of TEXT, its text there.  cJSON keeps
 * members and elements in document order, so the Nth number token of the
 * text is the Nth number node of a depth-first walk.  Should the counts
 * differ, no node gets a text: a wrong pairing would be worse than none.
 * A token outside JSON's grammar that cJSON accepts (01, 1., -.5) gets no
 * text either, and prints as cJSON prints its double.  Returns -1 if out
 * of memory.
 */
static int
keep_number_texts(cJSON *doc, const char *text, size_t len)
{
	struct numlex lx = {text, len, 0};
	size_t start, toklen, tokens = 0;

	while (numlex_next(&lx, &start, &toklen))
		tokens++;
	if (tokens != count_numbers(doc)) {
		err_debug("jsonio: %zu number tokens but %zu number nodes; "
		    "numbers keep no text", tokens, count_numbers(doc));
		return (0);
	}
	lx.i = 0;
	return (attach_texts(doc, &lx));
}
