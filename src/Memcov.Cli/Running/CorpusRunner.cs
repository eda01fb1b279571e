using System.Collections.Concurrent;
using Memcov.SharedMem;

namespace Memcov.Cli;

/// <summary>
/// Runs every input on N parallel workers into one region (<c>MEMCOV_REGION</c> set for every
/// process), in one of three ways (<see cref="RunMode"/>): a <b>fork server</b> per worker, the
/// target started once and forked per input; <b>exec</b>, the command once per input, each run
/// through <see cref="TargetProcess"/> (a process group of its own, killed when it ends or times
/// out, and with this process), which is what a command gets whose target never starts the fork
/// server; or <b>harness</b>, one memcov-harness process per worker that loads a libFuzzer-style
/// harness once and calls it per input. Servers are <see cref="ServerWorker"/>s. A crash or a hang
/// is counted, with its input; it never stops the run.
/// </summary>
internal sealed class CorpusRunner
{
    /// <summary>The token replaced by an input's path in the command's arguments.</summary>
    public const string Placeholder = "{}";

    // A harness's LLVMFuzzerInitialize may take a while: at least this, or the run's timeout.
    private static readonly TimeSpan MinReadyTimeout = TimeSpan.FromSeconds(10);

    private readonly string? _region;
    private readonly IReadOnlyList<string> _command;
    private readonly string? _harness;
    private readonly IReadOnlyList<string?> _inputs;
    private readonly int _jobs;
    private readonly TimeSpan _timeout;
    private readonly bool _inputOnStdin;
    private readonly TargetMessages _messages = new();
    private readonly ConcurrentBag<WorkerSlot> _idle = [];
    private readonly IInputObserver? _attribution;
    private readonly long _scratchCapacity;
    private readonly RegionKind _scratchKind;
    private readonly ConcurrentQueue<string> _crashing = new();
    private readonly ConcurrentQueue<string> _hanging = new();
    private int _next = -1;

    /// <param name="region">The region the runs record into; null when every worker records into a scratch region (<paramref name="attribution"/>).</param>
    /// <param name="command">Exec mode: the program and its arguments; <c>{}</c> stands for the input's path. Empty in harness mode.</param>
    /// <param name="harness">Harness mode: the harness library; null in exec mode.</param>
    /// <param name="inputs">Input files; an empty list runs the command once with no input.</param>
    /// <param name="jobs">Runs at a time.</param>
    /// <param name="timeout">Time one run may take before it is killed.</param>
    /// <param name="forkServer">Whether a command's target is first tried as a fork server.</param>
    /// <param name="attribution">
    /// Where the edges each input reached on its own go: every worker's targets then record into a
    /// scratch region of <paramref name="scratchCapacity"/> edges, read and cleared after each input.
    /// </param>
    /// <param name="scratchCapacity">The scratch regions' capacity.</param>
    /// <param name="scratchKind">The scratch regions' kind: the run's region's.</param>
    public CorpusRunner(string? region, IReadOnlyList<string> command, string? harness, IReadOnlyList<string> inputs, int jobs, TimeSpan timeout,
        bool forkServer, IInputObserver? attribution = null, long scratchCapacity = 0, RegionKind scratchKind = RegionKind.Flags)
    {
        if (region is null && attribution is null)
        {
            throw new ArgumentException("A run records into a region, or into scratch regions when it attributes edges.", nameof(region));
        }

        _attribution = attribution;
        _scratchCapacity = scratchCapacity;
        _scratchKind = scratchKind;
        Mode = harness is not null ? RunMode.Harness : forkServer && inputs.Count > 0 ? RunMode.ForkServer : RunMode.Exec;
        _region = region;
        _command = command;
        _harness = harness;
        _inputs = inputs.Count == 0 ? [null] : [.. inputs];
        _jobs = Math.Max(1, Math.Min(jobs, _inputs.Count));
        _timeout = timeout;
        _inputOnStdin = harness is null && inputs.Count > 0 && !command.Skip(1).Any(a => a.Contains(Placeholder, StringComparison.Ordinal));
        Progress = new RunProgress(_inputs.Count);
    }

    public RunProgress Progress { get; }

    /// <summary>Checks that <paramref name="harness"/> (when given) is a regular file, before any region or worker exists.</summary>
    /// <exception cref="FileNotFoundException">It is missing or no regular file.</exception>
    public static void ThrowIfNoHarness(FileInfo? harness)
    {
        if (harness is not null && RegularFile.WhyNotRegular(harness.FullName, followSymlink: true) is string why)
        {
            throw new FileNotFoundException($"The harness '{Reports.Printable.Escape(harness.FullName)}' {why}.", harness.FullName);
        }
    }

