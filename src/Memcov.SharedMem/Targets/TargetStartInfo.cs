using Microsoft.Win32.SafeHandles;

namespace Memcov.SharedMem;

/// <summary>What <see cref="TargetProcess.Start"/> runs, and with what.</summary>
public sealed class TargetStartInfo
{
    /// <summary>Creates the description of a run of <paramref name="fileName"/>.</summary>
    /// <param name="fileName">The program: a path, or a name looked up in <c>PATH</c>.</param>
    public TargetStartInfo(string fileName)
    {
        ArgumentException.ThrowIfNullOrEmpty(fileName);
        FileName = fileName;
    }

    /// <summary>The program: a path, or a name looked up in <c>PATH</c>.</summary>
    public string FileName { get; }

    /// <summary>The arguments after the program's name.</summary>
    public IList<string> Arguments { get; } = [];

    /// <summary>Variables set for the target (a <see langword="null"/> value removes one), on top of this process's environment.</summary>
    public IDictionary<string, string?> Environment { get; } = new Dictionary<string, string?>(StringComparer.Ordinal);

    /// <summary>A regular file the target reads as its standard input; <see langword="null"/>: <c>/dev/null</c>.</summary>
    public string? StandardInputFile { get; init; }

    /// <summary>Whether <see cref="TargetProcess.StandardError"/> gives the target's standard error; otherwise it goes to <c>/dev/null</c>.</summary>
    public bool CaptureStandardError { get; init; }

    /// <summary>
    /// An open file the target reads as its standard input, sharing this handle's file offset
    /// (instead of <see cref="StandardInputFile"/>; the caller keeps it open until the target started).
    /// </summary>
    public SafeFileHandle? StandardInputHandle { get; init; }

    /// <summary>
    /// Open descriptors the target keeps, at the same numbers (every other one closes at exec); the
    /// caller keeps them open until the target started.
    /// </summary>
    public IList<SafeFileHandle> InheritedHandles { get; } = [];

    /// <summary>A file the target writes as its standard output (the caller keeps it open until the target started); <see langword="null"/>: <c>/dev/null</c>.</summary>
    public SafeFileHandle? StandardOutput { get; init; }
}
