/* BATCH_MATMUL, int8 and float32 (edgesim/nn_matmul.h).
 *
 * As TFLM (batch_matmul.cc, reference batch_matmul.h): the multiplier is
 * QuantizeMultiplier((double)(lhs_scale * rhs_scale) / output_scale) (a
 * float product, then double), outputs clamp to [-128, 127] (no fused
 * activation); float sums run over k from 0.0f.  The output shape is the
 * broadcast batch shape followed by [rows of X, columns of Y].
 */
#include <string.h>

#include "edgesim/nn_matmul.h"
#include "edgesim/op.h"
#include "edgesim/quant.h"
#include "op_common.h"

enum { OPT_ADJ_X = 0, OPT_ADJ_Y = 1 };

/* The geometry shared by both types: shapes extended to 5-D. */
typedef struct matmul_geometry {
  int32_t batch[3];
  int64_t lhs_batch_stride[3], rhs_batch_stride[3];
  int32_t rows, cols, depth;
  int32_t x_row, x_depth; /* X[i][k] = lhs[i * x_row + k * x_depth] */
  int32_t y_depth, y_col; /* Y[k][j] = rhs[k * y_depth + j * y_col] */
} matmul_geometry;

static void geometry(const es_batch_matmul_params *p, const es_shape *lhs, const es_shape *rhs, matmul_geometry *g) {
  int32_t l[5], r[5];
  for (int i = 0; i < 5; ++i) {
    l[i] = i < 5 - lhs->rank ? 1 : lhs->d[i - (5 - lhs->rank)];
    r[i] = i < 5 - rhs->rank ? 1 : rhs->d[i - (5 - rhs->rank)];
  }
  g->rows = p->adj_x ? l[4] : l[3];
  g->depth = p->adj_x ? l[3] : l[4];
  g->cols = p->adj_y ? r[3] : r[4];
  g->x_row = p->adj_x ? 1 : l[4];
  g->x_depth = p->adj_x ? l[4] : 1;
  g->y_depth = p->adj_y ? 1 : r[4];
  g->y_col = p->adj_y ? r[4] : 1;
  int64_t ls = (int64_t)l[3] * l[4], rs = (int64_t)r[3] * r[4];
  for (int i = 2; i >= 0; --i) {
    g->batch[i] = l[i] == 1 ? r[i] : l[i];
    g->lhs_batch_stride[i] = l[i] == 1 ? 0 : ls;
    g->rhs_batch_stride[i] = r[i] == 1 ? 0 : rs;
    ls *= l[i];
    rs *= r[i];
  }
}

#define FOR_EACH_MATRIX(g, BODY)                                                      \
  for (int32_t b0 = 0; b0 < (g).batch[0]; ++b0)                                       \
    for (int32_t b1 = 0; b1 < (g).batch[1]; ++b1)                                     \
      for (int32_t b2 = 0; b2 < (g).batch[2]; ++b2) {                                 \
        const size_t lo = (size_t)(b0 * (g).lhs_batch_stride[0] + b1 * (g).lhs_batch_stride[1] + \
                                   b2 * (g).lhs_batch_stride[2]);                     \
        const size_t ro = (size_t)(b0 * (g).rhs_batch_stride[0] + b1 * (g).rhs_batch_stride[1] + \
                                   b2 * (g).rhs_batch_stride[2]);                     \
        BODY                                                                          \
      }

es_status es_batch_matmul_s8(const es_batch_matmul_params *params, const es_shape *lhs_shape, const int8_t *lhs,
                             const es_shape *rhs_shape, const int8_t *rhs, int8_t *output) {
  matmul_geometry g;
  geometry(params, lhs_shape, rhs_shape, &g);
  FOR_EACH_MATRIX(g, {
    const int8_t *x = lhs + lo;
    const int8_t *y = rhs + ro;
    for (int32_t i = 0; i < g.rows; ++i) {
      for (int32_t j = 0; j < g.cols; ++j) {
        const int8_t *xp = x + (size_t)i * g.x_row;
        const int8_t *yp = y + (size_t)j * g.y_col;
        int32_t total = 0;
        for (int32_t k = 0; k < g.depth; ++k, xp += g.x_depth, yp += g.y_depth)
          total += (*yp + params->rhs_offset) * (*xp + params->lhs_offset);
        int32_t v = es_multiply_by_quantized_multiplier(total, params->output.scale.multiplier,
                                                        params->output.scale.shift) +
                    params->output.zero_point;
        *output++ = (int8_t)(v < -128 ? -128 : (v > 127 ? 127 : v));
      }
    }
  })
  return ES_OK;
}

