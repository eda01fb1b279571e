using System.CommandLine;
using Memcov.Cli.Reports;
using Memcov.SharedMem;

namespace Memcov.Cli.Commands;

/// <summary><c>memcov create NAME --capacity N [--counts]</c>.</summary>
internal static class CreateCommand
{
    public static Command Create(CliConsole console)
    {
        var name = CliApp.RegionArgument();
        var capacity = CliApp.CapacityOption();
        var counts = new Option<bool>("--counts")
        {
            Description = "A hit-count region: each byte holds AFL++'s classes of the counts its edge had.",
        };
        var create = new Command("create", "Create a region that processes attach to by name (MEMCOV_REGION=NAME).") { name, capacity, counts };
        create.SetAction((parse, _) => CliApp.Guard(console, () =>
        {
            RegionKind kind = parse.GetValue(counts) ? RegionKind.Classes : RegionKind.Flags;
            using CoverageRegion region = CoverageRegion.Create(parse.GetValue(name)!, parse.GetValue(capacity), kind);
            string what = kind == RegionKind.Classes ? "hit-count region" : "region";
            console.Out.WriteLine($"created {what} {region.Name} ({region.CapacityEdges} edge slots) at {Printable.Escape(region.Path)}");
            return 0;
        }));
        return create;
    }
}
