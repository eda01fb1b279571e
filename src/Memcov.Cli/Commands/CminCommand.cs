using System.CommandLine;
using Memcov.Cli.Reports;
using Memcov.SharedMem;

namespace Memcov.Cli.Commands;

/// <summary>
/// <c>memcov cmin --inputs DIR -o OUT [--harness LIB.so | -- CMD ARGS… {}]</c>: runs every input on
/// its own (as <c>memcov run</c> does, each worker recording into a scratch region read after each
/// input) and copies into OUT the smallest subset it finds whose union is the corpus's
/// (<see cref="CorpusMinimizer"/>). Inputs that crash or hang are left out, and so are their edges.
/// </summary>
internal static class CminCommand
{
    public static Command Create(CliConsole console)
    {
        var inputs = new Option<DirectoryInfo>("--inputs") { Description = "The corpus: the directory's regular files.", Required = true };
        var output = new Option<DirectoryInfo>("--output", "-o")
        {
            Description = "The directory to copy the kept inputs into: new, or empty.",
            Required = true,
        };
        var jobs = BoundedOption.Create("--jobs", "Runs at a time", 1, 1024, "runs", Math.Min(Environment.ProcessorCount, 1024), "-j");
        var timeout = BoundedOption.Create("--timeout", "Time one run may take before it is killed; a hanging input is left out",
            0.001, CliApp.MaxSeconds, "seconds", 10.0);
        var capacity = CliApp.CapacityOption("Edge slots of each worker's scratch region, rounded up to a multiple of 4096");
        var harness = new Option<FileInfo?>("--harness") { Description = "Run the inputs through this shared library's LLVMFuzzerTestOneInput instead of a command." };
        var noForkServer = new Option<bool>("--no-fork-server") { Description = "Start the command once per input, without first trying it as a fork server." };
        var json = CliApp.JsonOption();
        var command = new Argument<string[]>(UnknownOptions.CommandArgument)
        {
            Description = "The target and its arguments, after '--'. '{}' is replaced by the input's path; without '{}' the input goes to stdin.",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var cmin = new Command("cmin", "Copy the smallest subset of a corpus that reaches every edge the whole corpus reaches.")
        {
            inputs, output, jobs, timeout, capacity, harness, noForkServer, json, command,
        };
        cmin.Validators.Add(r =>
        {
            // By what was given, not by values: a value that does not parse is the parser's error to report.
            if ((r.GetResult(harness) is { Tokens.Count: > 0 }) == (r.GetResult(command) is { Tokens.Count: > 0 }))
            {
                r.AddError("Give either --harness LIB.so or the target's command after '--'.");
            }
        });
        cmin.SetAction((parse, cancel) => CliApp.Guard(console, () => RunAsync(console, new Settings(
            parse.GetValue(inputs)!, parse.GetValue(output)!, parse.GetValue(command) ?? [], parse.GetValue(harness), parse.GetValue(jobs),
            TimeSpan.FromSeconds(parse.GetValue(timeout)), parse.GetValue(capacity), !parse.GetValue(noForkServer), parse.GetValue(json)), cancel)));
        return cmin;
    }

    private sealed record Settings(
        DirectoryInfo Inputs, DirectoryInfo Output, string[] Command, FileInfo? Harness, int Jobs, TimeSpan Timeout, long Capacity,
        bool ForkServer, bool Json);

    private static async Task<int> RunAsync(CliConsole console, Settings s, CancellationToken cancellationToken)
    {
        if (!s.Inputs.Exists)
        {
            throw new DirectoryNotFoundException($"The input directory '{Printable.Escape(s.Inputs.FullName)}' does not exist.");
        }

        CorpusRunner.ThrowIfNoHarness(s.Harness);

        string outDir = s.Output.FullName;
        bool created = PrepareOutput(outDir);
        try
        {
            List<string> files = InputFiles.List(s.Inputs.FullName, console.Error);
            if (files.Count == 0)
            {
                throw new ArgumentException($"The input directory '{Printable.Escape(s.Inputs.FullName)}' has no files.");
            }

            RunCommand.SweepStaleRunRegions();
            var edges = new InputEdges();
            var runner = new CorpusRunner(null, s.Command, s.Harness?.FullName, files, s.Jobs, s.Timeout, s.ForkServer, edges, s.Capacity);
            await runner.RunAsync(cancellationToken).ConfigureAwait(false);
            if (cancellationToken.IsCancellationRequested)
            {
                await console.Error.WriteLineAsync("memcov: interrupted; nothing was written").ConfigureAwait(false);
                return RunCommand.Interrupted;
            }

            var left = new HashSet<string>([.. runner.CrashingInputs, .. runner.HangingInputs], StringComparer.Ordinal);
            var sizes = files.Select(f => new FileInfo(f).Length).ToArray();
            var candidates = new List<CorpusMinimizer.Candidate>();
            for (int i = 0; i < files.Count; i++)
            {
                if (!left.Contains(files[i]) && edges.Of(i) is int[] ids)
                {
                    candidates.Add(new CorpusMinimizer.Candidate(i, sizes[i], ids));
                }
            }

            List<int> kept = CorpusMinimizer.Select(candidates, edges.IdCount);
            kept.Sort();
            foreach (int i in kept)
            {
                CopyInput(files[i], Path.Combine(outDir, Path.GetFileName(files[i])));
            }

            long union = candidates.SelectMany(c => c.Edges).Distinct().LongCount();
            var summary = new CminSummary(RunCommand.ModeName(runner.Mode), runner.ModeNote, files.Count, sizes.Sum(), kept.Count,
                kept.Sum(i => sizes[i]), union, outDir, runner.CrashingInputs, runner.HangingInputs, runner.Progress.Failures);
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
                await console.Out.WriteLineAsync(
                    $"kept {summary.Kept} of {summary.Inputs} inputs ({summary.KeptBytes} of {summary.InputBytes} bytes), reaching the corpus's {summary.Edges} edges, in {Printable.Escape(outDir)}").ConfigureAwait(false);
                if (left.Count > 0)
                {
                    await console.Out.WriteLineAsync(
                        $"left out: {summary.CrashingInputs.Count} crashing and {summary.HangingInputs.Count} hanging input(s), and the edges only they reach").ConfigureAwait(false);
                }
            }

            created = false;
            return 0;
        }
        finally
        {
            // Nothing half-written stays: a failed or interrupted run removes the directory it made.
            if (created)
            {
                Directory.Delete(outDir, recursive: true);
            }
        }
    }

