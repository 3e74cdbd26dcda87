/* Helpers shared by the op kernels in this folder (private to ops/).
 *
 * Geometry follows TFLM's padding.h (ComputeOutSize, ComputePadding) and the
 * requantization parameters follow PopulateConvolutionQuantizationParams():
 * one multiplier per output channel from
 *   (double)input_scale * (double)filter_scale[c] / (double)output_scale.
 * Helpers return a status; the calling op turns it into a detailed
 * es_op_fail() message naming itself.
 */
#ifndef EDGESIM_OPS_OP_COMMON_H
#define EDGESIM_OPS_OP_COMMON_H

#include <stdint.h>
#include <string.h>

#include "edgesim/op.h"
#include "edgesim/quant.h"
#include "edgesim/tensor.h"

/* Keeps a hot loop in its own function: gcc vectorizes some reductions only
 * when they are not inlined into a larger loop nest. */
#if defined(__GNUC__)
#define ES_OP_NOINLINE __attribute__((noinline))
#else
#define ES_OP_NOINLINE
#endif

/* Loop orders for microcontrollers: compiled on any Arm core with the DSP
 * extension (Cortex-M4/M7/M33), or on the host with ES_OPS_FORCE_MCU_LOOPS
 * so that the tests run the very same loops (with portable models of the
 * SIMD instructions below).  Both loop orders give identical results. */
#if defined(__ARM_FEATURE_DSP) || defined(ES_OPS_FORCE_MCU_LOOPS)
#define ES_OPS_MCU_LOOPS 1
#else
#define ES_OPS_MCU_LOOPS 0
#endif

#if ES_OPS_MCU_LOOPS
#if defined(__ARM_FEATURE_DSP)
#include <arm_acle.h>
/* SXTB16: bytes 0 and 2 of x sign-extended into two int16 halves. */
static inline int32_t es_sxtb16(uint32_t x) { return (int32_t)__sxtb16((int8x4_t)x); }
/* SMLAD: acc + lo(a) * lo(b) + hi(a) * hi(b) on int16 halves. */
static inline int32_t es_smlad(int32_t a, int32_t b, int32_t acc) { return __smlad(a, b, acc); }
/* SMLABB / SMLATB: acc + lo(a) * lo(b), acc + hi(a) * lo(b). */
static inline int32_t es_smlabb(int32_t a, int32_t b, int32_t acc) { return __smlabb(a, b, acc); }
static inline int32_t es_smlatb(int32_t a, int32_t b, int32_t acc) { return __smlatb(a, b, acc); }
/* SMLATT: acc + hi(a) * hi(b).  SADD16: two independent int16 additions. */
static inline int32_t es_smlatt(int32_t a, int32_t b, int32_t acc) { return __smlatt(a, b, acc); }
static inline int32_t es_sadd16(int32_t a, int32_t b) { return (int32_t)__sadd16((int16x2_t)a, (int16x2_t)b); }
/* SSAT #8: v clamped to [-128, 127]. */
static inline int32_t es_ssat8(int32_t v) { return __ssat(v, 8); }
/* QADD: a + b saturated to int32. */
static inline int32_t es_qadd(int32_t a, int32_t b) { return __qadd(a, b); }
/* SMMULR: (a * b + 2^31) >> 32, the rounded high word (ACLE has no
 * intrinsic for it). */
