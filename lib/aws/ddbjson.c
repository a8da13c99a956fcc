/*
 * ddbjson: plain JSON <-> DynamoDB AttributeValue JSON.  Both directions
 * are one recursive walk that builds a new tree; an error is reported
 * where it is found and the half-built tree freed on the way out.
 * Marshalling refuses what DynamoDB could not store (EX_DATAERR);
 * unmarshalling refuses any AttributeValue that is not well formed
 * (EX_UNAVAILABLE: the peer is broken), and anything it accepts
 * marshals again.  A member name given twice is refused where the text
 * is read (jsonio), before either direction sees it.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ddbjson.h"
#include "err.h"
#include "jsonio.h"

/*
 * How deep M, L and set values may nest, in either direction.  DynamoDB
 * itself allows 32 levels; the bound here is twice that, so the server
 * stays the judge of its own limit while a broken peer (or a document
 * nested 1000 deep, which cJSON accepts) cannot drive the recursion
 * below deep into the stack.  A container at depth DDBJSON_MAX_DEPTH or
 * more is refused, the same way going out and coming back, so whatever
 * unmarshals also marshals.
 */
#define DDBJSON_MAX_DEPTH 64

/* Bytes of a name or text quoted in a message, with its NUL. */
#define QUOTE_MAX 64

static cJSON *marshal(const cJSON *, const char *, int);
static cJSON *unmarshal(const cJSON *, int);

/* quote(s, out): S for a message: control bytes as \xHH, long texts cut
 * with "..." so that a hostile name cannot flood the one error line. */
static const char *
quote(const char *s, char out[QUOTE_MAX])
{
	unsigned char c;
	size_t o = 0;

	for (; *s != '\0'; s++) {
		if (o + 8 >= QUOTE_MAX) {
			/* no half UTF-8 character before the "..." */
			while (o > 0 && ((unsigned char)out[o - 1] & 0x80))
				o--;
			memcpy(out + o, "...", 4);
			return (out);
		}
		c = (unsigned char)*s;
		if (c < 0x20 || c == 0x7f)
			o += (size_t)snprintf(out + o, QUOTE_MAX - o, "\\x%02x",
			    c);
		else
			out[o++] = (char)c;
	}
	out[o] = '\0';
	return (out);
}

/* made(x): X, or NULL after reporting that cJSON ran out of memory. */
static cJSON *
made(cJSON *x)
{
	if (x == NULL)
		err_set(EX_SOFTWARE, "out of memory");
	return (x);
}

/* add(parent, name, item): append ITEM to the object PARENT as NAME, or
 * to the array PARENT if NAME is NULL.  A NULL ITEM (its error already
 * reported) fails; ITEM is freed if it cannot be added.  Returns 0 or
 * -1. */
static int
add(cJSON *parent, const char *name, cJSON *item)
{
	cJSON_bool ok;

	if (item == NULL)
		return (-1);
	if (name != NULL)
		ok = cJSON_AddItemToObject(parent, name, item);
	else
		ok = cJSON_AddItemToArray(parent, item);
	if (!ok) {
		cJSON_Delete(item);
		err_set(EX_SOFTWARE, "out of memory");
		return (-1);
	}
	return (0);
}

/* typed(type, value): the AttributeValue {TYPE: VALUE}, taking VALUE; NULL
 * if VALUE is (its error reported) or out of memory. */
static cJSON *
typed(const char *type, cJSON *value)
{
	cJSON *av;

	if (value == NULL)
		return (NULL);
	if ((av = made(cJSON_CreateObject())) == NULL) {
		cJSON_Delete(value);
		return (NULL);
	}
	if (add(av, type, value) == -1) {
		cJSON_Delete(av);
		return (NULL);
	}
	return (av);
}

/* unnamed(obj): 1 if a member of OBJ has no name (a tree built by hand
 * with array calls), which no JSON text can give. */
static int
unnamed(const cJSON *obj)
{
	const cJSON *c;

	for (c = obj->child; c != NULL; c = c->next)
		if (c->string == NULL)
			return (1);
	return (0);
}

