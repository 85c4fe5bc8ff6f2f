/* json_syntax.h - Go encoding/json's syntax check and its error texts. */
#ifndef KVET_JSON_SYNTAX_H
#define KVET_JSON_SYNTAX_H

#include <stddef.h>

#define KV_JSON_VALID ((size_t)-1)

/* Checks text as Go's json.Unmarshal does before decoding.  Returns
 * KV_JSON_VALID when it is one JSON value with only white space around it;
 * otherwise the byte offset of the offending byte (len when the text ends
 * early) with Go's message in msg ("invalid character 'x' after array
 * element", "unexpected end of JSON input", ...). */
size_t kv_json_syntax_error(const char *text, size_t len, char *msg, size_t msgsz);

#endif
