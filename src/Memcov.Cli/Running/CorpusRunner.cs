using System.Diagnostics;

namespace Memcov.Cli;

/// <summary>
/// Runs a target once per input on N parallel workers, each with <c>MEMCOV_REGION</c> set, so every
/// run records into the region. A crash or a hang is counted; it never stops the run.
/// </summary>
internal sealed class CorpusRunner
{
    /// <summary>The token replaced by an input's path in the command's arguments.</summary>
    public const string Placeholder = "{}";

    private readonly string _region;
    private readonly IReadOnlyList<string> _command;
    private readonly IReadOnlyList<string?> _inputs;
    private readonly int _jobs;
    private readonly TimeSpan _timeout;
    private readonly bool _inputOnStdin;
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
    /// Runs every input; returns when all are done, or when <paramref name="cancellationToken"/> fires
    /// and the runs under way were killed (counted as interrupted).
    /// </summary>
    /// <exception cref="System.ComponentModel.Win32Exception">The program cannot be started.</exception>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        // The first run alone: a command that cannot start fails the whole run with its reason.
        await RunNextAsync(cancellationToken).ConfigureAwait(false);
        var workers = Enumerable.Range(0, _jobs).Select(_ => Task.Run(() => WorkerAsync(cancellationToken), CancellationToken.None));
        await Task.WhenAll(workers).ConfigureAwait(false);
    }

    private async Task WorkerAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested && await RunNextAsync(cancellationToken).ConfigureAwait(false))
        {
        }
    }

    private async Task<bool> RunNextAsync(CancellationToken cancellationToken)
    {
        int index = Interlocked.Increment(ref _next);
        if (index >= _inputs.Count)
        {
            return false;
        }

        RunOutcome outcome = await RunOneAsync(_inputs[index], cancellationToken).ConfigureAwait(false);
        Progress.Record(outcome);
        return !cancellationToken.IsCancellationRequested;
    }

    private async Task<RunOutcome> RunOneAsync(string? input, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo(_command[0])
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (string arg in _command.Skip(1))
        {
            info.ArgumentList.Add(input is null ? arg : arg.Replace(Placeholder, input, StringComparison.Ordinal));
        }

        info.Environment["MEMCOV_REGION"] = _region;
        using var process = new Process { StartInfo = info, EnableRaisingEvents = true };

        // The exit itself, not the end of the output: a background child of the target may keep its
        // pipes open long after the target is gone.
        var exited = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        process.Exited += (_, _) => exited.TrySetResult();
        if (!process.Start())
        {
            throw new InvalidOperationException($"'{_command[0]}' did not start.");
        }

        // Drain the target's output so a chatty target never blocks on a full pipe.
        process.OutputDataReceived += static (_, _) => { };
        process.ErrorDataReceived += static (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        Task feed = FeedStdinAsync(process, input);

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task finished = await Task.WhenAny(exited.Task, Task.Delay(_timeout, deadline.Token)).ConfigureAwait(false);
        await deadline.CancelAsync().ConfigureAwait(false); // frees the timer of a run that ended in time
        RunOutcome? killedAs = finished == exited.Task ? null
            : cancellationToken.IsCancellationRequested ? RunOutcome.Interrupted : RunOutcome.TimedOut;
        if (killedAs is not null)
        {
            try
            {
                process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // It exited in the meantime.
            }

            await exited.Task.ConfigureAwait(false);
        }

        await feed.ConfigureAwait(false);
        if (killedAs is RunOutcome outcome)
        {
            return outcome;
        }

        // On Linux a child killed by signal N reports 128 + N.
        int code = process.ExitCode;
        return code == 0 ? RunOutcome.Passed : code is > 128 and <= 128 + 64 ? RunOutcome.Crashed : RunOutcome.Failed;
    }

    private async Task FeedStdinAsync(Process process, string? input)
    {
        try
        {
            if (_inputOnStdin && input is not null)
            {
                await using FileStream file = File.OpenRead(input);
                await file.CopyToAsync(process.StandardInput.BaseStream).ConfigureAwait(false);
            }

            process.StandardInput.Close();
        }
        catch (IOException)
        {
            // The target exited without reading all of its input: not an error of the run.
        }
    }
}
