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
    }
}
