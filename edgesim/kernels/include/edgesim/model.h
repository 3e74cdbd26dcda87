/* Loading and running a TFLite (.tflite, schema 3) model inside caller memory.
 *
 *   es_model model;
 *   static uint8_t arena[64 * 1024];
 *   if (es_model_load(&model, &es_all_ops, model_data, model_size, arena, sizeof arena) != ES_OK)
 *     report(model.error.detail);        // "tensor 12: buffer 7 has 300 bytes, shape needs 1152"
 *   memcpy(es_model_input(&model, 0)->data, features, es_model_input(&model, 0)->bytes);
 *   es_model_invoke(&model);
 *   const int8_t *scores = es_model_output(&model, 0)->data;
 *
 * es_model_load validates the whole flatbuffer (every offset, vtable, vector
 * and string is bounds-checked; the model buffer may have any alignment,
 * except that float32 ops refuse float32 constants that are not 4-byte
 * aligned: a Cortex-M4 faults on unaligned float loads),
 * resolves every operator against an es_op_set (unsupported ops fail here,
 * with name and version), runs every op's prepare(), and plans all activation
 * memory by tensor lifetime inside the arena.  Everything the model needs at
 * run time lives in the arena (tensor and node records, op data, scratch,
 * activations); the es_model struct itself is small and holds the error
 * record.  The model bytes must stay alive and unchanged while the model is
 * used: constant tensors point into them.
 *
 * Arena size: es_model_load reports model.arena_used on success.  On
 * ES_ERR_ARENA_TOO_SMALL, model.arena_required holds the exact size needed
 * when the records and op data fitted (0 when even those did not); loading
 * again with that size succeeds.  es_model_arena_required() wraps this.
 *
 * No global mutable state: any number of models can coexist.
 */
#ifndef EDGESIM_MODEL_H
#define EDGESIM_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "edgesim/ops.h"
#include "edgesim/status.h"
#include "edgesim/tensor.h"

/* Limits that bound load time on hostile input (the planner is quadratic in
 * the number of activation buffers).  Real microcontroller models use a few
 * hundred tensors at most. */
#ifndef ES_MODEL_MAX_TENSORS
#define ES_MODEL_MAX_TENSORS 4096
#endif
#ifndef ES_MODEL_MAX_OPERATORS
#define ES_MODEL_MAX_OPERATORS 4096
#endif
#define ES_MODEL_MAX_NODE_TENSORS 255 /* inputs or outputs of one operator */

/* Alignment of everything placed in the arena (tensor data, op data, scratch). */
#define ES_ARENA_ALIGN 8u

#define ES_MODEL_ERROR_SIZE 112

/* Why the last call failed, as one line naming the problem. */
typedef struct es_model_error {
  es_status status;
  char detail[ES_MODEL_ERROR_SIZE];
} es_model_error;

typedef struct es_node es_node; /* runtime-internal: one operator instance */

typedef struct es_model {
  const uint8_t *data;       /* the model bytes (kept, not copied) */
  size_t size;
  es_tensor *tensors;        /* tensor_count records, in the arena */
  int32_t tensor_count;
  es_node *nodes;            /* node_count records, in the arena */
  int32_t node_count;
  const int16_t *inputs;     /* subgraph input tensor indices */
  const int16_t *outputs;    /* subgraph output tensor indices */
  int32_t input_count;
  int32_t output_count;
  uint8_t *arena;            /* aligned start of the caller's arena */
  size_t arena_size;         /* usable bytes after alignment */
  size_t arena_used;         /* high-water mark of the arena */
  size_t arena_required;     /* set on ES_ERR_ARENA_TOO_SMALL when known */
  size_t persistent_bytes;   /* records + op data (part of arena_used) */
  size_t activation_bytes;   /* planned activations + scratch (part of arena_used) */
  uint32_t tensor_table_vector; /* flatbuffer position of subgraph 0's tensors (names) */
  uint8_t ready;             /* 1 after a successful load */
  es_model_error error;
} es_model;

/* Parse, validate, prepare and plan.  `ops` chooses which kernels may be used
 * (es_all_ops, or a smaller set to save flash on a board). */
es_status es_model_load(es_model *model, const es_op_set *ops, const uint8_t *data, size_t size,
                        void *arena, size_t arena_size);

/* Bytes of arena es_model_load needs for this model: loads it into `work`
 * (any size; grows nothing) and reports the need in *required.  Returns
 * ES_ERR_ARENA_TOO_SMALL with *required = 0 if `work` was too small even to
 * find out; retry with a larger work buffer. */
es_status es_model_arena_required(es_model *model, const es_op_set *ops, const uint8_t *data,
                                  size_t size, void *work, size_t work_size, size_t *required);

/* Run every operator once, in order.  Inputs are read from, and outputs
 * written to, the tensors' data in the arena.  Input tensors are not
 * preserved: once consumed, their memory holds other activations (as in
 * TFLM), so write the inputs again before every invoke. */
es_status es_model_invoke(es_model *model);

/* Subgraph inputs/outputs; NULL when i is out of range. */
es_tensor *es_model_input(const es_model *model, int32_t i);
es_tensor *es_model_output(const es_model *model, int32_t i);

/* The op kernel and schema version of node i (NULL / 0 when out of range). */
const es_op *es_model_node_op(const es_model *model, int32_t i);
int32_t es_model_node_version(const es_model *model, int32_t i);

/* Tensor i's name from the model (not NUL-terminated): *name and *length, or
 * ES_ERR_ARGUMENT.  Names cost no arena: they are read from the flatbuffer. */
es_status es_model_tensor_name(const es_model *model, int32_t i, const char **name, size_t *length);

#endif /* EDGESIM_MODEL_H */
