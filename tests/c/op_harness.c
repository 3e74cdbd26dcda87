/* Runs single op kernels outside the interpreter, for sanitizer tests.
 *
 * This harness implements the op context API of edgesim/op.h itself (the
 * interpreter's version lives in runtime/), so every op kernel can be run
 * under ASan/UBSan on tensors that each live in their own heap block: a read
 * or write one byte outside a tensor, its persistent data or its scratch
 * memory is reported.
 *
 * When prepare() allows its output to overlap input 0
 * (es_op_allow_output_overlap), invoke runs a second time with input 0 and
 * output 0 placed that way inside one exact-size block; the harness exits
 * with status 6 if the outputs differ from the separate-buffer run.
 *
 * stdin: a sequence of cases written by tests/oplib/harness.py (binary,
 * little-endian; see encode_case() there).  stdout, per case:
 *   i32 status, u16 detail length, detail, u32 persistent bytes,
 *   u32 scratch bytes, then per output: u32 length, bytes.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edgesim/op.h"
#include "edgesim/ops.h" /* es_all_ops: every registered kernel */

#define MAX_TENSORS 8
#define MAX_OPTIONS 16

typedef struct option {
  int set;
  int kind; /* 0 int, 1 float, 2 int vector */
  int32_t i;
  float f;
  uint8_t *vec;
  int32_t vec_count;
} option;

struct es_op_context {
  es_tensor inputs[MAX_TENSORS];
  void *input_blocks[MAX_TENSORS];
  int input_present[MAX_TENSORS];
  int n_inputs;
  es_tensor outputs[MAX_TENSORS];
  void *output_blocks[MAX_TENSORS];
  int n_outputs;
  option options[MAX_OPTIONS];
  int32_t version;
  int in_prepare;
  uint8_t *persistent;
  size_t persistent_used;
  size_t scratch_bytes;
  void *scratch;
  void *data;
  const char *detail;
  int overlap_allowed;
  int32_t overlap_offset;
};

#define PERSISTENT_CAPACITY (1u << 20)

int es_op_input_count(const es_op_context *ctx) { return ctx->n_inputs; }
int es_op_output_count(const es_op_context *ctx) { return ctx->n_outputs; }
const es_tensor *es_op_input(const es_op_context *ctx, int i) {
  if (i < 0 || i >= ctx->n_inputs || !ctx->input_present[i]) return NULL;
  return &ctx->inputs[i];
}
es_tensor *es_op_output(const es_op_context *ctx, int i) {
  if (i < 0 || i >= ctx->n_outputs) return NULL;
  return (es_tensor *)&ctx->outputs[i];
}
int32_t es_op_option_int(const es_op_context *ctx, int field_id, int32_t default_value) {
  if (field_id < 0 || field_id >= MAX_OPTIONS || !ctx->options[field_id].set) return default_value;
  return ctx->options[field_id].kind == 1 ? (int32_t)ctx->options[field_id].f : ctx->options[field_id].i;
}
float es_op_option_float(const es_op_context *ctx, int field_id, float default_value) {
  if (field_id < 0 || field_id >= MAX_OPTIONS || !ctx->options[field_id].set) return default_value;
  return ctx->options[field_id].kind == 1 ? ctx->options[field_id].f : (float)ctx->options[field_id].i;
}
const uint8_t *es_op_option_int_vector(const es_op_context *ctx, int field_id, int32_t *count) {
  *count = 0;
  if (field_id < 0 || field_id >= MAX_OPTIONS || !ctx->options[field_id].set || ctx->options[field_id].kind != 2)
    return NULL;
  *count = ctx->options[field_id].vec_count;
  return ctx->options[field_id].vec;
}
int32_t es_op_version(const es_op_context *ctx) { return ctx->version; }
void *es_op_alloc_persistent(es_op_context *ctx, size_t bytes) {
  if (!ctx->in_prepare) abort(); /* contract: prepare() only */
  size_t start = (ctx->persistent_used + 7u) & ~(size_t)7u;
  if (bytes > PERSISTENT_CAPACITY - start) return NULL;
  ctx->persistent_used = start + bytes;
  return ctx->persistent + start;
}
es_status es_op_request_scratch(es_op_context *ctx, size_t bytes) {
  if (!ctx->in_prepare) abort();
  ctx->scratch_bytes += (bytes + 7u) & ~(size_t)7u;
  return ES_OK;
}
void es_op_allow_output_overlap(es_op_context *ctx, int32_t output_offset) {
  if (!ctx->in_prepare) exit(7);
  ctx->overlap_allowed = 1;
  ctx->overlap_offset = output_offset;
}
void es_op_set_data(es_op_context *ctx, void *data) { ctx->data = data; }
void *es_op_data(const es_op_context *ctx) { return ctx->data; }
void *es_op_scratch(const es_op_context *ctx) {
  if (ctx->in_prepare) abort();
  return ctx->scratch;
}
es_status es_op_fail(es_op_context *ctx, es_status status, const char *detail) {
  ctx->detail = detail;
  return status;
}

