/* Shared geometry and requantization helpers of the op kernels. */
#include "op_common.h"

#include "edgesim/model.h" /* ES_ARENA_ALIGN */

es_status es_op_conv_geometry(int32_t padding, int32_t in_size, int32_t filter_size, int32_t stride,
                              int32_t dilation, int32_t *out_size, int32_t *pad_before) {
  if (in_size < 1 || in_size > ES_OP_MAX_SPATIAL || filter_size < 1 || filter_size > ES_OP_MAX_SPATIAL ||
      stride < 1 || stride > ES_OP_MAX_SPATIAL || dilation < 1 || dilation > ES_OP_MAX_SPATIAL)
    return ES_ERR_UNSUPPORTED;
  const int64_t effective_filter = (int64_t)(filter_size - 1) * dilation + 1;
  int64_t out = 0;
  if (padding == ES_PADDING_SAME) {
    out = ((int64_t)in_size + stride - 1) / stride;
  } else if (padding == ES_PADDING_VALID) {
    out = ((int64_t)in_size + stride - effective_filter) / stride;
  } else {
    return ES_ERR_UNSUPPORTED;
  }
  if (out < 1) return ES_ERR_SHAPE;
  /* TFLM pads (total / 2) before and the odd remainder after. */
  int64_t total_pad = (out - 1) * stride + effective_filter - in_size;
  if (total_pad < 0) total_pad = 0;
  if (total_pad / 2 > ES_OP_MAX_SPATIAL) return ES_ERR_UNSUPPORTED;
  *out_size = (int32_t)out;
  *pad_before = (int32_t)(total_pad / 2);
  return ES_OK;
}

int es_op_is_int8_per_tensor(const es_tensor *t) {
  /* A zero point outside the int8 range is meaningless and would let the
   * (x - zero_point) terms overflow. */
  return t != 0 && t->type == ES_INT8 && t->quant.channel_count == 1 && t->quant.scale > 0.0f &&
         t->quant.scale < 3.0e38f && t->quant.zero_point >= -128 && t->quant.zero_point <= 127;
}

es_status es_op_prepare_channel_requant(es_op_context *ctx, float input_scale, const es_tensor *filter,
                                        float output_scale, int32_t channels, es_channel_requant *out) {
  const int32_t count = filter->quant.channel_count;
  if (count != 1 && count != channels) return ES_ERR_QUANTIZATION;
  if (!(input_scale > 0.0f) || !(output_scale > 0.0f)) return ES_ERR_QUANTIZATION;
  /* First pass: can the compact form hold this layer? */
  int32_t min_shift = 64, max_shift = -64, any_zero = 0;
  for (int32_t i = 0; i < count; ++i) {
    const float filter_scale = es_op_channel_scale(filter, i);
    if (!(filter_scale >= 0.0f)) return ES_ERR_QUANTIZATION; /* negative or NaN */
    es_qmul q;
    const es_status st =
        es_quantize_multiplier((double)input_scale * (double)filter_scale / (double)output_scale, &q);
    if (st != ES_OK) return st;
    any_zero |= q.multiplier == 0;
    min_shift = q.shift < min_shift ? q.shift : min_shift;
    max_shift = q.shift > max_shift ? q.shift : max_shift;
  }
  const int packed = !any_zero && max_shift - min_shift <= 3;
  uint8_t *block = (uint8_t *)es_op_alloc_persistent(ctx, (size_t)count * (packed ? 4u : 5u));
  if (block == 0) return ES_ERR_ARENA_TOO_SMALL;
  for (int32_t i = 0; i < count; ++i) {
    /* Same computation as above (TFLM: PopulateConvolutionQuantizationParams). */
    const float filter_scale = es_op_channel_scale(filter, i);
    es_qmul q;
    (void)es_quantize_multiplier((double)input_scale * (double)filter_scale / (double)output_scale, &q);
    if (packed) {
      ((uint32_t *)(void *)block)[i] =
          ((uint32_t)q.multiplier & 0x3FFFFFFFu) | ((uint32_t)(q.shift - min_shift) << 30);
    } else {
      ((int32_t *)(void *)block)[i] = q.multiplier;
      ((int8_t *)block)[(size_t)count * 4u + (size_t)i] = (int8_t)q.shift;
    }
  }
  out->table = block;
  out->base_shift = (int16_t)(packed ? min_shift : 0);
  out->packed = (uint8_t)packed;
  out->stride = (uint8_t)(count == 1 ? 0 : 1);
  out->count = count;
  return ES_OK;
}