static inline int32_t es_smmulr(int32_t a, int32_t b) {
  int32_t r;
  __asm__("smmulr %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));
  return r;
}
/* SXTB16 of x rotated right by 8: bytes 1 and 3, in one instruction (gcc
 * does not fold the rotation into __sxtb16 by itself). */
static inline int32_t es_sxtb16_ror8(uint32_t x) {
  int32_t r;
  __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(x));
  return r;
}
#else
static inline int32_t es_sxtb16(uint32_t x) {
  const uint32_t lo = (uint32_t)(uint16_t)(int16_t)(int8_t)(uint8_t)x;
  const uint32_t hi = (uint32_t)(uint16_t)(int16_t)(int8_t)(uint8_t)(x >> 16);
  return (int32_t)(lo | (hi << 16));
}
static inline int32_t es_smlad(int32_t a, int32_t b, int32_t acc) {
  const int32_t lo = (int32_t)(int16_t)(uint16_t)(uint32_t)a * (int32_t)(int16_t)(uint16_t)(uint32_t)b;
  const int32_t hi = (int32_t)(int16_t)(uint16_t)((uint32_t)a >> 16) * (int32_t)(int16_t)(uint16_t)((uint32_t)b >> 16);
  return (int32_t)((uint32_t)acc + (uint32_t)lo + (uint32_t)hi);
}
static inline int32_t es_smlabb(int32_t a, int32_t b, int32_t acc) {
  const int32_t p = (int32_t)(int16_t)(uint16_t)(uint32_t)a * (int32_t)(int16_t)(uint16_t)(uint32_t)b;
  return (int32_t)((uint32_t)acc + (uint32_t)p);
}
static inline int32_t es_smlatb(int32_t a, int32_t b, int32_t acc) {
  const int32_t p = (int32_t)(int16_t)(uint16_t)((uint32_t)a >> 16) * (int32_t)(int16_t)(uint16_t)(uint32_t)b;
  return (int32_t)((uint32_t)acc + (uint32_t)p);
}
static inline int32_t es_smlatt(int32_t a, int32_t b, int32_t acc) {
  const int32_t p = (int32_t)(int16_t)(uint16_t)((uint32_t)a >> 16) * (int32_t)(int16_t)(uint16_t)((uint32_t)b >> 16);
  return (int32_t)((uint32_t)acc + (uint32_t)p);
}
static inline int32_t es_sadd16(int32_t a, int32_t b) {
  const uint32_t lo = ((uint32_t)a + (uint32_t)b) & 0xFFFFu;
  const uint32_t hi = (((uint32_t)a >> 16) + ((uint32_t)b >> 16)) & 0xFFFFu;
  return (int32_t)(lo | (hi << 16));
}
static inline int32_t es_ssat8(int32_t v) { return v < -128 ? -128 : v > 127 ? 127 : v; }
static inline int32_t es_qadd(int32_t a, int32_t b) {
  const int64_t s = (int64_t)a + (int64_t)b;
  return s > INT32_MAX ? INT32_MAX : s < INT32_MIN ? INT32_MIN : (int32_t)s;
}
static inline int32_t es_smmulr(int32_t a, int32_t b) {
  return (int32_t)(((int64_t)a * (int64_t)b + ((int64_t)1 << 31)) >> 32);
}
static inline int32_t es_sxtb16_ror8(uint32_t x) { return es_sxtb16((x >> 8) | (x << 24)); }
#endif
/* 32-bit load from any alignment (Cortex-M4 LDR allows it). */
static inline uint32_t es_load_u32(const void *p) {
  uint32_t v;
  memcpy(&v, p, sizeof v);
  return v;
}
#endif

/* Schema Padding enum. */
enum { ES_PADDING_SAME = 0, ES_PADDING_VALID = 1 };

/* Largest spatial size / filter / stride the kernels accept: keeps every
 * index product comfortably inside int32. */
#define ES_OP_MAX_SPATIAL 65535

/* Output size and leading padding of one spatial dimension. */
es_status es_op_conv_geometry(int32_t padding, int32_t in_size, int32_t filter_size, int32_t stride,
                              int32_t dilation, int32_t *out_size, int32_t *pad_before);

/* In-place placement for convolution-like kernels (es_op_allow_output_overlap).
 * For a kernel that walks the output pixels of one image (NHWC, batch 1) in
 * memory order, and reads the whole receptive field of a pixel - or of a
 * block of consecutive pixels - before writing their outputs, returns in
 * *offset the output's placement relative to the input (<= 0: output starts
 * -*offset bytes before the input, a multiple of ES_ARENA_ALIGN) such that no
 * write reaches input bytes a later pixel still reads, and 1; 0 when the
 * placement would save nothing.  Reasoning, per output row r: when the first
 * not yet processed pixel q lies in row r, writes so far end before byte
 * q * out_c <= ((r + 1) * out_w - 1) * out_c of the output, and pixels from
 * q on read input rows >= max(0, r * stride_h - pad_h) only. */
int es_op_forward_overlap(int32_t in_h, int32_t in_w, int32_t in_c, int32_t out_h, int32_t out_w, int32_t out_c,
                          int32_t stride_h, int32_t pad_h, int32_t *offset);

/* An int8 activation tensor with per-tensor affine quantization: one finite
 * positive scale and a zero point in [-128, 127]. */
int es_op_is_int8_per_tensor(const es_tensor *t);

