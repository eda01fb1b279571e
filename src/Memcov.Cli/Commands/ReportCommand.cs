using System.CommandLine;
using System.Globalization;
using System.Text;
using Memcov.Cli.Reports;
using Memcov.SharedMem;
using Spectre.Console;

namespace Memcov.Cli.Commands;

/// <summary>
/// <c>memcov report SOURCE [--json] [--lcov FILE] [--html DIR] [--cobertura FILE]</c>: which source
/// files, functions and lines a region's or a map file's edges reached (docs/report.md).
/// </summary>
internal static class ReportCommand
{
    private const int MostUncovered = 15;

    public static Command Create(CliConsole console)
    {
        var source = new Argument<string>("source") { Description = "A map file or region name." };
        var json = CliApp.JsonOption();
        var lcov = new Option<FileInfo?>("--lcov") { Description = "Also write an LCOV tracefile (genhtml renders it)." };
        var html = new Option<DirectoryInfo?>("--html") { Description = "Also write a self-contained HTML report into this directory." };
        var cobertura = new Option<FileInfo?>("--cobertura") { Description = "Also write Cobertura XML." };
        var sourceRoot = new Option<string[]>("--source-root")
        {
            Description = "FROM=TO: read a source file the line tables name FROM/x.c from TO/x.c (repeatable).",
        };
        sourceRoot.Validators.Add(r =>
        {
            foreach (var token in r.Tokens)
            {
                int eq = token.Value.IndexOf('=', StringComparison.Ordinal);
                if (eq <= 0)
                {
                    r.AddError($"--source-root takes FROM=TO, not '{Printable.Escape(token.Value)}'.");
                }
            }
        });
        var binaries = new BinaryOptions();
        var report = new Command("report", "Show which source files, functions and lines were reached, from the modules' PC and line tables.")
        {
            source, json, lcov, html, cobertura, sourceRoot,
        };
        binaries.AddTo(report);
        report.SetAction((parse, cancellationToken) => CliApp.Guard(console, () =>
        {
            ReportOptions options = binaries.Read(parse);
            foreach (string root in parse.GetValue(sourceRoot) ?? [])
            {
                int eq = root.IndexOf('=', StringComparison.Ordinal);
                options.SourceRoots.Add((root[..eq], root[(eq + 1)..]));
            }

            string name = parse.GetValue(source)!;
            CoverageReport r = CoverageReport.Create(MapSource.Load(name), options, cancellationToken);

            // Every output rendered before any is written: one that cannot be leaves no other behind.
            FileInfo? lcovFile = parse.GetValue(lcov), coberturaFile = parse.GetValue(cobertura);
            DirectoryInfo? site = parse.GetValue(html);
            string? lcovText = lcovFile is null ? null : LcovWriter.Write(r);
            string? coberturaText = coberturaFile is null ? null : CoberturaWriter.Write(r);
            IReadOnlyList<(string Path, string Html)>? pages = site is null ? null : HtmlReportWriter.Pages(name, r);
            var written = new List<string>();
            if (lcovFile is not null)
            {
                AtomicFile.Write(lcovFile.FullName, Encoding.UTF8.GetBytes(lcovText!));
                written.Add($"LCOV: {lcovFile.FullName}");
            }

            if (coberturaFile is not null)
            {
                AtomicFile.Write(coberturaFile.FullName, Encoding.UTF8.GetBytes(coberturaText!));
                written.Add($"Cobertura: {coberturaFile.FullName}");
            }

            if (site is not null)
            {
                WriteSite(site.FullName, pages!);
                written.Add($"HTML: {Path.Combine(site.FullName, "index.html")}");
            }

            if (parse.GetValue(json))
            {
                Json.Write(console.Out, ReportJson.Of(name, r));
                return 0;
            }

            Render(console, name, r, written);
            return 0;
        }));
        return report;
    }

    /// <summary>
    /// Writes each page under <paramref name="root"/>, made if missing (its parent must exist, as for
    /// any output file); a symlink or a file in the place of a directory is refused.
    /// </summary>
    private static void WriteSite(string root, IReadOnlyList<(string Path, string Html)> pages)
    {
        string parent = Path.GetDirectoryName(root) ?? root;
        if (!Directory.Exists(parent))
        {
            throw new DirectoryNotFoundException($"Cannot write the HTML report into '{root}': '{parent}' does not exist.");
        }

        foreach (string dir in pages.Select(p => Path.GetDirectoryName(Path.Combine(root, p.Path))!).Distinct().OrderBy(d => d.Length))
        {
            var info = new DirectoryInfo(dir);
            if (info.LinkTarget is not null || (File.Exists(dir) && !info.Exists))
            {
                throw new IOException($"'{dir}' is {(info.LinkTarget is not null ? "a symlink" : "not a directory")}: the HTML report goes into a directory of its own.");
            }

            Directory.CreateDirectory(dir);
        }

        foreach ((string path, string text) in pages)
        {
            AtomicFile.Write(Path.Combine(root, path), Encoding.UTF8.GetBytes(text));
        }
    }