/* refuse(where, what): report the plain value at member WHERE (NULL at
 * the top) as one DynamoDB cannot store, because WHAT. */
static void
refuse(const char *where, const char *what)
{
	char q[QUOTE_MAX];

	if (where != NULL)
		err_set(EX_DATAERR, "member \"%s\": %s", quote(where, q), what);
	else
		err_set(EX_DATAERR, "%s", what);
}

/* marshal_map(obj, depth): the members of the object OBJ, at DEPTH, as a
 * map of attribute names to AttributeValues. */
static cJSON *
marshal_map(const cJSON *obj, int depth)
{
	const cJSON *c;
	cJSON *m;

	if (unnamed(obj)) {
		refuse(NULL, "an object member has no name");
		return (NULL);
	}
	if ((m = made(cJSON_CreateObject())) == NULL)
		return (NULL);
	for (c = obj->child; c != NULL; c = c->next) {
		if (add(m, c->string, marshal(c, c->string, depth)) == -1) {
			cJSON_Delete(m);
			return (NULL);
		}
	}
	return (m);
}

/* marshal_list(arr, where, depth): the elements of ARR, at DEPTH, as a
 * list of AttributeValues. */
static cJSON *
marshal_list(const cJSON *arr, const char *where, int depth)
{
	const cJSON *c;
	cJSON *l;

	if ((l = made(cJSON_CreateArray())) == NULL)
		return (NULL);
	for (c = arr->child; c != NULL; c = c->next) {
		if (add(l, NULL, marshal(c, where, depth)) == -1) {
			cJSON_Delete(l);
			return (NULL);
		}
	}
	return (l);
}

/* marshal(v, where, depth): the plain value V, inside member WHERE and
 * DEPTH containers, as an AttributeValue. */
static cJSON *
marshal(const cJSON *v, const char *where, int depth)
{
	const char *num;
	char tmp[JSONIO_NUMBER_MAX];

	if ((cJSON_IsArray(v) || cJSON_IsObject(v)) &&
	    depth >= DDBJSON_MAX_DEPTH) {
		refuse(where, "nested too deep for DynamoDB");
		return (NULL);
	}
	switch (v->type & 0xFF) {
	case cJSON_String:
		if (v->valuestring == NULL)
			break;
		return (typed("S", made(cJSON_CreateString(v->valuestring))));
	case cJSON_Number:
		/* the text it prints as: what is stored is what was shown */
		if ((num = jsonio_number_text(v, tmp)) == NULL) {
			refuse(where, "a number DynamoDB cannot hold "
			              "(not finite)");
			return (NULL);
		}
		return (typed("N", made(cJSON_CreateString(num))));
	case cJSON_Raw:
		/* a number kept as written (JSONIO_NUMBER_TEXT), and only
		 * that: any other raw text is not a value */
		if ((num = jsonio_number_text(v, tmp)) == NULL)
			break;
		return (typed("N", made(cJSON_CreateString(num))));
	case cJSON_True:
	case cJSON_False:
		return (typed("BOOL", made(cJSON_CreateBool(cJSON_IsTrue(v)))));
	case cJSON_NULL:
		return (typed("NULL", made(cJSON_CreateTrue())));
	case cJSON_Array:
		return (typed("L", marshal_list(v, where, depth + 1)));
	case cJSON_Object:
		return (typed("M", marshal_map(v, depth + 1)));
	}
	refuse(where, "not a JSON value (a raw or invalid node)");
	return (NULL);
}

cJSON *
ddbjson_marshal_value(const cJSON *v)
{
	if (v == NULL) {
		refuse(NULL, "no value to store");
		return (NULL);
	}
	return (marshal(v, NULL, 0));
}

cJSON *
ddbjson_marshal_item(const cJSON *obj)
{
	if (!cJSON_IsObject(obj)) {
		refuse(NULL, "an item must be a JSON object");
		return (NULL);
	}
	return (marshal_map(obj, 0));
}

