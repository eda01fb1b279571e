using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Microsoft.Win32.SafeHandles;

namespace Memcov.SharedMem;

/// <summary>
/// Writes a file whole, then puts it at its path in one rename: a reader sees the old file or the new
/// one, never a part, and a failed write leaves the old file as it was.
/// </summary>
/// <remarks>
/// The new file is created beside the target under a random name with O_CREAT|O_EXCL, which never
/// opens anything already there (a symlink planted at a guessed name included), and a clash is tried
/// again under another name. The rename replaces a regular file or a symlink at the target (the link
/// itself: what it points to is untouched); a directory, FIFO, device or socket there is refused
/// before anything is written. On every failure the new file is removed.
/// </remarks>
internal static class AtomicFile
{
    // Names clash only when something picks the same 96 random bits; a few tries are plenty.
    private const int Attempts = 8;

    /// <summary>Writes <paramref name="contents"/> to <paramref name="path"/>, replacing what is there.</summary>
    /// <param name="path">The file.</param>
    /// <param name="contents">The file's bytes.</param>
    /// <exception cref="IOException">The target is not a regular file or a symlink, or the write failed.</exception>
    /// <exception cref="UnauthorizedAccessException">The directory cannot be written by this user.</exception>
    public static void Write(string path, ReadOnlySpan<byte> contents)
    {
        ArgumentNullException.ThrowIfNull(path);
        string target = Path.GetFullPath(path);
        RegularFile.ThrowIfNotReplaceable(target);
        string directory = Path.GetDirectoryName(target)!;
        (string temporary, SafeFileHandle handle) = CreateBeside(target, directory);
        try
        {
            try
            {
                RandomAccess.Write(handle, contents, fileOffset: 0);
            }
            catch (ArgumentOutOfRangeException e)
            {
                // What .NET makes of EFBIG.
                throw new IOException($"Cannot write '{target}': its {contents.Length} bytes are more than the file system or the process's file size limit allows.", e);
            }

            RandomAccess.FlushToDisk(handle);
            handle.Dispose();

            // Checked again just before the rename: a directory or device put there meanwhile is left alone.
            RegularFile.ThrowIfNotReplaceable(target);
            File.Move(temporary, target, overwrite: true);
        }
        catch
        {
            handle.Dispose();
            TryDelete(temporary);
            throw;
        }
    }

    private static void TryDelete(string temporary)
    {
        try
        {
            File.Delete(temporary);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The write's own error is the one to report.
        }
    }

    private static (string Path, SafeFileHandle Handle) CreateBeside(string target, string directory)
    {
        // The target's name says whose file a leftover is (after a crash); a long one would pass NAME_MAX.
        string name = Path.GetFileName(target);
        name = System.Text.Encoding.UTF8.GetByteCount(name) <= 200 ? name : "memcov";
        for (int attempt = 0; ; attempt++)
        {
            string temporary = Path.Combine(directory, $".{name}.{RandomNumberGenerator.GetHexString(24, lowercase: true)}.tmp");
            int fd = Interop.Libc.Open(temporary, Interop.Libc.O_WRONLY | Interop.Libc.O_CREAT | Interop.Libc.O_EXCL | Interop.Libc.O_CLOEXEC, RegularFile.CreateMode);
            if (fd >= 0)
            {
                return (temporary, new SafeFileHandle(fd, ownsHandle: true));
            }

            int errno = Marshal.GetLastPInvokeError();
            if ((errno != Interop.Libc.EEXIST && errno != Interop.Libc.EINTR) || attempt == Attempts)
            {
                throw RegularFile.Error(target, $"create a file in '{directory}' to write '{target}'", errno);
            }
        }
    }
}
