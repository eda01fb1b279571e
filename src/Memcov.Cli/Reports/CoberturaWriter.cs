using System.Globalization;
using System.Xml.Linq;
using Memcov.SharedMem;

namespace Memcov.Cli.Reports;

/// <summary>
/// A report as Cobertura XML (what .NET's ReportGenerator and CI systems read): a package per module,
/// a class per source file, its functions as methods, its lines with the covered edges as hits.
/// </summary>
internal static class CoberturaWriter
{
    public static string Write(CoverageReport report)
    {
        static string Rate(long covered, long total) =>
            (total == 0 ? 1.0 : (double)covered / total).ToString("0.####", CultureInfo.InvariantCulture);

        var packages = new XElement("packages");
        foreach (IGrouping<string, SourceFileCoverage> module in report.Files
            .GroupBy(f => f.Functions.FirstOrDefault()?.Module ?? "", StringComparer.Ordinal))
        {
            var classes = new XElement("classes");
            foreach (SourceFileCoverage file in module.OrderBy(f => f.Path, StringComparer.Ordinal))
            {
                var lineByNumber = file.Lines.ToDictionary(l => l.Line);
                var methods = new XElement("methods", file.Functions
                    .Where(f => f.Status != FunctionStatus.NotInstrumented)
                    .Select(f => new XElement("method",
                        new XAttribute("name", Text(f.Name)), new XAttribute("signature", ""),
                        new XAttribute("line-rate", Rate(f.Covered, f.Edges)), new XAttribute("branch-rate", "0"),
                        new XElement("lines", lineByNumber.TryGetValue(f.Line, out LineCoverage l)
                            ? [LineElement(l)] : Array.Empty<XElement>()))));
                classes.Add(new XElement("class",
                    new XAttribute("name", Text(Path.GetFileNameWithoutExtension(file.Path))),
                    new XAttribute("filename", Text(file.Source ?? file.Path)),
                    new XAttribute("line-rate", Rate(file.LinesCovered, file.Lines.Count)), new XAttribute("branch-rate", "0"),
                    new XAttribute("complexity", "0"),
                    methods,
                    new XElement("lines", file.Lines.Select(LineElement))));
            }

            int lines = module.Sum(f => f.Lines.Count), covered = module.Sum(f => f.LinesCovered);
            packages.Add(new XElement("package", new XAttribute("name", Text(module.Key)),
                new XAttribute("line-rate", Rate(covered, lines)), new XAttribute("branch-rate", "0"),
                new XAttribute("complexity", "0"), classes));
        }

        var coverage = new XElement("coverage",
            new XAttribute("line-rate", Rate(report.LinesCovered, report.Lines)), new XAttribute("branch-rate", "0"),
            new XAttribute("lines-covered", report.LinesCovered), new XAttribute("lines-valid", report.Lines),
            new XAttribute("branches-covered", 0), new XAttribute("branches-valid", 0),
            new XAttribute("complexity", "0"), new XAttribute("version", "memcov"),
            new XAttribute("timestamp", DateTimeOffset.UtcNow.ToUnixTimeSeconds()),
            new XElement("sources", new XElement("source", "/")),
            packages);
        return new XDocument(new XDeclaration("1.0", "utf-8", null), coverage).Declaration + "\n" + coverage + "\n";
    }

    // XML cannot hold control characters: they are written as \xNN, as the terminal shows them.
    private static string Text(string value) => Printable.Escape(value);

    private static XElement LineElement(LineCoverage l) =>
        new("line", new XAttribute("number", l.Line), new XAttribute("hits", l.Covered), new XAttribute("branch", "false"));
}
