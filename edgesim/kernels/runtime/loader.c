/* Model loader: validates a .tflite flatbuffer (schema 3) and turns subgraph 0
 * into tensor and node records in the arena.
 *
 * Every field is read through flatbuffer.h, which bounds-checks each access,
 * and every value is range-checked before use: tensor and buffer indices,
 * ranks, dimensions (their product must fit in int32 so that ops can multiply
 * dims freely), buffer sizes against shape x element size, quantization
 * arrays, operator codes and versions, and builtin options tables.  The first
 * problem found is reported in model->error naming the tensor or operator.
 *
 * Schema field ids used below (schema.fbs, 0-based):
 *   Model: version 0, operator_codes 1, subgraphs 2, buffers 4
 *   SubGraph: tensors 0, inputs 1, outputs 2, operators 3
 *   Tensor: shape 0, type 1, buffer 2, name 3, quantization 4, is_variable 5, sparsity 6
 *   Buffer: data 0, offset 1, size 2
 *   QuantizationParameters: scale 2, zero_point 3, quantized_dimension 6
 *   OperatorCode: deprecated_builtin_code 0, custom_code 1, version 2, builtin_code 3
 *   Operator: opcode_index 0, inputs 1, outputs 2, builtin_options_type 3, builtin_options 4
 */
#include <math.h>
#include <string.h>

#include "runtime_internal.h"
#include "schema.h"

/* Element size per schema TensorType; 0 = not supported by this runtime
 * (STRING has variable size, RESOURCE/VARIANT are handles, INT4 is packed). */
static uint32_t dtype_size(uint8_t type) {
  static const uint8_t sizes[] = {4, 2, 4, 1, 8, 0, 1, 2, 8, 1, 8, 16, 8, 0, 0, 4, 2, 0};
  return type < sizeof sizes ? sizes[type] : 0;
}

static const char *dtype_name(uint8_t type) {
  static const char names[] =
      "FLOAT32\0FLOAT16\0INT32\0UINT8\0INT64\0STRING\0BOOL\0INT16\0COMPLEX64\0INT8\0FLOAT64\0"
      "COMPLEX128\0UINT64\0RESOURCE\0VARIANT\0UINT32\0UINT16\0INT4\0";
  const char *p = names;
  if (type > 17) return "unknown";
  for (uint8_t i = 0; i < type; ++i) p += strlen(p) + 1;
  return p;
}

/* Flags kept in es_tensor.reserved while loading, cleared at the end. */
#define PRODUCED 0x1u
#define GRAPH_INPUT 0x2u

typedef struct loader {
  es_model *model;
  es_fb fb;
  es_fb_vector buffers;
  es_fb_vector opcodes;
} loader;

static es_status malformed(es_model *m, const char *what, int32_t index) {
  if (index >= 0) return es_model_fail(m, ES_ERR_MODEL_FORMAT, "%s %d: malformed flatbuffer (offset or length out of bounds)", what, index);
  return es_model_fail(m, ES_ERR_MODEL_FORMAT, "%s: malformed flatbuffer (offset or length out of bounds)", what);
}

/* Reads an int32 vector of tensor indices into int16 slots.  `optional`
 * allows -1 (omitted input). */
static es_status read_indices(loader *ld, const es_fb_vector *v, int16_t *out, int optional,
                              const char *what, int32_t index) {
  for (uint32_t i = 0; i < v->count; ++i) {
    int32_t t = es_fb_i32(&ld->fb, v->pos + 4u * i);
    if (t == -1 && optional) {
      out[i] = -1;
      continue;
    }
    if (t < 0 || t >= ld->model->tensor_count)
      return es_model_fail(ld->model, ES_ERR_MODEL_FORMAT, "%s %d: tensor index %d out of range (model has %d tensors)",
                           what, index, t, ld->model->tensor_count);
    out[i] = (int16_t)t;
  }
  return ES_OK;
}

