/* The sample's libFuzzer-style entry point: one input through the instrumented sample library,
 * as memcov-sample runs one file. Built uninstrumented into libmemcov_sample_fuzz.so, so that
 * `memcov run --harness` records the same edges as the driver does. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "msample.h"

__attribute__((visibility("default"))) int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    msample_run((const char *)data, size, stdout, stderr);
    return 0;
}
