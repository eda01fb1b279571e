namespace Memcov.SharedMem;

/// <summary>
/// A server (<see cref="TargetServer"/>) ended, or was killed, before it said it was ready: a
/// harness that does not load, say. <see cref="StandardError"/> holds what it wrote on stderr.
/// </summary>
public sealed class TargetServerException : IOException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What happened (libmemcov's message).</param>
    /// <param name="exit">How the server ended; <see langword="null"/> when it was killed at the time limit.</param>
    /// <param name="standardError">What it wrote on stderr (the start of it).</param>
    public TargetServerException(string message, TargetExit? exit, string standardError)
        : base(message)
    {
        Exit = exit;
        StandardError = standardError;
    }

    /// <summary>How the server ended; <see langword="null"/> when it was killed at the time limit.</summary>
    public TargetExit? Exit { get; }

    /// <summary>What the server wrote on stderr before it ended (at most 64 KiB).</summary>
    public string StandardError { get; }
}
