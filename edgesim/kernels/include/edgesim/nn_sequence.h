/* Sequence ops with state carried across invocations, bit-exact with
 * TFLite Micro's reference kernels: SVDF, int8 (with int16 or int8 state and
 * time weights, as TFLite Micro) and float32; UNIDIRECTIONAL_SEQUENCE_LSTM,
 * float32 and int8 (int8 input, weights and hidden state, int32 bias, int16
 * gates and cell state).
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

/* --- UNIDIRECTIONAL_SEQUENCE_LSTM ----------------------------------------
 * The four gates in TFLite's tensor order: input, forget, cell, output.  No
 * peephole, projection or layer norm (TFLM's kernel has none).  The hidden
 * state [batch, units] and the cell state [batch, units] are variable tensors
 * kept by the caller between calls. */
enum { ES_LSTM_GATE_INPUT = 0, ES_LSTM_GATE_FORGET = 1, ES_LSTM_GATE_CELL = 2, ES_LSTM_GATE_OUTPUT = 3 };

typedef struct es_lstm_params {
  int32_t batch, time_steps, input_size, units;
  int32_t time_major;          /* input [time, batch, n] (else [batch, time, n]) */
  float cell_clip;             /* the cell state is clipped when > 0: float to +-cell_clip, */
  /* int8 only */
  int32_t input_offset;        /* minus the input zero point */
  int32_t hidden_offset;       /* minus the hidden state zero point */
  int32_t hidden_zero_point;   /* the hidden state's (and output's) zero point */
  int32_t weight_offset[8];    /* minus the zero points of input_to[4], recurrent_to[4] */
  es_qmul input_fc[4];         /* input * input_to weights scale / 2^-12 */
  es_qmul recurrent_fc[4];     /* hidden * recurrent weights scale / 2^-12 */
  es_qmul forget_cell_mul;     /* 2^-15 * cell / cell scale */
  es_qmul input_mul;           /* 2^-15 * 2^-15 / cell scale */
  es_qmul hidden_mul;          /* 2^-15 * 2^-15 / hidden scale */
  int32_t cell_clip_q;         /* int8 to +-cell_clip_q: cell_clip on the cell scale, truncated (TFLM) */
  int32_t cell_tanh_multiplier, cell_tanh_shift; /* tanh's input rescaling of the cell state */
} es_lstm_params;

/* The constant tensors: weights [units, input_size] and [units, units] per
 * gate, float32 or int8, and one bias [units] per gate (float32 or int32),
 * bias[g] NULL for none.  Float data must be 4-byte aligned. */
typedef struct es_lstm_weights {
  const void *input_to[4];
  const void *recurrent_to[4];
  const void *bias[4];
} es_lstm_weights;

/* All time steps of one call.  output: [batch, time, units] or [time, batch,
 * units] as the input.  scratch: 4 * batch * units floats (f32) or int16 (s8).
 * `hidden` and `cell` are read and updated. */
es_status es_lstm_f32(const es_lstm_params *params, const es_lstm_weights *weights, const float *input, float *hidden,
                      float *cell, float *scratch, float *output);
es_status es_lstm_s8(const es_lstm_params *params, const es_lstm_weights *weights, const int8_t *input, int8_t *hidden,
                     int16_t *cell, int16_t *scratch, int8_t *output);

/* TFLM's int16 logistic and tanh (reference_integer_ops, interpolating one
 * table): logistic in place, Q3.12 in, Q0.15 out; tanh of
 * (x * multiplier) >> shift rounded (TFLM's input rescaling with its
 * multiplier-0 case resolved by the caller: 3 and 0 for Q3.12), Q0.15 out. */
void es_logistic_s16(int32_t size, int16_t *data);
void es_tanh_s16(int32_t multiplier, int32_t shift, int32_t size, const int16_t *input, int16_t *output);

#endif /* EDGESIM_NN_SEQUENCE_H */
