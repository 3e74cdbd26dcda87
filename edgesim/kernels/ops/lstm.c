/* UNIDIRECTIONAL_SEQUENCE_LSTM, float32 and int8, as TFLM's kernel
 * (unidirectional_sequence_lstm.cc, lstm_eval.h/.cc, lstm_eval_common.cc).
 *
 * Inputs (24, TFLite order): input; input_to_{input,forget,cell,output}
 * weights; recurrent_to_{...} weights; three peephole weights (absent);
 * {input,forget,cell,output} gate biases; projection weights and bias
 * (absent); hidden (output) state and cell state, both variable tensors;
 * four layer-norm coefficients (absent).
 *
 * One step, for one batch row at a time (batch-major input) or all rows
 * (time-major), in TFLM's order:
 *   forget = sigmoid(FC(x, Wf, bf) + FC(h, Rf))       (buffer 0)
 *   input  = sigmoid(FC(x, Wi, bi) + FC(h, Ri))       (buffer 1)
 *   cell_g = tanh(FC(x, Wc, bc) + FC(h, Rc))          (buffer 2)
 *   c = forget * c;  c = c + input * cell_g;  clip c  (the cell activation
 *                                                      must be tanh, as TFLM)
 *   out_g  = sigmoid(FC(x, Wo, bo) + FC(h, Ro))
 *   h = tanh(c) * out_g;  output[t] = h
 * Float: each FC sums from 0.0f in input order, adds the bias (0.0f when
 * absent) and clamps to [lowest, max]; products clamp the same way; sigmoid
 * and tanh are TFLM's float LOGISTIC and glibc's tanhf.
 * int8: each FC is int8 x int8 -> int16 at the fixed scale 2^-12 (Q3.12),
 * int32 accumulator plus bias, TFLM's MultiplyByQuantizedMultiplier, clamp
 * to int16; the two FCs add with int16 saturation; sigmoid/tanh are TFLM's
 * int16 LUT kernels giving Q0.15; the products are requantized to the cell
 * scale (a power of two) and to the hidden state's int8 scale and zero point.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "edgesim/nn_activation.h"
#include "edgesim/nn_sequence.h"
#include "edgesim/op.h"
#include "edgesim/quant.h"
#include "op_common.h"

enum {
  IN_INPUT = 0,
  IN_INPUT_TO = 1,      /* + gate, 1..4 */
  IN_RECURRENT_TO = 5,  /* + gate, 5..8 */
  IN_PEEPHOLE = 9,      /* 9..11, unsupported */
  IN_BIAS = 12,         /* + gate, 12..15 */
  IN_PROJECTION = 16,   /* 16..17, unsupported */
  IN_HIDDEN = 18,
  IN_CELL = 19,
  IN_LAYER_NORM = 20,   /* 20..23, unsupported */
  IN_COUNT = 24
};
enum { OPT_ACTIVATION = 0, OPT_CELL_CLIP = 1, OPT_TIME_MAJOR = 3 };

/* --- float32 --------------------------------------------------------------- */
/* The walk over time and batch is TFLM's EvalLstm: time-major inputs step
 * all batch rows together; batch-major ones run each row's whole sequence
 * (its own hidden and cell state rows) before the next. */

/* rows x units outputs: clamp(sum_d x[r, d] * w[u, d] + bias[u]) (TFLM's
 * float FullyConnected with no activation). */
static void fc_f32(const es_range_f32 *none, int32_t rows, int32_t depth, int32_t units, const float *x,
                   const float *w, const float *bias, float *out) {
  for (int32_t r = 0; r < rows; ++r) {
    const float *xr = x + (size_t)r * depth;
    int32_t u = 0;
    /* Four units at a time: four independent sums, each still in TFLM's
     * order, keep the FPU's pipeline busy. */
    for (; u + 4 <= units; u += 4) {
      const float *w0 = w + (size_t)u * depth, *w1 = w0 + depth, *w2 = w1 + depth, *w3 = w2 + depth;
      float t0 = 0.f, t1 = 0.f, t2 = 0.f, t3 = 0.f;
      for (int32_t d = 0; d < depth; ++d) {
        const float v = xr[d];
        t0 += v * w0[d];
        t1 += v * w1[d];
        t2 += v * w2[d];
        t3 += v * w3[d];
      }
      const float t[4] = {t0, t1, t2, t3};
      for (int32_t k = 0; k < 4; ++k)
        out[(size_t)r * units + u + k] = es_clamp_f32(t[k] + (bias ? bias[u + k] : 0.0f), none->min, none->max);
    }
    for (; u < units; ++u) {
      float total = 0.f;
      for (int32_t d = 0; d < depth; ++d) total += xr[d] * w[(size_t)u * depth + d];
      const float bias_value = bias ? bias[u] : 0.0f;
      out[(size_t)r * units + u] = es_clamp_f32(total + bias_value, none->min, none->max);
    }
  }
}

