using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Memcov.SharedMem;

/// <summary>
/// Opens a path only when it is a regular file. Maps and feeds are files; what else may sit at a path
/// does harm when treated as one: open() waits forever on a FIFO that no process writes, a device
/// such as <c>/dev/zero</c> never ends, and a write through a symlink lands wherever the link points.
/// </summary>
/// <remarks>
/// The type is checked before the open, so a device is never opened, and again on the open
/// descriptor, so a file swapped in between is caught too. Opens use O_NONBLOCK, which makes an open
/// of a FIFO return at once instead of waiting for a peer (and changes nothing for a regular file).
/// </remarks>
internal static class RegularFile
{
    /// <summary>0666 less the umask: the mode any program creates a file with.</summary>
    internal const uint CreateMode = 0x1B6;

    /// <summary>Opens <paramref name="path"/> for reading; a symlink to a regular file is followed.</summary>
    /// <param name="path">The file.</param>
    /// <param name="maxBytes">The largest file the caller can take.</param>
    /// <param name="tooLarge">Why the caller cannot take a larger file, for the message.</param>
    /// <returns>The file, positioned at its start.</returns>
    /// <exception cref="FileNotFoundException">Nothing is at the path.</exception>
    /// <exception cref="IOException">It is not a regular file, or it is larger than <paramref name="maxBytes"/>.</exception>
    /// <exception cref="UnauthorizedAccessException">The file cannot be read by this user.</exception>
    public static FileStream OpenRead(string path, long maxBytes = long.MaxValue, string tooLarge = "")
    {
        ArgumentNullException.ThrowIfNull(path);
        ThrowIfNotRegular(path, followSymlink: true);
        SafeFileHandle file = Open(path, Interop.Libc.O_RDONLY, "read");
        try
        {
            long size = CheckOpened(file, path);
            if (size > maxBytes)
            {
                throw new IOException($"'{path}' is {size} bytes; {tooLarge}");
            }

            return new FileStream(file, FileAccess.Read);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Creates <paramref name="path"/>, or empties it when it is a regular file, to be written from the
    /// start; never follows a symlink at the path and never opens anything but a regular file.
    /// </summary>
    /// <param name="path">The file.</param>
    /// <returns>The empty file.</returns>
    /// <exception cref="IOException">Something other than a regular file is at the path, or it cannot be created.</exception>
    /// <exception cref="UnauthorizedAccessException">The file or its directory cannot be written by this user.</exception>
    public static FileStream CreateOrTruncate(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        ThrowIfNotRegular(path, followSymlink: false, missingIsFine: true);
        SafeFileHandle file = Open(path, Interop.Libc.O_WRONLY | Interop.Libc.O_CREAT | Interop.Libc.O_TRUNC | Interop.Libc.O_NOFOLLOW, "write");
        try
        {
            CheckOpened(file, path);
            return new FileStream(file, FileAccess.Write);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Why <paramref name="path"/> is not a regular file ("is a FIFO", "does not exist"), or null when
    /// it is one. A symlink counts as what it points to when <paramref name="followSymlink"/> is set.
    /// </summary>
    /// <param name="path">The path.</param>
    /// <param name="followSymlink">Whether to look through a symlink at the path.</param>
    /// <returns>The reason, or <see langword="null"/>.</returns>
    public static string? WhyNotRegular(string path, bool followSymlink)
    {
        ArgumentNullException.ThrowIfNull(path);
        int errno = Stat(path, followSymlink, out int mode);
        return errno == Interop.Libc.ENOENT ? "does not exist"
            : errno != 0 ? $"cannot be read ({Marshal.GetPInvokeErrorMessage(errno)})"
            : (mode & Interop.Libc.S_IFMT) == Interop.Libc.S_IFREG ? null
            : $"is {KindOf(mode)}, not a regular file";
    }

    /// <summary>
    /// Throws unless <paramref name="path"/> is a regular file, a symlink (itself, not its target) or
    /// nothing: what a file may be replaced by a rename over it.
    /// </summary>
    /// <param name="path">The path.</param>
    /// <exception cref="IOException">A directory, a FIFO, a device or a socket is at the path.</exception>
    public static void ThrowIfNotReplaceable(string path)
    {
        int errno = Stat(path, followSymlink: false, out int mode);
        if (errno == 0 && (mode & Interop.Libc.S_IFMT) is not (Interop.Libc.S_IFREG or Interop.Libc.S_IFLNK))
        {
            throw NotRegular(path, mode);
        }
    }

    /// <summary>What a file of <paramref name="mode"/> is, for messages: "a FIFO", "a directory".</summary>
    /// <param name="mode">st_mode.</param>
    /// <returns>The kind, with its article.</returns>
    public static string KindOf(int mode) => (mode & Interop.Libc.S_IFMT) switch
    {
        Interop.Libc.S_IFREG => "a regular file",
        Interop.Libc.S_IFDIR => "a directory",
        Interop.Libc.S_IFIFO => "a FIFO",
        Interop.Libc.S_IFCHR => "a character device",
        Interop.Libc.S_IFBLK => "a block device",
        Interop.Libc.S_IFLNK => "a symbolic link",
        Interop.Libc.S_IFSOCK => "a socket",
        _ => "a file of unknown type",
    };

    /// <summary>The exception for an open(2) or statx(2) failure, of the type .NET gives that errno.</summary>
    /// <param name="path">The file.</param>
    /// <param name="doing">What failed, e.g. "open 'x' to write".</param>
    /// <param name="errno">The error.</param>
    /// <returns>The exception to throw.</returns>
    public static Exception Error(string path, string doing, int errno)
    {
        string message = $"Cannot {doing}: {Marshal.GetPInvokeErrorMessage(errno)}.";
        return errno switch
        {
            Interop.Libc.ENOENT => new FileNotFoundException(message, path),
            Interop.Libc.EACCES => new UnauthorizedAccessException(message),
            _ => new IOException(message),
        };
    }

    private static void ThrowIfNotRegular(string path, bool followSymlink, bool missingIsFine = false)
    {
        int errno = Stat(path, followSymlink, out int mode);
        if (errno == Interop.Libc.ENOENT && missingIsFine)
        {
            return;
        }

        if (errno != 0)
        {
            throw Error(path, $"read '{path}'", errno);
        }

        if ((mode & Interop.Libc.S_IFMT) != Interop.Libc.S_IFREG)
        {
            throw NotRegular(path, mode);
        }
    }

    /// <summary>statx(2) of a path: 0 and its st_mode, or the errno.</summary>
    private static int Stat(string path, bool followSymlink, out int mode)
    {
        int flags = followSymlink ? 0 : Interop.Libc.AT_SYMLINK_NOFOLLOW;
        if (Interop.Libc.Statx(Interop.Libc.AT_FDCWD, path, flags, Interop.Libc.STATX_BASIC_STATS, out Interop.Libc.StatxBuffer st) != 0)
        {
            mode = 0;
            return Marshal.GetLastPInvokeError();
        }

        mode = st.Mode;
        return 0;
    }

    private static SafeFileHandle Open(string path, int flags, string purpose)
    {
        int fd;
        int errno;
        do
        {
            fd = Interop.Libc.Open(path, flags | Interop.Libc.O_NONBLOCK | Interop.Libc.O_CLOEXEC, CreateMode);
            errno = fd < 0 ? Marshal.GetLastPInvokeError() : 0;
        }
        while (fd < 0 && errno == Interop.Libc.EINTR);

        if (fd >= 0)
        {
            return new SafeFileHandle(fd, ownsHandle: true);
        }

        // The check before saw a regular file (or nothing): something else was put there since.
        throw errno switch
        {
            Interop.Libc.ELOOP => NotRegular(path, Interop.Libc.S_IFLNK),
            Interop.Libc.ENXIO => NotRegular(path, Interop.Libc.S_IFIFO),
            Interop.Libc.EISDIR => NotRegular(path, Interop.Libc.S_IFDIR),
            _ => Error(path, $"open '{path}' to {purpose}", errno),
        };
    }

    /// <summary>Checks that what was opened is a regular file; returns its size.</summary>
    private static long CheckOpened(SafeFileHandle file, string path)
    {
        bool added = false;
        try
        {
            file.DangerousAddRef(ref added);
            int fd = (int)file.DangerousGetHandle();
            if (Interop.Libc.Statx(fd, string.Empty, Interop.Libc.AT_EMPTY_PATH, Interop.Libc.STATX_BASIC_STATS, out Interop.Libc.StatxBuffer st) != 0)
            {
                throw Error(path, $"read '{path}'", Marshal.GetLastPInvokeError());
            }

            return (st.Mode & Interop.Libc.S_IFMT) == Interop.Libc.S_IFREG ? (long)st.Size : throw NotRegular(path, st.Mode);
        }
        finally
        {
            if (added)
            {
                file.DangerousRelease();
            }
        }
    }

    private static IOException NotRegular(string path, int mode) =>
        new($"'{path}' is {KindOf(mode)}, not a regular file: maps, feeds and images are read and written only as regular files" +
            ((mode & Interop.Libc.S_IFMT) == Interop.Libc.S_IFLNK ? ", never through a symlink." : "."));
}
