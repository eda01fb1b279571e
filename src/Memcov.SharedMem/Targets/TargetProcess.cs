using System.IO.Pipes;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace Memcov.SharedMem;

/// <summary>
/// A program run so that it cannot outlive this process: started through libmemcov
/// (native/include/memcov_spawn.h) in a process group of its own and killed when this process dies
/// (PR_SET_PDEATHSIG, armed from libmemcov's one long-lived spawning thread); when it ends, the rest
/// of its process group (its background children) is killed too, and its raw wait status tells an
/// exit from a signal. A child that left the target's process group (setsid) is not reached.
/// </summary>
public sealed class TargetProcess : IDisposable
{
    private readonly AnonymousPipeServerStream? _stderr;
    private int _exited;

    private TargetProcess(int pid, AnonymousPipeServerStream? stderr)
    {
        Id = pid;
        _stderr = stderr;
        StandardError = stderr is null ? StreamReader.Null : new StreamReader(stderr, Encoding.UTF8);
    }

    /// <summary>The target's process id, also its process group's.</summary>
    public int Id { get; }

    /// <summary>The target's standard error, when <see cref="TargetStartInfo.CaptureStandardError"/>; else empty.</summary>
    public StreamReader StandardError { get; }

    /// <summary>Starts a target.</summary>
    /// <param name="info">What to run.</param>
    /// <returns>The running target; wait for it with <see cref="WaitForExit(int, out TargetExit)"/>.</returns>
    /// <exception cref="FileNotFoundException">The program is not there (or not in <c>PATH</c>).</exception>
    /// <exception cref="UnauthorizedAccessException">The program may not be run.</exception>
    /// <exception cref="TargetInputException">The standard input file is missing, unreadable or not a regular file.</exception>
    /// <exception cref="IOException">The target could not be started otherwise.</exception>
    /// <exception cref="PlatformNotSupportedException">The system is not Linux.</exception>
    public static TargetProcess Start(TargetStartInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("Targets are started through libmemcov, which runs on Linux.");
        }

        int pid = 0;
        AnonymousPipeServerStream? stderr = NativeSpawnRequest.Launch(info, (in Interop.Memcov.SpawnRequest r) => Interop.Memcov.Spawn(r, out pid));
        return new TargetProcess(pid, stderr);
    }

    /// <summary>The exception for a failed mcov_spawn or mcov_server_start, with libmemcov's message.</summary>
    internal static Exception SpawnFailure(int status, string path)
    {
        string message = NativeStatus.LastError;
        return status switch
        {
            Interop.Memcov.MCOV_E_NOT_FOUND => new FileNotFoundException(message, path),
            Interop.Memcov.MCOV_E_PERMISSION => new UnauthorizedAccessException(message),
            _ => new IOException(message),
        };
    }

    /// <summary>Waits up to <paramref name="timeoutMs"/> ms (-1: without limit) for the target to end.</summary>
    /// <param name="timeoutMs">How long to wait.</param>
    /// <param name="exit">How it ended, once it did.</param>
    /// <returns><see langword="true"/> once it ended (its process group is then killed); <see langword="false"/> if it still runs.</returns>
    /// <exception cref="InvalidOperationException">The target was waited for already.</exception>
    public bool WaitForExit(int timeoutMs, out TargetExit exit)
    {
        if (Volatile.Read(ref _exited) != 0)
        {
            throw new InvalidOperationException($"Target {Id} ended and was waited for already.");
        }

        int status = Interop.Memcov.SpawnWait(Id, timeoutMs, out int raw);
        if (status == 1)
        {
            exit = default;
            return false;
        }

        if (status != Interop.Memcov.MCOV_OK)
        {
            throw new IOException(NativeStatus.LastError);
        }

        Volatile.Write(ref _exited, 1);
        exit = new TargetExit(raw);
        return true;
    }

    /// <summary>Kills the target and its process group (SIGKILL); wait for it afterwards. Does nothing once it was waited for.</summary>
    public void Kill()
    {
        if (Volatile.Read(ref _exited) == 0)
        {
            _ = Interop.Memcov.SpawnKill(Id);
        }
    }

    /// <summary>Kills the target if it still runs and waits for it; closes its standard error.</summary>
    public void Dispose()
    {
        if (Volatile.Read(ref _exited) == 0)
        {
            Kill();
            _ = WaitForExit(-1, out _);
        }

        StandardError.Dispose();
        _stderr?.Dispose();
    }

    // As execvp looks a name up: the first executable file in PATH.
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    internal static string Resolve(string fileName)
    {
        if (fileName.Contains('/', StringComparison.Ordinal))
        {
            return fileName;
        }

        string search = System.Environment.GetEnvironmentVariable("PATH") ?? "/usr/local/bin:/usr/bin:/bin";
        foreach (string dir in search.Split(':'))
        {
            string candidate = Path.Combine(dir.Length == 0 ? "." : dir, fileName);
            if (File.Exists(candidate)
                && (File.GetUnixFileMode(candidate) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0)
            {
                return candidate;
            }
        }

        throw new FileNotFoundException($"cannot run {fileName}: no such program in PATH", fileName);
    }

    // Only a regular file: opening a FIFO would block before any timeout could start.
    internal static SafeFileHandle OpenInput(string path)
    {
        if (Interop.Libc.Statx(Interop.Libc.AT_FDCWD, path, 0, Interop.Libc.STATX_BASIC_STATS, out Interop.Libc.StatxBuffer st) != 0)
        {
            throw new TargetInputException(path, $"cannot be read ({Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())})");
        }

        if ((st.Mode & Interop.Libc.S_IFMT) != Interop.Libc.S_IFREG)
        {
            throw new TargetInputException(path, "is not a regular file (a FIFO, a device or a directory)");
        }

        try
        {
            return File.OpenHandle(path, FileMode.Open, FileAccess.Read);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new TargetInputException(path, $"cannot be read ({e.Message})");
        }
    }

    internal static string[] Environ(IDictionary<string, string?> overrides)
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (System.Collections.DictionaryEntry e in System.Environment.GetEnvironmentVariables())
        {
            env[(string)e.Key] = (string?)e.Value ?? string.Empty;
        }

        foreach ((string key, string? value) in overrides)
        {
            if (value is null)
            {
                env.Remove(key);
            }
            else
            {
                env[key] = value;
            }
        }

        return [.. env.Select(e => $"{e.Key}={e.Value}")];
    }
}
