namespace Memcov.SharedMem;

/// <summary>One module of a report: its coverage, and what named its code.</summary>
/// <param name="Path">The module's path, as recorded.</param>
/// <param name="Identity">What every process matched it by.</param>
/// <param name="Edges">Its edges.</param>
/// <param name="Covered">Its covered edges.</param>
/// <param name="HasPcTable">Whether its PC table was kept (it was compiled with <c>pc-table</c>).</param>
/// <param name="Binary">The file its code was symbolized from, or <see langword="null"/>.</param>
/// <param name="Problem">Why its edges are not in the report's files and functions, or <see langword="null"/>.</param>
public sealed record ReportModule(string Path, ModuleIdentity Identity, long Edges, long Covered, bool HasPcTable, string? Binary, string? Problem);
