/* The interpreter: model load (parse, prepare, plan), the invoke loop, and the
 * context side of the op contract (edgesim/op.h).
 *
 * Arena layout, from the first ES_ARENA_ALIGN-aligned byte:
 *   [records + op data, bump-allocated while loading][planned activations + scratch]
 * The planner's working arrays borrow the top of the arena while planning.
 */
#include <string.h>

#include "runtime_internal.h"
#include "schema.h"

void *es_arena_alloc_persistent(es_model *m, size_t bytes) {
  size_t start = es_align_up(m->persistent_bytes);
  if (bytes > m->arena_size || start > m->arena_size - bytes) return NULL;
  m->persistent_bytes = start + bytes;
  return m->arena + start;
}

/* Turns a failure inside loading into its final error record. */
static es_status load_failed(es_model *m, es_status s) {
  if (m->error.status == ES_OK) {
    if (s == ES_ERR_ARENA_TOO_SMALL)
      es_model_fail(m, s, "arena too small: %z bytes do not hold the model's tensor and operator records", m->arena_size);
    else
      es_model_fail(m, s, "model load failed");
  }
  m->ready = 0;
  return s;
}

es_status es_model_load(es_model *m, const es_op_set *ops, const uint8_t *data, size_t size, void *arena,
                        size_t arena_size) {
  return es_model_load_with(m, ops, data, size, arena, arena_size, NULL, NULL);
}

es_status es_model_load_with(es_model *m, const es_op_set *ops, const uint8_t *data, size_t size, void *arena,
                             size_t arena_size, es_status (*before_plan)(es_model *model, const void *context),
                             const void *context) {
  if (m == NULL) return ES_ERR_ARGUMENT;
  memset(m, 0, sizeof *m);
  if (ops == NULL || data == NULL || (arena == NULL && arena_size != 0))
    return es_model_fail(m, ES_ERR_ARGUMENT, "model, op set or arena pointer is NULL");
  if (size > ES_FB_MAX_SIZE) return es_model_fail(m, ES_ERR_UNSUPPORTED, "model of %z bytes is too large", size);
  m->data = data;
  m->size = size;
  size_t pad = (ES_ARENA_ALIGN - ((uintptr_t)arena & (ES_ARENA_ALIGN - 1u))) & (ES_ARENA_ALIGN - 1u);
  m->arena = (uint8_t *)arena + (arena_size > pad ? pad : 0);
  m->arena_size = arena_size > pad ? arena_size - pad : 0;

  es_status s = es_model_parse(m, ops);
  if (s != ES_OK) return load_failed(m, s);

  es_op_context ctx = {m, NULL, 0, 1};
  for (int32_t i = 0; i < m->node_count; ++i) {
    ctx.node = &m->nodes[i];
    ctx.node_index = i;
    s = ctx.node->op->prepare != NULL ? ctx.node->op->prepare(&ctx) : ES_OK;
    if (s != ES_OK) {
      if (m->error.status == ES_OK)
        es_model_fail(m, s, "operator %d (%s): prepare failed: %s", i, ctx.node->op->name, es_status_str(s));
      return load_failed(m, s);
    }
  }
  s = before_plan != NULL ? before_plan(m, context) : ES_OK;
  if (s != ES_OK) return load_failed(m, s);
  s = es_model_plan(m);
  if (s != ES_OK) return load_failed(m, s);
  m->ready = 1;
  return ES_OK;
}

es_status es_model_arena_required(es_model *m, const es_op_set *ops, const uint8_t *data, size_t size, void *work,
                                  size_t work_size, size_t *required) {
  if (required == NULL) return ES_ERR_ARGUMENT;
  es_status s = es_model_load(m, ops, data, size, work, work_size);
  *required = s == ES_OK ? m->arena_used : m->arena_required;
  return s;
}

es_status es_model_invoke(es_model *m) {
  if (m == NULL) return ES_ERR_ARGUMENT;
  if (!m->ready) return es_model_fail(m, ES_ERR_STATE, "model is not loaded");
  es_op_context ctx = {m, NULL, 0, 0};
  es_node *node = m->nodes;
  m->error.status = ES_OK;
  for (int32_t i = 0; i < m->node_count; ++i, ++node) {
    ctx.node = node;
    ctx.node_index = i;
    es_status s = node->op->invoke(&ctx);
    if (s != ES_OK) {
      if (m->error.status != s) es_model_fail(m, s, "operator %d (%s): %s", i, node->op->name, es_status_str(s));
      return s;
    }
  }
  return ES_OK;
}

es_tensor *es_model_input(const es_model *m, int32_t i) {
  if (m == NULL || !m->ready || i < 0 || i >= m->input_count) return NULL;
  return &m->tensors[m->inputs[i]];
}

es_tensor *es_model_output(const es_model *m, int32_t i) {
  if (m == NULL || !m->ready || i < 0 || i >= m->output_count) return NULL;
  return &m->tensors[m->outputs[i]];
}

const es_op *es_model_node_op(const es_model *m, int32_t i) {
  if (m == NULL || !m->ready || i < 0 || i >= m->node_count) return NULL;
  return m->nodes[i].op;
}

int32_t es_model_node_version(const es_model *m, int32_t i) {
  if (m == NULL || !m->ready || i < 0 || i >= m->node_count) return 0;
  return m->nodes[i].version;
}

/* ---- The context side of edgesim/op.h ---------------------------------- */

int es_op_input_count(const es_op_context *ctx) { return ctx->node->input_count; }

int es_op_output_count(const es_op_context *ctx) { return ctx->node->output_count; }

const es_tensor *es_op_input(const es_op_context *ctx, int i) {
  const es_node *node = ctx->node;
  if (i < 0 || i >= node->input_count || node->io[i] < 0) return NULL;
  return &ctx->model->tensors[node->io[i]];
}