static void gate_f32(const es_lstm_params *p, const es_range_f32 *none, int32_t rows, const es_lstm_weights *w,
                     int gate, const float *x, const float *h, float *gate_out, float *fc_buffer) {
  const int32_t n = rows * p->units;
  fc_f32(none, rows, p->input_size, p->units, x, (const float *)w->input_to[gate], (const float *)w->bias[gate],
         gate_out);
  fc_f32(none, rows, p->units, p->units, h, (const float *)w->recurrent_to[gate], 0, fc_buffer);
  for (int32_t i = 0; i < n; ++i) gate_out[i] = gate_out[i] + fc_buffer[i];
  if (gate == ES_LSTM_GATE_CELL)
    es_tanh_f32(n, gate_out, gate_out);
  else
    es_logistic_f32(n, gate_out, gate_out);
}

static void mul_f32(const es_range_f32 *none, int32_t n, const float *a, const float *b, float *out) {
  for (int32_t i = 0; i < n; ++i) out[i] = es_clamp_f32(a[i] * b[i], none->min, none->max);
}

static void step_f32(const es_lstm_params *p, const es_range_f32 *none, int32_t rows, const es_lstm_weights *w,
                     const float *x, float *h, float *c, float *scratch, float *out) {
  const int32_t n = rows * p->units;
  float *forget = scratch, *input = scratch + n, *cell_gate = scratch + 2 * (size_t)n, *fc = scratch + 3 * (size_t)n;
  gate_f32(p, none, rows, w, ES_LSTM_GATE_FORGET, x, h, forget, fc);
  gate_f32(p, none, rows, w, ES_LSTM_GATE_INPUT, x, h, input, fc);
  gate_f32(p, none, rows, w, ES_LSTM_GATE_CELL, x, h, cell_gate, fc);
  mul_f32(none, n, forget, c, c);
  mul_f32(none, n, input, cell_gate, input);
  for (int32_t i = 0; i < n; ++i) c[i] = c[i] + input[i];
  if (p->cell_clip > 0) {
    const float clip = p->cell_clip;
    for (int32_t i = 0; i < n; ++i) {
      const float m = c[i] < clip ? c[i] : clip;  /* std::min(clip, c) */
      c[i] = m < -clip ? -clip : m;               /* std::max(m, -clip) */
    }
  }
  float *output_gate = input, *tanh_cell = forget;
  gate_f32(p, none, rows, w, ES_LSTM_GATE_OUTPUT, x, h, output_gate, fc);
  es_tanh_f32(n, c, tanh_cell);
  mul_f32(none, n, tanh_cell, output_gate, h);
  memcpy(out, h, (size_t)n * sizeof(float));
}

es_status es_lstm_f32(const es_lstm_params *p, const es_lstm_weights *w, const float *input, float *hidden,
                      float *cell, float *scratch, float *output) {
  es_range_f32 none;
  es_activation_range_f32(ES_ACT_NONE, &none.min, &none.max);
  const size_t in_n = (size_t)p->input_size, st_n = (size_t)p->units;
  if (p->time_major) { /* all rows per step */
    for (int32_t t = 0; t < p->time_steps; ++t)
      step_f32(p, &none, p->batch, w, input + t * p->batch * in_n, hidden, cell, scratch, output + t * p->batch * st_n);
    return ES_OK;
  }
  for (int32_t b = 0; b < p->batch; ++b) /* batch-major: one row, every step */
    for (int32_t t = 0; t < p->time_steps; ++t)
      step_f32(p, &none, 1, w, input + ((size_t)b * p->time_steps + t) * in_n, hidden + b * st_n, cell + b * st_n,
               scratch, output + ((size_t)b * p->time_steps + t) * st_n);
  return ES_OK;
}

