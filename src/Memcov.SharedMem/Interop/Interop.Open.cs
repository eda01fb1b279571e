using System.Runtime.InteropServices;

namespace Memcov.SharedMem;

internal static partial class Interop
{
    internal static partial class Libc
    {
        /// <summary>open(2) flag: read and write.</summary>
        internal const int O_RDWR = 2;

        /// <summary>open(2) flag: close on exec, so children never inherit the region's descriptor.</summary>
        internal const int O_CLOEXEC = 0x80000;

        /// <summary>
        /// open(2) flag: fail with ELOOP when the last component is a symlink. Its value differs by
        /// architecture (asm-generic uses 0x20000; arm, arm64 and powerpc use 0x8000).
        /// </summary>
        internal static int O_NOFOLLOW => RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.Arm or Architecture.Arm64 or Architecture.Armv6 or Architecture.Ppc64le => 0x8000,
            _ => 0x20000,
        };

        /// <summary>open(2) without O_CREAT: returns a descriptor, or -1 with errno set.</summary>
        [LibraryImport(LibraryName, EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int Open(string path, int flags);
    }
}
