/*
 * coverage.h - the library side of kvet_coverage (kvet/kvet.h).
 */
#ifndef KV_COVERAGE_H
#define KV_COVERAGE_H

#include <stdint.h>

#include "kvet/kvet.h"
#include "program.h"

/* Bits the VM sets in a branch instruction's byte; a require/forbid check
 * (KV_OPF_CHECK) that passes also notes whether its value was absent. */
enum { KV_COV_FALLTHROUGH = 1, KV_COV_JUMPED = 2, KV_COV_ABSENT = 4, KV_COV_PRESENT = 8 };

/* The per-instruction bytes to mark during a run of `pack`, or NULL when
 * there is no coverage or it was made for another pack. */
uint8_t *kv_coverage_hits(kvet_coverage *c, const kvet_pack *pack);
/* Add a finished run's rule and derive counts. */
void kv_coverage_add(kvet_coverage *c, const kvet_pack *pack, const kvet_result *res);

#endif
