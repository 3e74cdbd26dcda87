/* Exact instruction counts per firmware stage: a QEMU TCG plugin (QEMU 7.2
 * plugin API, version 1).
 *
 * Every translated block adds its instruction count to one counter (inline,
 * no helper call).  The firmware calls one marker function per stage
 * boundary (board_mark_stage -> es_mark_preprocess/invoke/postprocess/idle/
 * report, firmware/cortex_m4.c); the plugin watches their first instruction,
 * charges the instructions since the previous mark to the stage that was
 * running, and at each "report" mark writes one line
 *     <preprocess> <invoke> <postprocess>
 * to the output file, then starts over.  At exit it writes "total <n>".
 *
 * Optional sixth mark (es_mark_op, the model runner's per-operator
 * boundary, firmware/model_runner/model_main.c): each hit closes the
 * operator running since the previous op mark and opens the next; any stage
 * mark closes it too.  Before the stage line, a report then writes
 *     ops <n0> <n1> ...
 * the instructions of each operator of that inference, in order.
 *
 * Usage (edgesim/mcu/qemu.py builds and passes this):
 *   qemu-system-arm ... -plugin insn_count.so,marks=A0:A1:A2:A3:A4[:A5],out=FILE
 * where A0..A4 are the hex addresses of es_mark_preprocess, es_mark_invoke,
 * es_mark_postprocess, es_mark_idle, es_mark_report and A5 of es_mark_op.
 *
 * Debian ships no qemu-plugin.h, so the few API entries used are declared
 * here from the documented plugin API (include/qemu/qemu-plugin.h, v7.2).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef uint64_t qemu_plugin_id_t;
typedef struct qemu_info_t qemu_info_t;
struct qemu_plugin_tb;
struct qemu_plugin_insn;
enum qemu_plugin_cb_flags { QEMU_PLUGIN_CB_NO_REGS = 0 };
enum qemu_plugin_op { QEMU_PLUGIN_INLINE_ADD_U64 = 0 };
typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);
typedef void (*qemu_plugin_vcpu_udata_cb_t)(unsigned int vcpu_index, void *userdata);
typedef void (*qemu_plugin_udata_cb_t)(qemu_plugin_id_t id, void *userdata);

void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id, qemu_plugin_vcpu_tb_trans_cb_t cb);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb, size_t idx);
uint64_t qemu_plugin_insn_vaddr(const struct qemu_plugin_insn *insn);
void qemu_plugin_register_vcpu_tb_exec_inline(struct qemu_plugin_tb *tb, enum qemu_plugin_op op, void *ptr,
                                              uint64_t imm);
void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn *insn, qemu_plugin_vcpu_udata_cb_t cb,
                                            enum qemu_plugin_cb_flags flags, void *userdata);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, qemu_plugin_udata_cb_t cb, void *userdata);

#define EXPORT __attribute__((visibility("default")))
EXPORT int qemu_plugin_version = 1;

enum { MARK_PREPROCESS, MARK_INVOKE, MARK_POSTPROCESS, MARK_IDLE, MARK_REPORT, MARK_OP, MARK_COUNT, STAGES = 3 };
#define MAX_OPS 4096

static uint64_t marks[MARK_COUNT];
static uint64_t executed;        /* instructions so far (single vCPU) */
static uint64_t last_mark_count; /* `executed` at the previous mark */
static int current = MARK_IDLE;
static uint64_t stage_total[STAGES];
static FILE *out;
static uint64_t op_counts[MAX_OPS]; /* operators of the current inference */
static int op_count;
static int op_open;                 /* an operator runs since op_mark_count */
static uint64_t op_mark_count;

static void close_op(void) {
  if (op_open && op_count < MAX_OPS) op_counts[op_count++] = executed - op_mark_count;
  op_open = 0;
}

static void on_mark(unsigned int vcpu_index, void *userdata) {
  (void)vcpu_index;
  int mark = (int)(uintptr_t)userdata;
  close_op();
  if (mark == MARK_OP) {
    op_open = 1;
    op_mark_count = executed;
    return;
  }
  if (current < STAGES) stage_total[current] += executed - last_mark_count;
  last_mark_count = executed;
  if (mark == MARK_REPORT) {
    if (op_count > 0) {
      fputs("ops", out);
      for (int i = 0; i < op_count; ++i) fprintf(out, " %" PRIu64, op_counts[i]);
      fputc('\n', out);
      op_count = 0;
    }
    fprintf(out, "%" PRIu64 " %" PRIu64 " %" PRIu64 "\n", stage_total[0], stage_total[1], stage_total[2]);
    memset(stage_total, 0, sizeof stage_total);
  }
  current = mark;
}

static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb) {
  (void)id;
  size_t n = qemu_plugin_tb_n_insns(tb);
  qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &executed, n);
  for (size_t i = 0; i < n; ++i) {
    struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
    uint64_t vaddr = qemu_plugin_insn_vaddr(insn);
    for (int m = 0; m < MARK_COUNT; ++m)
      if (marks[m] == vaddr)
        qemu_plugin_register_vcpu_insn_exec_cb(insn, on_mark, QEMU_PLUGIN_CB_NO_REGS, (void *)(uintptr_t)m);
  }
}

static void on_qemu_exit(qemu_plugin_id_t id, void *userdata) {
  (void)id;
  (void)userdata;
  fprintf(out, "total %" PRIu64 "\n", executed);
  fclose(out);
}

EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc, char **argv) {
  (void)info;
  const char *path = NULL;
  int have_marks = 0;
  for (int i = 0; i < argc; ++i) {
    if (strncmp(argv[i], "out=", 4) == 0) path = argv[i] + 4;
    if (strncmp(argv[i], "marks=", 6) == 0) {
      char *p = argv[i] + 6;
      int m = 0;
      for (; m < MARK_COUNT && *p != '\0'; ++m) {
        marks[m] = strtoull(p, &p, 16) & ~(uint64_t)1; /* Thumb bit off */
        if (*p == ':') ++p;
      }
      for (int rest = m; rest < MARK_COUNT; ++rest) marks[rest] = UINT64_MAX; /* optional marks: never hit */
      have_marks = m >= MARK_OP;
    }
  }
  if (path == NULL || !have_marks) {
    fprintf(stderr, "insn_count: needs marks=A0:A1:A2:A3:A4[:A5] and out=FILE\n");
    return -1;
  }
  out = fopen(path, "w");
  if (out == NULL) {
    fprintf(stderr, "insn_count: cannot write %s\n", path);
    return -1;
  }
  qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
  qemu_plugin_register_atexit_cb(id, on_qemu_exit, NULL);
  return 0;
}