/* One op per run here: the detail alone names the problem. */
es_status es_op_fail_named(es_op_context *ctx, es_status status, const char *detail) {
  return es_op_fail(ctx, status, detail);
}

/* --- input decoding ------------------------------------------------------ */

static int read_exact(void *dst, size_t n) { return fread(dst, 1, n, stdin) == n; }
static uint32_t read_u32(void) {
  uint32_t v = 0;
  if (!read_exact(&v, 4)) exit(3);
  return v;
}
static uint8_t read_u8(void) {
  uint8_t v = 0;
  if (!read_exact(&v, 1)) exit(3);
  return v;
}
static float read_f32(void) {
  float v = 0;
  if (!read_exact(&v, 4)) exit(3);
  return v;
}
static void *read_blob(uint32_t n) {
  void *p = malloc(n ? n : 1); /* exact size: ASan guards both ends */
  if (p == NULL || (n && !read_exact(p, n))) exit(3);
  return p;
}

/* Constant tensors sit one byte past an allocation's (aligned) start: the
 * model buffer may have any alignment, so kernels must not assume more.
 * Float32 constants are the exception: float ops require them 4-byte
 * aligned (a Cortex-M4 faults on unaligned VLDR) and reject other models in
 * prepare, so here they sit at the aligned start. */
static void read_tensor(es_tensor *t, void **block) {
  memset(t, 0, sizeof(*t));
  t->type = read_u8();
  t->rank = read_u8();
  if (t->rank > ES_MAX_DIMS) exit(4);
  for (int i = 0; i < t->rank; ++i) t->dims[i] = (int32_t)read_u32();
  t->is_constant = read_u8();
  t->quant.scale = read_f32();
  t->quant.zero_point = (int32_t)read_u32();
  t->quant.channel_count = (int32_t)read_u32();
  t->quant.channel_axis = (int32_t)read_u32();
  uint32_t n_scales = read_u32();
  t->quant.channel_scales = n_scales ? (const uint8_t *)read_blob(n_scales * 4u) : NULL;
  uint32_t bytes = read_u32();
  t->bytes = bytes;
  if (t->is_constant) {
    const size_t skew = t->type == ES_FLOAT32 ? 0u : 1u;
    uint8_t *p = (uint8_t *)malloc(bytes + skew);
    if (p == NULL || (bytes && !read_exact(p + skew, bytes))) exit(3);
    *block = p;
    t->data = p + skew;
  } else {
    t->data = read_blob(bytes);
    *block = t->data;
  }
}

static void write_u32(uint32_t v) { fwrite(&v, 4, 1, stdout); }

/* Re-runs invoke with output 0 at input 0 + the declared offset in one block
 * and checks that it gives the outputs of the separate-buffer run. */
static void check_overlapped_invoke(const es_op *op, es_op_context *ctx) {
  es_tensor *in = &ctx->inputs[0], *out = &ctx->outputs[0];
  const int64_t off = ctx->overlap_offset;
  const int64_t low = off < 0 ? off : 0;
  const int64_t high = off + (int64_t)out->bytes > (int64_t)in->bytes ? off + (int64_t)out->bytes : (int64_t)in->bytes;
  uint8_t *block = (uint8_t *)malloc((size_t)(high - low) + 1u);
  uint8_t *expected = (uint8_t *)malloc(out->bytes + 1u);
  void *saved_in = in->data, *saved_out = out->data;
  if (block == NULL || expected == NULL) exit(3);
  memcpy(expected, out->data, out->bytes);
  memset(block, 0x5A, (size_t)(high - low));
  memcpy(block - low, in->data, in->bytes);
  in->data = block - low;
  out->data = block + (off - low);
  ctx->scratch = malloc(ctx->scratch_bytes ? ctx->scratch_bytes : 1);
  es_status st = op->invoke(ctx);
  free(ctx->scratch);
  if (st != ES_OK || memcmp(out->data, expected, out->bytes) != 0) exit(6);
  in->data = saved_in;
  out->data = saved_out;
  free(block);
  free(expected);
}

