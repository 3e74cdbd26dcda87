/* Structures shared by the runtime's files (loader, planner, interpreter);
 * not part of the public API. */
#ifndef EDGESIM_RUNTIME_INTERNAL_H
#define EDGESIM_RUNTIME_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "edgesim/model.h"
#include "edgesim/op.h"
#include "flatbuffer.h"

/* One operator instance.  Tensor indices are int16 (-1 = omitted optional
 * input) to keep the record small: ES_MODEL_MAX_TENSORS < 32768. */
struct es_node {
  const es_op *op;
  const int16_t *io;        /* input_count inputs, then output_count outputs */
  void *data;               /* op's persistent data (es_op_set_data) */
  void *scratch;            /* valid during invoke */
  uint32_t options;         /* flatbuffer position of the builtin options table, 0 = none */
  uint32_t scratch_bytes;
  int32_t overlap_offset;   /* es_op_allow_output_overlap(): output 0 at input 0 + this */
  uint8_t version;          /* <= the kernel's max_version (checked by the loader) */
  uint8_t input_count;
  uint8_t output_count;
  uint8_t options_type;     /* BuiltinOptions union type */
  uint8_t flags;            /* ES_NODE_* */
};

/* es_node.flags */
#define ES_NODE_OUTPUT_OVERLAP 0x1u /* overlap_offset is valid */

struct es_op_context {
  es_model *model;
  es_node *node;
  int32_t node_index;
  uint8_t preparing; /* 1 inside prepare(): persistent/scratch requests allowed */
};

/* Round up to the arena alignment (callers keep values far below SIZE_MAX). */
static inline size_t es_align_up(size_t n) {
  return (n + (ES_ARENA_ALIGN - 1u)) & ~(size_t)(ES_ARENA_ALIGN - 1u);
}

/* Bump allocator over the front of the arena (records and op data). */
void *es_arena_alloc_persistent(es_model *model, size_t bytes);

/* Sets model->error.  Format: %d int, %u unsigned, %z size_t, %s string,
 * %.*s (int length, const char *) for strings that are not NUL-terminated. */
es_status es_model_fail(es_model *model, es_status status, const char *fmt, ...);
void es_format_error(char *out, size_t capacity, const char *fmt, va_list args);

/* loader.c: parse and validate the flatbuffer into tensors and nodes. */
es_status es_model_parse(es_model *model, const es_op_set *ops);

/* planner.c: place activations and scratch buffers; sets tensor data. */
es_status es_model_plan(es_model *model);

/* interpreter.c: es_model_load() with `before_plan(model, context)` called
 * once every operator is prepared, before planning (a compiled schedule adds
 * its kernels' work memory to the nodes' scratch there); NULL: none. */
es_status es_model_load_with(es_model *model, const es_op_set *ops, const uint8_t *data, size_t size, void *arena,
                             size_t arena_size, es_status (*before_plan)(es_model *model, const void *context),
                             const void *context);

#endif /* EDGESIM_RUNTIME_INTERNAL_H */