static float load_f32(const void *base, size_t i) {
  float v;
  memcpy(&v, (const uint8_t *)base + 4 * i, sizeof v);
  return v;
}

es_status es_batch_matmul_f32(const es_batch_matmul_params *params, const es_shape *lhs_shape, const void *lhs,
                              const es_shape *rhs_shape, const void *rhs, float *output) {
  matmul_geometry g;
  geometry(params, lhs_shape, rhs_shape, &g);
  FOR_EACH_MATRIX(g, {
    for (int32_t i = 0; i < g.rows; ++i) {
      for (int32_t j = 0; j < g.cols; ++j) {
        const uint8_t *xp = (const uint8_t *)lhs + 4 * (lo + (size_t)i * g.x_row);
        const uint8_t *yp = (const uint8_t *)rhs + 4 * (ro + (size_t)j * g.y_col);
        const size_t xs = 4 * (size_t)g.x_depth;
        const size_t ys = 4 * (size_t)g.y_depth;
        float total = 0.0f;
        for (int32_t k = 0; k < g.depth; ++k, xp += xs, yp += ys) total += load_f32(yp, 0) * load_f32(xp, 0);
        *output++ = total;
      }
    }
  })
  return ES_OK;
}

typedef struct batch_matmul_data {
  es_batch_matmul_params params;
  es_shape lhs_shape, rhs_shape;
  es_dtype type;
} batch_matmul_data;

