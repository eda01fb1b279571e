using System.Runtime.InteropServices;

namespace Memcov.SharedMem;

internal static partial class Interop
{
    internal static partial class Libc
    {
        /// <summary>dirfd meaning "relative to the working directory".</summary>
        internal const int AT_FDCWD = -100;

        /// <summary>statx flag: with an empty path, describe dirfd itself (fstat).</summary>
        internal const int AT_EMPTY_PATH = 0x1000;

        /// <summary>statx flag: describe a symlink itself (lstat).</summary>
        internal const int AT_SYMLINK_NOFOLLOW = 0x100;

        /// <summary>statx mask: the fields of struct stat.</summary>
        internal const uint STATX_BASIC_STATS = 0x7ff;

        /// <summary>st_mode: the file type bits.</summary>
        internal const int S_IFMT = 0xF000;

        /// <summary>st_mode: a regular file.</summary>
        internal const int S_IFREG = 0x8000;

        /// <summary>st_mode: a FIFO (named pipe).</summary>
        internal const int S_IFIFO = 0x1000;

        /// <summary>st_mode: a character device.</summary>
        internal const int S_IFCHR = 0x2000;

        /// <summary>st_mode: a directory.</summary>
        internal const int S_IFDIR = 0x4000;

        /// <summary>st_mode: a block device.</summary>
        internal const int S_IFBLK = 0x6000;

        /// <summary>st_mode: a symbolic link.</summary>
        internal const int S_IFLNK = 0xA000;

        /// <summary>st_mode: a socket.</summary>
        internal const int S_IFSOCK = 0xC000;

        /// <summary>
        /// statx(2). Used instead of fstat/lstat because struct statx has one layout on every
        /// Linux architecture, while struct stat does not.
        /// </summary>
        [LibraryImport(LibraryName, EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int Statx(int dirfd, string path, int flags, uint mask, out StatxBuffer buffer);

        /// <summary>The fields of struct statx that Memcov reads; 256 bytes like the kernel's.</summary>
        [StructLayout(LayoutKind.Explicit, Size = 256)]
        internal struct StatxBuffer
        {
            /// <summary>stx_uid: the owner.</summary>
            [FieldOffset(20)]
            public uint Uid;

            /// <summary>stx_mode: file type and permissions.</summary>
            [FieldOffset(28)]
            public ushort Mode;

            /// <summary>stx_ino: the inode number.</summary>
            [FieldOffset(32)]
            public ulong Ino;

            /// <summary>stx_dev_major: the device's major number.</summary>
            [FieldOffset(136)]
            public uint DevMajor;

            /// <summary>stx_dev_minor: the device's minor number.</summary>
            [FieldOffset(140)]
            public uint DevMinor;

            /// <summary>stx_size: bytes.</summary>
            [FieldOffset(40)]
            public ulong Size;
        }
    }
}
