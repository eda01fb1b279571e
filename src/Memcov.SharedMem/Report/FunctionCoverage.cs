namespace Memcov.SharedMem;

/// <summary>How much of a function its edges say was reached.</summary>
public enum FunctionStatus
{
    /// <summary>Every edge of the function was covered.</summary>
    Full,

    /// <summary>Some of its edges were covered.</summary>
    Partial,

    /// <summary>None of its edges was covered.</summary>
    None,

    /// <summary>
    /// The function has no edge of its own: sancov gave it none (a single block ending in a
    /// <c>noreturn</c> call), or inlining left no code of it at an edge.
    /// </summary>
    NotInstrumented,
}

/// <summary>One function of a source file and its edges: every edge whose inline chain includes it.</summary>
/// <param name="Name">The function's name, as the line tables give it (demangled).</param>
/// <param name="File">The source file it is in.</param>
/// <param name="Line">Its first line that has an edge (for a function without edges, the line of its address); 0 when unknown.</param>
/// <param name="Module">The path of the module it was compiled into.</param>
/// <param name="Edges">Its edges.</param>
/// <param name="Covered">Its covered edges.</param>
public sealed record FunctionCoverage(string Name, string File, int Line, string Module, long Edges, long Covered)
{
    /// <summary>FULL, PARTIAL, NONE or not instrumented.</summary>
    public FunctionStatus Status => Edges == 0 ? FunctionStatus.NotInstrumented
        : Covered == Edges ? FunctionStatus.Full
        : Covered == 0 ? FunctionStatus.None
        : FunctionStatus.Partial;
}
