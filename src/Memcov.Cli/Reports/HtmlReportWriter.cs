using System.Globalization;
using System.Net;
using System.Text;
using Memcov.SharedMem;

namespace Memcov.Cli.Reports;

/// <summary>
/// A report as a self-contained HTML site (no script, no asset, nothing fetched): index.html with
/// every source file and its covered edges, and a page per file with its functions, those with the
/// most uncovered edges first, and its source with each line marked covered, partly covered or not.
/// </summary>
internal static class HtmlReportWriter
{
    /// <summary>The largest source file shown; a larger one gets its line table only.</summary>
    private const long MaxSourceBytes = 16 << 20;

    private const string Style = """
        body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}
        table{border-collapse:collapse;margin:0.5em 0 1.5em}
        th,td{padding:2px 10px;border-bottom:1px solid #ddd;text-align:left}
        td.n{text-align:right;font-variant-numeric:tabular-nums}
        .bar{display:inline-block;width:100px;height:10px;background:#f2b8b8}
        .bar span{display:block;height:10px;background:#6cc070}
        pre{font:12px/1.35 ui-monospace,monospace;margin:0}
        .src td{border:0;padding:0 8px;white-space:pre}
        .ln{color:#888;text-align:right;user-select:none}
        .full{background:#d9f5dc}.partial{background:#fbeeb8}.none{background:#f8d0d0}.not_instrumented{color:#888}
        .note{color:#a33}
        """;

    /// <summary>Each page of the site: its path under the report's directory and its text.</summary>
    public static IReadOnlyList<(string Path, string Html)> Pages(string source, CoverageReport report)
    {
        var pages = new List<(string, string)> { ("index.html", Index(source, report)) };
        for (int i = 0; i < report.Files.Count; i++)
        {
            pages.Add((FilePage(i), Page(report.Files[i])));
        }

        return pages;
    }

    private static string FilePage(int index) => $"files/{index.ToString(CultureInfo.InvariantCulture)}.html";

    private static string Index(string source, CoverageReport report)
    {
        var html = Start($"Coverage of {source}");
        html.Append(CultureInfo.InvariantCulture,
            $"<h1>Coverage of {E(source)}</h1><p>{report.Covered} of {report.Edges} edges covered ({CoverageView.Percent(report.Covered, report.Edges)}), " +
            $"{report.FunctionsCovered} of {report.Functions} functions reached, {report.LinesCovered} of {report.Lines} lines.</p>");
        html.Append("<h2>Modules</h2><table><tr><th>module</th><th>edges covered</th><th>note</th></tr>");
        foreach (ReportModule m in report.Modules)
        {
            html.Append(CultureInfo.InvariantCulture,
                $"<tr><td>{E(m.Path)}</td><td class=n>{m.Covered} / {m.Edges}</td><td class=note>{E(m.Problem ?? "")}</td></tr>");
        }

        html.Append("</table><h2>Files</h2><table><tr><th>file</th><th></th><th>edges covered</th><th>functions reached</th><th>lines covered</th></tr>");
        for (int i = 0; i < report.Files.Count; i++)
        {
            SourceFileCoverage f = report.Files[i];
            int functions = f.Functions.Count(fn => fn.Status != FunctionStatus.NotInstrumented);
            html.Append(CultureInfo.InvariantCulture,
                $"<tr><td><a href=\"{FilePage(i)}\">{E(f.Path)}</a></td><td>{Bar(f.Covered, f.Edges)}</td>" +
                $"<td class=n>{f.Covered} / {f.Edges}</td><td class=n>{f.Functions.Count(fn => fn.Covered > 0)} / {functions}</td>" +
                $"<td class=n>{f.LinesCovered} / {f.Lines.Count}</td></tr>");
        }

        return html.Append("</table></body></html>\n").ToString();
    }

    private static string Page(SourceFileCoverage file)
    {
        var html = Start(file.Path);
        html.Append(CultureInfo.InvariantCulture,
            $"<p><a href=\"../index.html\">all files</a></p><h1>{E(file.Path)}</h1>" +
            $"<p>{file.Covered} of {file.Edges} edges covered ({CoverageView.Percent(file.Covered, file.Edges)}), {file.LinesCovered} of {file.Lines.Count} lines.</p>");
        html.Append("<h2>Functions</h2><table><tr><th>function</th><th>status</th><th>edges covered</th><th>uncovered</th><th>line</th></tr>");
        foreach (FunctionCoverage f in file.Functions)
        {
            string status = Json.Name(f.Status);
            html.Append(CultureInfo.InvariantCulture,
                $"<tr class={status}><td>{E(f.Name)}</td><td>{status.Replace('_', ' ')}</td><td class=n>{f.Covered} / {f.Edges}</td>" +
                $"<td class=n>{f.Edges - f.Covered}</td><td class=n><a href=\"#L{f.Line}\">{f.Line}</a></td></tr>");
        }

        html.Append("</table><h2>Source</h2>");
        string[]? source = ReadSource(file.Source);
        if (source is null)
        {
            html.Append(CultureInfo.InvariantCulture,
                $"<p class=note>The source was not found at {E(file.Path)} (give memcov report --source-root FROM=TO): lines with edges only.</p>");
        }

        var lines = file.Lines.ToDictionary(l => l.Line);
        // The source's lines, and lines with edges past its end (a #line directive, another version).
        IEnumerable<int> rows = Enumerable.Range(1, source?.Length ?? 0)
            .Concat(file.Lines.Select(l => l.Line).Where(n => n > (source?.Length ?? 0)));
        html.Append("<table class=src>");
        foreach (int n in rows)
        {
            string mark = lines.TryGetValue(n, out LineCoverage l)
                ? (l.Covered == l.Edges ? "full" : l.Covered == 0 ? "none" : "partial")
                : "";
            string text = source is not null && n <= source.Length ? source[n - 1] : "";
            html.Append(CultureInfo.InvariantCulture,
                $"<tr id=L{n} class=\"{mark}\"><td class=ln>{n}</td><td class=n>{(l.Edges > 0 ? $"{l.Covered}/{l.Edges}" : "")}</td><td><pre>{E(text)}</pre></td></tr>");
        }

        return html.Append("</table></body></html>\n").ToString();
    }

    private static string[]? ReadSource(string? path)
    {
        try
        {
            if (path is null)
            {
                return null;
            }

            // A regular file only, bounded: a FIFO or a device in its place must not block or fill memory.
            using FileStream file = RegularFile.OpenRead(path, MaxSourceBytes, "larger than a source shown");
            using var reader = new StreamReader(file);
            var lines = new List<string>();
            while (reader.ReadLine() is { } line)
            {
                lines.Add(line);
            }

            return [.. lines];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static StringBuilder Start(string title) =>
        new StringBuilder().Append(CultureInfo.InvariantCulture,
            $"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{E(title)}</title><style>{Style}</style></head><body>");

    private static string Bar(long covered, long total) =>
        $"<span class=bar><span style=\"width:{(total == 0 ? 100 : 100 * covered / total)}px\"></span></span>";


    private static string E(string text) => WebUtility.HtmlEncode(Printable.Escape(text));
}