static es_status parse_quantization(loader *ld, int32_t index, const es_fb_table *q, es_tensor *t) {
  es_model *m = ld->model;
  es_fb_vector scales, zero_points;
  int32_t axis;
  if (es_fb_get_vector(&ld->fb, q, 2, 4, &scales) < 0 || es_fb_get_vector(&ld->fb, q, 3, 8, &zero_points) < 0 ||
      es_fb_get_i32(&ld->fb, q, 6, 0, &axis) < 0)
    return malformed(m, "tensor", index);
  /* Like TFLM: quantized only when both arrays are present and non-empty. */
  if (scales.count == 0 || zero_points.count == 0) return ES_OK;
  if (scales.count != zero_points.count)
    return es_model_fail(m, ES_ERR_QUANTIZATION, "tensor %d: %u scales but %u zero points", index,
                         (unsigned)scales.count, (unsigned)zero_points.count);
  if (scales.count > 0x7FFFFFFFu / 8u) return malformed(m, "tensor", index);
  for (uint32_t i = 0; i < scales.count; ++i) {
    float s = es_load_f32(ld->fb.data + scales.pos + 4u * i);
    /* Ops derive fixed-point multipliers from scales: a NaN, infinite, zero
     * or negative scale would make that arithmetic undefined. */
    if (!(s > 0.0f) || isinf(s))
      return es_model_fail(m, ES_ERR_QUANTIZATION, "tensor %d: scale %u is not a positive finite number", index,
                           (unsigned)i);
    int64_t zp = es_fb_i64(&ld->fb, zero_points.pos + 8u * i);
    if (zp < INT32_MIN || zp > INT32_MAX)
      return es_model_fail(m, ES_ERR_QUANTIZATION, "tensor %d: zero point %u does not fit in int32", index, (unsigned)i);
  }
  if (axis < 0) return es_model_fail(m, ES_ERR_QUANTIZATION, "tensor %d: negative quantized_dimension %d", index, axis);
  /* TFLM ignores quantized_dimension of rank-1 bias tensors (old converters
   * wrote 3 there, e.g. person_detect); check it only where it names a dim. */
  if (scales.count > 1 && axis < t->rank && t->dims[axis] != (int32_t)scales.count)
    return es_model_fail(m, ES_ERR_QUANTIZATION, "tensor %d: %u per-channel scales but dimension %d has %d entries", index,
                         (unsigned)scales.count, axis, t->dims[axis]);
  t->quant.scale = es_load_f32(ld->fb.data + scales.pos);
  t->quant.zero_point = (int32_t)es_fb_i64(&ld->fb, zero_points.pos);
  t->quant.channel_count = (int32_t)scales.count;
  t->quant.channel_axis = axis;
  t->quant.channel_scales = ld->fb.data + scales.pos;
  return ES_OK;
}

/* The bytes of buffer `b`: inline `data` vector, or (schema >= 2.14 large
 * models) `offset`/`size` relative to the start of the file. */
static es_status buffer_bytes(loader *ld, int32_t tensor, uint32_t b, const uint8_t **data, size_t *size) {
  es_model *m = ld->model;
  es_fb_table buf;
  es_fb_vector bytes;
  uint64_t offset, length;
  *data = NULL;
  *size = 0;
  if (b >= ld->buffers.count) {
    if (b == 0) return ES_OK; /* no buffers at all: every tensor is an activation */
    return es_model_fail(m, ES_ERR_MODEL_FORMAT, "tensor %d: buffer index %u out of range (model has %u buffers)", tensor,
                         (unsigned)b, (unsigned)ld->buffers.count);
  }
  if (es_fb_vector_table(&ld->fb, &ld->buffers, b, &buf) < 0 || es_fb_get_vector(&ld->fb, &buf, 0, 1, &bytes) < 0 ||
      es_fb_get_u64(&ld->fb, &buf, 1, 0, &offset) < 0 || es_fb_get_u64(&ld->fb, &buf, 2, 0, &length) < 0)
    return es_model_fail(m, ES_ERR_MODEL_FORMAT, "buffer %u: malformed flatbuffer (offset or length out of bounds)", (unsigned)b);
  if (offset > 1) { /* 0 and 1 mean "no external data" in the schema */
    if (offset > ld->fb.size || length > ld->fb.size - offset)
      return es_model_fail(m, ES_ERR_MODEL_FORMAT, "buffer %u: data at offset %z (+%z) lies outside the %z-byte model",
                           (unsigned)b, (size_t)offset, (size_t)length, (size_t)ld->fb.size);
    *data = ld->fb.data + offset;
    *size = (size_t)length;
  } else if (bytes.count > 0) {
    *data = ld->fb.data + bytes.pos;
    *size = bytes.count;
  }
  return ES_OK;
}

