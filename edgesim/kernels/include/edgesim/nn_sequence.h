/* Sequence ops with state carried across invocations: SVDF, int8 (with
 * int16 or int8 state and time weights, as TFLite Micro) and float32,
 * bit-exact with TFLite Micro's reference kernels.
 *
 * The state is a variable tensor [batch, memory * filters] that the caller
 * keeps between calls (the runtime gives variable tensors their own memory,
 * zero point filled at load, as TFLM does).
 */
#ifndef EDGESIM_NN_SEQUENCE_H
#define EDGESIM_NN_SEQUENCE_H

#include <stdint.h>

#include "edgesim/kernel_types.h"
#include "edgesim/status.h"

typedef struct es_svdf_params {
  int32_t batch, input_size, filters, rank, memory;
  int32_t activation;          /* float only (schema ActivationFunctionType); TFLM's int8 path applies none */
  int32_t input_offset;        /* input zero point */
  int32_t state_offset;        /* state zero point */
  int32_t output_offset;       /* output zero point */
  es_qmul feature_scale;       /* input * weights_feature / state scale */
  es_qmul time_scale;          /* state * weights_time / output scale */
} es_svdf_params;

/* One time step.  scratch: batch * filters + batch * filters / rank int32.
 * bias: int32 per unit (any alignment) or NULL.  state_is_16: state and
 * time weights int16 (else int8). */
es_status es_svdf_s8(const es_svdf_params *params, const int8_t *input, const int8_t *weights_feature,
                     const void *weights_time, const void *bias, void *state, int state_is_16, int32_t *scratch,
                     int8_t *output);
/* Float: weights and bias may be unaligned constants; scratch: batch * filters floats. */
es_status es_svdf_f32(const es_svdf_params *params, const float *input, const void *weights_feature,
                      const void *weights_time, const void *bias, float *state, float *scratch, float *output);

#endif /* EDGESIM_NN_SEQUENCE_H */
