/* Tensors as the interpreter hands them to op kernels. */
#ifndef EDGESIM_TENSOR_H
#define EDGESIM_TENSOR_H

#include <stddef.h>
#include <stdint.h>

#define ES_MAX_DIMS 5

/* Values equal the TFLite schema's TensorType so parsing is a range check. */
typedef enum es_dtype {
  ES_FLOAT32 = 0,
  ES_FLOAT16 = 1,
  ES_INT32 = 2,
  ES_UINT8 = 3,
  ES_INT64 = 4,
  ES_STRING = 5,
  ES_BOOL = 6,
  ES_INT16 = 7,
  ES_COMPLEX64 = 8,
  ES_INT8 = 9
} es_dtype;

/* Affine quantization: real = scale * (q - zero_point).
 * Per-tensor models have channel_count == 1.  Per-channel weights have
 * channel_count == dims[channel_axis] and their scales in channel_scales
 * (pointing into the model buffer, read with es_load_f32() because the model
 * buffer is only guaranteed byte-aligned by the caller). */
typedef struct es_quant {
  float scale;                 /* first (or only) scale; 0 when not quantized */
  int32_t zero_point;          /* first (or only) zero point */
  int32_t channel_count;       /* 0 = not quantized, 1 = per tensor, >1 = per channel */
  int32_t channel_axis;        /* schema's quantized_dimension */
  const uint8_t *channel_scales; /* channel_count little-endian float32s */
} es_quant;

typedef struct es_tensor {
  void *data;                  /* arena (activations) or model buffer (constants) */
  size_t bytes;                /* element count * element size */
  int32_t dims[ES_MAX_DIMS];
  uint8_t rank;
  uint8_t type;                /* es_dtype */
  uint8_t is_constant;         /* data lives in the (read-only) model buffer */
  uint8_t reserved;
  uint8_t is_variable;         /* state kept across invokes (SVDF, LSTM): own arena memory,
                                  zero point filled at load like TFLM's ResetVariableTensors */
  es_quant quant;
} es_tensor;

/* Number of elements (product of dims). */
static inline int32_t es_tensor_elements(const es_tensor *t) {
  int32_t n = 1;
  for (int i = 0; i < t->rank; ++i) n *= t->dims[i];
  return n;
}

/* Unaligned little-endian float load (constant data may be unaligned). */
static inline float es_load_f32(const uint8_t *p) {
  union { uint32_t u; float f; } v;
  v.u = (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
  return v.f;
}

#endif /* EDGESIM_TENSOR_H */
