namespace Memcov.SharedMem;

/// <summary>
/// How a target ended, from its raw wait status: an exit with a code, or a signal. A target's own
/// <c>exit(139)</c> is an exit with code 139, never a SIGSEGV.
/// </summary>
/// <param name="RawStatus">The status <c>waitpid</c> gave.</param>
public readonly record struct TargetExit(int RawStatus)
{
    /// <summary>Whether the target called exit (or returned from main).</summary>
    public bool Exited => (RawStatus & 0x7f) == 0;

    /// <summary>The exit code, when <see cref="Exited"/>; else -1.</summary>
    public int ExitCode => Exited ? (RawStatus >> 8) & 0xff : -1;

    /// <summary>Whether a signal ended the target.</summary>
    public bool Signaled => !Exited && (RawStatus & 0x7f) != 0x7f;

    /// <summary>The signal that ended the target, when <see cref="Signaled"/>; else 0.</summary>
    public int Signal => Signaled ? RawStatus & 0x7f : 0;

    /// <inheritdoc />
    public override string ToString() => Exited ? $"exit {ExitCode}" : $"signal {Signal}";
}
