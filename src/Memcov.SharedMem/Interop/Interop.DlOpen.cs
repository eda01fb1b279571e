using System.Runtime.InteropServices;

namespace Memcov.SharedMem;

internal static partial class Interop
{
    internal static partial class Libc
    {
        /// <summary>dlopen flag: resolve every symbol now.</summary>
        internal const int RTLD_NOW = 2;

        /// <summary>dlopen flag: only return a library that is loaded already.</summary>
        internal const int RTLD_NOLOAD = 4;

        /// <summary>
        /// dlopen flag: make the library's symbols visible to modules loaded later, so one whose
        /// trace-pc-guard callbacks are undefined binds to this runtime.
        /// </summary>
        internal const int RTLD_GLOBAL = 0x100;

        /// <summary>dlopen(3), in libc since glibc 2.34 and in musl; a handle or 0.</summary>
        [LibraryImport(LibraryName, EntryPoint = "dlopen", StringMarshalling = StringMarshalling.Utf8)]
        internal static partial nint DlOpen(string? path, int flags);

        /// <summary>dlerror(3): a buffer of the C library, never freed by the caller; 0 if no error.</summary>
        [LibraryImport(LibraryName, EntryPoint = "dlerror")]
        internal static partial nint DlError();
    }

    /// <summary>libdl, where glibc before 2.34 keeps dlopen.</summary>
    internal static partial class Libdl
    {
        /// <summary>The library's soname.</summary>
        internal const string LibraryName = "libdl.so.2";

        /// <summary>dlopen(3).</summary>
        [LibraryImport(LibraryName, EntryPoint = "dlopen", StringMarshalling = StringMarshalling.Utf8)]
        internal static partial nint DlOpen(string? path, int flags);

        /// <summary>dlerror(3).</summary>
        [LibraryImport(LibraryName, EntryPoint = "dlerror")]
        internal static partial nint DlError();
    }
}
