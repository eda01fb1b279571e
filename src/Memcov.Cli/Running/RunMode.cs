namespace Memcov.Cli;

/// <summary>How <c>memcov run</c> runs its inputs.</summary>
internal enum RunMode
{
    /// <summary>The command once per input.</summary>
    Exec,

    /// <summary>The command started once per worker, forked per input at the end of its start-up.</summary>
    ForkServer,

    /// <summary>A harness library loaded once per worker, called per input.</summary>
    Harness,
}