static es_status batch_matmul_prepare(es_op_context *ctx) {
  if (es_op_input_count(ctx) != 2 || es_op_output_count(ctx) != 1)
    return es_op_fail(ctx, ES_ERR_MODEL_FORMAT, "BATCH_MATMUL: expects inputs (lhs, rhs) and one output");
  const es_tensor *lhs = es_op_input(ctx, 0);
  const es_tensor *rhs = es_op_input(ctx, 1);
  const es_tensor *output = es_op_output(ctx, 0);
  if (lhs == 0 || rhs == 0 || output == 0)
    return es_op_fail(ctx, ES_ERR_MODEL_FORMAT, "BATCH_MATMUL: missing lhs, rhs or output tensor");
  if (lhs->type != rhs->type || lhs->type != output->type || (lhs->type != ES_INT8 && lhs->type != ES_FLOAT32))
    return es_op_fail(ctx, ES_ERR_UNSUPPORTED, "BATCH_MATMUL: lhs, rhs and output must be all int8 or all float32");
  if (lhs->rank < 2 || rhs->rank < 2 || lhs->rank > 5 || rhs->rank > 5)
    return es_op_fail(ctx, ES_ERR_SHAPE, "BATCH_MATMUL: lhs and rhs need rank 2 to 5");
  batch_matmul_data *d = (batch_matmul_data *)es_op_alloc_persistent(ctx, sizeof(batch_matmul_data));
  if (d == 0) return es_op_fail(ctx, ES_ERR_ARENA_TOO_SMALL, "BATCH_MATMUL: arena too small for op data");
  memset(d, 0, sizeof *d);
  d->params.adj_x = es_op_option_int(ctx, OPT_ADJ_X, 0) != 0;
  d->params.adj_y = es_op_option_int(ctx, OPT_ADJ_Y, 0) != 0;
  d->lhs_shape.rank = lhs->rank;
  d->rhs_shape.rank = rhs->rank;
  for (int i = 0; i < ES_MAX_DIMS; ++i) {
    d->lhs_shape.d[i] = i < lhs->rank ? lhs->dims[i] : 1;
    d->rhs_shape.d[i] = i < rhs->rank ? rhs->dims[i] : 1;
  }
  /* Output: broadcast batch dims, then [rows, cols]; depths must agree. */
  const int32_t out_rank = lhs->rank > rhs->rank ? lhs->rank : rhs->rank;
  int ok = output->rank == out_rank;
  for (int32_t i = 0; ok && i < out_rank - 2; ++i) {
    const int32_t li = i - (out_rank - lhs->rank), ri = i - (out_rank - rhs->rank);
    const int32_t ld = li >= 0 ? lhs->dims[li] : 1, rd = ri >= 0 ? rhs->dims[ri] : 1;
    ok = (ld == rd || ld == 1 || rd == 1) && output->dims[i] == (ld == 1 ? rd : ld);
  }
  const int32_t l_rows = lhs->dims[lhs->rank - 2], l_cols = lhs->dims[lhs->rank - 1];
  const int32_t r_rows = rhs->dims[rhs->rank - 2], r_cols = rhs->dims[rhs->rank - 1];
  const int32_t depth_x = d->params.adj_x ? l_rows : l_cols, depth_y = d->params.adj_y ? r_cols : r_rows;
  ok = ok && depth_x == depth_y && output->dims[out_rank - 2] == (d->params.adj_x ? l_cols : l_rows) &&
       output->dims[out_rank - 1] == (d->params.adj_y ? r_rows : r_cols);
  for (int i = 0; i < lhs->rank; ++i) ok = ok && lhs->dims[i] >= 1;
  for (int i = 0; i < rhs->rank; ++i) ok = ok && rhs->dims[i] >= 1;
  if (!ok) return es_op_fail(ctx, ES_ERR_SHAPE, "BATCH_MATMUL: shapes do not multiply into the output shape");
  if (lhs->bytes < (size_t)es_tensor_elements(lhs) * (lhs->type == ES_INT8 ? 1u : 4u) ||
      rhs->bytes < (size_t)es_tensor_elements(rhs) * (rhs->type == ES_INT8 ? 1u : 4u))
    return es_op_fail(ctx, ES_ERR_SHAPE, "BATCH_MATMUL: operand data shorter than its shape");
  d->type = (es_dtype)lhs->type;
  if (lhs->type == ES_INT8) {
    if (!es_op_is_int8_per_tensor(lhs) || !es_op_is_int8_per_tensor(rhs) || !es_op_is_int8_per_tensor(output))
      return es_op_fail(ctx, ES_ERR_QUANTIZATION, "BATCH_MATMUL: int8 operands and output need one scale and zero point each");
    const double real = (double)(lhs->quant.scale * rhs->quant.scale) / (double)output->quant.scale;
    if (es_quantize_multiplier(real, &d->params.output.scale) != ES_OK)
      return es_op_fail(ctx, ES_ERR_QUANTIZATION, "BATCH_MATMUL: unusable lhs/rhs/output scales");
    d->params.lhs_offset = -lhs->quant.zero_point;
    d->params.rhs_offset = -rhs->quant.zero_point;
    d->params.output.zero_point = output->quant.zero_point;
  }
  es_op_set_data(ctx, d);
  return ES_OK;
}

static es_status batch_matmul_invoke(es_op_context *ctx) {
  const batch_matmul_data *d = (const batch_matmul_data *)es_op_data(ctx);
  const void *lhs = es_op_input(ctx, 0)->data;
  const void *rhs = es_op_input(ctx, 1)->data;
  void *out = es_op_output(ctx, 0)->data;
  if (d->type == ES_FLOAT32)
    return es_batch_matmul_f32(&d->params, &d->lhs_shape, lhs, &d->rhs_shape, rhs, (float *)out);
  return es_batch_matmul_s8(&d->params, &d->lhs_shape, (const int8_t *)lhs, &d->rhs_shape, (const int8_t *)rhs,
                            (int8_t *)out);
}

const es_op es_op_batch_matmul = {126 /* BATCH_MATMUL */, "BATCH_MATMUL", 4, 0u, batch_matmul_prepare,
                                  batch_matmul_invoke};