static es_status parse_tensor(loader *ld, int32_t index, const es_fb_table *tt) {
  es_model *m = ld->model;
  es_tensor *t = &m->tensors[index];
  es_fb_vector shape;
  es_fb_table quant, sparsity;
  uint8_t type, is_variable;
  uint32_t buffer;
  int rq, rs;
  if (es_fb_get_vector(&ld->fb, tt, 0, 4, &shape) < 0 || es_fb_get_u8(&ld->fb, tt, 1, 0, &type) < 0 ||
      es_fb_get_u8(&ld->fb, tt, 5, 0, &is_variable) < 0 ||
      es_fb_get_u32(&ld->fb, tt, 2, 0, &buffer) < 0 || (rq = es_fb_get_table(&ld->fb, tt, 4, &quant)) < 0 ||
      (rs = es_fb_get_table(&ld->fb, tt, 6, &sparsity)) < 0)
    return malformed(m, "tensor", index);
  if (rs > 0) return es_model_fail(m, ES_ERR_UNSUPPORTED, "tensor %d: sparse tensors are not supported", index);
  if (shape.count > ES_MAX_DIMS)
    return es_model_fail(m, ES_ERR_UNSUPPORTED, "tensor %d: rank %u not supported (max %d)", index, (unsigned)shape.count,
                         ES_MAX_DIMS);
  uint32_t elem = dtype_size(type);
  if (elem == 0)
    return es_model_fail(m, ES_ERR_UNSUPPORTED, "tensor %d: tensor type %s (%u) not supported", index, dtype_name(type),
                         (unsigned)type);
  /* The product of all dims (zeros counted as 1) bounds every partial
   * product an op may form, so keeping it within int32 rules out overflow. */
  uint64_t bound = 1, elements = 1;
  for (uint32_t d = 0; d < shape.count; ++d) {
    int32_t dim = es_fb_i32(&ld->fb, shape.pos + 4u * d);
    if (dim < 0)
      return es_model_fail(m, ES_ERR_UNSUPPORTED, "tensor %d: dimension %u is %d (dynamic shapes are not supported)", index,
                           (unsigned)d, dim);
    bound *= dim > 0 ? (uint64_t)dim : 1u;
    elements *= (uint64_t)dim;
    if (bound * elem > 0x7FFFFFFFu)
      return es_model_fail(m, ES_ERR_UNSUPPORTED, "tensor %d: shape too large (over 2 GiB)", index);
    t->dims[d] = dim;
  }
  t->rank = (uint8_t)shape.count;
  t->type = type;
  t->is_variable = is_variable != 0;
  t->bytes = (size_t)(elements * elem);
  const uint8_t *data;
  size_t size;
  es_status s = buffer_bytes(ld, index, buffer, &data, &size);
  if (s != ES_OK) return s;
  if (data != NULL && !t->is_variable) { /* a variable's initial buffer is ignored, as in TFLM */
    if (size != t->bytes)
      return es_model_fail(m, ES_ERR_MODEL_FORMAT, "tensor %d: buffer %u has %z bytes, shape needs %z", index,
                           (unsigned)buffer, size, t->bytes);
    /* Constant data stays in the (read-only) model buffer. */
    t->data = (void *)(uintptr_t)data;
    t->is_constant = 1;
  }
  if (rq > 0) return parse_quantization(ld, index, &quant, t);
  return ES_OK;
}

/* Which BuiltinOptions type a builtin operator's options must have (the
 * pairing TFLM's flatbuffer_conversions uses), for the common builtins; 0 =
 * not listed, any type accepted.  A mismatch means a damaged model: reading
 * Pool2DOptions fields as Conv2DOptions would silently give wrong strides. */
