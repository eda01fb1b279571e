using System.CommandLine;
using System.Security.Cryptography;
using Memcov.Cli.Campaign;
using Memcov.Cli.Reports;
using Memcov.SharedMem;
using Spectre.Console;

namespace Memcov.Cli.Commands;

/// <summary>
/// <c>memcov run [--jobs N] [--region NAME] [--timeout S] [--inputs DIR] -- CMD ARGS… {}</c>, or
/// <c>memcov run --harness LIB.so --inputs DIR</c>: one region, every input on N workers, a live
/// view, and a summary.
/// </summary>
internal static class RunCommand
{
    /// <summary>Exit code of a run stopped by Ctrl-C (128 + SIGINT), after its summary.</summary>
    public const int Interrupted = 130;

    // More runs at a time than this is a mistake, not a machine.
    private const int MaxJobs = 1024;

    public static Command Create(CliConsole console)
    {
        var jobs = BoundedOption.Create("--jobs", "Runs at a time", 1, MaxJobs, "runs", Math.Min(Environment.ProcessorCount, MaxJobs), "-j");
        var region = new Option<string?>("--region") { Description = "Name of the region to create (default: a temporary name)." };
        var capacity = CliApp.CapacityOption();
        var timeout = BoundedOption.Create("--timeout", "Time one run may take before it is killed and counted as a timeout",
            0.001, CliApp.MaxSeconds, "seconds", 10.0);
        var inputs = new Option<DirectoryInfo?>("--inputs")
        {
            Description = "Run the command once per regular file of this directory (sorted by name; FIFOs, devices and sockets are skipped with a message); without it, run it once.",
        };
        var keep = new Option<bool>("--keep") { Description = "Keep the region after the run (it is removed otherwise)." };
        var record = new Option<FileInfo?>("--record") { Description = "Write a coverage feed to this file, for 'memcov plot'." };
        var harness = new Option<FileInfo?>("--harness")
        {
            Description = "Run the inputs through this shared library's LLVMFuzzerTestOneInput, loaded once per worker, instead of a command.",
        };
        var noForkServer = new Option<bool>("--no-fork-server")
        {
            Description = "Start the command once per input, without first trying it as a fork server.",
        };
        var json = CliApp.JsonOption();
        var command = new Argument<string[]>("command")
        {
            Description = "The target and its arguments, after '--'. '{}' is replaced by the input's path; without '{}' the input goes to stdin.",
            Arity = ArgumentArity.ZeroOrMore,
        };
        region.Validators.Add(r =>
        {
            string? name = r.GetValueOrDefault<string?>();
            if (name is not null && !RegionName.IsValid(name))
            {
                r.AddError(CliApp.InvalidRegionName(name));
            }
        });

        var run = new Command("run", "Run a target over a corpus on parallel workers into one region, with a live view of coverage.")
        {
            jobs, region, capacity, timeout, inputs, keep, record, harness, noForkServer, json, command,
        };
        var campaign = new CampaignOptions(withHost: true);
        campaign.AddTo(run);
        // By what was given, not by values: a value that does not parse is the parser's error to report.
        run.Validators.Add(r =>
        {
            bool hasHarness = r.GetResult(harness) is { Tokens.Count: > 0 };
            bool hasCommand = r.GetResult(command) is { Tokens.Count: > 0 };
            if (hasHarness && hasCommand)
            {
                r.AddError("Give either --harness LIB.so or a command after '--', not both.");
            }
            else if (!hasHarness && !hasCommand)
            {
                r.AddError("Give the target's command after '--' (or --harness LIB.so).");
            }
            else if (hasHarness && r.GetResult(inputs) is null)
            {
                r.AddError("--harness needs --inputs DIR: a harness runs inputs.");
            }
        });
        run.SetAction((parse, cancel) => CliApp.Guard(console, () => RunAsync(console, new Settings(
            parse.GetValue(command) ?? [], parse.GetValue(harness), parse.GetValue(jobs), parse.GetValue(region), parse.GetValue(capacity),
            TimeSpan.FromSeconds(parse.GetValue(timeout)), parse.GetValue(inputs), parse.GetValue(keep),
            parse.GetValue(record), parse.GetValue(json), !parse.GetValue(noForkServer), campaign.IsGiven(parse) ? (campaign, parse) : null), cancel)));
        return run;
    }

