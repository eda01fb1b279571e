using System.Runtime.InteropServices;

namespace Memcov.SharedMem;

internal static partial class Interop
{
    internal static partial class Libc
    {
        /// <summary>open flag: read only.</summary>
        internal const int O_RDONLY = 0;

        /// <summary>open flag: write only.</summary>
        internal const int O_WRONLY = 1;

        /// <summary>open flag: create the file when it is missing.</summary>
        internal const int O_CREAT = 0x40;

        /// <summary>open flag: with O_CREAT, fail with EEXIST when anything, a symlink too, is at the path.</summary>
        internal const int O_EXCL = 0x80;

        /// <summary>open flag: cut a regular file to 0 bytes.</summary>
        internal const int O_TRUNC = 0x200;

        /// <summary>open flag: never wait in open() (a FIFO with no peer, a device that is not ready).</summary>
        internal const int O_NONBLOCK = 0x800;

        /// <summary>open flag: close the descriptor in programs this process executes.</summary>
        internal const int O_CLOEXEC = 0x80000;

        /// <summary>errno: the file or a directory of its path does not exist.</summary>
        internal const int ENOENT = 2;

        /// <summary>errno: interrupted by a signal before anything happened.</summary>
        internal const int EINTR = 4;

        /// <summary>errno: O_NONBLOCK|O_WRONLY on a FIFO that no process reads.</summary>
        internal const int ENXIO = 6;

        /// <summary>errno: permission denied.</summary>
        internal const int EACCES = 13;

        /// <summary>errno: O_CREAT|O_EXCL found something at the path.</summary>
        internal const int EEXIST = 17;

        /// <summary>errno: the path is a directory.</summary>
        internal const int EISDIR = 21;

        /// <summary>errno: O_NOFOLLOW found a symlink at the path.</summary>
        internal const int ELOOP = 40;

        /// <summary>
        /// open flag: fail with ELOOP when the last component of the path is a symlink. Its value is one
        /// of the few that differ between Linux architectures.
        /// </summary>
        internal static int O_NOFOLLOW => RuntimeInformation.ProcessArchitecture
            is Architecture.Arm or Architecture.Arm64 or Architecture.Armv6 or Architecture.Ppc64le ? 0x8000 : 0x20000;

        /// <summary>open(2): a file descriptor, or -1 with errno set.</summary>
        [LibraryImport(LibraryName, EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int Open(string path, int flags, uint mode);
    }
}
