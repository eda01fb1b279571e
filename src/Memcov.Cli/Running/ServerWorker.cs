using Memcov.SharedMem;

namespace Memcov.Cli;

/// <summary>
/// One worker of <c>memcov run</c> that keeps a server process across inputs (a
/// <see cref="TargetServer"/>): memcov-harness with a harness loaded, or the target itself as a
/// fork server, whose children find each input at the descriptor of an <see cref="InputSlot"/>. A server an input crashed or
/// hung is started again for the next. Its stderr is read to the end by <see cref="TargetMessages"/>.
/// </summary>
internal sealed class ServerWorker : IDisposable
{
    private static readonly TimeSpan StderrGrace = TimeSpan.FromSeconds(2);

    private readonly TargetStartInfo _start;
    private readonly TimeSpan _readyTimeout;
    private readonly TargetMessages _messages;
    private readonly InputSlot? _slot;
    private TargetServer? _server;
    private Task _stderr = Task.CompletedTask;

    /// <param name="start">What to start.</param>
    /// <param name="readyTimeout">How long the server may take to be ready.</param>
    /// <param name="messages">Where its stderr's lines go.</param>
    /// <param name="slot">The fork server's input descriptor (in <paramref name="start"/>'s arguments or stdin), which holds the first input for its start; null for a harness worker.</param>
    public ServerWorker(TargetStartInfo start, TimeSpan readyTimeout, TargetMessages messages, InputSlot? slot)
    {
        _start = start;
        _readyTimeout = readyTimeout;
        _messages = messages;
        _slot = slot;
    }

    /// <summary>Starts the server process if none runs.</summary>
    /// <exception cref="TargetServerException">It ended, or was killed, before it was ready.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired while it started.</exception>
    public void EnsureStarted(CancellationToken cancellationToken)
    {
        if (_server is not null)
        {
            return;
        }

        TargetServer server = _server = TargetServer.Start(_start, _readyTimeout, cancellationToken);
        _stderr = Task.Run(() => _messages.ReadToEnd(server.StandardError), CancellationToken.None);
    }

    /// <summary>Runs one input, starting the server first if need be; a server the input ended is gone after.</summary>
    /// <exception cref="TargetInputException">The input cannot be read into the slot.</exception>
    public ServerRunResult Run(string? input, TimeSpan timeout, CancellationToken cancellationToken)
    {
        // A fork server opens each input by its path for its child. Its first start reads the
        // slot, though: a target that never starts the fork server has run that input by the time that shows.
        if (_slot is not null && _server is null)
        {
            ArgumentNullException.ThrowIfNull(input);
            try
            {
                _slot.Fill(input);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new TargetInputException(input, $"cannot be read ({e.Message})");
            }
        }

        EnsureStarted(cancellationToken);
        TargetServer server = _server!;
        ServerRunResult result;
        using (cancellationToken.Register(static s => ((TargetServer)s!).Kill(), server))
        {
            result = server.Run(input, timeout);
        }

        if (result.ServerEnded)
        {
            Stop();
        }

        return result;
    }

    public void Dispose()
    {
        Stop();
        _slot?.Dispose();
    }

    private void Stop()
    {
        if (_server is null)
        {
            return;
        }

        // Ended first, so its stderr ends. A child that escaped its group may hold that open: then
        // the stream stays open (closing it would wait for the pending read) until that child ends.
        _server.Stop();
        if (_stderr.Wait(StderrGrace))
        {
            _server.Dispose();
        }

        _server = null;
    }
}
