namespace Memcov.SharedMem;

/// <summary>A coverage map file is not in the map file format, or is damaged.</summary>
public sealed class MapFileCorruptException : IOException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="source">The file, or a description of the bytes.</param>
    /// <param name="problem">What is wrong.</param>
    public MapFileCorruptException(string source, string problem)
        : base(
            $"'{source}' is not a valid memcov map file: {problem}. Export the map again " +
            "(memcov export or CoverageMapFile.FromRegion) and do not edit the file.")
    {
        FilePath = source;
        Problem = problem;
    }

    /// <summary>The file, or a description of the bytes.</summary>
    public string FilePath { get; }

    /// <summary>What is wrong.</summary>
    public string Problem { get; }
}
