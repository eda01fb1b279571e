using System.CommandLine;
using Memcov.Cli.Reports;
using Memcov.SharedMem;
using Spectre.Console;

namespace Memcov.Cli.Commands;

/// <summary><c>memcov stat NAME [--json]</c>: header, modules, covered of registered.</summary>
internal static class StatCommand
{
    public static Command Create(CliConsole console)
    {
        var name = CliApp.RegionArgument();
        var json = CliApp.JsonOption();
        var stat = new Command("stat", "Show a region's header, its modules and their coverage.") { name, json };
        stat.SetAction((parse, _) => CliApp.Guard(console, () =>
        {
            using CoverageRegion region = CoverageRegion.Attach(parse.GetValue(name)!);
            RegionReport report = RegionReport.Of(region);
            if (parse.GetValue(json))
            {
                Json.Write(console.Out, report);
                return 0;
            }

            var grid = new Grid().AddColumn().AddColumn();
            grid.AddWholeWordRow("[bold]path[/]", Printable.Markup(report.Path));
            grid.AddWholeWordRow("[bold]format version[/]", $"{report.Version}");
            grid.AddWholeWordRow("[bold]capacity[/]", $"{report.CapacityEdges} edge slots ({report.AllocatedEdges} allocated)");
            grid.AddWholeWordRow("[bold]edges[/]", $"{report.CoveredEdges} covered / {report.RegisteredEdges} registered ({CoverageView.Percent(report.CoveredEdges, report.RegisteredEdges)})");
            grid.AddWholeWordRow("[bold]did not fit[/]", $"{report.ModulesPrivate} module registration(s), {report.DroppedEdges} edges");
            grid.AddWholeWordRow("[bold]created[/]", $"{report.CreatedAt:u} by pid {report.CreatorPid}");
            console.Ui.Write(new Panel(grid).Header($"region {Printable.Markup(report.Name)}"));
            console.Ui.Write(ModuleTable(report));
            return 0;
        }));
        return stat;
    }

    /// <summary>The modules of a report as a table.</summary>
    public static Table ModuleTable(RegionReport report)
    {
        var table = new Table().AddColumn("#").AddColumn("module").AddColumn("mode").AddColumn("id")
            .AddColumn(new TableColumn("base").RightAligned().NoWrap()).AddColumn(new TableColumn("covered").RightAligned().NoWrap())
            .AddColumn(new TableColumn("edges").RightAligned().NoWrap()).AddColumn(new TableColumn("%").RightAligned().NoWrap());
        foreach (ModuleReport m in report.Modules)
        {
            table.AddWholeWordRow($"{m.Index}", Printable.Markup(Path.GetFileName(m.Path)), m.Mode, Printable.Markup($"{m.IdKind}:{m.Id[..Math.Min(16, m.Id.Length)]}"),
                $"{m.Base}", $"{m.Covered}", $"{m.Edges}", CoverageView.Percent(m.Covered, m.Edges));
        }

        return table;
    }
}
