using System.IO.Pipes;
using System.Text;

namespace Memcov.SharedMem;

/// <summary>
/// A target that runs many inputs, one at a time, over pipes libmemcov sets up
/// (<c>mcov_server_*</c>, native/include/memcov_spawn.h): the harness worker of
/// <c>memcov run --harness</c>. It starts as a <see cref="TargetProcess"/> does (its own process
/// group, killed with this process); a run that crashes or hangs it ends it, and the caller starts another.
/// </summary>
public sealed class TargetServer : IDisposable
{
    private const int StopGraceMs = 1000;
    private const int MaxStartError = 64 * 1024;
    private static readonly TimeSpan StartErrorWait = TimeSpan.FromSeconds(2);

    private readonly Lock _gate = new();
    private readonly AnonymousPipeServerStream? _stderr;
    private nint _handle;

    private TargetServer(nint handle, AnonymousPipeServerStream? stderr)
    {
        _handle = handle;
        _stderr = stderr;
        StandardError = stderr is null ? StreamReader.Null : new StreamReader(stderr, Encoding.UTF8);
    }

    /// <summary>The server's standard error, when <see cref="TargetStartInfo.CaptureStandardError"/>; else empty.</summary>
    public StreamReader StandardError { get; }

    /// <summary>Starts a server and waits until it says it is ready.</summary>
    /// <param name="info">What to run (a <see cref="TargetStartInfo.StandardInputFile"/> is opened once, for the server).</param>
    /// <param name="readyTimeout">How long it may take to be ready.</param>
    /// <param name="cancellationToken">Kills the server if it fires before the server is ready.</param>
    /// <exception cref="FileNotFoundException">The program is not there.</exception>
    /// <exception cref="UnauthorizedAccessException">The program may not be run.</exception>
    /// <exception cref="TargetServerException">It ended, or was killed at <paramref name="readyTimeout"/>, before it was ready.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired first.</exception>
    /// <exception cref="IOException">It could not be started otherwise.</exception>
    /// <exception cref="PlatformNotSupportedException">The system is not Linux.</exception>
    public static TargetServer Start(TargetStartInfo info, TimeSpan readyTimeout, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(info);
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("Servers are started through libmemcov, which runs on Linux.");
        }

        nint handle = 0;
        AnonymousPipeServerStream? stderr = NativeSpawnRequest.Launch(info, (in Interop.Memcov.SpawnRequest r) => Interop.Memcov.ServerStart(r, out handle));
        var server = new TargetServer(handle, stderr);
        int ready, raw;
        using (cancellationToken.Register(static s => ((TargetServer)s!).Kill(), server))
        {
            ready = Interop.Memcov.ServerReady(server._handle, Milliseconds(readyTimeout), out raw);
        }

        if (ready == Interop.Memcov.MCOV_OK)
        {
            return server;
        }

        string message = NativeStatus.LastError;
        server.Stop();
        string standardError = ReadStart(server._stderr, out bool ended);
        if (ended)
        {
            server.Dispose(); // else a read is pending on it, and closing it would wait for that read
        }