/* --- int8 ------------------------------------------------------------------ */

/* TFLM's table of sigmoid(i / 24) in Q0.16 (kernels/internal/common.h),
 * shared by its int16 logistic and tanh; values as published there (they
 * are not all the nearest rounding of the function, so they are data, not a
 * formula). */
static const uint16_t k_sigmoid_q16[256] = {
    32768, 33451, 34133, 34813, 35493, 36169, 36843, 37513, 38180, 38841, 39498, 40149, 40794, 41432, 42064, 42688,
    43304, 43912, 44511, 45102, 45683, 46255, 46817, 47369, 47911, 48443, 48964, 49475, 49975, 50464, 50942, 51409,
    51865, 52311, 52745, 53169, 53581, 53983, 54374, 54755, 55125, 55485, 55834, 56174, 56503, 56823, 57133, 57433,
    57724, 58007, 58280, 58544, 58800, 59048, 59288, 59519, 59743, 59959, 60168, 60370, 60565, 60753, 60935, 61110,
    61279, 61441, 61599, 61750, 61896, 62036, 62172, 62302, 62428, 62549, 62666, 62778, 62886, 62990, 63090, 63186,
    63279, 63368, 63454, 63536, 63615, 63691, 63765, 63835, 63903, 63968, 64030, 64090, 64148, 64204, 64257, 64308,
    64357, 64405, 64450, 64494, 64536, 64576, 64614, 64652, 64687, 64721, 64754, 64786, 64816, 64845, 64873, 64900,
    64926, 64950, 64974, 64997, 65019, 65039, 65060, 65079, 65097, 65115, 65132, 65149, 65164, 65179, 65194, 65208,
    65221, 65234, 65246, 65258, 65269, 65280, 65291, 65301, 65310, 65319, 65328, 65337, 65345, 65352, 65360, 65367,
    65374, 65381, 65387, 65393, 65399, 65404, 65410, 65415, 65420, 65425, 65429, 65433, 65438, 65442, 65445, 65449,
    65453, 65456, 65459, 65462, 65465, 65468, 65471, 65474, 65476, 65479, 65481, 65483, 65485, 65488, 65489, 65491,
    65493, 65495, 65497, 65498, 65500, 65501, 65503, 65504, 65505, 65507, 65508, 65509, 65510, 65511, 65512, 65513,
    65514, 65515, 65516, 65517, 65517, 65518, 65519, 65520, 65520, 65521, 65522, 65522, 65523, 65523, 65524, 65524,
    65525, 65525, 65526, 65526, 65526, 65527, 65527, 65528, 65528, 65528, 65529, 65529, 65529, 65529, 65530, 65530,
    65530, 65530, 65531, 65531, 65531, 65531, 65531, 65532, 65532, 65532, 65532, 65532, 65532, 65533, 65533, 65533,
    65533, 65533, 65533, 65533, 65533, 65534, 65534, 65534, 65534, 65534, 65534, 65534, 65534, 65534, 65534, 65535};

/* TFLM reference_integer_ops::Logistic for int16 with a power-of-two input
 * scale 2^-12: x * 3 (the table's 3/4 range expansion), 9 fraction bits
 * interpolated, Q0.15 out. */
void es_logistic_s16(int32_t size, int16_t *data) {
  for (int32_t i = 0; i < size; ++i) {
    const int32_t x = data[i] * 3;
    const uint32_t ax = (uint32_t)abs(x);
    const uint32_t uh = ax >> 9;
    uint32_t r;
    if (uh >= 255) {
      r = 0x7FFFu << 10;
    } else {
      const uint32_t ua = k_sigmoid_q16[uh], ub = k_sigmoid_q16[uh + 1];
      r = (ua << 9) + (ax & 0x1FFu) * (ub - ua);
    }
    r = x >= 0 ? r + (1u << 9) : (1u << 25) - r + (1u << 9) - 1u;
    data[i] = (int16_t)(r >> 10);
  }
}

