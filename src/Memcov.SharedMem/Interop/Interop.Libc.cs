namespace Memcov.SharedMem;

/// <summary>Every P/Invoke of Memcov.SharedMem, nested by native library.</summary>
internal static partial class Interop
{
    /// <summary>The C library: the calls .NET has no API for (O_NOFOLLOW open, owner, link).</summary>
    internal static partial class Libc
    {
        /// <summary>The C library's name for the loader; "libc" resolves to glibc and musl.</summary>
        internal const string LibraryName = "libc";

        /// <summary>errno: no such file or directory.</summary>
        internal const int ENOENT = 2;

        /// <summary>errno: operation not permitted.</summary>
        internal const int EPERM = 1;

        /// <summary>errno: permission denied.</summary>
        internal const int EACCES = 13;

        /// <summary>errno: a symlink where O_NOFOLLOW forbids one (the same on every Linux architecture).</summary>
        internal const int ELOOP = 40;

        /// <summary>errno: interrupted by a signal; retry.</summary>
        internal const int EINTR = 4;

        /// <summary>errno: the name exists (O_EXCL, link).</summary>
        internal const int EEXIST = 17;

        /// <summary>errno: a path component is not a directory.</summary>
        internal const int ENOTDIR = 20;

        /// <summary>errno: the file would exceed the file system's size limit.</summary>
        internal const int EFBIG = 27;

        /// <summary>errno: no space left on the device.</summary>
        internal const int ENOSPC = 28;

        /// <summary>errno: the user's disk quota is exhausted.</summary>
        internal const int EDQUOT = 122;
    }
}