static inline int8_t clamp_to_int8(int32_t v, int32_t lo, int32_t hi) {
  v = v < lo ? lo : v;
  return (int8_t)(v > hi ? hi : v);
}

/* The right-shift-only loop.  has_bias and full_range are constants at each
 * call site, so the compiler emits four branch-free loops; full_range (the
 * clamp is just the int8 range) frees two registers, which matters on a
 * Cortex-M4. */
static inline void requantize_right_shift(const int32_t *acc, const int32_t *bias, const uint32_t *words,
                                          int32_t base_right, int32_t n, int32_t zero_point, int32_t act_min,
                                          int32_t act_max, int8_t *out, const int has_bias, const int full_range) {
  for (int32_t c = 0; c < n; ++c) {
    int32_t a = acc[c];
    if (has_bias) a = (int32_t)((uint32_t)a + (uint32_t)es_op_load_i32(bias, c));
    const uint32_t word = words[c];
    const int32_t multiplier = (int32_t)((word & 0x3FFFFFFFu) | 0x40000000u);
    const int right = base_right - (int)(word >> 30);
    const int32_t high = (int32_t)(((int64_t)a * (int64_t)multiplier + ((int64_t)1 << 30)) >> 31);
    const int32_t mask = (int32_t)((1u << right) - 1u);
    const int32_t threshold = (mask >> 1) + (high < 0 ? 1 : 0);
    const int32_t v = (int32_t)((uint32_t)(high >> right) + (uint32_t)((high & mask) > threshold ? 1 : 0) +
                                (uint32_t)zero_point); /* wraps like es_requantize_int8 */
    out[c] = full_range ? clamp_to_int8(v, -128, 127) : clamp_to_int8(v, act_min, act_max);
  }
}

#if ES_OPS_MCU_LOOPS
/* Right shifts for which requantize_dsp() is exact. */
#define DSP_MIN_RIGHT 1
#define DSP_MAX_RIGHT 21

/* The right-shift-only loop with Cortex-M4 DSP instructions, equal to
 * es_requantize_int8() for every int32 accumulator when every channel's right
 * shift is in [DSP_MIN_RIGHT, DSP_MAX_RIGHT] (tests/test_requant_dsp.py
 * checks this exhaustively at the boundaries and on random values):
 *  - high = SMMULR(QADD(a, a), m).  For -2^30 <= a < 2^30, 2a is exact and
 *    (2a * m + 2^31) >> 32 == (a * m + 2^30) >> 31, TFLM's rounding doubling
 *    high multiply (m in [2^30, 2^31) never saturates it).
 *  - RoundingDivideByPOT(high, e), ties away from zero, is
 *    (high + 2^(e-1) - (high < 0)) >> e; here |high| <= 2^30, so the sum
 *    cannot overflow and QADD is exact.
 *  - For a >= 2^30 both TFLM's high and SMMULR(INT32_MAX, m) are >= 2^29, so
 *    both results are >= 2^(29-e) >= 256 for e <= 21 and clamp to act_max
 *    (<= 127) after adding any zero point >= -128; symmetrically for
 *    a < -2^30 both are <= -256 and clamp to act_min.
 * Per value: two loads, QADD, SMMULR, three ALU ops for the rounding, SSAT
 * or two compares: about half the instructions of the 64-bit form. */