static uint8_t expected_options_type(int32_t builtin) {
  static const uint8_t pairs[][2] = {
      {3, 1},  /* CONV_2D: Conv2DOptions */          {4, 2},  /* DEPTHWISE_CONV_2D: DepthwiseConv2DOptions */
      {1, 5},  /* AVERAGE_POOL_2D: Pool2DOptions */  {17, 5}, /* MAX_POOL_2D: Pool2DOptions */
      {12, 5}, /* L2_POOL_2D: Pool2DOptions */       {9, 8},  /* FULLY_CONNECTED: FullyConnectedOptions */
      {25, 9}, /* SOFTMAX: SoftmaxOptions */         {2, 10}, /* CONCATENATION: ConcatenationOptions */
      {0, 11}, /* ADD: AddOptions */                 {22, 17}, /* RESHAPE: ReshapeOptions */
      {18, 21}, /* MUL: MulOptions */                {40, 27}, /* MEAN: ReducerOptions */
      {74, 27}, /* SUM: ReducerOptions */            {82, 27}, /* REDUCE_MAX: ReducerOptions */
      {41, 28}, /* SUB: SubOptions */                {42, 29}, /* DIV: DivOptions */
  };
  for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; ++i)
    if (pairs[i][0] == builtin) return pairs[i][1];
  return 0;
}

/* Checks every field of a builtin options table an op can read, so the
 * accessors in interpreter.c only need the vtable lookup. */
static es_status check_options(loader *ld, int32_t index, uint8_t type, const es_fb_table *opts) {
  const char *layout = es_schema_option_layout(type);
  if (layout == NULL)
    return es_model_fail(ld->model, ES_ERR_MODEL_FORMAT, "operator %d: unknown builtin options type %u", index, (unsigned)type);
  for (int id = 0; layout[id] != '\0'; ++id) {
    uint32_t pos, width = 0;
    es_fb_vector v;
    switch (layout[id]) {
      case 'b': case 'B': width = 1; break;
      case 'h': case 'H': width = 2; break;
      case 'i': case 'I': case 'f': width = 4; break;
      case 'q': case 'Q': case 'd': width = 8; break;
      case 'v':
        if (es_fb_get_vector(&ld->fb, opts, id, 4, &v) < 0) return malformed(ld->model, "operator", index);
        continue;
      default: continue; /* strings, tables and other vectors are never read */
    }
    if (es_fb_field(&ld->fb, opts, id, width, &pos) < 0) return malformed(ld->model, "operator", index);
  }
  return ES_OK;
}

/* Finds the kernel for an operator code, or explains why there is none. */
static es_status resolve_op(loader *ld, const es_op_set *ops, int32_t index, uint32_t opcode_index, es_node *node) {
  es_model *m = ld->model;
  es_fb_table code;
  int8_t deprecated;
  int32_t builtin, version;
  es_fb_vector custom;
  if (opcode_index >= ld->opcodes.count)
    return es_model_fail(m, ES_ERR_MODEL_FORMAT, "operator %d: opcode index %u out of range (model has %u operator codes)",
                         index, (unsigned)opcode_index, (unsigned)ld->opcodes.count);
  if (es_fb_vector_table(&ld->fb, &ld->opcodes, opcode_index, &code) < 0 ||
      es_fb_get_i8(&ld->fb, &code, 0, 0, &deprecated) < 0 || es_fb_get_string(&ld->fb, &code, 1, &custom) < 0 ||
      es_fb_get_i32(&ld->fb, &code, 2, 1, &version) < 0 || es_fb_get_i32(&ld->fb, &code, 3, 0, &builtin) < 0)
    return es_model_fail(m, ES_ERR_MODEL_FORMAT, "operator code %u: malformed flatbuffer (offset or length out of bounds)",
                         (unsigned)opcode_index);
  /* Schema 3.x moved the code from an int8 to an int32 field; writers fill
   * one or both, so the larger is the real one (as TFLM does). */
  if (deprecated > builtin) builtin = deprecated;
  const char *custom_name = (const char *)ld->fb.data + custom.pos;
  int custom_length = (int)(custom.count > 64 ? 64 : custom.count);
  const es_op *found = NULL;
  for (int32_t i = 0; i < ops->count && found == NULL; ++i) {
    const es_op *op = ops->ops[i];
    if (op->builtin_code != builtin) continue;
    if (builtin == ES_SCHEMA_CUSTOM &&
        (strlen(op->name) != custom.count || memcmp(op->name, custom_name, custom.count) != 0))
      continue;
    found = op;
  }
  if (found == NULL) {
    if (builtin == ES_SCHEMA_CUSTOM)
      return es_model_fail(m, ES_ERR_UNSUPPORTED_OP, "operator %d: unsupported op CUSTOM '%.*s'", index, custom_length,
                           custom_name);
    return es_model_fail(m, ES_ERR_UNSUPPORTED_OP, "operator %d: unsupported op %s version %d", index,
                         es_schema_op_name(builtin), version);
  }
  if (version < 1 || version > found->max_version || version > 255)
    return es_model_fail(m, ES_ERR_UNSUPPORTED_OP, "operator %d: %s version %d not supported (max %d)", index, found->name,
                         version, found->max_version);
  node->op = found;
  node->version = (uint8_t)version; /* 1..max_version, checked above */
  return ES_OK;
}

