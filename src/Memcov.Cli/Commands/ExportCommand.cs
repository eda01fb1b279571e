using System.CommandLine;
using Memcov.Cli.Reports;
using Memcov.SharedMem;

namespace Memcov.Cli.Commands;

/// <summary><c>memcov export NAME -o FILE</c>.</summary>
internal static class ExportCommand
{
    public static Command Create(CliConsole console)
    {
        var name = CliApp.RegionArgument();
        var output = new Option<FileInfo>("--output", "-o") { Description = "The map file to write (docs/map-file-format.md).", Required = true };
        var export = new Command("export", "Write a region's coverage to a map file, with its modules' identities.") { name, output };
        export.SetAction((parse, _) => CliApp.Guard(console, () =>
        {
            using CoverageRegion region = CoverageRegion.Attach(parse.GetValue(name)!);
            CoverageMapFile map = CoverageMapFile.FromRegion(region);
            string path = parse.GetValue(output)!.FullName;
            map.Save(path);
            console.Out.WriteLine($"exported {map.CountCovered()} covered of {map.EdgeCount} edges in {map.Modules.Count} module(s) to {Printable.Escape(path)}");
            return 0;
        }));
        return export;
    }
}