es_tensor *es_op_output(const es_op_context *ctx, int i) {
  const es_node *node = ctx->node;
  if (i < 0 || i >= node->output_count) return NULL;
  return &ctx->model->tensors[node->io[node->input_count + i]];
}

int32_t es_op_version(const es_op_context *ctx) { return ctx->node->version; }

/* Finds option field `id` of the node: its layout letter and position.
 * Returns 0 when the node has no options or the field is absent. */
static char option_field(const es_op_context *ctx, int id, es_fb *fb, uint32_t *pos) {
  const es_node *node = ctx->node;
  es_fb_table table;
  if (node->options == 0 || id < 0) return 0;
  const char *layout = es_schema_option_layout(node->options_type);
  if (layout == NULL || (size_t)id >= strlen(layout)) return 0;
  fb->data = ctx->model->data;
  fb->size = (uint32_t)ctx->model->size;
  char kind = layout[id];
  uint32_t width = (kind == 'h' || kind == 'H') ? 2 : (kind == 'i' || kind == 'I' || kind == 'f' || kind == 'v') ? 4
                 : (kind == 'q' || kind == 'Q' || kind == 'd') ? 8 : 1;
  if (es_fb_table_at(fb, node->options, &table) <= 0 || es_fb_field(fb, &table, id, width, pos) <= 0) return 0;
  return kind;
}

static int64_t option_as_int64(const es_fb *fb, char kind, uint32_t pos, int *ok) {
  *ok = 1;
  switch (kind) {
    case 'b': return fb->data[pos] < 128 ? fb->data[pos] : (int64_t)fb->data[pos] - 256;
    case 'B': return fb->data[pos];
    case 'h': { uint16_t u = es_fb_u16(fb, pos); return u < 32768 ? u : (int64_t)u - 65536; }
    case 'H': return es_fb_u16(fb, pos);
    case 'i': return es_fb_i32(fb, pos);
    case 'I': return es_fb_u32(fb, pos);
    case 'q': return es_fb_i64(fb, pos);
    case 'Q': { uint64_t u = es_fb_u64(fb, pos); return u > INT64_MAX ? INT64_MAX : (int64_t)u; }
    default: *ok = 0; return 0;
  }
}

int32_t es_op_option_int(const es_op_context *ctx, int field_id, int32_t default_value) {
  es_fb fb;
  uint32_t pos;
  int ok;
  char kind = option_field(ctx, field_id, &fb, &pos);
  if (kind == 0) return default_value;
  int64_t v = option_as_int64(&fb, kind, pos, &ok);
  if (!ok) return default_value;
  return v > INT32_MAX ? INT32_MAX : v < INT32_MIN ? INT32_MIN : (int32_t)v;
}

float es_op_option_float(const es_op_context *ctx, int field_id, float default_value) {
  es_fb fb;
  uint32_t pos;
  int ok;
  char kind = option_field(ctx, field_id, &fb, &pos);
  if (kind == 0) return default_value;
  if (kind == 'f') return es_load_f32(fb.data + pos);
  int64_t v = option_as_int64(&fb, kind, pos, &ok);
  return ok ? (float)v : default_value;
}

const uint8_t *es_op_option_int_vector(const es_op_context *ctx, int field_id, int32_t *count) {
  es_fb fb;
  es_fb_table table;
  es_fb_vector v;
  uint32_t pos;
  *count = 0;
  if (option_field(ctx, field_id, &fb, &pos) != 'v') return NULL;
  if (es_fb_table_at(&fb, ctx->node->options, &table) <= 0 || es_fb_get_vector(&fb, &table, field_id, 4, &v) <= 0)
    return NULL;
  if (v.count > (uint32_t)INT32_MAX) return NULL;
  *count = (int32_t)v.count;
  return fb.data + v.pos;
}

void *es_op_alloc_persistent(es_op_context *ctx, size_t bytes) {
  if (!ctx->preparing) return NULL;
  return es_arena_alloc_persistent(ctx->model, bytes == 0 ? 1 : bytes);
}

es_status es_op_request_scratch(es_op_context *ctx, size_t bytes) {
  if (!ctx->preparing) return es_op_fail(ctx, ES_ERR_STATE, "scratch memory can only be requested in prepare()");
  if (bytes > 0x7FFFFFF0u) return es_op_fail(ctx, ES_ERR_ARENA_TOO_SMALL, "scratch request over 2 GiB");
  /* One scratch buffer per node: repeated requests keep the largest. */
  if (bytes > ctx->node->scratch_bytes) ctx->node->scratch_bytes = (uint32_t)bytes;
  return ES_OK;
}

void es_op_allow_output_overlap(es_op_context *ctx, int32_t output_offset) {
  if (!ctx->preparing) return;
  ctx->node->overlap_offset = output_offset;
  ctx->node->flags |= ES_NODE_OUTPUT_OVERLAP;
}

void es_op_set_data(es_op_context *ctx, void *data) { ctx->node->data = data; }

void *es_op_data(const es_op_context *ctx) { return ctx->node->data; }

void *es_op_scratch(const es_op_context *ctx) { return ctx->node->scratch; }

es_status es_op_fail(es_op_context *ctx, es_status status, const char *detail) {
  return es_model_fail(ctx->model, status, "operator %d: %s", ctx->node_index, detail != NULL ? detail : "failed");
}

es_status es_op_fail_named(es_op_context *ctx, es_status status, const char *detail) {
  return es_model_fail(ctx->model, status, "operator %d: %s: %s", ctx->node_index, ctx->node->op->name,
                       detail != NULL ? detail : "failed");
}
