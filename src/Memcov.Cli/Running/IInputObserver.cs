using Memcov.SharedMem;

namespace Memcov.Cli;

/// <summary>
/// Told after each input of a run what that input reached on its own: the worker's scratch region,
/// which holds that input's edges only (its lanes folded: a crash's or a timeout's edges too) and is
/// cleared after the call. Calls come from every worker at once.
/// </summary>
internal interface IInputObserver
{
    /// <summary>Input <paramref name="index"/> (<paramref name="input"/>) ran and ended as <paramref name="outcome"/>.</summary>
    void Ran(int index, string? input, RunOutcome outcome, CoverageRegion scratch);
}
