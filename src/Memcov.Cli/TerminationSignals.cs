using System.Runtime.InteropServices;
using System.Text;
using Memcov.SharedMem;
using Microsoft.Win32.SafeHandles;

namespace Memcov.Cli;

/// <summary>
/// SIGINT and SIGTERM for the whole process. The first one cancels the command's token: <c>run</c>
/// kills its targets, prints its summary and exits 130, <c>watch</c> stops. A second one, whatever
/// the command is doing (waiting on a full pipe, a slow disk), exits at once with 130 and one line.
/// </summary>
internal sealed class TerminationSignals : IDisposable
{
    private const string ShowCursor = "\u001b[?25h";

    private readonly CancellationTokenSource _cancel = new();
    private readonly bool _stderrIsTerminal = !Console.IsErrorRedirected;
    private readonly PosixSignalRegistration _interrupt;
    private readonly PosixSignalRegistration _terminate;
    private int _received;

    /// <summary>Takes over SIGINT and SIGTERM until disposed.</summary>
    public TerminationSignals()
    {
        _interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        _terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
    }

    /// <summary>Cancelled at the first signal.</summary>
    public CancellationToken Token => _cancel.Token;

    /// <inheritdoc />
    public void Dispose()
    {
        _interrupt.Dispose();
        _terminate.Dispose();
        _cancel.Dispose();
    }

    private void OnSignal(PosixSignalContext context)
    {
        // The process is not ended by the signal itself: the command winds down, or the second signal exits.
        context.Cancel = true;
        if (Interlocked.Increment(ref _received) == 1)
        {
            // Cancellation callbacks run elsewhere, so this handler never waits on the command.
            _ = _cancel.CancelAsync();
            return;
        }

        // Straight to file descriptor 2 and out: a write to Console.Error takes the lock of Console.Out,
        // which the command may hold while it is stuck writing, and so may exit handlers.
        string line = $"memcov: second signal ({context.Signal}): exiting now, without waiting for the command to finish.\n";
        try
        {
            using var stderr = new FileStream(new SafeFileHandle(2, ownsHandle: false), FileAccess.Write, bufferSize: 0);
            // A live view hides the cursor; the terminal gets it back.
            stderr.Write(Encoding.UTF8.GetBytes(_stderrIsTerminal ? line + ShowCursor : line));
        }
        catch (Exception e) when (e is IOException or ArgumentException or UnauthorizedAccessException)
        {
            // No stderr to tell: exit all the same.
        }

        Interop.Libc.Exit(CliApp.Interrupted);
    }
}
