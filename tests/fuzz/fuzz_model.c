/* libFuzzer target for the model runtime: any byte string must load and run,
 * or fail with a status and a detail line, without reading or writing outside
 * the model buffer and the exactly sized arena.  Built and run for a bounded
 * time by tests/test_model_robustness.py (clang -fsanitize=fuzzer,address,undefined),
 * seeded with the shared models:
 *
 *   ./fuzz_model -max_total_time=20 corpus_dir/
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "edgesim/model.h"
#include "edgesim/ops.h"

#define WORK_SIZE (4u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static uint8_t *work; /* reused scratch for the sizing pass (test code only) */
  es_model model;
  size_t required = 0;
  if (work == NULL) work = malloc(WORK_SIZE);
  es_status s = es_model_arena_required(&model, &es_all_ops, data, size, work, WORK_SIZE, &required);
  if (s != ES_OK) {
    if (model.error.detail[0] == '\0' || model.error.status != s) abort(); /* an error must explain itself */
    return 0;
  }
  uint8_t *arena = malloc(required);
  if (es_model_load(&model, &es_all_ops, data, size, arena, required) != ES_OK) abort(); /* sizing must be exact */
  for (int32_t i = 0; i < model.input_count; ++i) {
    es_tensor *t = es_model_input(&model, i);
    memset(t->data, (int)(size & 0xFF), t->bytes);
  }
  s = es_model_invoke(&model);
  if (s != ES_OK && model.error.detail[0] == '\0') abort();
  free(arena);
  return 0;
}