        cancellationToken.ThrowIfCancellationRequested();
        throw new TargetServerException(message, raw == -1 ? null : new TargetExit(raw), standardError);
    }

    /// <summary>Runs one input; blocks until it returned, its process ended, or <paramref name="timeout"/> passed.</summary>
    /// <param name="input">The input's path; <see langword="null"/> for none.</param>
    /// <param name="timeout">The run's time limit.</param>
    /// <exception cref="ObjectDisposedException">The server was disposed.</exception>
    /// <exception cref="ArgumentException">The path is longer than a request carries (4000 bytes).</exception>
    public ServerRunResult Run(string? input, TimeSpan timeout)
    {
        nint handle = Volatile.Read(ref _handle);
        ObjectDisposedException.ThrowIf(handle == 0, this);
        int status = Interop.Memcov.ServerRun(handle, input, Math.Max(1, Milliseconds(timeout)), out Interop.Memcov.RunOutcome o);
        if (status != Interop.Memcov.MCOV_OK)
        {
            throw new ArgumentException(NativeStatus.LastError, nameof(input));
        }

        return new ServerRunResult((ServerRunKind)o.Kind, o.Status, o.Pid, o.ServerEnded != 0);
    }

    /// <summary>Kills the server and the run under way (from any thread); does nothing once disposed.</summary>
    public void Kill()
    {
        lock (_gate)
        {
            if (_handle != 0)
            {
                _ = Interop.Memcov.ServerKill(_handle);
            }
        }
    }

    /// <summary>
    /// Tells the server to end, kills it if it does not within a second, and waits for it; its
    /// <see cref="StandardError"/> stays open to be read to its end.
    /// </summary>
    public void Stop()
    {
        lock (_gate)
        {
            if (_handle != 0)
            {
                _ = Interop.Memcov.ServerStop(_handle, StopGraceMs);
                _handle = 0;
            }
        }
    }

    /// <summary><see cref="Stop"/>, then closes its standard error.</summary>
    public void Dispose()
    {
        Stop();
        StandardError.Dispose();
        _stderr?.Dispose();
    }

    /// <summary>The harness worker's file name, beside libmemcov.so.2 (or in its <c>memcov/</c> directory, as installed).</summary>
    internal const string HarnessWorkerName = "memcov-harness";

    /// <summary>
    /// The harness worker that goes with the loaded libmemcov. A copy that lost its execute bit on
    /// the way (a package's zip) gets it back.
    /// </summary>
    /// <exception cref="FileNotFoundException">No worker beside the runtime.</exception>
    /// <exception cref="UnauthorizedAccessException">It is not executable and cannot be made so.</exception>
    internal static string FindHarnessWorker()
    {
        string? library = MemcovLibrary.LoadedPath;
        string dir = Path.GetDirectoryName(library) ?? AppContext.BaseDirectory;
        string[] candidates = [Path.Combine(dir, HarnessWorkerName), Path.Combine(dir, "memcov", HarnessWorkerName)];
        string? found = candidates.FirstOrDefault(File.Exists)
            ?? throw new FileNotFoundException($"The harness worker {HarnessWorkerName} is not beside {library ?? "libmemcov.so.2"}; reinstall Memcov.", candidates[0]);
        const UnixFileMode Execute = UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
        if (OperatingSystem.IsLinux() && (File.GetUnixFileMode(found) & UnixFileMode.UserExecute) == 0)
        {
            try
            {
                File.SetUnixFileMode(found, File.GetUnixFileMode(found) | Execute);
            }
            catch (IOException e)
            {
                throw new UnauthorizedAccessException($"The harness worker {found} is not executable: {e.Message}", e);
            }
        }

        return found;
    }

    private static int Milliseconds(TimeSpan t) => (int)Math.Clamp(t.TotalMilliseconds, 0, int.MaxValue);

    // The server is gone: its stderr ends once its children are gone too (they were killed with its
    // group). A process that escaped the group may hold it open: then what came within a moment.
    private static string ReadStart(AnonymousPipeServerStream? stderr, out bool ended)
    {
        ended = true;
        if (stderr is null)
        {
            return string.Empty;
        }

        var buffer = new byte[MaxStartError];
        int n = 0;
        Task reading = Task.Run(() =>
        {
            try
            {
                for (int got; Volatile.Read(ref n) < buffer.Length && (got = stderr.Read(buffer, n, buffer.Length - n)) > 0;)
                {
                    Volatile.Write(ref n, n + got);
                }
            }
            catch (IOException)
            {
                // Broken: what was read is what there is.
            }
        });
        ended = reading.Wait(StartErrorWait);
        return Encoding.UTF8.GetString(buffer, 0, Volatile.Read(ref n));
    }
}
