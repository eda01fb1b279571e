using System.Collections.Concurrent;
using Memcov.SharedMem;

namespace Memcov.Cli;

/// <summary>
/// Runs a target once per input on N parallel workers, each with <c>MEMCOV_REGION</c> set, so every
/// run records into the region. A crash or a hang is counted; it never stops the run. Targets start
/// through <see cref="TargetProcess"/>: each in a process group of its own that is killed when the
/// target ends or times out, and killed with this process if it dies.
/// </summary>
internal sealed class CorpusRunner
{
    /// <summary>The token replaced by an input's path in the command's arguments.</summary>
    public const string Placeholder = "{}";

    /// <summary>How many distinct runtime messages a run keeps, so a chatty target cannot fill memory.</summary>
    private const int MaxMessages = 100;

    private readonly string _region;
    private readonly IReadOnlyList<string> _command;
    private readonly IReadOnlyList<string?> _inputs;
    private readonly int _jobs;
    private readonly TimeSpan _timeout;
    private readonly bool _inputOnStdin;
    private readonly ConcurrentDictionary<string, int> _messages = new(StringComparer.Ordinal);
    private int _next = -1;

    /// <param name="region">The region the runs record into.</param>
    /// <param name="command">The program and its arguments; <c>{}</c> stands for the input's path.</param>
    /// <param name="inputs">Input files; an empty list runs the command once with no input.</param>
    /// <param name="jobs">Runs at a time.</param>
    /// <param name="timeout">Time one run may take before it is killed.</param>
    public CorpusRunner(string region, IReadOnlyList<string> command, IReadOnlyList<string> inputs, int jobs, TimeSpan timeout)
    {
        _region = region;
        _command = command;
        _inputs = inputs.Count == 0 ? [null] : [.. inputs];
        _jobs = Math.Max(1, Math.Min(jobs, _inputs.Count));
        _timeout = timeout;
        _inputOnStdin = inputs.Count > 0 && !command.Skip(1).Any(a => a.Contains(Placeholder, StringComparison.Ordinal));
        Progress = new RunProgress(_inputs.Count);
    }

    public RunProgress Progress { get; }

    /// <summary>
    /// The distinct <c>memcov:</c> lines the targets printed on stderr (the runtime's own messages:
    /// a region that could not be attached, a module that did not fit), with how many runs printed each.
    /// </summary>
    public IReadOnlyList<(string Message, int Runs)> RuntimeMessages =>
        [.. _messages.OrderBy(m => m.Key, StringComparer.Ordinal).Select(m => (m.Key, m.Value))];

    /// <summary>
    /// Runs every input; returns when all are done, or when <paramref name="cancellationToken"/> fires
    /// and the runs under way were killed (counted as interrupted).
    /// </summary>
    /// <exception cref="FileNotFoundException">The program cannot be found.</exception>
    /// <exception cref="UnauthorizedAccessException">The program may not be run.</exception>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        // The first run alone: a command that cannot start fails the whole run with its reason.
        await Task.Factory.StartNew(() => RunNext(cancellationToken), CancellationToken.None,
            TaskCreationOptions.LongRunning, TaskScheduler.Default).ConfigureAwait(false);

        // Workers wait for their targets in blocking calls: each gets a thread of its own.
        var workers = Enumerable.Range(0, _jobs).Select(_ => Task.Factory.StartNew(() =>
        {
            while (!cancellationToken.IsCancellationRequested && RunNext(cancellationToken))
            {
            }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default));
        await Task.WhenAll(workers).ConfigureAwait(false);
    }

    private bool RunNext(CancellationToken cancellationToken)
    {
        int index = Interlocked.Increment(ref _next);
        if (index >= _inputs.Count)
        {
            return false;
        }

        Progress.Record(RunOne(_inputs[index], cancellationToken));
        return !cancellationToken.IsCancellationRequested;
    }

    private RunOutcome RunOne(string? input, CancellationToken cancellationToken)
    {
        var info = new TargetStartInfo(_command[0])
        {
            StandardInputFile = _inputOnStdin ? input : null,
            CaptureStandardError = true,
        };
        foreach (string arg in _command.Skip(1))
        {
            info.Arguments.Add(input is null ? arg : arg.Replace(Placeholder, input, StringComparison.Ordinal));
        }

        info.Environment["MEMCOV_REGION"] = _region;
        TargetProcess started;
        try
        {
            started = TargetProcess.Start(info);
        }
        catch (TargetInputException e)
        {
            _messages.AddOrUpdate($"memcov: {e.Message}", 1, static (_, n) => n + 1);
            return RunOutcome.Failed;
        }

        using TargetProcess target = started;

        // The target's stderr is read to its end, so a chatty target never blocks on a full pipe;
        // the runtime's own lines are kept for the summary.
        Task stderr = Task.Run(() => CollectMessages(target.StandardError), CancellationToken.None);
        RunOutcome? killedAs = null;
        using (cancellationToken.Register(static t => ((TargetProcess)t!).Kill(), target))
        {
            if (!target.WaitForExit((int)Math.Min(_timeout.TotalMilliseconds, int.MaxValue), out TargetExit exit))
            {
                killedAs = cancellationToken.IsCancellationRequested ? RunOutcome.Interrupted : RunOutcome.TimedOut;
                target.Kill();
                target.WaitForExit(-1, out exit);
            }
            else if (cancellationToken.IsCancellationRequested && exit.Signaled && exit.Signal == 9)
            {
                killedAs = RunOutcome.Interrupted;
            }

            stderr.GetAwaiter().GetResult();
            return killedAs ?? (exit.Exited
                ? (exit.ExitCode == 0 ? RunOutcome.Passed : RunOutcome.Failed)
                : RunOutcome.Crashed);
        }
    }

    private void CollectMessages(StreamReader stderr)
    {
        try
        {
            while (stderr.ReadLine() is string line)
            {
                if (line.StartsWith("memcov:", StringComparison.Ordinal)
                    && (_messages.Count < MaxMessages || _messages.ContainsKey(line)))
                {
                    _messages.AddOrUpdate(line, 1, static (_, n) => n + 1);
                }
            }
        }
        catch (IOException)
        {
            // The pipe broke: the target and its group are gone.
        }
    }
}
