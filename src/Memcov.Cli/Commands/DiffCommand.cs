using System.CommandLine;
using Memcov.Cli.Reports;
using Memcov.SharedMem;
using Spectre.Console;

namespace Memcov.Cli.Commands;

/// <summary>
/// <c>memcov diff A B [--json] [--functions]</c>: edges in one and not the other, per module; or, with
/// <c>--functions</c>, the functions newly reached, lost, and whose covered-edge count changed.
/// </summary>
internal static class DiffCommand
{
    public static Command Create(CliConsole console)
    {
        var first = new Argument<string>("first") { Description = "A map file or region name." };
        var second = new Argument<string>("second") { Description = "A map file or region name." };
        var json = CliApp.JsonOption();
        var functions = new Option<bool>("--functions") { Description = "Compare functions (from the modules' PC and line tables, as memcov report does) instead of edges." };
        var binaries = new BinaryOptions();
        var diff = new Command("diff", "Show the edges covered in one map and not the other, per module (modules matched by identity).") { first, second, json, functions };
        binaries.AddTo(diff);
        diff.SetAction((parse, cancellationToken) => CliApp.Guard(console, () =>
        {
            if (parse.GetValue(functions))
            {
                ReportOptions options = binaries.Read(parse);
                FunctionDiff changes = CoverageReport.DiffFunctions(
                    CoverageReport.Create(MapSource.Load(parse.GetValue(first)!), options, cancellationToken),
                    CoverageReport.Create(MapSource.Load(parse.GetValue(second)!), options, cancellationToken));
                WriteFunctions(console, changes, parse.GetValue(json));
                return 0;
            }

            IReadOnlyList<ModuleDiff> diffs = CoverageMapFile.Diff(MapSource.Load(parse.GetValue(first)!), MapSource.Load(parse.GetValue(second)!));
            var report = new DiffReport(diffs.Sum(d => (long)d.OnlyInFirst.Count), diffs.Sum(d => (long)d.OnlyInSecond.Count),
                [.. diffs.Select(d => new ModuleDiffReport(d.Path, d.Identity.ToString(), d.OnlyInFirst, d.OnlyInSecond))]);
            if (parse.GetValue(json))
            {
                Json.Write(console.Out, report);
                return 0;
            }

            var table = new Table().AddColumn("module").AddColumn(new TableColumn("only in first").RightAligned().NoWrap())
                .AddColumn(new TableColumn("only in second").RightAligned().NoWrap());
            foreach (ModuleDiffReport m in report.Modules)
            {
                table.AddWholeWordRow(Printable.Markup(m.Path), $"{m.OnlyInFirst.Count}", $"{m.OnlyInSecond.Count}");
            }

            table.AddWholeWordRow("[bold]total[/]", $"{report.OnlyInFirst}", $"{report.OnlyInSecond}");
            console.Ui.Write(table);
            return 0;
        }));
        return diff;
    }

    private static void WriteFunctions(CliConsole console, FunctionDiff changes, bool json)
    {
        if (json)
        {
            Json.Write(console.Out, changes);
            return;
        }

        var table = new Table().AddColumn("function").AddColumn("file").AddColumn("change")
            .AddColumn(new TableColumn("covered in first").RightAligned().NoWrap()).AddColumn(new TableColumn("covered in second").RightAligned().NoWrap());
        foreach ((string what, IReadOnlyList<FunctionChange> list) in new[] { ("reached", changes.Reached), ("lost", changes.Lost), ("changed", changes.Changed) })
        {
            foreach (FunctionChange c in list)
            {
                table.AddWholeWordRow(Printable.Markup(c.Name), Printable.Markup(c.File), what, $"{c.First}", $"{c.Second}");
            }
        }

        console.Ui.Write(table);
        console.Ui.MarkupLine($"{changes.Reached.Count} reached, {changes.Lost.Count} lost, {changes.Changed.Count} changed");
    }

    internal sealed record DiffReport(long OnlyInFirst, long OnlyInSecond, IReadOnlyList<ModuleDiffReport> Modules);

    internal sealed record ModuleDiffReport(string Path, string Identity, IReadOnlyList<long> OnlyInFirst, IReadOnlyList<long> OnlyInSecond);
}
