using System.Runtime.InteropServices;

namespace Memcov.SharedMem;

internal static partial class Interop
{
    internal static partial class Libc
    {
        /// <summary>
        /// _exit(2): end the process now, running no exit handlers and taking no lock, for a tool that
        /// must exit while another of its threads is stuck holding the console.
        /// </summary>
        [LibraryImport(LibraryName, EntryPoint = "_exit")]
        internal static partial void Exit(int status);
    }
}