    // A new directory (true), or an empty one that is there (false); never through a symlink.
    private static bool PrepareOutput(string dir)
    {
        if (Directory.Exists(dir))
        {
            if (new DirectoryInfo(dir).LinkTarget is not null)
            {
                throw new IOException($"The output '{Printable.Escape(dir)}' is a symlink; give a directory.");
            }

            if (Directory.EnumerateFileSystemEntries(dir).Any())
            {
                throw new IOException($"The output directory '{Printable.Escape(dir)}' is not empty.");
            }

            return false;
        }

        if (File.Exists(dir) || new FileInfo(dir).LinkTarget is not null)
        {
            throw new IOException($"The output '{Printable.Escape(dir)}' is there and is no directory.");
        }

        // The directory itself, never its parents: a mistyped path makes no tree of directories.
        string? parent = Path.GetDirectoryName(Path.TrimEndingDirectorySeparator(dir));
        if (parent is not null && !Directory.Exists(parent))
        {
            throw new DirectoryNotFoundException($"The output directory's parent '{Printable.Escape(parent)}' does not exist.");
        }

        Directory.CreateDirectory(dir);
        return true;
    }

    private static void CopyInput(string from, string to)
    {
        using FileStream source = RegularFile.OpenRead(from);
        using FileStream target = RegularFile.CreateOrTruncate(to);
        source.CopyTo(target);
    }
}

/// <summary>
/// What <c>memcov cmin --json</c> prints: how the inputs ran, how many inputs and bytes there were
/// and were kept, the edges the kept inputs reach (the corpus's, less what only crashing or hanging
/// inputs reach), where they went, and the inputs left out.
/// </summary>
internal sealed record CminSummary(
    string Mode, string? ModeNote, int Inputs, long InputBytes, int Kept, long KeptBytes, long Edges, string Output,
    IReadOnlyList<string> CrashingInputs, IReadOnlyList<string> HangingInputs, int Failures);
