using System.CommandLine;
using Memcov.Cli.Reports;
using Memcov.SharedMem;

namespace Memcov.Cli.Commands;

/// <summary><c>memcov create NAME --capacity N</c>.</summary>
internal static class CreateCommand
{
    public static Command Create(CliConsole console)
    {
        var name = CliApp.RegionArgument();
        var capacity = CliApp.CapacityOption();
        var create = new Command("create", "Create a region that processes attach to by name (MEMCOV_REGION=NAME).") { name, capacity };
        create.SetAction((parse, _) => CliApp.Guard(console, () =>
        {
            using CoverageRegion region = CoverageRegion.Create(parse.GetValue(name)!, parse.GetValue(capacity));
            console.Out.WriteLine($"created region {region.Name} ({region.CapacityEdges} edge slots) at {Printable.Escape(region.Path)}");
            return 0;
        }));
        return create;
    }
}