    private static void Render(CliConsole console, string name, CoverageReport r, List<string> written)
    {
        IAnsiConsole ui = console.Ui;
        ui.MarkupLine(CultureInfo.InvariantCulture,
            $"[bold]{Printable.Markup(name)}[/]: {r.Covered} of {r.Edges} edges covered ({CoverageView.Percent(r.Covered, r.Edges)}), " +
            $"{r.FunctionsCovered} of {r.Functions} functions reached, {r.LinesCovered} of {r.Lines} lines");
        foreach (ReportModule m in r.Modules.Where(m => m.Problem is not null))
        {
            ui.MarkupLine($"[yellow]module {Printable.Markup(m.Path)}[/]: {Printable.Markup(m.Problem)}");
        }

        if (r.Files.Count > 0)
        {
            string under = CommonDirectory(r.Files.Select(f => f.Path));
            if (under.Length > 1)
            {
                ui.MarkupLine($"files under {Printable.Markup(under)}");
            }

            var files = new Table().AddColumn("file").AddColumn(new TableColumn("edges").RightAligned().NoWrap())
                .AddColumn(new TableColumn("%").RightAligned().NoWrap()).AddColumn(new TableColumn("functions").RightAligned().NoWrap())
                .AddColumn(new TableColumn("full/partial/none").RightAligned().NoWrap()).AddColumn(new TableColumn("lines").RightAligned().NoWrap());
            foreach (SourceFileCoverage f in r.Files)
            {
                int Count(FunctionStatus s) => f.Functions.Count(fn => fn.Status == s);
                files.AddWholeWordRow(Printable.Markup(f.Path[under.Length..]), $"{f.Covered}/{f.Edges}", CoverageView.Percent(f.Covered, f.Edges),
                    $"{f.Functions.Count(fn => fn.Covered > 0)}/{f.Functions.Count(fn => fn.Status != FunctionStatus.NotInstrumented)}",
                    $"{Count(FunctionStatus.Full)}/{Count(FunctionStatus.Partial)}/{Count(FunctionStatus.None)}",
                    $"{f.LinesCovered}/{f.Lines.Count}");
            }

            ui.Write(files);
            var functions = new Table().Title("functions with the most uncovered edges").AddColumn("function").AddColumn("file")
                .AddColumn("status").AddColumn(new TableColumn("uncovered").RightAligned().NoWrap()).AddColumn(new TableColumn("edges").RightAligned().NoWrap());
            foreach (FunctionCoverage f in r.AllFunctions.Where(f => f.Covered < f.Edges)
                .OrderByDescending(f => f.Edges - f.Covered).ThenBy(f => f.Name, StringComparer.Ordinal).Take(MostUncovered))
            {
                functions.AddWholeWordRow(Printable.Markup(f.Name), Printable.Markup($"{Path.GetFileName(f.File)}:{f.Line}"),
                    Json.Name(f.Status), $"{f.Edges - f.Covered}", $"{f.Covered}/{f.Edges}");
            }

            ui.Write(functions);
            int found = r.Files.Count(f => f.Source is not null);
            ui.MarkupLine(CultureInfo.InvariantCulture,
                $"sources: {found} of {r.Files.Count} files found" +
                (found < r.Files.Count ? " (give --source-root FROM=TO for the others)" : ""));
        }

        foreach (string line in written)
        {
            ui.MarkupLine($"wrote {Printable.Markup(line)}");
        }
    }

    /// <summary>The longest directory, ending in '/', that every path starts with; "" if none.</summary>
    private static string CommonDirectory(IEnumerable<string> paths)
    {
        string? common = null;
        foreach (string path in paths)
        {
            string dir = path[..(path.LastIndexOf('/') + 1)];
            while (common is not null && !dir.StartsWith(common, StringComparison.Ordinal))
            {
                common = common[..(common.TrimEnd('/').LastIndexOf('/') + 1)];
            }

            common ??= dir;
        }

        return common ?? "";
    }
}
