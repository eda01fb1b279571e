using System.CommandLine;
using Memcov.Cli.Reports;
using Memcov.SharedMem;

namespace Memcov.Cli.Commands;

/// <summary><c>memcov rm NAME… [--force]</c>.</summary>
internal static class RemoveCommand
{
    public static Command Create(CliConsole console)
    {
        var names = new Argument<string[]>("region") { Description = "Region names.", Arity = ArgumentArity.OneOrMore };
        var force = new Option<bool>("--force", "-f") { Description = "Do not fail when a region does not exist." };
        var rm = new Command("rm", "Remove regions. Processes that mapped them keep recording into their mapping.") { names, force };
        rm.SetAction((parse, _) => CliApp.Guard(console, () =>
        {
            int status = 0;
            foreach (string name in parse.GetValue(names)!)
            {
                if (CoverageRegion.Remove(name))
                {
                    console.Out.WriteLine($"removed region {name}");
                }
                else if (!parse.GetValue(force))
                {
                    console.Error.WriteLine($"memcov: no region named '{Printable.Escape(name)}' in {Printable.Escape(RegionName.GetDirectory())}");
                    status = CliApp.Failed;
                }
            }

            return status;
        }));
        return rm;
    }
}
