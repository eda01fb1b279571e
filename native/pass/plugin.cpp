// libmemcov_pass.so: Memcov's clang plugin for no-call mode. Load it with -fpass-plugin= next to
// -fsanitize-coverage=inline-8bit-counters (the counters never wrap to 0: counter_increment.cpp)
// or inline-bool-flag (the flags' stores leave the hot path: flag_layout.cpp). Each pass changes
// only the code of its own kind of instrumentation.
#include "counter_increment.h"
#include "flag_layout.h"

#include "llvm/Config/llvm-config.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Passes/PassPlugin.h"

#include <memory>

using namespace llvm;

namespace {

void addPasses(ModulePassManager &Passes) {
  Passes.addPass(memcov::CounterIncrementPass());
  Passes.addPass(memcov::FlagLayoutPass());
}

void registerPasses(PassBuilder &Builder) {
  // clang registers its sanitizer passes after loading plugins, and a plugin's OptimizerLast
  // callbacks run in registration order, so one registered now would run before
  // SanitizerCoverage has instrumented anything. The pipeline-start callback runs while clang
  // builds the pipeline, after those registrations: registering from there runs these passes
  // after them. Once per PassBuilder, however many pipelines it builds.
  auto Registered = std::make_shared<bool>(false);
  Builder.registerPipelineStartEPCallback(
      [&Builder, Registered](ModulePassManager &, OptimizationLevel) {
        if (*Registered)
          return;
        *Registered = true;
        Builder.registerOptimizerLastEPCallback(
            [](ModulePassManager &Passes, OptimizationLevel) { addPasses(Passes); });
      });
  // `opt -passes=memcov-flag-layout` (or memcov-counter-increment), for looking at what a pass
  // does to an instrumented module.
  Builder.registerPipelineParsingCallback(
      [](StringRef Name, ModulePassManager &Passes, ArrayRef<PassBuilder::PipelineElement>) {
        if (Name == "memcov-flag-layout")
          Passes.addPass(memcov::FlagLayoutPass());
        else if (Name == "memcov-counter-increment")
          Passes.addPass(memcov::CounterIncrementPass());
        else
          return false;
        return true;
      });
}

} // namespace

extern "C" LLVM_ATTRIBUTE_WEAK PassPluginLibraryInfo llvmGetPassPluginInfo() {
  return {LLVM_PLUGIN_API_VERSION, "memcov", LLVM_VERSION_STRING, registerPasses};
}
