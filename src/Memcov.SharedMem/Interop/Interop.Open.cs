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

        /// <summary>open(2) flag: create the file.</summary>
        internal const int O_CREAT = 0x40;

        /// <summary>open(2) flag: with O_CREAT, fail with EEXIST if the name exists (even as a symlink).</summary>
        internal const int O_EXCL = 0x80;

        /// <summary>open(2) without O_CREAT: returns a descriptor, or -1 with errno set.</summary>
        [LibraryImport(LibraryName, EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int Open(string path, int flags);

        /// <summary>
        /// open(2) with O_CREAT and a mode. open is variadic in C; on the Linux ABIs .NET runs on a
        /// variadic int is passed exactly like a fixed one, so this fixed three-argument form is sound.
        /// </summary>
        [LibraryImport(LibraryName, EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int OpenCreate(string path, int flags, uint mode);
    }
}
