/*
 * ddbjson: plain JSON <-> DynamoDB AttributeValue JSON (SPEC section 5).
 *
 * Plain objects become M, arrays L, strings S, numbers N, true/false
 * BOOL, null NULL; back again the same way, so an item written here reads
 * in boto3's TypeDeserializer as the same document, and an item boto3
 * wrote in that shape reads here.  Sets (SS, NS, BS) read back as arrays
 * and binary (B) as its base64 text; they are never written.
 *
 * Numbers keep their exact decimal text in both directions: a number goes
 * out as the text it prints as (jsonio_number_text), so a document parsed
 * with JSONIO_NUMBER_TEXT is stored as written, and an N comes back as a
 * node that prints as its text (jsonio_number_from_text): no detour
 * through a double, "12345678901234567890" and "0.10" stay as they are.
 */
#ifndef CSC_DDBJSON_H
#define CSC_DDBJSON_H

#include <cjson/cJSON.h>

/* ddbjson_marshal_value(v): V as an AttributeValue ({"S":"x"}, ...).
 * Returns a new tree, or NULL after err_set(EX_DATAERR, ...) (a number
 * DynamoDB cannot hold: not finite; a Raw node that is not a number) or
 * EX_SOFTWARE (out of memory). */
cJSON *ddbjson_marshal_value(const cJSON *v);

/* ddbjson_marshal_item(obj): the JSON object OBJ as an item, a map of
 * attribute names to AttributeValues.  NULL as above, and for an OBJ that
 * is not an object.  A member name given twice is not checked here: no
 * document jsonio reads has one. */
cJSON *ddbjson_marshal_item(const cJSON *obj);

/* ddbjson_unmarshal_value(av): the plain value of the AttributeValue AV.
 * Returns a new tree, or NULL after err_set(EX_UNAVAILABLE, "DynamoDB
 * sent ...") for anything that is not a well-formed AttributeValue (its
 * input comes from DynamoDB). */
cJSON *ddbjson_unmarshal_value(const cJSON *av);

/* ddbjson_unmarshal_item(item): the plain object of an item (a map of
 * AttributeValues).  NULL as ddbjson_unmarshal_value. */
cJSON *ddbjson_unmarshal_item(const cJSON *item);

#endif /* !CSC_DDBJSON_H */
