using System.CommandLine;
using Memcov.Cli.Reports;
using Memcov.SharedMem;
using Spectre.Console;

namespace Memcov.Cli.Commands;

/// <summary><c>memcov ls [--json]</c>.</summary>
internal static class ListCommand
{
    public static Command Create(CliConsole console)
    {
        var json = CliApp.JsonOption();
        var ls = new Command("ls", "List the regions in the region directory ($MEMCOV_SHM_DIR, default /dev/shm), with who holds each: 'held' (a process is attached or has it open), 'held, creator gone', or 'unused' (no process; 'memcov rm --unused' sweeps it).") { json };
        ls.SetAction((parse, _) => CliApp.Guard(console, () =>
        {
            IReadOnlyList<RegionSummary> regions = CoverageRegion.List();
            if (parse.GetValue(json))
            {
                Json.Write(console.Out, regions);
                return 0;
            }

            var table = new Table().AddColumn("name").AddColumn("state").AddColumn(new TableColumn("capacity").RightAligned().NoWrap())
                .AddColumn(new TableColumn("allocated").RightAligned().NoWrap()).AddColumn(new TableColumn("modules").RightAligned().NoWrap())
                .AddColumn("creator").AddColumn("created").AddColumn("problem");
            foreach (RegionSummary r in regions)
            {
                table.AddWholeWordRow(Printable.Markup(r.Name), r.IsValid ? State(r.Liveness) : "", $"{r.CapacityEdges}", $"{r.AllocCursor}", $"{r.ModuleCount}",
                    r.IsValid ? $"{r.CreatorPid}" : "", r.IsValid ? r.CreatedAt.ToString("u", System.Globalization.CultureInfo.InvariantCulture) : "",
                    Printable.Markup(r.Problem));
            }

            console.Ui.Write(table);
            return 0;
        }));
        return ls;
    }

    /// <summary>Who holds a region, in the words of the table.</summary>
    public static string State(RegionLiveness liveness) => liveness switch
    {
        RegionLiveness.Unused => "unused",
        RegionLiveness.Held => "held, creator gone",
        _ => "held",
    };
}
