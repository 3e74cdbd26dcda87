/* Facts from the TFLite schema that the loader needs: builtin operator names
 * (for error messages and op counts) and the field layout of every builtin
 * options table (so an op can read an option by field id without knowing its
 * width).  Data lives in schema.c. */
#ifndef EDGESIM_RUNTIME_SCHEMA_H
#define EDGESIM_RUNTIME_SCHEMA_H

#include <stdint.h>
#include <string.h>

#define ES_SCHEMA_VERSION 3u
#define ES_SCHEMA_BUILTIN_COUNT 210  /* BuiltinOperator values 0..209 */
#define ES_SCHEMA_OPTIONS_COUNT 127  /* BuiltinOptions union types 0..126 (0 = NONE) */
#define ES_SCHEMA_CUSTOM 32          /* BuiltinOperator.CUSTOM */

/* "CONV_2D" for 3; "UNKNOWN_OP" outside the table.  Never NULL. */
const char *es_schema_op_name(int32_t builtin_code);

/* Field layout string of a BuiltinOptions union type (letters documented in
 * schema.c), "" for types without fields, NULL for unknown types. */
const char *es_schema_option_layout(int32_t options_type);

#endif /* EDGESIM_RUNTIME_SCHEMA_H */
