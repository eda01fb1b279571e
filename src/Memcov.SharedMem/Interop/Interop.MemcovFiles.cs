using System.Runtime.InteropServices;

namespace Memcov.SharedMem;

internal static partial class Interop
{
    /// <summary>
    /// libmemcov's calls on region files and offline maps (native/include/memcov_files.h): every
    /// rule of both formats lives there, so this library only maps and reads. These calls never
    /// print; a failing one leaves its message in <see cref="LastError"/>.
    /// </summary>
    internal static partial class Memcov
    {
        /// <summary>The region has no room for the modules being added (MCOV_E_TOO_SMALL).</summary>
        internal const int MCOV_E_TOO_SMALL = -10;

        /// <summary>mcov_region_file_path: the path of region <paramref name="name"/> in <paramref name="dir"/>.</summary>
        [LibraryImport(LibraryName, EntryPoint = "mcov_region_file_path", StringMarshalling = StringMarshalling.Utf8)]
        internal static unsafe partial int RegionFilePath(string? dir, string name, byte* buffer, ulong length);

        /// <summary>mcov_region_file_create: create the file, complete, and open it, without attaching this process to it.</summary>
        [LibraryImport(LibraryName, EntryPoint = "mcov_region_file_create", StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int RegionFileCreate(string? dir, string name, ulong capacityEdges, out RegionFileHandle file, out RegionFacts facts);

        /// <summary>mcov_region_file_create_kind: the same, with the kind of the map's bytes (1 flags, 2 classes).</summary>
        [LibraryImport(LibraryName, EntryPoint = "mcov_region_file_create_kind", StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int RegionFileCreateKind(string? dir, string name, ulong capacityEdges, uint kind, out RegionFileHandle file, out RegionFacts facts);

        /// <summary>mcov_region_file_open: open, validate and map; <paramref name="facts"/> is filled (its version also on MCOV_E_VERSION).</summary>
        [LibraryImport(LibraryName, EntryPoint = "mcov_region_file_open", StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int RegionFileOpen(string? dir, string name, out RegionFileHandle file, out RegionFacts facts);

        /// <summary>mcov_region_file_close: unmap and free the handle.</summary>
        [LibraryImport(LibraryName, EntryPoint = "mcov_region_file_close")]
        internal static partial void RegionFileClose(nint file);

        /// <summary>mcov_region_file_counters: the header's live counters, bounded.</summary>
        [LibraryImport(LibraryName, EntryPoint = "mcov_region_file_counters")]
        internal static partial void RegionFileCounters(RegionFileHandle file, out RegionCounters counters);

        /// <summary>mcov_region_file_module: a copy of entry <paramref name="index"/>; 1 when it is valid.</summary>
        [LibraryImport(LibraryName, EntryPoint = "mcov_region_file_module")]
        internal static partial int RegionFileModule(RegionFileHandle file, uint index, out ModuleEntry entry);

        /// <summary>mcov_region_file_claim: the ranges of <paramref name="count"/> modules, all or nothing.</summary>
        [LibraryImport(LibraryName, EntryPoint = "mcov_region_file_claim")]
        internal static unsafe partial int RegionFileClaim(RegionFileHandle file, ModuleEntry* modules, uint count, ulong* bases, out ulong neededCapacity);

        /// <summary>mcov_region_file_reset: clear the map and what every lane holds now, for every reader.</summary>
        [LibraryImport(LibraryName, EntryPoint = "mcov_region_file_reset")]
        internal static partial int RegionFileReset(RegionFileHandle file);

        /// <summary>mcov_region_file_sync: fold every process's lane into the map before it is read.</summary>
        [LibraryImport(LibraryName, EntryPoint = "mcov_region_file_sync")]
        internal static partial int RegionFileSync(RegionFileHandle file);

        /// <summary>mcov_region_file_prefault: map the first 64 MiB of the map's pages now.</summary>
        [LibraryImport(LibraryName, EntryPoint = "mcov_region_file_prefault")]
        internal static partial void RegionFilePrefault(RegionFileHandle file);

        /// <summary>mcov_region_file_fault_ahead: map the map's pages up to byte <paramref name="upto"/> now, with one call.</summary>
        [LibraryImport(LibraryName, EntryPoint = "mcov_region_file_fault_ahead")]
        internal static partial void RegionFileFaultAhead(RegionFileHandle file, ulong upto);

        /// <summary>mcov_region_file_remove: unlink the file; MCOV_E_NOT_FOUND when there is none.</summary>
        [LibraryImport(LibraryName, EntryPoint = "mcov_region_file_remove", StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int RegionFileRemove(string? dir, string name);

        /// <summary>A process holds the region (MCOV_E_IN_USE): it was not removed.</summary>
        internal const int MCOV_E_IN_USE = -11;

        /// <summary>mcov_region_file_liveness: the MCOV_LIVE_* bits of region <paramref name="name"/>.</summary>
        [LibraryImport(LibraryName, EntryPoint = "mcov_region_file_liveness", StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int RegionFileLiveness(string? dir, string name, out uint state);

        /// <summary>mcov_region_file_sweep_lanes: remove the lanes files whose region is gone; how many, or a negative code.</summary>
        [LibraryImport(LibraryName, EntryPoint = "mcov_region_file_sweep_lanes", StringMarshalling = StringMarshalling.Utf8)]
        internal static partial long RegionFileSweepLanes(string? dir);

        /// <summary>mcov_region_file_remove_unused: unlink the file only if no process holds it.</summary>
        [LibraryImport(LibraryName, EntryPoint = "mcov_region_file_remove_unused", StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int RegionFileRemoveUnused(string? dir, string name);

        /// <summary>mcov_map_check: check a whole offline map (map file v2 or v1, serialize blob v1).</summary>
        [LibraryImport(LibraryName, EntryPoint = "mcov_map_check")]
        internal static unsafe partial int MapCheck(byte* data, ulong size, out MapSummary summary);

        /// <summary>mcov_map_read: the modules (base = offset into edges) and their edges.</summary>
        [LibraryImport(LibraryName, EntryPoint = "mcov_map_read")]
        internal static unsafe partial int MapRead(byte* data, ulong size, ModuleEntry* modules, uint count, byte* edges, ulong edgeLength);

        /// <summary>mcov_map_file_size_pcs: bytes of a map file with PC tables; 0 when too large.</summary>
        [LibraryImport(LibraryName, EntryPoint = "mcov_map_file_size_pcs")]
        internal static partial ulong MapFileSizePcs(uint count, ulong edgeCount, ulong pcCount);

        /// <summary>mcov_map_write_pcs: mcov_map_write with PC tables, <paramref name="pcs"/> parallel to <paramref name="edges"/>.</summary>
        [LibraryImport(LibraryName, EntryPoint = "mcov_map_write_pcs")]
        internal static unsafe partial int MapWritePcs(ModuleEntry* modules, uint count, uint kind, byte* edges, ulong edgeLength, PcEntry* pcs, byte* output, ulong outputLength);

        /// <summary>mcov_map_read_pcs: every module's PC table, parallel to the edges; zero where none.</summary>
        [LibraryImport(LibraryName, EntryPoint = "mcov_map_read_pcs")]
        internal static unsafe partial int MapReadPcs(byte* data, ulong size, PcEntry* pcs, ulong length);

        /// <summary>mcov_region_file_pcs: module <paramref name="index"/>'s PC table: its edge count, 0 when there is none, or a negative code.</summary>
        [LibraryImport(LibraryName, EntryPoint = "mcov_region_file_pcs")]
        internal static unsafe partial long RegionFilePcs(RegionFileHandle file, uint index, PcEntry* output, ulong capacity);

        /// <summary>mcov_region_file_put_pcs: keep a module's PC table beside the region, unless it has one.</summary>
        [LibraryImport(LibraryName, EntryPoint = "mcov_region_file_put_pcs")]
        internal static unsafe partial int RegionFilePutPcs(RegionFileHandle file, in ModuleEntry module, PcEntry* pcs);

        /// <summary>The mirror of <c>mcov_region_facts</c>; a test checks it against memcov_files.h.</summary>
        [StructLayout(LayoutKind.Explicit, Size = 80)]
        internal struct RegionFacts
        {
            [FieldOffset(0)]
            public nint Base;
            [FieldOffset(8)]
            public ulong MappedBytes;
            [FieldOffset(16)]
            public ulong MapOffset;
            [FieldOffset(24)]
            public ulong CapacityEdges;
            [FieldOffset(32)]
            public ulong CreatorPid;
            [FieldOffset(40)]
            public ulong CreatedNs;
            [FieldOffset(48)]
            public ulong Device;
            [FieldOffset(56)]
            public ulong Inode;
            [FieldOffset(64)]
            public uint Version;
            [FieldOffset(68)]
            public uint ModuleCapacity;
            [FieldOffset(72)]
            public uint Kind;
            [FieldOffset(76)]
            public uint LaneCount;
        }

        /// <summary>The mirror of <c>mcov_region_counters</c>; a test checks it against memcov_files.h.</summary>
        [StructLayout(LayoutKind.Explicit, Size = 32)]
        internal struct RegionCounters
        {
            [FieldOffset(0)]
            public ulong AllocCursor;
            [FieldOffset(8)]
            public ulong EdgesRegistered;
            [FieldOffset(16)]
            public ulong EdgesDropped;
            [FieldOffset(24)]
            public uint ModulesPrivate;
            [FieldOffset(28)]
            public uint ModuleCount;
        }

        /// <summary>The mirror of <c>mcov_map_summary</c>; a test checks it against memcov_files.h.</summary>
        [StructLayout(LayoutKind.Explicit, Size = 24)]
        internal struct MapSummary
        {
            [FieldOffset(0)]
            public uint Format;
            [FieldOffset(4)]
            public uint Kind;
            [FieldOffset(8)]
            public uint ModuleCount;
            [FieldOffset(12)]
            public uint PcModules;
            [FieldOffset(16)]
            public ulong EdgeCount;
        }
    }
}
