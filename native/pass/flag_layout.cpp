// The flag layout of libmemcov_pass.so: inline-bool-flag's checks laid out of the hot path.
//
// At each edge, clang's SanitizerCoverage emits `if (flag[i] == 0) flag[i] = 1;` without branch
// weights, so the code generator puts the store on the fall-through path and every hit after
// the first jumps over it: one taken branch per edge, in code already dense in branches. Marked
// unlikely (as __builtin_expect(flag[i] == 0, 0) would), the store moves out of line and a hit
// is a load, a compare and a branch not taken (where the edge does not end in a jump anyway:
// a loop's back edge, a join). The pass only adds branch weights: the flags, their section and
// what the runtime maps over them stay exactly as clang made them.
#include "flag_layout.h"

#include "llvm/IR/Constants.h"
#include "llvm/IR/GlobalVariable.h"
#include "llvm/IR/Instructions.h"
#include "llvm/IR/MDBuilder.h"
#include "llvm/IR/Module.h"
#include "llvm/IR/PassManager.h"

using namespace llvm;

namespace memcov {
namespace {

// The section clang's inline-bool-flag puts every module's flags in (memcov-inline.ld lays it out).
constexpr const char *FlagSection = "__sancov_bools";
// __builtin_expect's weights (clang's -likely-branch-weight / -unlikely-branch-weight).
constexpr uint32_t StoreWeight = 1;
constexpr uint32_t SkipWeight = 2000;

// The flag a value loads, or null when it is not a load of an inline-bool-flag flag.
Value *loadedFlag(Value *V) {
  auto *Load = dyn_cast<LoadInst>(V);
  if (!Load)
    return nullptr;
  auto *Array = dyn_cast<GlobalVariable>(Load->getPointerOperand()->stripInBoundsOffsets());
  if (!Array || Array->getSection() != FlagSection)
    return nullptr;
  return Load->getPointerOperand();
}

// True when Block stores 1 into Flag. A sanitizer may have put its own calls before the store
// (ThreadSanitizer's __tsan_write1), so the whole block is searched.
bool storesOne(const BasicBlock &Block, const Value *Flag) {
  for (const Instruction &I : Block)
    if (auto *Store = dyn_cast<StoreInst>(&I))
      if (auto *One = dyn_cast<ConstantInt>(Store->getValueOperand()))
        if (One->isOne() && Store->getPointerOperand() == Flag)
          return true;
  return false;
}

// True when Branch is SanitizerCoverage's `if (flag == 0) { flag = 1; }`: its condition tests a
// loaded flag for zero, and its first successor stores 1 into that flag and goes on to the
// second.
bool isFlagCheck(const BranchInst &Branch) {
  if (!Branch.isConditional())
    return false;
  auto *Compare = dyn_cast<ICmpInst>(Branch.getCondition());
  if (!Compare || Compare->getPredicate() != ICmpInst::ICMP_EQ)
    return false;
  auto *Zero = dyn_cast<ConstantInt>(Compare->getOperand(1));
  Value *Flag = loadedFlag(Compare->getOperand(0));
  if (!Zero || !Zero->isZero() || !Flag)
    return false;
  const BasicBlock *Store = Branch.getSuccessor(0);
  return Store->getSingleSuccessor() == Branch.getSuccessor(1) && storesOne(*Store, Flag);
}

} // namespace

PreservedAnalyses FlagLayoutPass::run(Module &M, ModuleAnalysisManager &) {
  MDNode *Unlikely = MDBuilder(M.getContext()).createBranchWeights(StoreWeight, SkipWeight);
  bool Changed = false;
  for (Function &F : M)
    for (BasicBlock &Block : F)
      if (auto *Branch = dyn_cast_or_null<BranchInst>(Block.getTerminator()))
        if (isFlagCheck(*Branch)) {
          Branch->setMetadata(LLVMContext::MD_prof, Unlikely);
          Changed = true;
        }
  if (!Changed)
    return PreservedAnalyses::all();
  PreservedAnalyses Kept;
  Kept.preserveSet<CFGAnalyses>();
  return Kept;
}

} // namespace memcov