/* TFLM reference_integer_ops::Tanh for int16: x * multiplier rounded right by
 * shift (the caller resolves TFLM's input_multiplier == 0 case), 8 fraction
 * bits interpolated, Q0.15 out. */
void es_tanh_s16(int32_t multiplier, int32_t shift, int32_t size, const int16_t *input, int16_t *output) {
  const int32_t round = shift > 0 ? 1 << (shift - 1) : 0;
  for (int32_t i = 0; i < size; ++i) {
    const int32_t x = (input[i] * multiplier + round) >> shift;
    const uint32_t ax = (uint32_t)abs(x);
    const uint32_t uh = ax >> 8;
    int32_t r;
    if (uh >= 255) {
      r = 0xFFFF << 8;
    } else {
      const uint32_t ua = k_sigmoid_q16[uh], ub = k_sigmoid_q16[uh + 1];
      r = (int32_t)((ua << 8) + (ax & 0xFFu) * (ub - ua));
    }
    r = x >= 0 ? r - (1 << 23) + (1 << 7) : -r + (1 << 23) + (1 << 7) - 1;
    output[i] = (int16_t)(r >> 8);
  }
}

static int32_t clamp_i32(int32_t v, int32_t lo, int32_t hi) { return v < lo ? lo : (v > hi ? hi : v); }

/* TFLM integer FullyConnected, int8 x int8 -> int16: int32 accumulator of
 * (w + w_offset) * (x + x_offset) (wrapping as the int32 sum would), plus
 * bias, requantized, clamped to int16. */
static void fc_s8(int32_t rows, int32_t depth, int32_t units, const int8_t *x, int32_t x_offset, const int8_t *w,
                  int32_t w_offset, const int32_t *bias, es_qmul m, int16_t *out) {
  for (int32_t r = 0; r < rows; ++r)
    for (int32_t u = 0; u < units; ++u) {
      uint32_t acc = 0;
      for (int32_t d = 0; d < depth; ++d)
        acc += (uint32_t)((w[(size_t)u * depth + d] + w_offset) * (x[(size_t)r * depth + d] + x_offset));
      if (bias) acc += (uint32_t)es_op_load_i32(bias, u);
      const int32_t v = es_multiply_by_quantized_multiplier((int32_t)acc, m.multiplier, m.shift);
      out[(size_t)r * units + u] = (int16_t)clamp_i32(v, INT16_MIN, INT16_MAX);
    }
}

static void gate_s8(const es_lstm_params *p, int32_t rows, const es_lstm_weights *w, int gate, const int8_t *x,
                    const int8_t *h, int16_t *gate_out, int16_t *fc_buffer) {
  const int32_t n = rows * p->units;
  fc_s8(rows, p->input_size, p->units, x, p->input_offset, (const int8_t *)w->input_to[gate], p->weight_offset[gate],
        (const int32_t *)w->bias[gate], p->input_fc[gate], gate_out);
  fc_s8(rows, p->units, p->units, h, p->hidden_offset, (const int8_t *)w->recurrent_to[gate],
        p->weight_offset[4 + gate], 0, p->recurrent_fc[gate], fc_buffer);
  for (int32_t i = 0; i < n; ++i) gate_out[i] = (int16_t)clamp_i32(gate_out[i] + fc_buffer[i], INT16_MIN, INT16_MAX);
  if (gate == ES_LSTM_GATE_CELL)
    es_tanh_s16(3, 0, n, gate_out, gate_out); /* Q3.12 in: TFLM's Tanh(0, 0) */
  else
    es_logistic_s16(n, gate_out);
}

/* TFLM MulElementwise of two symmetric int16 inputs, output zero point and
 * clamp. */
static int32_t mul_s16(int16_t a, int16_t b, es_qmul m, int32_t zero_point, int32_t lo, int32_t hi) {
  return clamp_i32(zero_point + es_multiply_by_quantized_multiplier((int32_t)a * b, m.multiplier, m.shift), lo, hi);
}

