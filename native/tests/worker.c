/* mcov_worker FIRST COUNT [b-first]: run inputs [FIRST, FIRST + COUNT) through the samples.
 * Joins the region named by MEMCOV_REGION at the first module's init, like any exec'd child. */
#include "support.h"

int main(int argc, char **argv)
{
    if (argc < 3)
        return 2;
    t_run_inputs(argc > 3, (size_t)atol(argv[1]), (size_t)atol(argv[2]));
    return 0;
}
