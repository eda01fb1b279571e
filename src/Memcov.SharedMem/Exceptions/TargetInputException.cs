namespace Memcov.SharedMem;

/// <summary>
/// A target's standard input file cannot be given to it: it is missing, unreadable, or not a
/// regular file (a FIFO or a device would block the run before its timeout could start).
/// </summary>
public sealed class TargetInputException : IOException
{
    /// <summary>Creates the exception for <paramref name="path"/>.</summary>
    /// <param name="path">The input file.</param>
    /// <param name="problem">What is wrong with it.</param>
    public TargetInputException(string path, string problem)
        : base($"The input '{path}' {problem}: the target is not run with it.")
    {
        FilePath = path;
    }

    /// <summary>The input file.</summary>
    public string FilePath { get; }
}