static es_status parse_operator(loader *ld, const es_op_set *ops, int32_t index, const es_fb_table *ot) {
  es_model *m = ld->model;
  es_node *node = &m->nodes[index];
  uint32_t opcode_index;
  es_fb_vector inputs, outputs;
  uint8_t options_type;
  es_fb_table options;
  int ro;
  if (es_fb_get_u32(&ld->fb, ot, 0, 0, &opcode_index) < 0 || es_fb_get_vector(&ld->fb, ot, 1, 4, &inputs) < 0 ||
      es_fb_get_vector(&ld->fb, ot, 2, 4, &outputs) < 0 || es_fb_get_u8(&ld->fb, ot, 3, 0, &options_type) < 0 ||
      (ro = es_fb_get_table(&ld->fb, ot, 4, &options)) < 0)
    return malformed(m, "operator", index);
  es_status s = resolve_op(ld, ops, index, opcode_index, node);
  if (s != ES_OK) return s;
  if (inputs.count > ES_MODEL_MAX_NODE_TENSORS || outputs.count > ES_MODEL_MAX_NODE_TENSORS)
    return es_model_fail(m, ES_ERR_UNSUPPORTED, "operator %d: too many inputs or outputs (%u, %u)", index,
                         (unsigned)inputs.count, (unsigned)outputs.count);
  if (outputs.count == 0) return es_model_fail(m, ES_ERR_MODEL_FORMAT, "operator %d (%s): no outputs", index, node->op->name);
  int16_t *io = es_arena_alloc_persistent(m, sizeof(int16_t) * (inputs.count + outputs.count));
  if (io == NULL) return ES_ERR_ARENA_TOO_SMALL;
  node->io = io;
  node->input_count = (uint8_t)inputs.count;
  node->output_count = (uint8_t)outputs.count;
  if ((s = read_indices(ld, &inputs, io, 1, "operator", index)) != ES_OK) return s;
  if ((s = read_indices(ld, &outputs, io + inputs.count, 0, "operator", index)) != ES_OK) return s;
  for (uint32_t i = 0; i < outputs.count; ++i) {
    /* Kernels assume outputs never alias their own inputs. */
    for (uint32_t k = 0; k < inputs.count; ++k)
      if (io[k] == io[inputs.count + i])
        return es_model_fail(m, ES_ERR_MODEL_FORMAT, "operator %d (%s): tensor %d is both an input and an output", index,
                             node->op->name, io[k]);
    es_tensor *t = &m->tensors[io[inputs.count + i]];
    const char *why = t->is_constant ? "a constant" : (t->reserved & GRAPH_INPUT) ? "a model input"
                    : (t->reserved & PRODUCED) ? "already written by another operator" : NULL;
    if (why != NULL)
      return es_model_fail(m, ES_ERR_MODEL_FORMAT, "operator %d (%s): output tensor %d is %s", index, node->op->name,
                           io[inputs.count + i], why);
    t->reserved |= PRODUCED;
  }
  if (options_type != 0 && ro > 0) {
    uint8_t expected = expected_options_type(node->op->builtin_code);
    if (expected != 0 && options_type != expected)
      return es_model_fail(m, ES_ERR_MODEL_FORMAT, "operator %d (%s): builtin options of type %u, expected type %u", index,
                           node->op->name, (unsigned)options_type, (unsigned)expected);
    if ((s = check_options(ld, index, options_type, &options)) != ES_OK) return s;
    node->options = options.pos;
    node->options_type = options_type;
  }
  return ES_OK;
}

