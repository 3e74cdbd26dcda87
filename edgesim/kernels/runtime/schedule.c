/* Operator-at-a-time invoke and compiled schedules (edgesim/schedule.h). */
#include "edgesim/schedule.h"

#include <string.h>

#include "runtime_internal.h"

es_status es_model_invoke_node(es_model *m, int32_t i) {
  if (m == NULL) return ES_ERR_ARGUMENT;
  if (!m->ready) return es_model_fail(m, ES_ERR_STATE, "model is not loaded");
  if (i < 0 || i >= m->node_count) return es_model_fail(m, ES_ERR_ARGUMENT, "operator %d does not exist", i);
  es_node *node = &m->nodes[i];
  es_op_context ctx = {m, node, i, 0};
  es_status s = node->op->invoke(&ctx);
  if (s != ES_OK && m->error.status != s) es_model_fail(m, s, "operator %d (%s): %s", i, node->op->name, es_status_str(s));
  return s;
}

static es_status check_steps(es_model *m, const es_compiled_model *c) {
  if (c->node_count != m->node_count)
    return es_model_fail(m, ES_ERR_MODEL_FORMAT, "compiled schedule has %d operators, the model %d", c->node_count,
                         m->node_count);
  for (int32_t i = 0; i < m->node_count; ++i)
    if (c->steps[i].builtin_code != m->nodes[i].op->builtin_code)
      return es_model_fail(m, ES_ERR_MODEL_FORMAT, "compiled schedule step %d is not the model's operator %s", i,
                           m->nodes[i].op->name);
  return ES_OK;
}

es_status es_compiled_check(es_model *m, const es_compiled_model *c) {
  if (m == NULL || c == NULL) return ES_ERR_ARGUMENT;
  if (!m->ready) return es_model_fail(m, ES_ERR_STATE, "model is not loaded");
  return check_steps(m, c);
}

/* Before planning: each compiled step's work memory becomes its node's
 * scratch (the larger of it and the interpreter kernel's own request, which
 * the step falls back to when its output overlaps its input). */
static es_status add_work(es_model *m, const void *context) {
  const es_compiled_model *c = (const es_compiled_model *)context;
  es_status s = check_steps(m, c);
  if (s != ES_OK) return s;
  for (int32_t i = 0; i < m->node_count; ++i)
    if (c->steps[i].run != NULL && c->steps[i].work_bytes > m->nodes[i].scratch_bytes)
      m->nodes[i].scratch_bytes = c->steps[i].work_bytes;
  return ES_OK;
}

es_status es_compiled_load(es_model *m, const es_op_set *ops, const uint8_t *data, size_t size, void *arena,
                           size_t arena_size, const es_compiled_model *c) {
  if (m != NULL && c == NULL) {
    memset(m, 0, sizeof *m);
    return es_model_fail(m, ES_ERR_ARGUMENT, "compiled schedule pointer is NULL");
  }
  return es_model_load_with(m, ops, data, size, arena, arena_size, add_work, c);
}

es_status es_compiled_invoke_node(es_model *m, const es_compiled_model *c, int32_t i) {
  const es_compiled_step *step = &c->steps[i];
  if (step->run == NULL) return es_model_invoke_node(m, i);
  const es_node *node = &m->nodes[i];
  const es_tensor *input = &m->tensors[node->io[0]];
  es_tensor *output = &m->tensors[node->io[node->input_count]];
  const uint8_t *in = (const uint8_t *)input->data, *out = (const uint8_t *)output->data;
  if (!step->overlap_safe && in < out + output->bytes && out < in + input->bytes) return es_model_invoke_node(m, i);
  if (node->scratch_bytes < step->work_bytes)
    return es_model_fail(m, ES_ERR_ARENA_TOO_SMALL, "compiled operator %d (%s) has %u of its %u B of work memory: "
                         "load the model with es_compiled_load()", i, node->op->name, (unsigned)node->scratch_bytes,
                         (unsigned)step->work_bytes);
  es_status s = step->run(step->params, (const int8_t *)input->data, (int8_t *)output->data, node->scratch,
                          node->scratch_bytes);
  if (s != ES_OK) es_model_fail(m, s, "compiled operator %d (%s): %s", i, node->op->name, es_status_str(s));
  return s;
}

es_status es_compiled_invoke(es_model *m, const es_compiled_model *c) {
  m->error.status = ES_OK;
  for (int32_t i = 0; i < c->node_count; ++i) {
    es_status s = es_compiled_invoke_node(m, c, i);
    if (s != ES_OK) return s;
  }
  return ES_OK;
}
