using System.Globalization;
using System.Text;
using Memcov.SharedMem;

namespace Memcov.Cli.Reports;

/// <summary>
/// A report as an LCOV tracefile (the format genhtml and CI services read): per source file its
/// functions (FN, FNDA: 1 when any of their edges was covered), lines (DA: the covered edges at the
/// line) and totals. Functions without edges are left out: LCOV has no "not instrumented".
/// </summary>
internal static class LcovWriter
{
    public static string Write(CoverageReport report)
    {
        var text = new StringBuilder();
        foreach (SourceFileCoverage file in report.Files.OrderBy(f => f.Path, StringComparer.Ordinal))
        {
            List<FunctionCoverage> functions = [.. file.Functions.Where(f => f.Status != FunctionStatus.NotInstrumented)
                .GroupBy(f => f.Name, StringComparer.Ordinal).Select(Combine).OrderBy(f => f.Line)];
            text.Append("TN:\n");
            text.Append(CultureInfo.InvariantCulture, $"SF:{OneLine(file.Source ?? file.Path)}\n");
            foreach (FunctionCoverage f in functions)
            {
                text.Append(CultureInfo.InvariantCulture, $"FN:{Math.Max(f.Line, 1)},{OneLine(f.Name)}\n");
            }

            foreach (FunctionCoverage f in functions)
            {
                text.Append(CultureInfo.InvariantCulture, $"FNDA:{(f.Covered > 0 ? 1 : 0)},{OneLine(f.Name)}\n");
            }

            text.Append(CultureInfo.InvariantCulture, $"FNF:{functions.Count}\nFNH:{functions.Count(f => f.Covered > 0)}\n");
            foreach (LineCoverage l in file.Lines)
            {
                text.Append(CultureInfo.InvariantCulture, $"DA:{l.Line},{l.Covered}\n");
            }

            text.Append(CultureInfo.InvariantCulture, $"LF:{file.Lines.Count}\nLH:{file.LinesCovered}\nend_of_record\n");
        }

        return text.ToString();
    }

    // A function compiled into two modules is one function of the file here.
    private static FunctionCoverage Combine(IGrouping<string, FunctionCoverage> same) =>
        same.First() with { Line = same.Min(f => f.Line), Edges = same.Sum(f => f.Edges), Covered = same.Sum(f => f.Covered) };

    private static string OneLine(string text) => text.Replace('\n', ' ').Replace('\r', ' ');
}
