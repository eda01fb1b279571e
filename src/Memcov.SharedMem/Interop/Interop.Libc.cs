namespace Memcov.SharedMem;

/// <summary>Every P/Invoke of Memcov.SharedMem, nested by native library.</summary>
internal static partial class Interop
{
    /// <summary>The C library: the calls .NET has no API for (lstat-style file types, dlopen).</summary>
    internal static partial class Libc
    {
        /// <summary>The C library's name for the loader; "libc" resolves to glibc and musl.</summary>
        internal const string LibraryName = "libc";
    }
}