    /// <summary>How the inputs run; a fork server the target never started turns into <see cref="RunMode.Exec"/>.</summary>
    public RunMode Mode { get; private set; }

    /// <summary>Why the run is not in the mode asked for (the target never started the fork server), or null.</summary>
    public string? ModeNote { get; private set; }

    /// <summary>The distinct <c>memcov:</c> lines the targets printed on stderr, with how many runs printed each.</summary>
    public IReadOnlyList<(string Message, int Runs)> RuntimeMessages => _messages.Lines;

    /// <summary>The inputs that crashed a run (a signal, or a sanitizer's report), sorted.</summary>
    public IReadOnlyList<string> CrashingInputs => [.. _crashing.Order(StringComparer.Ordinal)];

    /// <summary>The inputs whose run was killed at the timeout, sorted.</summary>
    public IReadOnlyList<string> HangingInputs => [.. _hanging.Order(StringComparer.Ordinal)];

    /// <summary>
    /// Runs every input; returns when all are done, or when <paramref name="cancellationToken"/> fires
    /// and the runs under way were killed (counted as interrupted).
    /// </summary>
    /// <exception cref="FileNotFoundException">The program (or the harness worker) cannot be found.</exception>
    /// <exception cref="UnauthorizedAccessException">The program may not be run.</exception>
    /// <exception cref="IOException">The harness does not load.</exception>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            // The first run alone: a command that cannot start, or a harness that does not load,
            // fails the whole run with its reason.
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
        finally
        {
            while (_idle.TryTake(out WorkerSlot? slot))
            {
                slot.Dispose();
            }
        }
    }

    private bool RunNext(CancellationToken cancellationToken)
    {
        int index = Interlocked.Increment(ref _next);
        if (index >= _inputs.Count)
        {
            return false;
        }

        string? input = _inputs[index];
        WorkerSlot slot = _idle.TryTake(out WorkerSlot? idle) ? idle : WorkerSlot.Create(_attribution is not null, _scratchCapacity, _scratchKind);
        RunOutcome outcome;
        try
        {
            // Input 0 runs alone, first: its server's start decides the mode.
            outcome = Mode == RunMode.Exec ? RunCommand(input, slot, cancellationToken) : RunOnServer(input!, index == 0, slot, cancellationToken);
            if (_attribution is not null && outcome != RunOutcome.Interrupted)
            {
                // The input's own edges, its crash's or its timeout's too; then a clean slate for the next.
                _attribution.Ran(index, input, outcome, slot.Scratch!);
                slot.Scratch!.Reset();
            }
        }
        finally
        {
            _idle.Add(slot);
        }

        if (input is not null && outcome == RunOutcome.Crashed)
        {
            _crashing.Enqueue(input);
        }
        else if (input is not null && outcome == RunOutcome.TimedOut)
        {
            _hanging.Enqueue(input);
        }

        Progress.Record(outcome);
        return !cancellationToken.IsCancellationRequested;
    }

    private RunOutcome RunCommand(string? input, WorkerSlot slot, CancellationToken cancellationToken)
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

        SetEnvironment(info, slot);
        TargetProcess started;
        try
        {
            started = TargetProcess.Start(info);
        }
        catch (TargetInputException e)
        {
            _messages.Add($"memcov: {e.Message}");
            return RunOutcome.Failed;
        }

        using TargetProcess target = started;
        Task stderr = Task.Run(() => _messages.ReadToEnd(target.StandardError), CancellationToken.None);
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
            return killedAs ?? Classify(exit);
        }
    }

    private RunOutcome RunOnServer(string input, bool first, WorkerSlot slot, CancellationToken cancellationToken)
    {
        ServerWorker? worker = null;
        try
        {
            worker = slot.Server ??= NewWorker(slot);
            ServerRunResult result = worker.Run(input, _timeout, cancellationToken);
            if (result.Kind == ServerRunKind.NotRun)
            {
                // The server had died after its last input: once more, on a new one.
                result = worker.Run(input, _timeout, cancellationToken);
            }

            if (cancellationToken.IsCancellationRequested && result.ServerEnded)
            {
                return RunOutcome.Interrupted;
            }

            switch (result.Kind)
            {
                case ServerRunKind.Returned:
                    return RunOutcome.Passed;
                case ServerRunKind.TimedOut:
                    return RunOutcome.TimedOut;
                case ServerRunKind.Unreadable:
                    _messages.Add($"memcov: cannot read the input '{Reports.Printable.Escape(input)}': {new System.ComponentModel.Win32Exception(result.Status).Message}");
                    return RunOutcome.Failed;
                case ServerRunKind.Ended when result.Exit is TargetExit exit:
                    return Classify(exit);
                default:
                    return RunOutcome.Failed;
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopped while its server started.
            worker?.Dispose();
            worker = null;
            return RunOutcome.Interrupted;
        }
        catch (TargetServerException e) when (Mode == RunMode.ForkServer && first)
        {
            // The first server never said hello: this target runs once per input.
            worker?.Dispose();
            worker = null;
            // The runtime's own line says why, when it declined (threads at start-up, say).
            ModeNote = $"{_command[0]} never started the fork server ({TargetMessages.FirstLine(e.StandardError) ?? NotReady(e)}); it runs once per input";
            Mode = RunMode.Exec;
            return RunCommand(input, slot, cancellationToken);
        }
        catch (TargetServerException e) when (Mode == RunMode.Harness)
        {
            worker?.Dispose();
            worker = null;
            string why = TargetMessages.FirstLine(e.StandardError) ?? $"the harness worker did not start ({NotReady(e)})";
            if (first)
            {
                // The first worker: a harness that does not load fails the run with its reason.
                throw new IOException(why, e);
            }

            // A later worker (an LLVMFuzzerInitialize that fails at times): this input is lost, the run goes on.
            _messages.Add($"{TargetMessages.Prefix} {why}");
            return RunOutcome.Failed;
        }
        catch (TargetServerException e)
        {
            // A later server did not start (a target that fails at random, say): this input runs on its own.
            worker?.Dispose();
            worker = null;
            _messages.Add($"memcov: a fork server did not start ({NotReady(e)}); that input ran on its own");
            return RunCommand(input, slot, cancellationToken);
        }
        catch (TargetInputException e)
        {
            _messages.Add($"memcov: {e.Message}");
            return RunOutcome.Failed;
        }
        catch (ArgumentException e)
        {
            // A path longer than a request carries.
            _messages.Add($"memcov: the input '{Reports.Printable.Escape(input)}' was not run: {e.Message}");
            return RunOutcome.Failed;
        }
        finally
        {
            slot.Server = worker;
        }
    }

    private static string NotReady(TargetServerException e) =>
        e.Exit is TargetExit exit ? $"it ended first: {exit}" : "it was not ready in time";

    private ServerWorker NewWorker(WorkerSlot slot)
    {
        if (Mode == RunMode.Harness)
        {
            var harness = new TargetStartInfo(TargetServer.FindHarnessWorker()) { CaptureStandardError = true };
            harness.Arguments.Add(_harness!);
            SetEnvironment(harness, slot);
            if (_attribution is not null)
            {
                // A no-call module's hits are in the worker's lane until flushed: after each input, so the scratch region has them.
                harness.Environment[HarnessFlushVariable] = "1";
            }

            return new ServerWorker(harness, _timeout > MinReadyTimeout ? _timeout : MinReadyTimeout, _messages, null);
        }

        var input = InputSlot.Create();
        var info = new TargetStartInfo(_command[0])
        {
            StandardInputHandle = _inputOnStdin ? input.Handle : null,
            CaptureStandardError = true,
        };
        info.InheritedHandles.Add(input.Handle);
        foreach (string arg in _command.Skip(1))
        {
            info.Arguments.Add(arg.Replace(Placeholder, input.Path, StringComparison.Ordinal));
        }

        SetEnvironment(info, slot);
        // Where each child finds its input, opened by the server from the request's path.
        info.Environment["MEMCOV_SERVER_INPUT"] = _inputOnStdin ? "0" : $"{(int)input.Handle.DangerousGetHandle()}";
        // Every start-up symbol bound once, in the server, not lazily again in each child; the
        // server takes the variable out of its environment (MEMCOV_SERVER_BIND_NOW says it was ours).
        if (Environment.GetEnvironmentVariable("LD_BIND_NOW") is null)
        {
            info.Environment["LD_BIND_NOW"] = "1";
            info.Environment["MEMCOV_SERVER_BIND_NOW"] = "1";
        }
        return new ServerWorker(info, _timeout, _messages, input);
    }

    /// <summary>Set for the harness worker: call mcov_flush after each input (native/harness/worker.c).</summary>
    internal const string HarnessFlushVariable = "MEMCOV_HARNESS_FLUSH";

    private void SetEnvironment(TargetStartInfo info, WorkerSlot slot)
    {
        info.Environment["MEMCOV_REGION"] = slot.ScratchName ?? _region;
        SanitizerOptions.AbortOnError(info.Environment);
    }

    // A signal is a crash (a sanitizer's report too: SanitizerOptions makes it abort); a target's
    // own exit(139) is an exit.
    private static RunOutcome Classify(TargetExit exit) =>
        !exit.Exited ? RunOutcome.Crashed
        : exit.ExitCode == 0 ? RunOutcome.Passed
        : RunOutcome.Failed;
}