static inline void requantize_dsp(const int32_t *acc, const int32_t *bias, const uint32_t *words, int32_t base_right,
                                  int32_t n, int32_t zero_point, int32_t act_min, int32_t act_max, int8_t *out,
                                  const int has_bias, const int full_range) {
  for (int32_t c = 0; c < n; ++c) {
    int32_t a = acc[c];
    if (has_bias) a = (int32_t)((uint32_t)a + (uint32_t)es_op_load_i32(bias, c));
    const uint32_t word = words[c];
    const int32_t multiplier = (int32_t)((word & 0x3FFFFFFFu) | 0x40000000u);
    const int right = base_right - (int)(word >> 30);
    const int32_t high = es_smmulr(es_qadd(a, a), multiplier);
    const int32_t rounded = es_qadd(high + (high >> 31), (int32_t)(1u << (right - 1)));
    const int32_t v = (rounded >> right) + zero_point;
    out[c] = full_range ? (int8_t)es_ssat8(v) : clamp_to_int8(v, act_min, act_max);
  }
}
#endif

/* Calls a requantization loop with its has_bias and full_range flags as
 * literal constants, so the compiler emits four variants with those branches
 * removed from the inner loop. */
#define CALL_WITH_CONSTANT_FLAGS(loop, acc, bias, words, right, n, zp, lo, hi, out)   \
  do {                                                                               \
    const int full_range_ = (lo) == -128 && (hi) == 127;                             \
    if ((bias) != 0 && full_range_) loop(acc, bias, words, right, n, zp, lo, hi, out, 1, 1); \
    else if ((bias) != 0) loop(acc, bias, words, right, n, zp, lo, hi, out, 1, 0);   \
    else if (full_range_) loop(acc, bias, words, right, n, zp, lo, hi, out, 0, 1);   \
    else loop(acc, bias, words, right, n, zp, lo, hi, out, 0, 0);                    \
  } while (0)

void es_op_requantize_row(const int32_t *acc, const int32_t *bias, const es_channel_requant *rq, int32_t n,
                          int32_t zero_point, int32_t act_min, int32_t act_max, int8_t *out) {
  const es_channel_requant r = *rq;
#if ES_OPS_MCU_LOOPS
  if (r.packed && r.stride == 1 && -r.base_shift - 3 >= DSP_MIN_RIGHT && -r.base_shift <= DSP_MAX_RIGHT) {
    const uint32_t *words = (const uint32_t *)r.table;
    CALL_WITH_CONSTANT_FLAGS(requantize_dsp, acc, bias, words, -r.base_shift, n, zero_point, act_min, act_max, out);
    return;
  }
#endif
  if (r.packed && r.stride == 1 && r.base_shift + 3 <= 0) {
    /* Every shift <= 0: MultiplyByQuantizedMultiplier is the doubling high
     * multiply and a rounding right shift (see quant.h). */
    const uint32_t *words = (const uint32_t *)r.table;
    CALL_WITH_CONSTANT_FLAGS(requantize_right_shift, acc, bias, words, -r.base_shift, n, zero_point, act_min, act_max, out);
    return;
  }
  for (int32_t c = 0; c < n; ++c) {
    int32_t a = acc[c];
    if (bias != 0) a = (int32_t)((uint32_t)a + (uint32_t)es_op_load_i32(bias, c));
    int32_t multiplier;
    int shift;
    es_op_channel_requant(&r, c, &multiplier, &shift);
    out[c] = es_requantize_int8(a, multiplier, shift, zero_point, act_min, act_max);
  }
}

/* Pool2DOptions field ids (schema order). */
enum { POOL_PADDING = 0, POOL_STRIDE_W = 1, POOL_STRIDE_H = 2, POOL_FILTER_W = 3, POOL_FILTER_H = 4, POOL_ACTIVATION = 5 };

#define POOL_FAIL(status, msg) \
  es_op_fail(ctx, (status), is_average ? "AVERAGE_POOL_2D: " msg : "MAX_POOL_2D: " msg)

