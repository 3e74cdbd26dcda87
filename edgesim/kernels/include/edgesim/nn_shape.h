/* Data movement kernels: CONCATENATION, PACK, SPLIT, SPLIT_V, UNPACK, PAD,
 * PADV2, SLICE, STRIDED_SLICE, TRANSPOSE, GATHER (SQUEEZE and EXPAND_DIMS
 * only rename a shape).  Values are moved, never computed, so each kernel
 * serves every tensor type: elements are `element_size` bytes (1, 2, 4 or
 * 8), covering int8, int16, int32 and float32 alike, and the results equal
 * TFLite Micro's reference kernels bit for bit.  Shapes of up to 5
 * dimensions (ES_MAX_DIMS).
 */
#ifndef EDGESIM_NN_SHAPE_H
#define EDGESIM_NN_SHAPE_H

#include <stdint.h>

#include "edgesim/kernel_types.h"
#include "edgesim/status.h"

/* CONCATENATION and PACK: the output is `outer` rows; row r is the
 * concatenation of row r of every input, input i's rows being
 * part_bytes[i] long. */
typedef struct es_concat_params {
  int32_t outer;
  int32_t count;               /* number of inputs */
  const int32_t *part_bytes;   /* count entries */
} es_concat_params;

es_status es_concatenation(const es_concat_params *params, const void *const *inputs, void *output);

/* SPLIT, SPLIT_V and UNPACK: the inverse, output i receiving part_bytes[i]
 * of every input row. */
es_status es_split(const es_concat_params *params, const void *input, void *const *outputs);

/* PAD and PADV2: before[d] and after[d] elements of `pad_value` around
 * dimension d of the input (a shape padded to ES_MAX_DIMS with leading 1s). */
typedef struct es_pad_params {
  int32_t element_size;
  int32_t before[ES_MAX_DIMS];
  int32_t after[ES_MAX_DIMS];
} es_pad_params;

es_status es_pad(const es_pad_params *params, const es_shape *input_shape, const void *input, const void *pad_value,
                 void *output);

/* SLICE and STRIDED_SLICE: along each dimension d of the input (padded to
 * ES_MAX_DIMS with leading 1s), count[d] indices start[d] + k * step[d];
 * the output receives them in row-major order. */
typedef struct es_slice_params {
  int32_t element_size;
  int32_t start[ES_MAX_DIMS];
  int32_t count[ES_MAX_DIMS];
  int32_t step[ES_MAX_DIMS];
} es_slice_params;

es_status es_strided_slice(const es_slice_params *params, const es_shape *input_shape, const void *input,
                           void *output);

/* TRANSPOSE: output dimension d is input dimension perm[d]. */
typedef struct es_transpose_params {
  int32_t element_size;
  int32_t perm[ES_MAX_DIMS];
} es_transpose_params;

es_status es_transpose(const es_transpose_params *params, const es_shape *input_shape, const void *input,
                       void *output);

/* GATHER: input viewed as [batch][outer][axis_size][inner], indices as
 * [batch][coords]; output [batch][outer][coords][inner].  An index outside
 * [0, axis_size) fails with ES_ERR_INPUT_DATA before anything is written. */
typedef struct es_gather_params {
  int32_t element_size;
  int32_t batch, outer, axis_size, inner, coords;
} es_gather_params;

/* indices: int32, any alignment. */
es_status es_gather(const es_gather_params *params, const void *input, const void *indices, void *output);

#endif /* EDGESIM_NN_SHAPE_H */
