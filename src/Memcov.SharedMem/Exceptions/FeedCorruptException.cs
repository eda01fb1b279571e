namespace Memcov.SharedMem;

/// <summary>A coverage feed is not in the feed format, or is damaged at some byte.</summary>
public sealed class FeedCorruptException : IOException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="offset">Byte offset in the feed where the problem starts.</param>
    /// <param name="problem">What is wrong there.</param>
    public FeedCorruptException(long offset, string problem)
        : base(
            $"The coverage feed is not valid at byte {offset}: {problem}. The records before it were read; " +
            "record the feed again (memcov run/watch --record) if the rest is needed.")
    {
        Offset = offset;
        Problem = problem;
    }

    /// <summary>Byte offset in the feed where the problem starts.</summary>
    public long Offset { get; }

    /// <summary>What is wrong there.</summary>
    public string Problem { get; }
}
