using System.Runtime.InteropServices;

namespace Memcov.SharedMem;

internal static partial class Interop
{
    internal static partial class Libc
    {
        /// <summary>
        /// posix_fallocate(3): reserves [offset, offset + length) so a full tmpfs fails here, not with
        /// SIGBUS in a target later. Returns 0 or an errno value (it does not set errno).
        /// </summary>
        [LibraryImport(LibraryName, EntryPoint = "posix_fallocate")]
        internal static partial int PosixFallocate(int fd, long offset, long length);
    }
}
