// The counter rewrite of libmemcov_pass.so: inline-8bit-counters' increments never wrap to 0.
//
// At each edge clang's SanitizerCoverage emits `counter[i] = counter[i] + 1` on a byte, which
// reads as "never hit" after 256 hits; clang 14 has no option against it. The pass rewrites each
// such increment as AFL++'s NeverZero does, with no branch: a counter once hit stays non-zero,
// and every hit changes it (a region reset relies on both: docs/region-format.md, "Lanes").
#include "counter_increment.h"

#include "llvm/IR/Constants.h"
#include "llvm/IR/GlobalVariable.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/Instructions.h"
#include "llvm/IR/Module.h"

#include <vector>

using namespace llvm;

namespace memcov {
namespace {

// The section clang's inline-8bit-counters puts every module's counters in.
constexpr const char *CounterSection = "__sancov_cntrs";

bool isCounter(const Value *Pointer) {
  auto *Array = dyn_cast<GlobalVariable>(Pointer->stripInBoundsOffsets());
  return Array && Array->getSection() == CounterSection;
}

// The add of `counter + 1` this store writes back, or null when it is not a counter increment.
BinaryOperator *incrementOf(StoreInst &Store) {
  if (!isCounter(Store.getPointerOperand()))
    return nullptr;
  auto *Add = dyn_cast<BinaryOperator>(Store.getValueOperand());
  if (!Add || Add->getOpcode() != Instruction::Add || !Add->getType()->isIntegerTy(8))
    return nullptr;
  auto *One = dyn_cast<ConstantInt>(Add->getOperand(1));
  auto *Load = dyn_cast<LoadInst>(Add->getOperand(0));
  if (!One || !One->isOne() || !Load || Load->getPointerOperand() != Store.getPointerOperand())
    return nullptr;
  return Add;
}

} // namespace

PreservedAnalyses CounterIncrementPass::run(Module &M, ModuleAnalysisManager &) {
  std::vector<std::pair<StoreInst *, BinaryOperator *>> Increments;
  for (Function &F : M)
    for (BasicBlock &Block : F)
      for (Instruction &I : Block)
        if (auto *Store = dyn_cast<StoreInst>(&I))
          if (BinaryOperator *Add = incrementOf(*Store))
            Increments.emplace_back(Store, Add);
  for (auto &[Store, Add] : Increments) {
    IRBuilder<> Builder(Store);
    Value *Counter = Add->getOperand(0);
    // NeverZero: a carry out of the add adds 1, so 255 + 1 is 1. clang makes it `add $1; adc $0`,
    // as fast as the plain increment; saturating (`inc; sete; sub`) measured 9 % slower.
    Value *Sum = Builder.CreateAdd(Counter, Builder.getInt8(1));
    Value *Carry = Builder.CreateZExt(Builder.CreateICmpEQ(Sum, Builder.getInt8(0)), Builder.getInt8Ty());
    Store->setOperand(0, Builder.CreateAdd(Sum, Carry));
    if (Add->use_empty())
      Add->eraseFromParent();
  }
  return Increments.empty() ? PreservedAnalyses::all() : PreservedAnalyses::none();
}

} // namespace memcov