static es_status read_graph_io(loader *ld, const es_fb_vector *v, const int16_t **out, int32_t *count, const char *what) {
  es_model *m = ld->model;
  if (v->count > ES_MODEL_MAX_TENSORS) return es_model_fail(m, ES_ERR_MODEL_FORMAT, "too many subgraph %ss", what);
  int16_t *idx = es_arena_alloc_persistent(m, sizeof(int16_t) * (v->count ? v->count : 1));
  if (idx == NULL) return ES_ERR_ARENA_TOO_SMALL;
  es_status s = read_indices(ld, v, idx, 0, what, 0);
  if (s != ES_OK) return s;
  *out = idx;
  *count = (int32_t)v->count;
  return ES_OK;
}

/* Buffers and operator codes are checked even when no tensor or operator
 * uses them, so a damaged file is reported whatever part is damaged. */
static es_status check_tables(loader *ld) {
  es_fb_table t;
  es_fb_vector v;
  uint64_t u;
  int32_t i32;
  for (uint32_t i = 0; i < ld->buffers.count; ++i)
    if (es_fb_vector_table(&ld->fb, &ld->buffers, i, &t) < 0 || es_fb_get_vector(&ld->fb, &t, 0, 1, &v) < 0 ||
        es_fb_get_u64(&ld->fb, &t, 1, 0, &u) < 0 || es_fb_get_u64(&ld->fb, &t, 2, 0, &u) < 0)
      return es_model_fail(ld->model, ES_ERR_MODEL_FORMAT, "buffer %u: malformed flatbuffer (offset or length out of bounds)",
                           (unsigned)i);
  for (uint32_t i = 0; i < ld->opcodes.count; ++i)
    if (es_fb_vector_table(&ld->fb, &ld->opcodes, i, &t) < 0 || es_fb_get_string(&ld->fb, &t, 1, &v) < 0 ||
        es_fb_get_i32(&ld->fb, &t, 2, 1, &i32) < 0 || es_fb_get_i32(&ld->fb, &t, 3, 0, &i32) < 0)
      return es_model_fail(ld->model, ES_ERR_MODEL_FORMAT,
                           "operator code %u: malformed flatbuffer (offset or length out of bounds)", (unsigned)i);
  return ES_OK;
}

