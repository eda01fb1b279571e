// Branch weights that move inline-bool-flag's stores out of the hot path (flag_layout.cpp).
#ifndef MEMCOV_PASS_FLAG_LAYOUT_H
#define MEMCOV_PASS_FLAG_LAYOUT_H

#include "llvm/IR/PassManager.h"

namespace memcov {

struct FlagLayoutPass : llvm::PassInfoMixin<FlagLayoutPass> {
  llvm::PreservedAnalyses run(llvm::Module &M, llvm::ModuleAnalysisManager &);
  // Run on optnone functions too, so that every check carries the weights (code generation
  // at -O0 and for optnone functions does not use them).
  static bool isRequired() { return true; }
};

} // namespace memcov

#endif