static void step_s8(const es_lstm_params *p, int32_t rows, const es_lstm_weights *w, const int8_t *x, int8_t *h,
                    int16_t *c, int16_t *scratch, int8_t *out) {
  const int32_t n = rows * p->units;
  int16_t *forget = scratch, *input = scratch + n, *cell_gate = scratch + 2 * (size_t)n, *fc = scratch + 3 * (size_t)n;
  gate_s8(p, rows, w, ES_LSTM_GATE_FORGET, x, h, forget, fc);
  gate_s8(p, rows, w, ES_LSTM_GATE_INPUT, x, h, input, fc);
  gate_s8(p, rows, w, ES_LSTM_GATE_CELL, x, h, cell_gate, fc);
  for (int32_t i = 0; i < n; ++i) {
    const int32_t kept = mul_s16(forget[i], c[i], p->forget_cell_mul, 0, INT16_MIN, INT16_MAX);
    const int32_t added = mul_s16(input[i], cell_gate[i], p->input_mul, 0, INT16_MIN, INT16_MAX);
    int32_t v = clamp_i32(kept + added, INT16_MIN, INT16_MAX);
    if (p->cell_clip > 0) v = clamp_i32(v, -p->cell_clip_q, p->cell_clip_q); /* a clip below one step: 0 */
    c[i] = (int16_t)v;
  }
  int16_t *output_gate = input, *tanh_cell = forget;
  gate_s8(p, rows, w, ES_LSTM_GATE_OUTPUT, x, h, output_gate, fc);
  es_tanh_s16(p->cell_tanh_multiplier, p->cell_tanh_shift, n, c, tanh_cell);
  for (int32_t i = 0; i < n; ++i)
    h[i] = (int8_t)mul_s16(tanh_cell[i], output_gate[i], p->hidden_mul, p->hidden_zero_point, INT8_MIN, INT8_MAX);
  memcpy(out, h, (size_t)n);
}

es_status es_lstm_s8(const es_lstm_params *p, const es_lstm_weights *w, const int8_t *input, int8_t *hidden,
                     int16_t *cell, int16_t *scratch, int8_t *output) {
  const size_t in_n = (size_t)p->input_size, st_n = (size_t)p->units;
  if (p->time_major) {
    for (int32_t t = 0; t < p->time_steps; ++t)
      step_s8(p, p->batch, w, input + t * p->batch * in_n, hidden, cell, scratch, output + t * p->batch * st_n);
    return ES_OK;
  }
  for (int32_t b = 0; b < p->batch; ++b)
    for (int32_t t = 0; t < p->time_steps; ++t)
      step_s8(p, 1, w, input + ((size_t)b * p->time_steps + t) * in_n, hidden + b * st_n, cell + b * st_n, scratch,
              output + ((size_t)b * p->time_steps + t) * st_n);
  return ES_OK;
}

/* --- registration ----------------------------------------------------------- */

typedef struct lstm_data {
  es_lstm_params params;
  int is_float;
} lstm_data;

static int is_2d(const es_tensor *t, int32_t d0, int32_t d1) {
  return t->rank == 2 && t->dims[0] == d0 && t->dims[1] == d1;
}

/* Element count in 64 bits: a corrupt model's dims may multiply past int32. */
static int64_t elements(const es_tensor *t) {
  int64_t n = 1;
  for (int32_t i = 0; i < t->rank && n <= INT32_MAX; ++i) n *= t->dims[i];
  return n;
}

/* A per-tensor scale > 0 (TFLM's LSTM quantizes weights per tensor). */
static int per_tensor_scale(const es_tensor *t) { return t->quant.channel_count <= 1 && t->quant.scale > 0.0f; }

/* int8 weights: one positive scale and an int8 zero point. */
static int int8_weights_quantized(const es_tensor *t) {
  return per_tensor_scale(t) && t->quant.zero_point >= INT8_MIN && t->quant.zero_point <= INT8_MAX;
}

