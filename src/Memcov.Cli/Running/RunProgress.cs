namespace Memcov.Cli;

/// <summary>Counters of a run, updated by its workers and read by the live view.</summary>
internal sealed class RunProgress
{
    private int _done;
    private int _crashes;
    private int _timeouts;
    private int _failures;
    private int _interrupted;

    public RunProgress(int total) => Total = total;

    /// <summary>Inputs (or runs) to do.</summary>
    public int Total { get; }

    /// <summary>Inputs finished, however they ended.</summary>
    public int Done => Volatile.Read(ref _done);

    /// <summary>Runs that ended by a signal other than the tool's own kill.</summary>
    public int Crashes => Volatile.Read(ref _crashes);

    /// <summary>Runs killed after the timeout.</summary>
    public int Timeouts => Volatile.Read(ref _timeouts);

    /// <summary>Runs that exited with a non-zero code.</summary>
    public int Failures => Volatile.Read(ref _failures);

    /// <summary>Runs killed because the run was stopped (Ctrl-C); they are not counted as done.</summary>
    public int Interrupted => Volatile.Read(ref _interrupted);

    /// <summary>Counts one finished run.</summary>
    public void Record(RunOutcome outcome)
    {
        switch (outcome)
        {
            case RunOutcome.Crashed:
                Interlocked.Increment(ref _crashes);
                break;
            case RunOutcome.TimedOut:
                Interlocked.Increment(ref _timeouts);
                break;
            case RunOutcome.Failed:
                Interlocked.Increment(ref _failures);
                break;
            case RunOutcome.Interrupted:
                Interlocked.Increment(ref _interrupted);
                return;
        }

        Interlocked.Increment(ref _done);
    }
}

/// <summary>How one run of the target ended.</summary>
internal enum RunOutcome
{
    /// <summary>Exit code 0.</summary>
    Passed,

    /// <summary>A non-zero exit code.</summary>
    Failed,

    /// <summary>Killed by a signal (SIGSEGV, SIGABRT, …) that the tool did not send.</summary>
    Crashed,

    /// <summary>Still running at the timeout; the tool killed it.</summary>
    TimedOut,

    /// <summary>Killed by the tool because the whole run was stopped.</summary>
    Interrupted,
}
