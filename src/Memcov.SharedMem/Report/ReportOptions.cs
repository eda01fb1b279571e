namespace Memcov.SharedMem;

/// <summary>Where a report finds what it reads besides the map: module binaries, sources, the symbolizer.</summary>
public sealed class ReportOptions
{
    /// <summary>
    /// Source directories to look in instead, in order: a file the line tables name <c>From/x.c</c> is
    /// read from <c>To/x.c</c> (for a report made on another machine than the build). <c>From</c>
    /// matches whole path components; the first rule whose file exists wins, else the path itself.
    /// </summary>
    public IList<(string From, string To)> SourceRoots { get; } = [];

    /// <summary>
    /// Directories with a <c>.build-id/xx/rest.debug</c> tree, searched by build-id for a module whose
    /// recorded path is gone or holds another build; <c>/usr/lib/debug</c> is searched last.
    /// </summary>
    public IList<string> DebugDirectories { get; } = [];

    /// <summary>The llvm-symbolizer to run; default: <c>$MEMCOV_SYMBOLIZER</c>, else one on PATH or under /usr/lib/llvm-N/bin.</summary>
    public string? SymbolizerPath { get; set; }
}