static es_status prepare_s8(es_op_context *ctx, lstm_data *d) {
  es_lstm_params *p = &d->params;
  const es_tensor *input = es_op_input(ctx, IN_INPUT);
  const es_tensor *hidden = es_op_input(ctx, IN_HIDDEN);
  const es_tensor *cell = es_op_input(ctx, IN_CELL);
  if (!es_op_is_int8_per_tensor(input) || !es_op_is_int8_per_tensor(hidden) || !per_tensor_scale(cell) ||
      cell->quant.zero_point != 0)
    return es_op_fail(ctx, ES_ERR_QUANTIZATION,
                      "UNIDIRECTIONAL_SEQUENCE_LSTM: input and hidden state need one scale and zero point, the cell state one scale and zero point 0");
  const double gate_scale = 1.0 / 4096.0;  /* FC outputs: Q3.12 */
  const double act_scale = 1.0 / 32768.0;  /* sigmoid/tanh outputs: Q0.15 */
  for (int g = 0; g < 4; ++g) {
    const es_tensor *wi = es_op_input(ctx, IN_INPUT_TO + g), *wr = es_op_input(ctx, IN_RECURRENT_TO + g);
    if (!int8_weights_quantized(wi) || !int8_weights_quantized(wr))
      return es_op_fail(ctx, ES_ERR_QUANTIZATION, "UNIDIRECTIONAL_SEQUENCE_LSTM: weights need one positive scale and an int8 zero point per tensor");
    p->weight_offset[g] = -wi->quant.zero_point;
    p->weight_offset[4 + g] = -wr->quant.zero_point;
    /* TFLM GetQuantizedConvolutionMultipler: the float product, then double. */
    if (es_quantize_multiplier((double)(input->quant.scale * wi->quant.scale) / gate_scale, &p->input_fc[g]) != ES_OK ||
        es_quantize_multiplier((double)(hidden->quant.scale * wr->quant.scale) / gate_scale, &p->recurrent_fc[g]) != ES_OK)
      return es_op_fail(ctx, ES_ERR_QUANTIZATION, "UNIDIRECTIONAL_SEQUENCE_LSTM: unusable weight scales");
  }
  /* The cell scale must be 2^power: TFLM's tanh takes the cell state by a
   * shift of (15 + power) - 3 (TFLM rounds log2 of any other scale). */
  int power;
  const double frac = frexp((double)cell->quant.scale, &power);
  power -= 1;
  const int32_t tanh_shift = 15 + power - 3;
  if (frac != 0.5 || tanh_shift < -30 || tanh_shift > 12)
    return es_op_fail(ctx, ES_ERR_QUANTIZATION,
                      "UNIDIRECTIONAL_SEQUENCE_LSTM: the cell state scale must be a power of two in [2^-42, 2^0]");
  p->cell_tanh_multiplier = tanh_shift < 0 ? 3 : 3 << tanh_shift;
  p->cell_tanh_shift = tanh_shift < 0 ? -tanh_shift : 0;
  const double cell_scale = (double)cell->quant.scale;
  if (es_quantize_multiplier(act_scale * cell_scale / cell_scale, &p->forget_cell_mul) != ES_OK ||
      es_quantize_multiplier(act_scale * act_scale / cell_scale, &p->input_mul) != ES_OK ||
      es_quantize_multiplier(act_scale * act_scale / (double)hidden->quant.scale, &p->hidden_mul) != ES_OK)
    return es_op_fail(ctx, ES_ERR_QUANTIZATION, "UNIDIRECTIONAL_SEQUENCE_LSTM: unusable cell or hidden state scale");
  /* TFLM: int16(min(max(clip / scale, -32768), 32767)), truncated. */
  const double clip = (double)p->cell_clip / cell_scale;
  p->cell_clip_q = p->cell_clip > 0 ? (int16_t)(clip < -32768.0 ? -32768.0 : (clip > 32767.0 ? 32767.0 : clip)) : 0;
  p->input_offset = -input->quant.zero_point;
  p->hidden_offset = -hidden->quant.zero_point;
  p->hidden_zero_point = hidden->quant.zero_point;
  return ES_OK;
}