/* bad(type, want): report an AttributeValue of TYPE whose value is not
 * WANT. */
static void
bad(const char *type, const char *want)
{
	err_set(EX_UNAVAILABLE,
	    "DynamoDB sent an attribute value of type %s "
	    "that is not %s",
	    type, want);
}

/*
 * number(text): the plain number of the N text TEXT, printing as TEXT
 * (jsonio_number_from_text: no detour through a double).  DynamoDB sends
 * its numbers in JSON's grammar; should a peer send one outside it that
 * is still a decimal number ("+5", ".5", "5."), it becomes the double it
 * reads as, as the text that marshals it again (jsonio_number_text), so
 * that it reads back the same.  Anything else is refused: strtod alone
 * would also take " 5", "0x10", "inf" and "nan".
 */
static cJSON *
number(const char *text)
{
	const char *p;
	char *end, q[QUOTE_MAX], tmp[JSONIO_NUMBER_MAX];
	cJSON *d_node;
	double d;

	if (jsonio_is_number_text(text))
		return (made(jsonio_number_from_text(text)));
	for (p = text; *p != '\0' && strchr("0123456789+-.eE", *p) != NULL; p++)
		;
	d = strtod(text, &end);
	if (*p != '\0' || end == text || *end != '\0') {
		err_set(EX_UNAVAILABLE,
		    "DynamoDB sent a number that is not a "
		    "number: \"%s\"",
		    quote(text, q));
		return (NULL);
	}
	if (!isfinite(d)) {
		err_set(EX_UNAVAILABLE,
		    "DynamoDB sent a number out of range: "
		    "\"%s\"",
		    quote(text, q));
		return (NULL);
	}
	if ((d_node = made(cJSON_CreateNumber(d))) == NULL)
		return (NULL);
	p = jsonio_number_text(d_node, tmp); /* not NULL: D is finite */
	cJSON_Delete(d_node);
	return (made(jsonio_number_from_text(p)));
}

/* unmarshal_set(type, set, depth): the elements of the set SET of TYPE
 * (SS, NS or BS), at DEPTH, as a plain array. */
static cJSON *
unmarshal_set(const char *type, const cJSON *set, int depth)
{
	const cJSON *c;
	cJSON *a;

	if (!cJSON_IsArray(set)) {
		bad(type, "an array");
		return (NULL);
	}
	if (depth >= DDBJSON_MAX_DEPTH) {
		err_set(EX_UNAVAILABLE,
		    "DynamoDB sent attribute values "
		    "nested deeper than %d levels",
		    DDBJSON_MAX_DEPTH);
		return (NULL);
	}
	if ((a = made(cJSON_CreateArray())) == NULL)
		return (NULL);
	for (c = set->child; c != NULL; c = c->next) {
		if (!cJSON_IsString(c)) {
			err_set(EX_UNAVAILABLE,
			    "DynamoDB sent a set of type "
			    "%s with an element that is not a string",
			    type);
			goto fail;
		}
		if (add(a, NULL,
		        type[0] == 'N'
		            ? number(c->valuestring)
		            : made(cJSON_CreateString(c->valuestring))) == -1)
			goto fail;
	}
	return (a);
fail:
	cJSON_Delete(a);
	return (NULL);
}

/* unmarshal_map(m, depth): the map M of attribute names to
 * AttributeValues, at DEPTH, as a plain object. */
static cJSON *
unmarshal_map(const cJSON *m, int depth)
{
	const cJSON *c;
	cJSON *o;

	if (unnamed(m)) {
		err_set(EX_UNAVAILABLE, "DynamoDB sent a map member with no "
		                        "name");
		return (NULL);
	}
	if ((o = made(cJSON_CreateObject())) == NULL)
		return (NULL);
	for (c = m->child; c != NULL; c = c->next) {
		if (add(o, c->string, unmarshal(c, depth)) == -1) {
			cJSON_Delete(o);
			return (NULL);
		}
	}
	return (o);
}

/* unmarshal_list(l, depth): the list L of AttributeValues, at DEPTH, as a
 * plain array. */
