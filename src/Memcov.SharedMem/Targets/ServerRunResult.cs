namespace Memcov.SharedMem;

/// <summary>What <see cref="TargetServer.Run"/> gives for one input (<c>mcov_run_outcome</c>).</summary>
/// <param name="Kind">How the input ran.</param>
/// <param name="Status">What the entry point returned, the raw wait status, or an errno, by <paramref name="Kind"/>.</param>
/// <param name="ProcessId">The process that ran the input.</param>
/// <param name="ServerEnded">Whether the server is gone; the next run needs another.</param>
public readonly record struct ServerRunResult(ServerRunKind Kind, int Status, int ProcessId, bool ServerEnded)
{
    /// <summary>How the process that ran the input ended, when <see cref="Kind"/> is <see cref="ServerRunKind.Ended"/>.</summary>
    public TargetExit? Exit => Kind == ServerRunKind.Ended ? new TargetExit(Status) : null;
}