    private sealed record Settings(
        string[] Command, FileInfo? Harness, int Jobs, string? Region, long Capacity, TimeSpan Timeout, DirectoryInfo? Inputs, bool Keep,
        FileInfo? Record, bool Json, bool ForkServer, (CampaignOptions Options, ParseResult Parse)? Campaign);

    private static async Task<int> RunAsync(CliConsole console, Settings s, CancellationToken cancellationToken)
    {
        if (s.Inputs is { Exists: false })
        {
            throw new DirectoryNotFoundException($"The input directory '{s.Inputs.FullName}' does not exist.");
        }

        CorpusRunner.ThrowIfNoHarness(s.Harness);

        List<string> files = s.Inputs is null ? [] : InputFiles.List(s.Inputs.FullName, console.Error);
        if (s.Inputs is not null && files.Count == 0)
        {
            throw new ArgumentException($"The input directory '{s.Inputs.FullName}' has no files.");
        }

        // The campaign first: a server that cannot be used fails the run before any target starts
        // (and the password leaves this process's environment before any target inherits it).
        await using CampaignRun? campaign = s.Campaign is { } c ? await CampaignRun.ConnectAsync(c.Options, c.Parse, console.Error).ConfigureAwait(false) : null;

        SweepStaleRunRegions();
        string name = s.Region ?? NewTemporaryName();

        // Held by this process from before its name appears until the end, so no sweep removes it.
        using CoverageRegion region = CoverageRegion.Create(name, s.Capacity);
        string? lost = null;
        try
        {
            campaign?.Sync(region, name);
            // The feed file first: a path that cannot be written fails the run before any target starts.
            // With inputs, each names the input that first reached its edges: the targets record into
            // scratch regions of the workers', and each input's edges reach this region with its record.
            AttributedFeed? attributed = s.Record is not null && files.Count > 0 ? AttributedFeed.Start(region, s.Record.FullName) : null;
            var runner = new CorpusRunner(name, s.Command, s.Harness?.FullName, files, s.Jobs, s.Timeout, s.ForkServer,
                attributed, s.Capacity, region.Kind);
            var view = new CoverageView(region);
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);

            await using (IAsyncDisposable? feed = (IAsyncDisposable?)attributed ?? (s.Record is null ? null : FeedRecording.Start(region, s.Record.FullName)))
            {
                Task work = runner.RunAsync(stop.Token);
                try
                {
                    // The run owns its region: removed or replaced under it, the targets' edges no
                    // longer reach anyone, and the run stops and says so.
                    while (!work.IsCompleted && lost is null)
                    {
                        Task tick = Task.Delay(250, CancellationToken.None);
                        if (!s.Json && console.IsInteractive)
                        {
                            await console.Ui.Live(view.Render(runner.Progress)).StartAsync(async live =>
                            {
                                while (!work.IsCompleted && lost is null)
                                {
                                    await Task.WhenAny(work, Task.Delay(250, CancellationToken.None)).ConfigureAwait(false);
                                    lost = region.TryCheckPath(out string? problem) ? null : problem;
                                    live.UpdateTarget(view.Render(runner.Progress));
                                }
                            }).ConfigureAwait(false);
                        }
                        else
                        {
                            await Task.WhenAny(work, tick).ConfigureAwait(false);
                            lost = region.TryCheckPath(out string? problem) ? null : problem;
                        }
                    }

                    if (lost is not null)
                    {
                        await stop.CancelAsync().ConfigureAwait(false);
                    }
                }
                finally
                {
                    // Whatever happened to the view, every target is finished or killed before the region goes.
                    await work.ConfigureAwait(false);
                }
            }

            CampaignSummary? synced = campaign is null || lost is not null ? null : await campaign.FinishAsync().ConfigureAwait(false);

            if (lost is null && !region.TryCheckPath(out string? atEnd))
            {
                lost = atEnd;
            }

            bool interrupted = cancellationToken.IsCancellationRequested;
            var summary = new RunSummary(name, ModeName(runner.Mode), runner.ModeNote, s.Keep && lost is null, lost, interrupted, runner.Progress.Total, runner.Progress.Done,
                runner.Progress.Crashes, runner.Progress.Timeouts, runner.Progress.Failures, runner.Progress.Interrupted,
                Math.Round(view.Elapsed.TotalSeconds, 3), RegionReport.Of(region),
                [.. runner.RuntimeMessages.Select(m => new RuntimeMessage(m.Message, m.Runs))], runner.CrashingInputs, runner.HangingInputs, synced);
            if (runner.ModeNote is not null)
            {
                await console.Error.WriteLineAsync($"memcov: {Printable.Escape(runner.ModeNote)}").ConfigureAwait(false);
            }

            if (s.Json)
            {
                Json.Write(console.Out, summary);
            }
            else
            {
                WriteSummary(console, summary);
            }

            if (lost is not null)
            {
                await console.Error.WriteLineAsync($"memcov: {lost}; the run's coverage did not reach it").ConfigureAwait(false);
                return CliApp.Failed;
            }

            return interrupted ? Interrupted : 0;
        }
        finally
        {
            // Removed only while its path still names it: a file put there since is someone else's.
            if (!s.Keep && lost is null && region.TryCheckPath(out _))
            {
                CoverageRegion.Remove(name);
            }
        }
    }

    /// <summary>The name prefix of the regions a run creates for itself (no <c>--region</c>).</summary>
    public const string TemporaryPrefix = "run-";

    /// <summary>
    /// Removes the temporary regions of earlier runs that no process holds any more (a runner killed
    /// before it could remove its own), and stray lanes files; a region some process holds is left alone.
    /// </summary>
    internal static void SweepStaleRunRegions()
    {
        foreach (RegionSummary r in CoverageRegion.List())
        {
            if (IsTemporaryName(r.Name) && r.Liveness == RegionLiveness.Unused)
            {
                try
                {
                    CoverageRegion.RemoveUnused(r.Name);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // Gone meanwhile, or not ours: nothing to sweep.
                }
            }
        }

        CoverageRegion.RemoveStrayLanesFiles();
    }

    /// <summary>The mode's name in the summary and its JSON.</summary>
    internal static string ModeName(RunMode mode) => mode switch
    {
        RunMode.ForkServer => "fork-server",
        RunMode.Harness => "harness",
        _ => "exec",
    };

    /// <summary>A fresh temporary region name of this process's, <c>run-PID-xxxxxx</c>: what the sweep knows to remove once no one holds it.</summary>
    internal static string NewTemporaryName() =>
        $"{TemporaryPrefix}{Environment.ProcessId}-{RandomNumberGenerator.GetHexString(6, lowercase: true)}";

    /// <summary>Whether <paramref name="name"/> is a temporary run region's: <c>run-PID-xxxxxx</c>.</summary>
    internal static bool IsTemporaryName(string name)
    {
        string[] parts = name.Split('-');
        return parts.Length == 3 && parts[0] + "-" == TemporaryPrefix && parts[1].Length > 0 && parts[1].All(char.IsAsciiDigit)
            && parts[2].Length == 6 && parts[2].All(char.IsAsciiHexDigitLower);
    }

    // The first few paths; --json lists them all.
    private static void AddInputs(Grid grid, string label, IReadOnlyList<string> inputs)
    {
        const int Shown = 10;
        if (inputs.Count > 0)
        {
            string more = inputs.Count > Shown ? $"\n… {inputs.Count - Shown} more (--json lists them all)" : "";
            grid.AddWholeWordRow($"[bold]{label}[/]", Markup.Escape(string.Join("\n", inputs.Take(Shown).Select(Printable.Escape)) + more));
        }
    }

    private static void WriteSummary(CliConsole console, RunSummary s)
    {
        RegionReport r = s.Region;
        var grid = new Grid().AddColumn().AddColumn();
        grid.AddWholeWordRow("[bold]region[/]", Markup.Escape(s.RegionName) + (s.Problem is not null ? " (lost)" : s.Kept ? " (kept)" : " (removed)"));
        grid.AddWholeWordRow("[bold]mode[/]", s.Mode);
        grid.AddWholeWordRow("[bold]inputs[/]", $"{s.Done}/{s.Inputs}" + (s.Interrupted ? $" (interrupted: {s.Killed} run(s) stopped)" : ""));
        grid.AddWholeWordRow("[bold]crashes[/]", $"{s.Crashes}");
        grid.AddWholeWordRow("[bold]timeouts[/]", $"{s.Timeouts}");
        grid.AddWholeWordRow("[bold]non-zero exits[/]", $"{s.Failures}");
        grid.AddWholeWordRow("[bold]edges[/]", $"{r.CoveredEdges} covered / {r.RegisteredEdges} registered ({CoverageView.Percent(r.CoveredEdges, r.RegisteredEdges)})");
        grid.AddWholeWordRow("[bold]elapsed[/]", $"{s.ElapsedSeconds:0.0} s");
        if (s.Campaign is { } c)
        {
            grid.AddWholeWordRow("[bold]campaign[/]", Markup.Escape($"{c.Name} as {c.Host}: " +
                (c.Error is null ? $"{c.CampaignEdges} edges in the union" : $"last sync failed ({c.Error})")));
        }

        AddInputs(grid, "crashing inputs", s.CrashingInputs);
        AddInputs(grid, "hanging inputs", s.HangingInputs);
        console.Ui.Write(new Panel(grid).Header("memcov run"));
        console.Ui.Write(StatCommand.ModuleTable(r));
        if (r.DroppedEdges > 0)
        {
            console.Ui.MarkupLine($"[yellow]{r.ModulesPrivate} module registration(s) did not fit; run again with a larger --capacity.[/]");
        }

        foreach (RuntimeMessage m in s.RuntimeMessages)
        {
            console.Ui.MarkupLine($"[yellow]{m.Runs} run(s):[/] {Markup.Escape(m.Message)}");
        }
    }
}

