using System.CommandLine;
using System.ComponentModel;
using Memcov.Cli.Commands;
using Memcov.Cli.Reports;
using Memcov.SharedMem;

namespace Memcov.Cli;

/// <summary>The <c>memcov</c> command: its sub-commands, and how failures become exit codes.</summary>
internal static class CliApp
{
    /// <summary>Exit code of a command that failed for a reason its message gives.</summary>
    public const int Failed = 1;

    /// <summary>Parses <paramref name="args"/> and runs the command.</summary>
    /// <returns>0 on success, 1 when the command failed, other non-zero codes for bad arguments.</returns>
    public static async Task<int> RunAsync(string[] args, CliConsole console, CancellationToken cancellationToken = default)
    {
        RootCommand root = Build(console);
        ParseResult parsed = root.Parse(args);
        // Ctrl-C cancels the command's token; the run then kills its targets, prints its summary and
        // removes its region, which must not be cut short.
        var configuration = new InvocationConfiguration
        {
            Output = console.Out,
            Error = console.Error,
            ProcessTerminationTimeout = TimeSpan.FromSeconds(30),
        };
        return await parsed.InvokeAsync(configuration, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The command tree.</summary>
    public static RootCommand Build(CliConsole console)
    {
        var root = new RootCommand(
            "memcov: shared-memory coverage. Run a target over a corpus on many workers into one region, " +
            "watch coverage live, and export, merge, diff and plot it.");
        foreach (Command command in new[]
        {
            RunCommand.Create(console),
            CreateCommand.Create(console),
            RemoveCommand.Create(console),
            ListCommand.Create(console),
            StatCommand.Create(console),
            WatchCommand.Create(console),
            ExportCommand.Create(console),
            ImportCommand.Create(console),
            MergeCommand.Create(console),
            DiffCommand.Create(console),
            PlotCommand.Create(console),
        })
        {
            root.Subcommands.Add(command);
        }

        return root;
    }

    /// <summary>
    /// Runs a command's body, turning the errors a user can fix into one <c>memcov:</c> line and exit
    /// code 1 instead of a stack trace.
    /// </summary>
    public static async Task<int> Guard(CliConsole console, Func<Task<int>> body)
    {
        try
        {
            return await body().ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException
            or InvalidOperationException or PlatformNotSupportedException or Win32Exception)
        {
            await console.Error.WriteLineAsync($"memcov: {Printable.Escape(e.Message)}").ConfigureAwait(false);
            return Failed;
        }
    }

    /// <summary>The synchronous form of <see cref="Guard(CliConsole, Func{Task{int}})"/>.</summary>
    public static Task<int> Guard(CliConsole console, Func<int> body) => Guard(console, () => Task.FromResult(body()));

    /// <summary>A <c>--json</c> option.</summary>
    public static Option<bool> JsonOption() => new("--json") { Description = "Write JSON to stdout instead of tables." };

    /// <summary>A <c>--capacity</c> option: edge slots of a region to create, 1 to 2^32.</summary>
    public static Option<long> CapacityOption(string description = "Edge slots of the region, rounded up to a multiple of 4096.")
    {
        var capacity = new Option<long>("--capacity") { Description = description, DefaultValueFactory = _ => 1 << 20 };
        capacity.Validators.Add(r =>
        {
            if (CapacityError(r.GetValueOrDefault<long>()) is string error)
            {
                r.AddError(error);
            }
        });
        return capacity;
    }

    /// <summary>Why <paramref name="capacity"/> cannot be a region's capacity, or null when it can.</summary>
    public static string? CapacityError(long capacity) =>
        capacity is < 1 or > RegionFormat.MaxCapacity ? $"--capacity must be 1 to {RegionFormat.MaxCapacity} edges." : null;

    /// <summary>A region-name argument, checked against the naming rule while parsing.</summary>
    public static Argument<string> RegionArgument(string name = "region", string description = "The region name.")
    {
        var argument = new Argument<string>(name) { Description = description };
        argument.Validators.Add(result =>
        {
            string? value = result.Tokens.Count > 0 ? result.Tokens[0].Value : null;
            if (!RegionName.IsValid(value))
            {
                result.AddError($"Invalid region name '{value}': it must match [A-Za-z0-9][A-Za-z0-9._-]{{0,199}}.");
            }
        });
        return argument;
    }
}