es_status es_model_parse(es_model *m, const es_op_set *ops) {
  loader ld;
  es_fb_table root, subgraph, item;
  es_fb_vector subgraphs, tensors, operators, inputs, outputs;
  uint32_t version;
  es_status s;
  memset(&ld, 0, sizeof ld);
  ld.model = m;
  ld.fb.data = m->data;
  ld.fb.size = (uint32_t)m->size;
  if (m->size < 8) return es_model_fail(m, ES_ERR_MODEL_FORMAT, "truncated model: %z bytes", m->size);
  if (memcmp(m->data + 4, "TFL3", 4) != 0) {
    const char *id = (const char *)m->data + 4;
    return es_model_fail(m, ES_ERR_MODEL_FORMAT, "not a TFLite model: file identifier is '%.*s', expected 'TFL3'", 4, id);
  }
  if (es_fb_root(&ld.fb, "TFL3", &root) < 0) return malformed(m, "model root", -1);
  if (es_fb_get_u32(&ld.fb, &root, 0, 0, &version) < 0 || es_fb_get_vector(&ld.fb, &root, 1, 4, &ld.opcodes) < 0 ||
      es_fb_get_vector(&ld.fb, &root, 2, 4, &subgraphs) < 0 || es_fb_get_vector(&ld.fb, &root, 4, 4, &ld.buffers) < 0)
    return malformed(m, "model root", -1);
  if (version != ES_SCHEMA_VERSION)
    return es_model_fail(m, ES_ERR_UNSUPPORTED, "schema version %u not supported (expected %u)", (unsigned)version,
                         ES_SCHEMA_VERSION);
  if (subgraphs.count == 0) return es_model_fail(m, ES_ERR_MODEL_FORMAT, "model has no subgraph");
  if ((s = check_tables(&ld)) != ES_OK) return s;
  if (es_fb_vector_table(&ld.fb, &subgraphs, 0, &subgraph) < 0 || es_fb_get_vector(&ld.fb, &subgraph, 0, 4, &tensors) < 0 ||
      es_fb_get_vector(&ld.fb, &subgraph, 1, 4, &inputs) < 0 || es_fb_get_vector(&ld.fb, &subgraph, 2, 4, &outputs) < 0 ||
      es_fb_get_vector(&ld.fb, &subgraph, 3, 4, &operators) < 0)
    return malformed(m, "subgraph", 0);
  if (tensors.count > ES_MODEL_MAX_TENSORS)
    return es_model_fail(m, ES_ERR_UNSUPPORTED, "%u tensors, more than this runtime supports (%d)", (unsigned)tensors.count,
                         ES_MODEL_MAX_TENSORS);
  if (operators.count > ES_MODEL_MAX_OPERATORS)
    return es_model_fail(m, ES_ERR_UNSUPPORTED, "%u operators, more than this runtime supports (%d)",
                         (unsigned)operators.count, ES_MODEL_MAX_OPERATORS);
  m->tensor_table_vector = tensors.pos;
  m->tensor_count = (int32_t)tensors.count;
  m->node_count = (int32_t)operators.count;
  /* +1: never ask for zero bytes, so NULL always means "arena full". */
  m->tensors = es_arena_alloc_persistent(m, sizeof(es_tensor) * tensors.count + 1);
  m->nodes = es_arena_alloc_persistent(m, sizeof(es_node) * operators.count + 1);
  if (m->tensors == NULL || m->nodes == NULL) return ES_ERR_ARENA_TOO_SMALL;
  memset(m->tensors, 0, sizeof(es_tensor) * tensors.count);
  memset(m->nodes, 0, sizeof(es_node) * operators.count);

  for (uint32_t i = 0; i < tensors.count; ++i) {
    if (es_fb_vector_table(&ld.fb, &tensors, i, &item) < 0) return malformed(m, "tensor", (int32_t)i);
    if ((s = parse_tensor(&ld, (int32_t)i, &item)) != ES_OK) return s;
  }
  if ((s = read_graph_io(&ld, &inputs, &m->inputs, &m->input_count, "input")) != ES_OK) return s;
  if ((s = read_graph_io(&ld, &outputs, &m->outputs, &m->output_count, "output")) != ES_OK) return s;
  for (int32_t i = 0; i < m->input_count; ++i) {
    es_tensor *t = &m->tensors[m->inputs[i]];
    if (t->is_constant)
      return es_model_fail(m, ES_ERR_MODEL_FORMAT, "model input %d (tensor %d) is a constant", i, m->inputs[i]);
    t->reserved |= GRAPH_INPUT;
  }
  for (uint32_t i = 0; i < operators.count; ++i) {
    if (es_fb_vector_table(&ld.fb, &operators, i, &item) < 0) return malformed(m, "operator", (int32_t)i);
    if ((s = parse_operator(&ld, ops, (int32_t)i, &item)) != ES_OK) return s;
  }
  for (int32_t i = 0; i < m->tensor_count; ++i) m->tensors[i].reserved = 0;
  return ES_OK;
}

es_status es_model_tensor_name(const es_model *m, int32_t i, const char **name, size_t *length) {
  es_fb fb;
  es_fb_vector tensors, str;
  es_fb_table t;
  if (m == NULL || !m->ready || i < 0 || i >= m->tensor_count || name == NULL || length == NULL) return ES_ERR_ARGUMENT;
  fb.data = m->data;
  fb.size = (uint32_t)m->size;
  tensors.pos = m->tensor_table_vector;
  tensors.count = (uint32_t)m->tensor_count;
  /* Validated at load except the name field, which is checked here. */
  if (es_fb_vector_table(&fb, &tensors, (uint32_t)i, &t) < 0 || es_fb_get_string(&fb, &t, 3, &str) < 0)
    return ES_ERR_MODEL_FORMAT;
  *name = (const char *)m->data + str.pos;
  *length = str.count;
  return ES_OK;
}
