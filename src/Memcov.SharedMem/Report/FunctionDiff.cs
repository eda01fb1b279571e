namespace Memcov.SharedMem;

/// <summary>A function whose covered-edge count differs between two reports.</summary>
/// <param name="Name">The function's name.</param>
/// <param name="File">Its source file.</param>
/// <param name="First">Its covered edges in the first report.</param>
/// <param name="Second">Its covered edges in the second report.</param>
public sealed record FunctionChange(string Name, string File, long First, long Second);

/// <summary>What <see cref="CoverageReport.DiffFunctions"/> found.</summary>
/// <param name="Reached">Functions with no covered edge in the first report and some in the second.</param>
/// <param name="Lost">Functions with covered edges in the first report and none in the second.</param>
/// <param name="Changed">Functions covered in both, with another number of covered edges.</param>
public sealed record FunctionDiff(IReadOnlyList<FunctionChange> Reached, IReadOnlyList<FunctionChange> Lost, IReadOnlyList<FunctionChange> Changed);
