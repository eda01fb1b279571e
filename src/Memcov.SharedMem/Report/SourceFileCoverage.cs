namespace Memcov.SharedMem;

/// <summary>A line of a source file that has edges, and how many of them were covered.</summary>
/// <param name="Line">The line number, from 1.</param>
/// <param name="Edges">The edges with code at the line (in any frame of their inline chain).</param>
/// <param name="Covered">Those covered.</param>
public readonly record struct LineCoverage(int Line, int Edges, int Covered);

/// <summary>One source file of a report: its edges, functions and lines.</summary>
/// <param name="Path">The file's name as the line tables give it.</param>
/// <param name="Source">The file the source was found at (after the report's source roots), or <see langword="null"/>.</param>
/// <param name="Edges">The edges with code in the file.</param>
/// <param name="Covered">Those covered.</param>
/// <param name="Functions">Its functions, those with the most uncovered edges first.</param>
/// <param name="Lines">Its lines that have edges, in line order.</param>
public sealed record SourceFileCoverage(string Path, string? Source, long Edges, long Covered,
    IReadOnlyList<FunctionCoverage> Functions, IReadOnlyList<LineCoverage> Lines)
{
    /// <summary>Lines with at least one covered edge.</summary>
    public int LinesCovered => Lines.Count(l => l.Covered > 0);
}
