using System.CommandLine;
using Memcov.Cli.Reports;
using Memcov.SharedMem;
using Spectre.Console;

namespace Memcov.Cli.Commands;

/// <summary><c>memcov diff A B [--json]</c>: edges in one and not the other, per module.</summary>
internal static class DiffCommand
{
    public static Command Create(CliConsole console)
    {
        var first = new Argument<string>("first") { Description = "A map file or region name." };
        var second = new Argument<string>("second") { Description = "A map file or region name." };
        var json = CliApp.JsonOption();
        var diff = new Command("diff", "Show the edges covered in one map and not the other, per module (modules matched by identity).") { first, second, json };
        diff.SetAction((parse, _) => CliApp.Guard(console, () =>
        {
            IReadOnlyList<ModuleDiff> diffs = CoverageMapFile.Diff(MapSource.Load(parse.GetValue(first)!), MapSource.Load(parse.GetValue(second)!));
            var report = new DiffReport(diffs.Sum(d => (long)d.OnlyInFirst.Count), diffs.Sum(d => (long)d.OnlyInSecond.Count),
                [.. diffs.Select(d => new ModuleDiffReport(d.Path, d.Identity.ToString(), d.OnlyInFirst, d.OnlyInSecond))]);
            if (parse.GetValue(json))
            {
                Json.Write(console.Out, report);
                return 0;
            }

            var table = new Table().AddColumn("module").AddColumn(new TableColumn("only in first").RightAligned())
                .AddColumn(new TableColumn("only in second").RightAligned());
            foreach (ModuleDiffReport m in report.Modules)
            {
                table.AddRow(Printable.Markup(m.Path), $"{m.OnlyInFirst.Count}", $"{m.OnlyInSecond.Count}");
            }

            table.AddRow("[bold]total[/]", $"{report.OnlyInFirst}", $"{report.OnlyInSecond}");
            console.Ui.Write(table);
            return 0;
        }));
        return diff;
    }

    private sealed record DiffReport(long OnlyInFirst, long OnlyInSecond, IReadOnlyList<ModuleDiffReport> Modules);

    private sealed record ModuleDiffReport(string Path, string Identity, IReadOnlyList<long> OnlyInFirst, IReadOnlyList<long> OnlyInSecond);
}
