namespace Memcov.SharedMem;

/// <summary>The region file fails a check of its header: it is not a region or it is damaged.</summary>
public sealed class RegionCorruptException : IOException
{
    /// <summary>Creates the exception for <paramref name="path"/>.</summary>
    /// <param name="path">The region file.</param>
    /// <param name="problem">The check that failed, with the expected and the actual value.</param>
    public RegionCorruptException(string path, string problem)
        : base(
            $"The region file '{path}' is not a valid memcov region: {problem}. Remove it " +
            "(CoverageRegion.Remove or mcov_region_remove) and create the region again.")
    {
        Path = path;
        Problem = problem;
    }

    private RegionCorruptException(string path, string problem, string message)
        : base(message)
    {
        Path = path;
        Problem = problem;
    }

    /// <summary>The region file.</summary>
    public string Path { get; }

    /// <summary>The check that failed.</summary>
    public string Problem { get; }

    /// <summary>The exception with the native runtime's message (mcov_last_error), which is also the problem.</summary>
    internal static RegionCorruptException FromRuntime(string path, string message) =>
        new(path, message, message);
}
