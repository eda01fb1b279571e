using System.Runtime.InteropServices;

namespace Memcov.SharedMem;

internal static partial class Interop
{
    /// <summary>libmemcov's calls that start targets (native/include/memcov_spawn.h).</summary>
    internal static partial class Memcov
    {
        /// <summary>mcov_spawn: start a target in a process group of its own, killed when this process dies.</summary>
        [LibraryImport(LibraryName, EntryPoint = "mcov_spawn")]
        internal static partial int Spawn(in SpawnRequest request, out int pid);

        /// <summary>mcov_spawn_wait: 0 and the raw wait status once the target ended; 1 if it still runs.</summary>
        [LibraryImport(LibraryName, EntryPoint = "mcov_spawn_wait")]
        internal static partial int SpawnWait(int pid, int timeoutMs, out int status);

        /// <summary>mcov_spawn_kill: SIGKILL the target and its process group.</summary>
        [LibraryImport(LibraryName, EntryPoint = "mcov_spawn_kill")]
        internal static partial int SpawnKill(int pid);

        /// <summary>mcov_server_start: start a server (a target that runs many inputs).</summary>
        [LibraryImport(LibraryName, EntryPoint = "mcov_server_start")]
        internal static partial int ServerStart(in SpawnRequest request, out nint server);

        /// <summary>mcov_server_ready: wait until the server says it is ready, or ends.</summary>
        [LibraryImport(LibraryName, EntryPoint = "mcov_server_ready")]
        internal static partial int ServerReady(nint server, int helloTimeoutMs, out int status);

        /// <summary>mcov_server_run: run one input on a server.</summary>
        [LibraryImport(LibraryName, EntryPoint = "mcov_server_run")]
        internal static partial int ServerRun(nint server, [MarshalAs(UnmanagedType.LPUTF8Str)] string? input, int timeoutMs, out RunOutcome outcome);

        /// <summary>mcov_server_kill: SIGKILL the server and the run under way.</summary>
        [LibraryImport(LibraryName, EntryPoint = "mcov_server_kill")]
        internal static partial int ServerKill(nint server);

        /// <summary>mcov_server_stop: end the server (SIGKILL after the grace time), wait for it, free it.</summary>
        [LibraryImport(LibraryName, EntryPoint = "mcov_server_stop")]
        internal static partial int ServerStop(nint server, int graceMs);

        /// <summary>mcov_region_file_check_path: 0 if the region's path still names the mapped file.</summary>
        [LibraryImport(LibraryName, EntryPoint = "mcov_region_file_check_path")]
        internal static partial int RegionFileCheckPath(RegionFileHandle file);

        /// <summary>The mirror of <c>mcov_spawn_request</c>; a test checks it against memcov_spawn.h.</summary>
        [StructLayout(LayoutKind.Explicit, Size = 56)]
        internal unsafe struct SpawnRequest
        {
            [FieldOffset(0)]
            public byte* Path;
            [FieldOffset(8)]
            public byte** Argv;
            [FieldOffset(16)]
            public byte** Envp;
            [FieldOffset(24)]
            public int StdinFd;
            [FieldOffset(28)]
            public int StdoutFd;
            [FieldOffset(32)]
            public int StderrFd;
            [FieldOffset(40)]
            public int* KeepFds;
            [FieldOffset(48)]
            public uint KeepCount;
            [FieldOffset(52)]
            public uint Reserved;
        }

        /// <summary>The mirror of <c>mcov_run_outcome</c>; a test checks it against memcov_spawn.h.</summary>
        [StructLayout(LayoutKind.Sequential, Size = 16)]
        internal struct RunOutcome
        {
            public int Kind;
            public int Status;
            public int Pid;
            public uint ServerEnded;
        }
    }
}
