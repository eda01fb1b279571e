using System.CommandLine;
using Memcov.SharedMem;

namespace Memcov.Cli.Commands;

/// <summary><c>memcov import FILE NAME [--capacity N]</c>.</summary>
internal static class ImportCommand
{
    public static Command Create(CliConsole console)
    {
        var file = new Argument<FileInfo>("file") { Description = "A map file (memcov export, memcov merge, memcov.maps.save) or a serialize_mem_coverage blob." };
        var name = CliApp.RegionArgument(description: "The region to add the coverage to; created if it does not exist.");
        var capacity = BoundedOption.Optional("--capacity", "Edge slots when the region is created; by default what the map needs",
            1L, RegionFormat.MaxCapacity, "edges");
        var import = new Command("import", "OR a map file into a region, matching modules by identity; nothing in the region is cleared.") { file, name, capacity };
        import.SetAction((parse, _) => CliApp.Guard(console, () =>
        {
            CoverageMapFile map = CoverageMapFile.Load(parse.GetValue(file)!.FullName);
            string regionName = parse.GetValue(name)!;
            bool created = false;
            if (!CoverageRegion.TryAttach(regionName, out CoverageRegion? region))
            {
                region = CoverageRegion.Create(regionName,
                    parse.GetValue(capacity) ?? Math.Clamp(map.RequiredCapacityEdges, RegionFormat.EdgeAlign, RegionFormat.MaxCapacity));
                created = true;
            }

            using (region)
            {
                try
                {
                    long added = map.ImportInto(region);
                    console.Out.WriteLine($"imported {added} new edge(s) into region {regionName}: {region.CountCovered()} covered now");
                }
                catch when (created)
                {
                    CoverageRegion.Remove(regionName); // nothing was imported: leave no empty region behind
                    throw;
                }
            }

            return 0;
        }));
        return import;
    }
}
