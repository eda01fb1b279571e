using System.Runtime.InteropServices;

namespace Memcov.SharedMem;

internal static partial class Interop
{
    internal static partial class Libc
    {
        /// <summary>geteuid(2): the effective user id, which must own a region.</summary>
        [LibraryImport(LibraryName, EntryPoint = "geteuid")]
        internal static partial uint GetEUid();
    }
}