static es_status lstm_prepare(es_op_context *ctx) {
  if (es_op_input_count(ctx) != IN_COUNT || es_op_output_count(ctx) != 1)
    return es_op_fail(ctx, ES_ERR_MODEL_FORMAT, "UNIDIRECTIONAL_SEQUENCE_LSTM: expects 24 inputs and one output");
  const es_tensor *input = es_op_input(ctx, IN_INPUT);
  const es_tensor *hidden = es_op_input(ctx, IN_HIDDEN);
  const es_tensor *cell = es_op_input(ctx, IN_CELL);
  const es_tensor *output = es_op_output(ctx, 0);
  if (input == 0 || hidden == 0 || cell == 0 || output == 0)
    return es_op_fail(ctx, ES_ERR_MODEL_FORMAT, "UNIDIRECTIONAL_SEQUENCE_LSTM: missing input, state or output tensor");
  for (int i = IN_PEEPHOLE; i < IN_BIAS; ++i)
    if (es_op_input(ctx, i) != 0)
      return es_op_fail(ctx, ES_ERR_UNSUPPORTED, "UNIDIRECTIONAL_SEQUENCE_LSTM: peephole connections are not supported (nor in TFLM)");
  if (es_op_input(ctx, IN_PROJECTION) != 0 || es_op_input(ctx, IN_PROJECTION + 1) != 0)
    return es_op_fail(ctx, ES_ERR_UNSUPPORTED, "UNIDIRECTIONAL_SEQUENCE_LSTM: projection is not supported (nor in TFLM)");
  for (int i = IN_LAYER_NORM; i < IN_COUNT; ++i)
    if (es_op_input(ctx, i) != 0)
      return es_op_fail(ctx, ES_ERR_UNSUPPORTED, "UNIDIRECTIONAL_SEQUENCE_LSTM: layer normalization is not supported (nor in TFLM)");
  if (!hidden->is_variable || hidden->is_constant || !cell->is_variable || cell->is_constant)
    return es_op_fail(ctx, ES_ERR_MODEL_FORMAT, "UNIDIRECTIONAL_SEQUENCE_LSTM: the hidden and cell states must be variable tensors");
  if (es_op_option_int(ctx, OPT_ACTIVATION, ES_ACT_NONE) != ES_ACT_TANH)
    return es_op_fail(ctx, ES_ERR_UNSUPPORTED, "UNIDIRECTIONAL_SEQUENCE_LSTM: only the tanh cell activation is supported (as TFLM)");
  const int32_t time_major = es_op_option_int(ctx, OPT_TIME_MAJOR, 0) != 0;
  if (input->rank != 3 || hidden->rank != 2 || output->rank != 3)
    return es_op_fail(ctx, ES_ERR_SHAPE, "UNIDIRECTIONAL_SEQUENCE_LSTM: input and output must be 3-D, the hidden state 2-D");
  const int32_t batch = time_major ? input->dims[1] : input->dims[0];
  const int32_t steps = time_major ? input->dims[0] : input->dims[1];
  const int32_t n_in = input->dims[2], units = hidden->dims[1];
  if (batch < 1 || steps < 1 || n_in < 1 || units < 1 || elements(hidden) != (int64_t)batch * units ||
      elements(cell) != (int64_t)batch * units || output->dims[0] != input->dims[0] || output->dims[1] != input->dims[1] ||
      output->dims[2] != units)
    return es_op_fail(ctx, ES_ERR_SHAPE, "UNIDIRECTIONAL_SEQUENCE_LSTM: states must be [batch, units], output [.., .., units] as the input");
  const int is_float = input->type == ES_FLOAT32;
  if (!is_float && input->type != ES_INT8)
    return es_op_fail(ctx, ES_ERR_UNSUPPORTED, "UNIDIRECTIONAL_SEQUENCE_LSTM: input must be float32 or int8 (int16 activations are not supported)");
  const es_dtype weight_type = is_float ? ES_FLOAT32 : ES_INT8, bias_type = is_float ? ES_FLOAT32 : ES_INT32;
  if (hidden->type != input->type || output->type != input->type ||
      cell->type != (is_float ? ES_FLOAT32 : ES_INT16))
    return es_op_fail(ctx, ES_ERR_UNSUPPORTED, is_float
                          ? "UNIDIRECTIONAL_SEQUENCE_LSTM: a float32 input needs float32 hidden state, cell state and output"
                          : "UNIDIRECTIONAL_SEQUENCE_LSTM: an int8 input needs an int8 hidden state and output and an int16 cell state");
  for (int g = 0; g < 4; ++g) {
    const es_tensor *wi = es_op_input(ctx, IN_INPUT_TO + g), *wr = es_op_input(ctx, IN_RECURRENT_TO + g);
    const es_tensor *b = es_op_input(ctx, IN_BIAS + g);
    if (wi == 0 || wr == 0 || b == 0)
      return es_op_fail(ctx, ES_ERR_UNSUPPORTED, "UNIDIRECTIONAL_SEQUENCE_LSTM: all four gates need weights and a bias (no CIFG, as TFLM)");
    if (!wi->is_constant || !wr->is_constant || !b->is_constant)
      return es_op_fail(ctx, ES_ERR_UNSUPPORTED, "UNIDIRECTIONAL_SEQUENCE_LSTM: weights and biases must be constant tensors");
    if (wi->type != weight_type || wr->type != weight_type || b->type != bias_type)
      return es_op_fail(ctx, ES_ERR_UNSUPPORTED, is_float
                            ? "UNIDIRECTIONAL_SEQUENCE_LSTM: float32 models need float32 weights and biases"
                            : "UNIDIRECTIONAL_SEQUENCE_LSTM: int8 models need int8 weights and int32 biases");
    if (!is_2d(wi, units, n_in) || !is_2d(wr, units, units) || b->rank != 1 || b->dims[0] != units)
      return es_op_fail(ctx, ES_ERR_SHAPE, "UNIDIRECTIONAL_SEQUENCE_LSTM: weights must be [units, input] and [units, units], biases [units]");
    if (is_float && (!es_op_is_aligned(wi, 4) || !es_op_is_aligned(wr, 4) || !es_op_is_aligned(b, 4)))
      return es_op_fail(ctx, ES_ERR_MODEL_FORMAT, "UNIDIRECTIONAL_SEQUENCE_LSTM: float weights must be 4-byte aligned in the model");
  }
  lstm_data *d = (lstm_data *)es_op_alloc_persistent(ctx, sizeof(lstm_data));
  if (d == 0) return es_op_fail(ctx, ES_ERR_ARENA_TOO_SMALL, "UNIDIRECTIONAL_SEQUENCE_LSTM: arena too small for op data");
  memset(d, 0, sizeof *d);
  d->is_float = is_float;
  es_lstm_params *p = &d->params;
  p->batch = batch;
  p->time_steps = steps;
  p->input_size = n_in;
  p->units = units;
  p->time_major = time_major;
  p->cell_clip = es_op_option_float(ctx, OPT_CELL_CLIP, 0.0f);
  if (!is_float) {
    const es_status st = prepare_s8(ctx, d);
    if (st != ES_OK) return st;
  }
  const es_status st = es_op_request_scratch(ctx, 4u * (size_t)batch * units * (is_float ? sizeof(float) : sizeof(int16_t)));
  if (st != ES_OK) return es_op_fail(ctx, st, "UNIDIRECTIONAL_SEQUENCE_LSTM: cannot reserve scratch");
  es_op_set_data(ctx, d);
  return ES_OK;
}