int main(void) {
  uint32_t magic;
  while (fread(&magic, 4, 1, stdin) == 1) {
    if (magic != 0x45534143u) return 2; /* "CASE" */
    static es_op_context ctx;
    memset(&ctx, 0, sizeof(ctx));
    char name[64] = {0};
    uint8_t name_len = read_u8();
    if (name_len >= sizeof(name) || !read_exact(name, name_len)) return 3;
    ctx.version = (int32_t)read_u32();
    ctx.n_inputs = read_u8();
    if (ctx.n_inputs > MAX_TENSORS) return 4;
    for (int i = 0; i < ctx.n_inputs; ++i) {
      ctx.input_present[i] = read_u8();
      if (ctx.input_present[i]) read_tensor(&ctx.inputs[i], &ctx.input_blocks[i]);
    }
    ctx.n_outputs = read_u8();
    if (ctx.n_outputs > MAX_TENSORS) return 4;
    for (int i = 0; i < ctx.n_outputs; ++i) read_tensor(&ctx.outputs[i], &ctx.output_blocks[i]);
    const int alias_output_to_input0 = read_u8();
    if (alias_output_to_input0 && ctx.n_outputs > 0 && ctx.n_inputs > 0) ctx.outputs[0].data = ctx.inputs[0].data;
    const int n_options = read_u8();
    for (int i = 0; i < n_options; ++i) {
      uint8_t field = read_u8();
      if (field >= MAX_OPTIONS) return 4;
      option *o = &ctx.options[field];
      o->set = 1;
      o->kind = read_u8();
      if (o->kind == 0) o->i = (int32_t)read_u32();
      else if (o->kind == 1) o->f = read_f32();
      else {
        o->vec_count = (int32_t)read_u32();
        o->vec = (uint8_t *)read_blob((uint32_t)o->vec_count * 4u);
      }
    }

    const es_op *op = NULL;
    for (int32_t i = 0; i < es_all_ops.count; ++i)
      if (strcmp(es_all_ops.ops[i]->name, name) == 0) op = es_all_ops.ops[i];
    if (op == NULL) return 5;

    ctx.persistent = (uint8_t *)malloc(PERSISTENT_CAPACITY);
    ctx.in_prepare = 1;
    es_status st = op->prepare(&ctx);
    ctx.in_prepare = 0;
    size_t persistent_before_trim = ctx.persistent_used;
    if (st == ES_OK) {
      ctx.scratch = malloc(ctx.scratch_bytes ? ctx.scratch_bytes : 1);
      st = op->invoke(&ctx);
      free(ctx.scratch);
      if (st == ES_OK && ctx.overlap_allowed && ctx.n_inputs > 0 && ctx.n_outputs > 0 && ctx.input_present[0] &&
          !ctx.inputs[0].is_constant && !alias_output_to_input0)
        check_overlapped_invoke(op, &ctx);
    }
    write_u32((uint32_t)st);
    const char *detail = ctx.detail ? ctx.detail : "";
    uint16_t detail_len = (uint16_t)strlen(detail);
    fwrite(&detail_len, 2, 1, stdout);
    fwrite(detail, 1, detail_len, stdout);
    write_u32((uint32_t)persistent_before_trim);
    write_u32((uint32_t)ctx.scratch_bytes);
    for (int i = 0; i < ctx.n_outputs; ++i) {
      write_u32((uint32_t)ctx.outputs[i].bytes);
      fwrite(ctx.outputs[i].data, 1, ctx.outputs[i].bytes, stdout);
    }
    fflush(stdout);

    free(ctx.persistent);
    for (int i = 0; i < ctx.n_inputs; ++i) {
      if (!ctx.input_present[i]) continue;
      free(ctx.input_blocks[i]);
      free((void *)ctx.inputs[i].quant.channel_scales);
    }
    for (int i = 0; i < ctx.n_outputs; ++i) {
      free(ctx.output_blocks[i]);
      free((void *)ctx.outputs[i].quant.channel_scales);
    }
    for (int i = 0; i < MAX_OPTIONS; ++i) free(ctx.options[i].vec);
  }
  return 0;
}
