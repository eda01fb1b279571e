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
        var ls = new Command("ls", "List the regions in the region directory ($MEMCOV_SHM_DIR, default /dev/shm).") { json };
        ls.SetAction((parse, _) => CliApp.Guard(console, () =>
        {
            IReadOnlyList<RegionSummary> regions = CoverageRegion.List();
            if (parse.GetValue(json))
            {
                Json.Write(console.Out, regions);
                return 0;
            }

            var table = new Table().AddColumn("name").AddColumn(new TableColumn("capacity").RightAligned())
                .AddColumn(new TableColumn("allocated").RightAligned()).AddColumn(new TableColumn("modules").RightAligned())
                .AddColumn("creator").AddColumn("created").AddColumn("problem");
            foreach (RegionSummary r in regions)
            {
                table.AddRow(Printable.Markup(r.Name), $"{r.CapacityEdges}", $"{r.AllocCursor}", $"{r.ModuleCount}",
                    r.IsValid ? $"{r.CreatorPid}" : "", r.IsValid ? r.CreatedAt.ToString("u", System.Globalization.CultureInfo.InvariantCulture) : "",
                    Printable.Markup(r.Problem));
            }

            console.Ui.Write(table);
            return 0;
        }));
        return ls;
    }
}
