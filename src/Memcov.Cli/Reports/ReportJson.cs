using Memcov.SharedMem;

namespace Memcov.Cli.Reports;

/// <summary>What <c>memcov report --json</c> prints: a <see cref="CoverageReport"/> as plain data (docs/report.md).</summary>
internal sealed record ReportJson(
    string Source, long Edges, long Covered, int Functions, int FunctionsCovered, int Lines, int LinesCovered,
    IReadOnlyList<ReportJson.Module> Modules, IReadOnlyList<ReportJson.File> Files)
{
    public static ReportJson Of(string source, CoverageReport r) => new(
        source, r.Edges, r.Covered, r.Functions, r.FunctionsCovered, r.Lines, r.LinesCovered,
        [.. r.Modules.Select(m => new Module(m.Path, m.Identity.ToString(), m.Edges, m.Covered, m.HasPcTable, m.Binary, m.Problem))],
        [.. r.Files.Select(f => new File(f.Path, f.Source, f.Edges, f.Covered, f.Lines.Count, f.LinesCovered,
            [.. f.Functions.Select(fn => new Function(fn.Name, fn.Line, fn.Module, fn.Edges, fn.Covered, fn.Status))],
            [.. f.Lines.Select(l => new LineDetail(l.Line, l.Edges, l.Covered))]))]);

    internal sealed record Module(string Path, string Identity, long Edges, long Covered, bool PcTable, string? Binary, string? Problem);

    internal sealed record File(string Path, string? Source, long Edges, long Covered, int Lines, int LinesCovered,
        IReadOnlyList<Function> Functions, IReadOnlyList<LineDetail> LineDetails);

    internal sealed record Function(string Name, int Line, string Module, long Edges, long Covered, FunctionStatus Status);

    internal sealed record LineDetail(int Line, int Edges, int Covered);
}
