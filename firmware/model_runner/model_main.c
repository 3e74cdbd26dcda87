/* The model runner: one embedded model, raw tensors in, raw tensors out,
 * exact instructions per operator.  No app, no preprocessing: what
 * `edgesim profile MODEL`, the compiled-vs-interpreter tests and the MLPerf
 * Tiny benchmark run on the emulated Cortex-M4.
 *
 * Byte stream on the board link (the semihosting bulk files under QEMU):
 *   out, once:  "ESMR", then u32 status, arena_used, operator count, input
 *               bytes (all inputs), output bytes (all outputs), compiled
 *               steps (0 = interpreter only), the arena's persistent bytes
 *               (records, op data) and activation bytes (planned tensors and
 *               scratch), then a 112-byte error detail
 *   in:         the model inputs, concatenated, once per inference
 *   out:        per inference, the outputs concatenated, then u32 status and
 *               u32 stack high-water mark (bytes, since reset)
 * The runner exits at the end of the input.  Each operator is bracketed by
 * board_mark_op() for the counting plugin (firmware/tools/insn_count.c).
 * model_config.h (generated) sets FW_ARENA_BYTES and FW_COMPILED; with
 * FW_COMPILED the generated schedule `es_compiled` runs the model.
 */
#include <string.h>

#include "board.h"
#include "edgesim/model.h"
#include "edgesim/ops.h"
#include "edgesim/protocol.h"
#include "edgesim/schedule.h"
#include "model_config.h"

extern const uint8_t es_model_data[];
extern const uint8_t es_model_end[];
#if FW_COMPILED
extern const es_compiled_model es_compiled;
#endif

__attribute__((section(".arena"), aligned(16))) uint8_t es_arena[FW_ARENA_BYTES];

static es_model model;

static int read_exact(uint8_t *data, size_t n) {
  size_t got = 0;
  while (got < n) {
    size_t k = board_link_read(data + got, n - got, 0);
    if (k == 0 || k == BOARD_LINK_IDLE) return 0;
    got += k;
  }
  return 1;
}

static void write_u32(uint32_t v) {
  uint8_t b[4];
  es_put_u32(b, v);
  board_link_write(b, 4);
}

static size_t io_bytes(int inputs) {
  size_t total = 0;
  int32_t n = inputs ? model.input_count : model.output_count;
  for (int32_t i = 0; i < n; ++i) total += (inputs ? es_model_input(&model, i) : es_model_output(&model, i))->bytes;
  return total;
}

static es_status invoke_node(int32_t i) {
#if FW_COMPILED
  return es_compiled_invoke_node(&model, &es_compiled, i);
#else
  return es_model_invoke_node(&model, i);
#endif
}

static es_status invoke(void) {
  model.error.status = ES_OK;
  board_mark_stage(ES_PROTO_STAGE_INVOKE);
  es_status status = ES_OK;
  for (int32_t i = 0; i < model.node_count && status == ES_OK; ++i) {
    board_mark_op();
    status = invoke_node(i);
  }
  board_mark_stage(BOARD_MARK_IDLE);
  return status;
}

int main(void) {
  board_init();
  uint32_t compiled_steps = 0;
#if FW_COMPILED
  es_status status = es_compiled_load(&model, &es_all_ops, es_model_data, (size_t)(es_model_end - es_model_data),
                                      es_arena, sizeof es_arena, &es_compiled);
#else
  es_status status = es_model_load(&model, &es_all_ops, es_model_data, (size_t)(es_model_end - es_model_data),
                                   es_arena, sizeof es_arena);
#endif
#if FW_COMPILED
  for (int32_t i = 0; status == ES_OK && i < es_compiled.node_count; ++i) compiled_steps += es_compiled.steps[i].run != 0;
#endif
  board_link_write((const uint8_t *)"ESMR", 4);
  write_u32((uint32_t)status);
  write_u32((uint32_t)model.arena_used);
  write_u32(status == ES_OK ? (uint32_t)model.node_count : 0);
  write_u32(status == ES_OK ? (uint32_t)io_bytes(1) : 0);
  write_u32(status == ES_OK ? (uint32_t)io_bytes(0) : 0);
  write_u32(compiled_steps);
  write_u32(status == ES_OK ? (uint32_t)model.persistent_bytes : 0);
  write_u32(status == ES_OK ? (uint32_t)model.activation_bytes : 0);
  char detail[ES_MODEL_ERROR_SIZE] = {0};
  if (status != ES_OK) strncpy(detail, model.error.detail, sizeof detail - 1);
  board_link_write((const uint8_t *)detail, sizeof detail);
  if (status != ES_OK) return ES_PROTO_EXIT_ERROR;

  for (;;) {
    for (int32_t i = 0; i < model.input_count; ++i) {
      es_tensor *input = es_model_input(&model, i);
      if (!read_exact((uint8_t *)input->data, input->bytes)) return ES_PROTO_EXIT_OK;
    }
    status = invoke();
    for (int32_t i = 0; i < model.output_count; ++i) {
      const es_tensor *output = es_model_output(&model, i);
      board_link_write((const uint8_t *)output->data, output->bytes);
    }
    write_u32((uint32_t)status);
    write_u32(board_stack_high_water());
    board_mark_stage(BOARD_MARK_REPORT);
  }
}
