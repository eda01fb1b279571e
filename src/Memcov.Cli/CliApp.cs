using System.CommandLine;
using System.CommandLine.Invocation;
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

    /// <summary>Exit code of a command line that does not parse: an unknown command or option, a missing or bad value.</summary>
    public const int Usage = 2;

    /// <summary>Exit code of a command stopped by SIGINT or SIGTERM (128 + SIGINT, as a shell reports Ctrl-C).</summary>
    public const int Interrupted = 130;

    /// <summary>Parses <paramref name="args"/> and runs the command.</summary>
    /// <param name="args">The command line.</param>
    /// <param name="console">Where the command writes.</param>
    /// <param name="cancellationToken">Cancelled at the first SIGINT or SIGTERM (<see cref="TerminationSignals"/>).</param>
    /// <returns>0 on success, <see cref="Failed"/>, <see cref="Usage"/> or <see cref="Interrupted"/>.</returns>
    public static async Task<int> RunAsync(string[] args, CliConsole console, CancellationToken cancellationToken = default)
    {
        RootCommand root = Build(console);
        ParseResult parsed = root.Parse(args);
        if (parsed.Action is ParseErrorAction)
        {
            await console.Error.WriteLineAsync(UsageError(parsed)).ConfigureAwait(false);
            return Usage;
        }

        if (UnknownOptions.Find(parsed) is string unknown)
        {
            await console.Error.WriteLineAsync(unknown).ConfigureAwait(false);
            return Usage;
        }

        // Signals are the caller's (TerminationSignals): System.CommandLine's own handler would wait for
        // the command and then throw at a second signal.
        var configuration = new InvocationConfiguration
        {
            Output = console.Out,
            Error = console.Error,
            ProcessTerminationTimeout = null,
        };
        return await parsed.InvokeAsync(configuration, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The one line a command line that does not parse gets: what is wrong and where the help is,
    /// instead of the parser's messages followed by the whole help.
    /// </summary>
    public static string UsageError(ParseResult parsed)
    {
        string command = parsed.CommandResult.Command is RootCommand ? "memcov" : $"memcov {parsed.CommandResult.Command.Name}";
        string errors = string.Join(" ", parsed.Errors.Select(e => e.Message));
        return $"memcov: {Printable.Escape(errors)} (see {command} --help)";
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
            CminCommand.Create(console),
            CreateCommand.Create(console),
            RemoveCommand.Create(console),
            ListCommand.Create(console),
            StatCommand.Create(console),
            WatchCommand.Create(console),
            ExportCommand.Create(console),
            ImportCommand.Create(console),
            MergeCommand.Create(console),
            DiffCommand.Create(console),
            ReportCommand.Create(console),
            PlotCommand.Create(console),
            FeedCommand.Create(console),
            SyncCommand.Create(console),
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
        catch (OperationCanceledException)
        {
            await console.Error.WriteLineAsync("memcov: interrupted").ConfigureAwait(false);
            return Interrupted;
        }
    }

    /// <summary>The synchronous form of <see cref="Guard(CliConsole, Func{Task{int}})"/>.</summary>
    public static Task<int> Guard(CliConsole console, Func<int> body) => Guard(console, () => Task.FromResult(body()));

    /// <summary>
    /// The longest time an option accepts, in seconds: 24 days, within the longest delay a .NET timer
    /// takes (2^32 − 2 ms, about 49.7 days).
    /// </summary>
    public const double MaxSeconds = 24 * 24 * 3600;

    /// <summary>A <c>--json</c> option.</summary>
    public static Option<bool> JsonOption() => new("--json") { Description = "Write JSON to stdout instead of tables." };

    /// <summary>A <c>--capacity</c> option: edge slots of a region to create, 1 to 2^32.</summary>
    public static Option<long> CapacityOption(string description = "Edge slots of the region, rounded up to a multiple of 4096") =>
        BoundedOption.Create("--capacity", description, 1L, RegionFormat.MaxCapacity, "edges", 1L << 20);

    /// <summary>A region-name argument, checked against the naming rule while parsing.</summary>
    public static Argument<string> RegionArgument(string name = "region", string description = "The region name.")
    {
        var argument = new Argument<string>(name) { Description = description };
        argument.Validators.Add(result =>
        {
            string? value = result.Tokens.Count > 0 ? result.Tokens[0].Value : null;
            if (!RegionName.IsValid(value))
            {
                result.AddError(InvalidRegionName(value));
            }
        });
        return argument;
    }

    /// <summary>The message for a region name that breaks the naming rule.</summary>
    public static string InvalidRegionName(string? name) =>
        $"Invalid region name '{Printable.Escape(name)}': it must match [A-Za-z0-9][A-Za-z0-9._-]{{0,199}}.";
}
