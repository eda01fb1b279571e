using System.Runtime.InteropServices;

namespace Memcov.SharedMem;

internal static partial class Interop
{
    internal static partial class Libc
    {
        /// <summary>flock(2) operation: exclusive lock.</summary>
        internal const int LOCK_EX = 2;

        /// <summary>flock(2) flag: fail with EWOULDBLOCK instead of waiting.</summary>
        internal const int LOCK_NB = 4;

        /// <summary>errno: the lock is held (EWOULDBLOCK, the same value as EAGAIN on Linux).</summary>
        internal const int EWOULDBLOCK = 11;

        /// <summary>
        /// flock(2): the region's registration lock, the one the native runtime takes. It belongs to the
        /// open file description, and the kernel releases it when the holder dies.
        /// </summary>
        [LibraryImport(LibraryName, EntryPoint = "flock", SetLastError = true)]
        internal static partial int Flock(int fd, int operation);
    }
}
