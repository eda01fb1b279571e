using System.Runtime.InteropServices;
using Memcov.SharedMem;
using Microsoft.Win32.SafeHandles;

namespace Memcov.Cli;

/// <summary>
/// A fork server worker's input descriptor: a file in memory (memfd) that the server keeps at the
/// same number, named <c>/dev/fd/N</c> in the target's arguments or given as its stdin. It holds
/// the first input, for the server's start (a target that never starts the fork server reads it
/// there); the server then puts each input's own file at that number in each child. No file on
/// disk, so nothing is left behind whatever happens to the run.
/// </summary>
internal sealed class InputSlot : IDisposable
{
    private InputSlot(SafeFileHandle handle)
    {
        Handle = handle;
        Path = $"/dev/fd/{(int)handle.DangerousGetHandle()}";
    }

    public SafeFileHandle Handle { get; }

    /// <summary>The path a child opens the input by.</summary>
    public string Path { get; }

    /// <exception cref="IOException">No memfd could be made.</exception>
    public static InputSlot Create()
    {
        SafeFileHandle handle = Interop.Libc.MemfdCreate("memcov-input", Interop.Libc.MFD_CLOEXEC);
        if (handle.IsInvalid)
        {
            int errno = Marshal.GetLastPInvokeError();
            handle.Dispose();
            throw new IOException($"cannot make a file in memory for the fork server's input: {Marshal.GetPInvokeErrorMessage(errno)}");
        }

        return new InputSlot(handle);
    }

    /// <summary>Makes the slot hold <paramref name="input"/>'s bytes.</summary>
    /// <exception cref="IOException">The input cannot be read.</exception>
    /// <exception cref="UnauthorizedAccessException">The input may not be read.</exception>
    public void Fill(string input)
    {
        using FileStream source = RegularFile.OpenRead(input);
        using var target = new FileStream(new SafeFileHandle(Handle.DangerousGetHandle(), ownsHandle: false), FileAccess.Write);
        // Positioned writes (pwrite): the descriptor's own offset, which the server shares as a stdin, stays 0.
        target.SetLength(0);
        target.Position = 0;
        source.CopyTo(target);
    }

    public void Dispose() => Handle.Dispose();
}
