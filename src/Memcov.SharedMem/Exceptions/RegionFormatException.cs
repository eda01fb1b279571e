namespace Memcov.SharedMem;

/// <summary>The region file has a format version this library does not read.</summary>
public sealed class RegionFormatException : IOException
{
    /// <summary>Creates the exception for a version mismatch.</summary>
    /// <param name="path">The region file.</param>
    /// <param name="expected">The version this library reads.</param>
    /// <param name="actual">The version in the file.</param>
    public RegionFormatException(string path, long expected, long actual)
        : base(
            $"The region file '{path}' has format version {actual}, but this library reads only version " +
            $"{expected} (expected version {expected}, actual version {actual}). Use a Memcov library " +
            "that reads that version, or remove the region and create it again with this one.")
    {
        Path = path;
        Expected = expected;
        Actual = actual;
    }

    private RegionFormatException(string path, long expected, long actual, string message)
        : base(message)
    {
        Path = path;
        Expected = expected;
        Actual = actual;
    }

    /// <summary>The region file.</summary>
    public string Path { get; }

    /// <summary>The version this library reads.</summary>
    public long Expected { get; }

    /// <summary>The version found in the file.</summary>
    public long Actual { get; }

    /// <summary>The exception with the native runtime's message (mcov_last_error), which names the remedy.</summary>
    internal static RegionFormatException FromRuntime(string path, long expected, long actual, string message) =>
        new(path, expected, actual, message);
}
