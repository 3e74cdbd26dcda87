/* The contract between the interpreter (runtime/) and one op kernel (ops/).
 *
 * An op is one file in ops/ defining a `const es_op es_op_<name>` and one line
 * in ops/registry.c.  The interpreter calls, per node:
 *   prepare(ctx)  once at model load: validate dtypes/shapes/options, compute
 *                 and store anything invariant (e.g. per-channel multipliers)
 *                 in memory from es_op_alloc_persistent(), and declare scratch
 *                 memory with es_op_request_scratch();
 *   invoke(ctx)   on every inference: compute outputs from inputs.
 * Neither may print, allocate with malloc, or keep global mutable state.  Both
 * return ES_OK or an error status after calling es_op_fail() with a static
 * detail string ("CONV_2D: filter must be int8").
 */
#ifndef EDGESIM_OP_H
#define EDGESIM_OP_H

#include <stddef.h>
#include <stdint.h>

#include "edgesim/status.h"
#include "edgesim/tensor.h"

typedef struct es_op_context es_op_context;

/* Flags for es_op.flags. */
#define ES_OP_OUTPUT_ALIASES_INPUT0 0x1u  /* output may share input 0's memory (RESHAPE) */

typedef struct es_op {
  int32_t builtin_code;   /* schema BuiltinOperator value */
  const char *name;       /* schema name, e.g. "CONV_2D" */
  int32_t max_version;    /* highest op version this kernel implements */
  uint32_t flags;
  es_status (*prepare)(es_op_context *ctx);
  es_status (*invoke)(es_op_context *ctx);
} es_op;

/* Tensors of the current node.  es_op_input() returns NULL for an omitted
 * optional input (tensor index -1 in the model, e.g. a missing bias) and for
 * i >= es_op_input_count(). */
int es_op_input_count(const es_op_context *ctx);
int es_op_output_count(const es_op_context *ctx);
const es_tensor *es_op_input(const es_op_context *ctx, int i);
es_tensor *es_op_output(const es_op_context *ctx, int i);

/* The node's builtin options table, read by schema field id (0-based field
 * number in schema.fbs order).  Absent fields give the default; the runtime
 * has bounds-checked the table. */
int32_t es_op_option_int(const es_op_context *ctx, int field_id, int32_t default_value);
float es_op_option_float(const es_op_context *ctx, int field_id, float default_value);
/* A vector of int32 (e.g. ReshapeOptions.new_shape); NULL and *count = 0 when
 * absent.  Elements are read with es_op_vector_int(). */
const uint8_t *es_op_option_int_vector(const es_op_context *ctx, int field_id, int32_t *count);
static inline int32_t es_op_vector_int(const uint8_t *v, int32_t i) {
  const uint8_t *p = v + 4 * i;
  return (int32_t)((uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24));
}
int32_t es_op_version(const es_op_context *ctx);

/* prepare() only: memory that lives as long as the model (8-byte aligned),
 * NULL when the arena is exhausted (return ES_ERR_ARENA_TOO_SMALL). */
void *es_op_alloc_persistent(es_op_context *ctx, size_t bytes);
/* prepare() only: ask for scratch memory valid during this node's invoke. */
es_status es_op_request_scratch(es_op_context *ctx, size_t bytes);
/* prepare() only: declare that invoke() stays correct when output 0's data
 * starts `output_offset` bytes after input 0's data (negative: before it), the
 * two buffers overlapping as far as their sizes make them.  The planner may
 * then use that placement (it needs no memory of its own beyond the union of
 * the two) when input 0 is an activation read by no later operator and by no
 * other input of this node; otherwise the buffers stay disjoint, so invoke()
 * must be correct both ways.  Typical use: a kernel that walks output pixels
 * in memory order and reads a pixel's whole receptive field before writing
 * its outputs (es_op_forward_overlap() in ops/op_common.h computes the
 * offset).  Model inputs are not preserved across invoke (as in TFLM). */
void es_op_allow_output_overlap(es_op_context *ctx, int32_t output_offset);
/* prepare() stores its persistent data here; invoke() reads it back. */
void es_op_set_data(es_op_context *ctx, void *data);
void *es_op_data(const es_op_context *ctx);
/* invoke() only: the scratch memory requested in prepare (8-byte aligned). */
void *es_op_scratch(const es_op_context *ctx);

/* Record why the op failed (a static string) and return `status`. */
es_status es_op_fail(es_op_context *ctx, es_status status, const char *detail);
/* es_op_fail() with the op's name before the detail ("CONV_2D: " detail),
 * for checks shared by several ops. */
es_status es_op_fail_named(es_op_context *ctx, es_status status, const char *detail);

#endif /* EDGESIM_OP_H */
