using System.CommandLine;
using System.Text.RegularExpressions;
using Memcov.Cli.Reports;
using Memcov.SharedMem;

namespace Memcov.Cli.Commands;

/// <summary><c>memcov rm [NAME|PATTERN…] [--unused] [--force]</c>.</summary>
internal static class RemoveCommand
{
    public static Command Create(CliConsole console)
    {
        var names = new Argument<string[]>("region")
        {
            Description = "Region names, or patterns of names with * ? and [...] (matched against the region directory's names, never paths).",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var force = new Option<bool>("--force", "-f") { Description = "Do not fail when a name or pattern matches no region." };
        var unused = new Option<bool>("--unused")
        {
            Description = "Remove only the regions no process holds (see 'memcov ls'); without names, every such region, and the lanes and PC files of regions that are gone.",
        };
        var rm = new Command("rm", "Remove regions. Processes that mapped them keep recording into their mapping, which no one else sees then; --unused removes only regions no process holds.")
        {
            names, force, unused,
        };
        rm.SetAction((parse, _) => CliApp.Guard(console, () =>
        {
            string[] given = parse.GetValue(names) ?? [];
            bool onlyUnused = parse.GetValue(unused);
            if (given.Length == 0 && !onlyUnused)
            {
                throw new ArgumentException("Name the regions to remove, or pass --unused to sweep the regions no process holds.");
            }

            List<string> existing = given.Any(IsPattern) || given.Length == 0
                ? [.. CoverageRegion.List().Select(r => r.Name)]
                : [];
            var targets = new List<string>();
            int status = 0;
            foreach (string pattern in given.Length == 0 ? ["*"] : given)
            {
                Regex? glob = IsPattern(pattern) ? Glob(pattern) : null;
                List<string> matched = glob is null ? [pattern] : [.. existing.Where(n => glob.IsMatch(n))];
                if (matched.Count == 0 && !parse.GetValue(force) && given.Length > 0)
                {
                    console.Error.WriteLine($"memcov: no region matches '{Printable.Escape(pattern)}' in {Printable.Escape(RegionName.GetDirectory())}");
                    status = CliApp.Failed;
                }

                targets.AddRange(matched.Where(m => !targets.Contains(m, StringComparer.Ordinal)));
            }

            foreach (string name in targets)
            {
                bool exists = onlyUnused ? RemoveIfUnused(console, name) : RemoveAnyway(console, name);
                if (!exists && !parse.GetValue(force) && given.Length > 0 && !IsPattern(name))
                {
                    console.Error.WriteLine($"memcov: no region named '{Printable.Escape(name)}' in {Printable.Escape(RegionName.GetDirectory())}");
                    status = CliApp.Failed;
                }
            }

            if (onlyUnused && given.Length == 0)
            {
                long stray = CoverageRegion.RemoveStrayLanesFiles();
                if (stray > 0)
                {
                    console.Out.WriteLine($"removed {stray} lanes or PC file(s) of regions that are gone");
                }
            }

            return status;
        }));
        return rm;

        static bool RemoveAnyway(CliConsole console, string name)
        {
            bool removed = CoverageRegion.Remove(name);
            if (removed)
            {
                console.Out.WriteLine($"removed region {name}");
            }

            return removed;
        }

        static bool RemoveIfUnused(CliConsole console, string name)
        {
            try
            {
                if (CoverageRegion.RemoveUnused(name))
                {
                    console.Out.WriteLine($"removed region {name} (unused)");
                }
                else
                {
                    console.Out.WriteLine($"left region {name}: a running process holds it");
                }

                return true;
            }
            catch (RegionNotFoundException)
            {
                return false;
            }
        }
    }

    private static bool IsPattern(string name) => name.IndexOfAny(['*', '?', '[']) >= 0;

    // A shell-style pattern over region names: * any run, ? one character, [...] a class.
    private static Regex Glob(string pattern) =>
        new("^" + Regex.Escape(pattern).Replace(@"\*", ".*", StringComparison.Ordinal).Replace(@"\?", ".", StringComparison.Ordinal)
            .Replace(@"\[", "[", StringComparison.Ordinal).Replace(@"\]", "]", StringComparison.Ordinal) + "$", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
}
