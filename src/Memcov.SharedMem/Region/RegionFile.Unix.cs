using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using System.Security.Cryptography;
using Microsoft.Win32.SafeHandles;

namespace Memcov.SharedMem;

/// <summary>
/// Region files on Linux: create (temp file, posix_fallocate, header, link), open and validate,
/// exists, remove and enumerate, with the checks and order of docs/region-format.md.
/// </summary>
/// <remarks>
/// .NET's FileStream takes an advisory flock on the files it opens, which would stall the native
/// runtime's registration lock on the same file; these calls use plain open(2) descriptors.
/// </remarks>
[SupportedOSPlatform("linux")]
internal static class RegionFile
{
    private const string TempPrefix = ".memcov-tmp-";
    private const uint UserReadWrite = 0x180; // 0600

    /// <summary>
    /// Opens region <paramref name="name"/> at <paramref name="path"/> without following symlinks and runs
    /// checks 2–16 on it.
    /// </summary>
    /// <returns>The open file, read-write; the caller owns it.</returns>
    internal static SafeFileHandle OpenValidated(string name, string path, out RegionHeader header, out FileId id)
    {
        SafeFileHandle handle = OpenNoFollow(name, path); // check 2
        try
        {
            // Checks 3-5: fstat, regular file, owned by the effective user.
            if (Interop.Libc.Statx((int)handle.DangerousGetHandle(), string.Empty, Interop.Libc.AT_EMPTY_PATH,
                    Interop.Libc.STATX_BASIC_STATS, out Interop.Libc.StatxBuffer st) != 0)
            {
                ThrowHelper.ThrowSystem(path, "fstat", Marshal.GetLastPInvokeError());
            }

            if ((st.Mode & Interop.Libc.S_IFMT) != Interop.Libc.S_IFREG)
            {
                ThrowHelper.ThrowPermission(path, "it is not a regular file");
            }

            uint euid = Interop.Libc.GetEUid();
            if (st.Uid != euid)
            {
                ThrowHelper.ThrowPermission(path, $"it is owned by uid {st.Uid}, not by this user (uid {euid})");
            }

            // Check 6: the full header can be read.
            Span<byte> raw = stackalloc byte[RegionFormat.HeaderSize];
            if (st.Size < RegionFormat.HeaderSize || ReadFully(handle, raw) < RegionFormat.HeaderSize)
            {
                ThrowHelper.ThrowCorrupt(path, $"the file has {st.Size} bytes, fewer than the {RegionFormat.HeaderSize}-byte header");
            }

            header = MemoryMarshal.Read<RegionHeader>(raw);
            RegionValidator.Validate(path, raw, header, st.Size); // checks 7-16
            id = new FileId(st.DevMajor, st.DevMinor, st.Ino);
            return handle;
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Creates region <paramref name="name"/> with <paramref name="capacityEdges"/> slots (already rounded
    /// to 4096): a complete file is written under a temporary name and then linked into place, so no
    /// one attaches to a half-written region and an existing name is never replaced.
    /// </summary>
    /// <returns>The open, linked file; the caller owns it.</returns>
    internal static SafeFileHandle Create(string name, string path, ulong capacityEdges, out RegionHeader header, out FileId id)
    {
        string dir = RegionName.GetDirectory().TrimEnd('/');
        long size = RegionFormat.MapOffset + (long)capacityEdges;
        (SafeFileHandle handle, string temp) = CreateTemp(dir);
        try
        {
            Reserve(handle, temp, dir, size);
            id = Identify(handle, temp);
            header = RegionHeader.ForCreator(capacityEdges);
            RandomAccess.Write(handle, MemoryMarshal.AsBytes(new ReadOnlySpan<RegionHeader>(in header)), 0);
            if (Interop.Libc.Link(temp, path) != 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (errno == Interop.Libc.EEXIST)
                {
                    throw new RegionExistsException(name, path);
                }

                ThrowHelper.ThrowSystem(path, "link", errno);
            }

            return handle;
        }
        catch
        {
            handle.Dispose();
            throw;
        }
        finally
        {
            _ = Interop.Libc.Unlink(temp);
        }
    }

    /// <summary>The device and inode of the open file <paramref name="handle"/>.</summary>
    internal static FileId Identify(SafeFileHandle handle, string path)
    {
        if (Interop.Libc.Statx((int)handle.DangerousGetHandle(), string.Empty, Interop.Libc.AT_EMPTY_PATH,
                Interop.Libc.STATX_BASIC_STATS, out Interop.Libc.StatxBuffer st) != 0)
        {
            ThrowHelper.ThrowSystem(path, "fstat", Marshal.GetLastPInvokeError());
        }

        return new FileId(st.DevMajor, st.DevMinor, st.Ino);
    }

    /// <summary>Opens <paramref name="path"/> again without following symlinks, if it is still the file <paramref name="id"/>.</summary>
    /// <returns>The new descriptor, or null when the path is gone or names another file.</returns>
    internal static SafeFileHandle? Reopen(string path, FileId id)
    {
        int fd = Interop.Libc.Open(path, Interop.Libc.O_RDWR | Interop.Libc.O_NOFOLLOW | Interop.Libc.O_CLOEXEC);
        if (fd < 0)
        {
            return null;
        }

        var handle = new SafeFileHandle(fd, ownsHandle: true);
        if (Identify(handle, path) != id)
        {
            handle.Dispose();
            return null;
        }

        return handle;
    }

    /// <summary>Tells whether a regular file (not a symlink) is at <paramref name="path"/>.</summary>
    internal static bool IsRegularFile(string path) =>
        Interop.Libc.Statx(Interop.Libc.AT_FDCWD, path, Interop.Libc.AT_SYMLINK_NOFOLLOW,
            Interop.Libc.STATX_BASIC_STATS, out Interop.Libc.StatxBuffer st) == 0
        && (st.Mode & Interop.Libc.S_IFMT) == Interop.Libc.S_IFREG;

    /// <summary>Unlinks <paramref name="path"/>; false if nothing was there.</summary>
    internal static bool Remove(string path)
    {
        if (Interop.Libc.Unlink(path) == 0)
        {
            return true;
        }

        int errno = Marshal.GetLastPInvokeError();
        if (errno == Interop.Libc.ENOENT)
        {
            return false;
        }

        if (errno is Interop.Libc.EACCES or Interop.Libc.EPERM)
        {
            ThrowHelper.ThrowPermission(path, "this user may not remove it");
        }

        ThrowHelper.ThrowSystem(path, "unlink", errno);
        return false;
    }

    /// <summary>The valid region names with a file in the region directory, sorted ordinally.</summary>
    internal static List<string> EnumerateNames()
    {
        string dir = RegionName.GetDirectory();
        if (!Directory.Exists(dir))
        {
            throw new DirectoryNotFoundException(
                $"The region directory '{dir}' does not exist: create it, or set {RegionName.DirectoryVariable} " +
                "to the directory the regions' creator used.");
        }

        var names = new List<string>();
        foreach (string file in Directory.EnumerateFiles(dir, RegionName.FilePrefix + "*"))
        {
            string name = System.IO.Path.GetFileName(file)[RegionName.FilePrefix.Length..];
            if (RegionName.IsValid(name))
            {
                names.Add(name);
            }
        }

        names.Sort(StringComparer.Ordinal);
        return names;
    }

    /// <summary>A file's device and inode: what tells that a path still names the file that was mapped.</summary>
    internal readonly record struct FileId(uint DevMajor, uint DevMinor, ulong Ino);

    private static (SafeFileHandle Handle, string Path) CreateTemp(string dir)
    {
        const string Letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        int flags = Interop.Libc.O_RDWR | Interop.Libc.O_CREAT | Interop.Libc.O_EXCL | Interop.Libc.O_CLOEXEC;
        for (int attempt = 0; ; attempt++)
        {
            string temp = dir + "/" + TempPrefix + RandomNumberGenerator.GetString(Letters, 6);
            int fd = Interop.Libc.OpenCreate(temp, flags, UserReadWrite);
            if (fd >= 0)
            {
                return (new SafeFileHandle(fd, ownsHandle: true), temp);
            }

            int errno = Marshal.GetLastPInvokeError();
            if (errno == Interop.Libc.EEXIST && attempt < 100)
            {
                continue;
            }

            if (errno is Interop.Libc.ENOENT or Interop.Libc.ENOTDIR)
            {
                throw new DirectoryNotFoundException(
                    $"Cannot create a region in '{dir}': the directory does not exist. Create it, or set " +
                    $"{RegionName.DirectoryVariable} to a writable tmpfs directory.");
            }

            if (errno is Interop.Libc.EACCES or Interop.Libc.EPERM)
            {
                throw new UnauthorizedAccessException(
                    $"Cannot create a region in '{dir}': this user may not create files there. Set " +
                    $"{RegionName.DirectoryVariable} to a writable tmpfs directory.");
            }

            ThrowHelper.ThrowSystem(temp, "open", errno);
        }
    }

    private static void Reserve(SafeFileHandle handle, string temp, string dir, long size)
    {
        int err;
        do
        {
            err = Interop.Libc.PosixFallocate((int)handle.DangerousGetHandle(), 0, size);
        }
        while (err == Interop.Libc.EINTR);

        if (err is Interop.Libc.ENOSPC or Interop.Libc.EFBIG or Interop.Libc.EDQUOT)
        {
            throw new IOException(
                $"Cannot reserve {size} bytes for a region in '{dir}': {Marshal.GetPInvokeErrorMessage(err)}. " +
                $"Free space there (remove old regions), create the region with a smaller capacity, or set " +
                $"{RegionName.DirectoryVariable} to a larger tmpfs directory.");
        }

        if (err != 0)
        {
            ThrowHelper.ThrowSystem(temp, "posix_fallocate", err);
        }
    }

    private static SafeFileHandle OpenNoFollow(string name, string path)
    {
        int fd = Interop.Libc.Open(path, Interop.Libc.O_RDWR | Interop.Libc.O_NOFOLLOW | Interop.Libc.O_CLOEXEC);
        if (fd >= 0)
        {
            return new SafeFileHandle(fd, ownsHandle: true);
        }

        int errno = Marshal.GetLastPInvokeError();
        switch (errno)
        {
            case Interop.Libc.ENOENT:
                throw new RegionNotFoundException(name, path);
            case Interop.Libc.ELOOP:
                ThrowHelper.ThrowPermission(path, "it is a symlink, which a region never is");
                break;
            case Interop.Libc.EACCES or Interop.Libc.EPERM:
                ThrowHelper.ThrowPermission(path, "this user may not open it for reading and writing");
                break;
        }

        ThrowHelper.ThrowSystem(path, "open", errno);
        return null;
    }

    private static int ReadFully(SafeFileHandle handle, Span<byte> buffer)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int n = RandomAccess.Read(handle, buffer[total..], total);
            if (n == 0)
            {
                break;
            }

            total += n;
        }

        return total;
    }
}
