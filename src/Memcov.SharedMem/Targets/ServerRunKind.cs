namespace Memcov.SharedMem;

/// <summary>How one input ran on a <see cref="TargetServer"/> (<c>enum mcov_run_kind</c>).</summary>
public enum ServerRunKind
{
    /// <summary>The input ran and the entry point returned; <see cref="ServerRunResult.Status"/> is what it returned.</summary>
    Returned = 0,

    /// <summary>The process running the input ended; <see cref="ServerRunResult.Exit"/> says how.</summary>
    Ended = 1,

    /// <summary>Killed at the run's time limit.</summary>
    TimedOut = 2,

    /// <summary>The input could not be read; <see cref="ServerRunResult.Status"/> is the errno.</summary>
    Unreadable = 3,

    /// <summary>The server had ended before the request; the input did not run.</summary>
    NotRun = 4,
}