static es_status lstm_invoke(es_op_context *ctx) {
  const lstm_data *d = (const lstm_data *)es_op_data(ctx);
  es_lstm_weights w;
  for (int g = 0; g < 4; ++g) {
    w.input_to[g] = es_op_input(ctx, IN_INPUT_TO + g)->data;
    w.recurrent_to[g] = es_op_input(ctx, IN_RECURRENT_TO + g)->data;
    w.bias[g] = es_op_input(ctx, IN_BIAS + g)->data;
  }
  const void *in = es_op_input(ctx, IN_INPUT)->data;
  void *hidden = es_op_input(ctx, IN_HIDDEN)->data;
  void *cell = es_op_input(ctx, IN_CELL)->data;
  void *out = es_op_output(ctx, 0)->data;
  if (d->is_float)
    return es_lstm_f32(&d->params, &w, (const float *)in, (float *)hidden, (float *)cell, (float *)es_op_scratch(ctx),
                       (float *)out);
  return es_lstm_s8(&d->params, &w, (const int8_t *)in, (int8_t *)hidden, (int16_t *)cell,
                    (int16_t *)es_op_scratch(ctx), (int8_t *)out);
}

const es_op es_op_unidirectional_sequence_lstm = {44 /* UNIDIRECTIONAL_SEQUENCE_LSTM */, "UNIDIRECTIONAL_SEQUENCE_LSTM",
                                                  4, 0u, lstm_prepare, lstm_invoke};