es_status es_op_prepare_pool(es_op_context *ctx, int is_average, es_pool_params **out) {
  if (es_op_input_count(ctx) != 1 || es_op_output_count(ctx) != 1)
    return POOL_FAIL(ES_ERR_MODEL_FORMAT, "expects one input and one output");
  const es_tensor *input = es_op_input(ctx, 0);
  const es_tensor *output = es_op_output(ctx, 0);
  if (input == 0 || output == 0) return POOL_FAIL(ES_ERR_MODEL_FORMAT, "missing input or output tensor");
  if (input->type != ES_INT8 || output->type != ES_INT8)
    return POOL_FAIL(ES_ERR_UNSUPPORTED, "only int8 input and output are supported");
  if (input->rank != 4 || output->rank != 4) return POOL_FAIL(ES_ERR_SHAPE, "input and output must be 4-D (NHWC)");
  if (!es_op_is_int8_per_tensor(input) || !es_op_is_int8_per_tensor(output))
    return POOL_FAIL(ES_ERR_QUANTIZATION, "input and output need one positive scale and zero point");
  /* TFLM: |input scale - output scale| <= 1e-6 and equal zero points. */
  float scale_diff = input->quant.scale - output->quant.scale;
  scale_diff = scale_diff < 0 ? -scale_diff : scale_diff;
  if (!((double)scale_diff <= 1.0e-6) || input->quant.zero_point != output->quant.zero_point)
    return POOL_FAIL(ES_ERR_QUANTIZATION, "input and output quantization must be equal");
  if (input->dims[0] < 1 || input->dims[3] < 1 || output->dims[0] != input->dims[0] ||
      output->dims[3] != input->dims[3])
    return POOL_FAIL(ES_ERR_SHAPE, "output batch/channels != input batch/channels");

  es_pool_params *p = (es_pool_params *)es_op_alloc_persistent(ctx, sizeof(es_pool_params));
  if (p == 0) return POOL_FAIL(ES_ERR_ARENA_TOO_SMALL, "arena too small for op data");
  const int32_t padding = es_op_option_int(ctx, POOL_PADDING, ES_PADDING_SAME);
  p->stride_w = es_op_option_int(ctx, POOL_STRIDE_W, 0);
  p->stride_h = es_op_option_int(ctx, POOL_STRIDE_H, 0);
  p->filter_w = es_op_option_int(ctx, POOL_FILTER_W, 0);
  p->filter_h = es_op_option_int(ctx, POOL_FILTER_H, 0);
  int32_t out_h = 0, out_w = 0;
  es_status st = es_op_conv_geometry(padding, input->dims[1], p->filter_h, p->stride_h, 1, &out_h, &p->pad_h);
  if (st == ES_OK) st = es_op_conv_geometry(padding, input->dims[2], p->filter_w, p->stride_w, 1, &out_w, &p->pad_w);
  if (st == ES_ERR_UNSUPPORTED) return POOL_FAIL(st, "invalid padding, filter size or stride (must be >= 1)");
  if (st != ES_OK) return POOL_FAIL(st, "filter larger than the input");
  if (output->dims[1] != out_h || output->dims[2] != out_w)
    return POOL_FAIL(ES_ERR_SHAPE, "output height/width do not match padding, filter and stride");
  st = es_activation_range_int8(es_op_option_int(ctx, POOL_ACTIVATION, ES_ACT_NONE), output->quant.scale,
                                output->quant.zero_point, &p->act_min, &p->act_max);
  if (st != ES_OK) return POOL_FAIL(st, "unsupported fused activation");
  es_op_set_data(ctx, p);
  *out = p;
  return ES_OK;
}

int es_op_forward_overlap(int32_t in_h, int32_t in_w, int32_t in_c, int32_t out_h, int32_t out_w, int32_t out_c,
                          int32_t stride_h, int32_t pad_h, int32_t *offset) {
  const int64_t in_row = (int64_t)in_w * in_c, out_row = (int64_t)out_w * out_c;
  const int64_t out_bytes = out_row * out_h;
  int64_t lead = 0; /* bytes the output must start before the input */
  for (int32_t r = 0; r < out_h; ++r) {
    int64_t first_row = (int64_t)r * stride_h - pad_h;
    if (first_row < 0) first_row = 0;
    if (first_row > in_h) first_row = in_h;
    const int64_t need = ((int64_t)(r + 1) * out_row - out_c) - first_row * in_row;
    if (need > lead) lead = need;
    if (lead >= out_bytes) return 0;
  }
  lead = (lead + (int64_t)ES_ARENA_ALIGN - 1) & ~(int64_t)(ES_ARENA_ALIGN - 1);
  if (lead >= out_bytes || lead > INT32_MAX) return 0;
  *offset = (int32_t)-lead;
  return 1;
}