/* Per-output-channel requantization, stored compactly in persistent memory.
 * A quantized multiplier is 0 or in [2^30, 2^31): bit 31 is 0 and bit 30 is
 * 1, so when every channel's multiplier is non-zero and the shifts of a layer
 * span at most 4 values, one 32-bit word per channel holds both:
 *   word = (multiplier & 0x3FFFFFFF) | (shift - base_shift) << 30
 * (4 bytes per channel).  Otherwise int32 multipliers followed by int8 shifts
 * (5 bytes per channel).  A per-tensor filter scale stores one entry
 * (stride 0) for all channels. */
typedef struct es_channel_requant {
  const void *table;
  int16_t base_shift;
  uint8_t packed; /* 1: 32-bit words as above; 0: multipliers then shifts */
  uint8_t stride; /* 0 (one shared entry) or 1 */
  int32_t count;  /* entries in the table */
} es_channel_requant;

static inline void es_op_channel_requant(const es_channel_requant *rq, int32_t channel, int32_t *multiplier,
                                         int *shift) {
  const int32_t i = channel * rq->stride;
  if (rq->packed) {
    const uint32_t word = ((const uint32_t *)rq->table)[i];
    *multiplier = (int32_t)((word & 0x3FFFFFFFu) | 0x40000000u);
    *shift = rq->base_shift + (int)(word >> 30);
  } else {
    *multiplier = ((const int32_t *)rq->table)[i];
    *shift = ((const int8_t *)rq->table)[(size_t)rq->count * 4u + (size_t)i];
  }
}

/* out[c] = requantized (acc[c] + bias[c]) for channels 0..n-1 (bias may be
 * NULL and unaligned), clamped to [act_min, act_max].  One tight loop per
 * layout, with the right-shift-only case (every real model layer) apart. */
void es_op_requantize_row(const int32_t *acc, const int32_t *bias, const es_channel_requant *rq, int32_t n,
                          int32_t zero_point, int32_t act_min, int32_t act_max, int8_t *out);

/* Computes and stores (in persistent memory) the requantization of `channels`
 * output channels.  filter->quant.channel_count must be 1 or `channels`.
 * Returns ES_ERR_QUANTIZATION for unusable scales, ES_ERR_ARENA_TOO_SMALL. */
es_status es_op_prepare_channel_requant(es_op_context *ctx, float input_scale, const es_tensor *filter,
                                        float output_scale, int32_t channels, es_channel_requant *out);

/* Geometry and clamp of AVERAGE_POOL_2D / MAX_POOL_2D, shared by both. */
typedef struct es_pool_params {
  int32_t stride_w, stride_h, filter_w, filter_h, pad_w, pad_h;
  int32_t act_min, act_max;
} es_pool_params;

/* One axis of a pooling window: output index `o` reads input indices
 * start + [first, last), the taps of the `filter`-wide window (moved by
 * `stride`, shifted by `pad`) that fall inside the input's `in` entries. */
static inline void es_pool_window(int32_t o, int32_t stride, int32_t pad, int32_t filter, int32_t in,
                                  int32_t *start, int32_t *first, int32_t *last) {
  const int32_t s = o * stride - pad;
  *start = s;
  *first = s < 0 ? -s : 0;
  *last = in - s < filter ? in - s : filter;
}

/* Validates a Pool2DOptions op (int8, NHWC, same quantization in and out as
 * TFLM requires) and fills persistent es_pool_params; on failure calls
 * es_op_fail() with `op_name`-prefixed details chosen from a fixed table. */
es_status es_op_prepare_pool(es_op_context *ctx, int is_average, es_pool_params **out);

/* Element i of an int32 array in the model buffer, which may have any
 * alignment (one unaligned-safe load on x86 and Cortex-M4). */
static inline int32_t es_op_load_i32(const int32_t *base, int32_t i) {
  int32_t v;
  memcpy(&v, (const uint8_t *)base + 4 * (size_t)i, sizeof v);
  return v;
}

/* Scale of channel `i` of a per-channel (or per-tensor) quantized tensor. */
static inline float es_op_channel_scale(const es_tensor *t, int32_t i) {
  return t->quant.channel_count > 1 ? es_load_f32(t->quant.channel_scales + 4 * i) : t->quant.scale;
}

#endif /* EDGESIM_OPS_OP_COMMON_H */