/// <summary>
/// What <c>memcov run --json</c> prints. <c>Mode</c> is how the inputs ran (<c>fork-server</c>,
/// <c>exec</c>, <c>harness</c>); <c>ModeNote</c> why a command that was tried as a fork server ran
/// once per input instead, else null. <c>Problem</c> says why the run failed as a whole (its region
/// removed or replaced under it; <c>Kept</c> is then false), else null; <c>RuntimeMessages</c> are the
/// distinct <c>memcov:</c> lines targets printed, with how many runs printed each; <c>CrashingInputs</c>
/// and <c>HangingInputs</c> the paths of the inputs that crashed a run or were killed at the timeout;
/// <c>Campaign</c> the last sync with a campaign on Redis (<c>--redis</c>), else null.
/// </summary>
internal sealed record RunSummary(
    string RegionName, string Mode, string? ModeNote, bool Kept, string? Problem, bool Interrupted, int Inputs, int Done, int Crashes, int Timeouts, int Failures,
    int Killed, double ElapsedSeconds, RegionReport Region, IReadOnlyList<RuntimeMessage> RuntimeMessages,
    IReadOnlyList<string> CrashingInputs, IReadOnlyList<string> HangingInputs, CampaignSummary? Campaign);

/// <summary>A <c>memcov:</c> line of the runtime that targets printed, and how many runs printed it.</summary>
internal sealed record RuntimeMessage(string Message, int Runs);
