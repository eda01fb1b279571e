using System.CommandLine;
using Memcov.Cli.Reports;
using Memcov.SharedMem;

namespace Memcov.Cli.Commands;

/// <summary><c>memcov merge A B… -o FILE</c>.</summary>
internal static class MergeCommand
{
    public static Command Create(CliConsole console)
    {
        var sources = new Argument<string[]>("maps") { Description = "Map files or region names.", Arity = ArgumentArity.OneOrMore };
        var output = new Option<FileInfo>("--output", "-o") { Description = "The map file to write.", Required = true };
        var merge = new Command("merge", "Write the union of maps and regions to a map file, matching modules by identity.") { sources, output };
        merge.SetAction((parse, _) => CliApp.Guard(console, () =>
        {
            CoverageMapFile union = CoverageMapFile.Merge(parse.GetValue(sources)!.Select(MapSource.Load));
            string path = parse.GetValue(output)!.FullName;
            union.Save(path);
            console.Out.WriteLine($"merged {union.CountCovered()} covered of {union.EdgeCount} edges in {union.Modules.Count} module(s) into {Printable.Escape(path)}");
            return 0;
        }));
        return merge;
    }
}
