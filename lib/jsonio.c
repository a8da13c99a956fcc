#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "jsonio.h"

static unsigned long s_lineno; /* lines read by jsonio_read_line */

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

const char *
jsonio_string(const cJSON *obj, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);

	return (cJSON_IsString(v) ? v->valuestring : NULL);
}
