// inline-8bit-counters' increments rewritten so that a counter never wraps to 0
// (counter_increment.cpp).
#ifndef MEMCOV_PASS_COUNTER_INCREMENT_H
#define MEMCOV_PASS_COUNTER_INCREMENT_H

#include "llvm/IR/PassManager.h"

namespace memcov {

struct CounterIncrementPass : llvm::PassInfoMixin<CounterIncrementPass> {
  llvm::PreservedAnalyses run(llvm::Module &M, llvm::ModuleAnalysisManager &);
  // Required: a counter of an optnone function must not wrap either.
  static bool isRequired() { return true; }
};

} // namespace memcov

#endif