static cJSON *
unmarshal_list(const cJSON *l, int depth)
{
	const cJSON *c;
	cJSON *a;

	if ((a = made(cJSON_CreateArray())) == NULL)
		return (NULL);
	for (c = l->child; c != NULL; c = c->next) {
		if (add(a, NULL, unmarshal(c, depth)) == -1) {
			cJSON_Delete(a);
			return (NULL);
		}
	}
	return (a);
}

/* unmarshal(av, depth): the AttributeValue AV, inside DEPTH containers,
 * as a plain value.  It must have exactly one member, its type. */
static cJSON *
unmarshal(const cJSON *av, int depth)
{
	const cJSON *v;
	const char *t;
	char q[QUOTE_MAX], q2[QUOTE_MAX];

	if (!cJSON_IsObject(av)) {
		err_set(EX_UNAVAILABLE, "DynamoDB sent an attribute value "
		                        "that is not a JSON object");
		return (NULL);
	}
	if ((v = av->child) == NULL || v->string == NULL) {
		err_set(EX_UNAVAILABLE, "DynamoDB sent an attribute value "
		                        "with no type");
		return (NULL);
	}
	if (v->next != NULL) {
		err_set(EX_UNAVAILABLE,
		    "DynamoDB sent an attribute value "
		    "with two types (\"%s\" and \"%s\")",
		    quote(v->string, q),
		    quote(v->next->string ? v->next->string : "", q2));
		return (NULL);
	}
	t = v->string;
	if ((strcmp(t, "M") == 0 || strcmp(t, "L") == 0) &&
	    depth >= DDBJSON_MAX_DEPTH) {
		err_set(EX_UNAVAILABLE,
		    "DynamoDB sent attribute values "
		    "nested deeper than %d levels",
		    DDBJSON_MAX_DEPTH);
		return (NULL);
	}
	if (strcmp(t, "S") == 0 || strcmp(t, "B") == 0) {
		/* B is base64 text; it stays text */
		if (!cJSON_IsString(v)) {
			bad(t, "a string");
			return (NULL);
		}
		return (made(cJSON_CreateString(v->valuestring)));
	}
	if (strcmp(t, "N") == 0) {
		if (!cJSON_IsString(v)) {
			bad(t, "a string");
			return (NULL);
		}
		return (number(v->valuestring));
	}
	if (strcmp(t, "BOOL") == 0) {
		if (!cJSON_IsBool(v)) {
			bad(t, "true or false");
			return (NULL);
		}
		return (made(cJSON_CreateBool(cJSON_IsTrue(v))));
	}
	if (strcmp(t, "NULL") == 0) {
		if (!cJSON_IsTrue(v)) {
			bad(t, "true");
			return (NULL);
		}
		return (made(cJSON_CreateNull()));
	}
	if (strcmp(t, "M") == 0) {
		if (!cJSON_IsObject(v)) {
			bad(t, "an object");
			return (NULL);
		}
		return (unmarshal_map(v, depth + 1));
	}
	if (strcmp(t, "L") == 0) {
		if (!cJSON_IsArray(v)) {
			bad(t, "an array");
			return (NULL);
		}
		return (unmarshal_list(v, depth + 1));
	}
	if (strcmp(t, "SS") == 0 || strcmp(t, "NS") == 0 ||
	    strcmp(t, "BS") == 0)
		return (unmarshal_set(t, v, depth));
	err_set(EX_UNAVAILABLE,
	    "DynamoDB sent an attribute value of unknown "
	    "type \"%s\"",
	    quote(t, q));
	return (NULL);
}

cJSON *
ddbjson_unmarshal_value(const cJSON *av)
{
	return (unmarshal(av, 0));
}

cJSON *
ddbjson_unmarshal_item(const cJSON *item)
{
	if (!cJSON_IsObject(item)) {
		err_set(EX_UNAVAILABLE, "DynamoDB sent an item that is not a "
		                        "JSON object");
		return (NULL);
	}
	return (unmarshal_map(item, 0));
}
