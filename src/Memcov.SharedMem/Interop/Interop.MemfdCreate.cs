using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Memcov.SharedMem;

internal static partial class Interop
{
    internal static partial class Libc
    {
        /// <summary>memfd_create flag: close the descriptor in programs this process executes.</summary>
        internal const uint MFD_CLOEXEC = 1;

        /// <summary>memfd_create: an anonymous file in memory, gone with its last descriptor.</summary>
        [LibraryImport(LibraryName, EntryPoint = "memfd_create", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
        internal static partial SafeFileHandle MemfdCreate(string name, uint flags);
    }
}
