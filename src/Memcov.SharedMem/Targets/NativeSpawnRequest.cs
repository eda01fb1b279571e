using System.IO.Pipes;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Memcov.SharedMem;

/// <summary>
/// An <c>mcov_spawn_request</c> (native/include/memcov_spawn.h) in native memory: the program's
/// path, argv and the whole environment as UTF-8 strings, freed on dispose. The one place that
/// lays out what libmemcov's spawn and server calls read.
/// </summary>
internal sealed unsafe class NativeSpawnRequest : IDisposable
{
    private readonly List<nint> _blocks = [];
    private Interop.Memcov.SpawnRequest _request;

    /// <param name="path">The program's resolved path.</param>
    /// <param name="argv">argv, argv[0] included.</param>
    /// <param name="envp">The whole environment, <c>NAME=value</c>.</param>
    /// <param name="stdinFd">The target's descriptor 0; -1: /dev/null.</param>
    /// <param name="stdoutFd">Its descriptor 1; -1: /dev/null.</param>
    /// <param name="stderrFd">Its descriptor 2; -1: /dev/null.</param>
    /// <param name="keepFds">More descriptors it keeps, at the same numbers.</param>
    public NativeSpawnRequest(string path, IReadOnlyList<string> argv, IReadOnlyList<string> envp, int stdinFd, int stdoutFd, int stderrFd,
        IReadOnlyList<int>? keepFds = null)
    {
        try
        {
            _request = new Interop.Memcov.SpawnRequest
            {
                Path = Utf8(path),
                Argv = Vector(argv),
                Envp = Vector(envp),
                StdinFd = stdinFd,
                StdoutFd = stdoutFd,
                StderrFd = stderrFd,
                KeepFds = keepFds is { Count: > 0 } ? Ints(keepFds) : null,
                KeepCount = (uint)(keepFds?.Count ?? 0),
            };
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>The native call that starts a program from a request: mcov_spawn or mcov_server_start.</summary>
    internal delegate int NativeStart(in Interop.Memcov.SpawnRequest request);

    /// <summary>
    /// Starts what <paramref name="info"/> describes through <paramref name="start"/>: the program
    /// resolved, its stdin file opened, its stderr piped when asked, every descriptor in place.
    /// </summary>
    /// <returns>The read end of the target's stderr (the caller's), or null without <see cref="TargetStartInfo.CaptureStandardError"/>.</returns>
    /// <exception cref="FileNotFoundException">The program is not there.</exception>
    /// <exception cref="UnauthorizedAccessException">The program may not be run.</exception>
    /// <exception cref="TargetInputException">The standard input file is missing, unreadable or not a regular file.</exception>
    /// <exception cref="IOException">It could not be started otherwise.</exception>
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    internal static AnonymousPipeServerStream? Launch(TargetStartInfo info, NativeStart start)
    {
        string path = TargetProcess.Resolve(info.FileName);
        using SafeFileHandle? opened = info.StandardInputFile is null ? null : TargetProcess.OpenInput(info.StandardInputFile);
        SafeFileHandle? input = opened ?? info.StandardInputHandle;
        AnonymousPipeServerStream? stderr = info.CaptureStandardError
            ? new AnonymousPipeServerStream(PipeDirection.In, HandleInheritability.None)
            : null;
        try
        {
            int status;
            using (var request = new NativeSpawnRequest(path, [info.FileName, .. info.Arguments], TargetProcess.Environ(info.Environment),
                input is null ? -1 : (int)input.DangerousGetHandle(),
                info.StandardOutput is null ? -1 : (int)info.StandardOutput.DangerousGetHandle(),
                stderr is null ? -1 : (int)stderr.ClientSafePipeHandle.DangerousGetHandle(),
                [.. info.InheritedHandles.Select(h => (int)h.DangerousGetHandle())]))
            {
                status = start(request.Request);
            }

            if (status != Interop.Memcov.MCOV_OK)
            {
                throw TargetProcess.SpawnFailure(status, path);
            }

            stderr?.DisposeLocalCopyOfClientHandle();
            return stderr;
        }
        catch
        {
            stderr?.Dispose();
            throw;
        }
    }

    /// <summary>The request, valid until this is disposed.</summary>
    public ref readonly Interop.Memcov.SpawnRequest Request => ref _request;

    public void Dispose()
    {
        foreach (nint block in _blocks)
        {
            NativeMemory.Free((void*)block);
        }

        _blocks.Clear();
        _request = default;
    }

    private byte* Utf8(string s)
    {
        int n = System.Text.Encoding.UTF8.GetByteCount(s);
        byte* p = (byte*)NativeMemory.Alloc((nuint)n + 1);
        _blocks.Add((nint)p);
        System.Text.Encoding.UTF8.GetBytes(s, new Span<byte>(p, n));
        p[n] = 0;
        return p;
    }

    private int* Ints(IReadOnlyList<int> values)
    {
        int* v = (int*)NativeMemory.Alloc((nuint)values.Count, sizeof(int));
        _blocks.Add((nint)v);
        for (int i = 0; i < values.Count; i++)
        {
            v[i] = values[i];
        }

        return v;
    }

    private byte** Vector(IReadOnlyList<string> strings)
    {
        byte** v = (byte**)NativeMemory.Alloc((nuint)(strings.Count + 1), (nuint)sizeof(nint));
        _blocks.Add((nint)v);
        for (int i = 0; i < strings.Count; i++)
        {
            v[i] = Utf8(strings[i]);
        }

        v[strings.Count] = null;
        return v;
    }
}
