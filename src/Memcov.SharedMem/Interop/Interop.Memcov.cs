using System.Runtime.InteropServices;

namespace Memcov.SharedMem;

internal static partial class Interop
{
    /// <summary>
    /// libmemcov.so, the native runtime (native/include/memcov.h). <see cref="MemcovLibrary"/>
    /// resolves the name to the one copy the process holds.
    /// </summary>
    internal static partial class Memcov
    {
        /// <summary>The runtime's soname; the resolver maps it to the process's copy.</summary>
        internal const string LibraryName = MemcovLibrary.FileName;

        /// <summary>The int calls' codes (enum mcov_status).</summary>
        internal const int MCOV_OK = 0;
        internal const int MCOV_E_INVALID_NAME = -1;
        internal const int MCOV_E_NOT_FOUND = -2;
        internal const int MCOV_E_EXISTS = -3;
        internal const int MCOV_E_CORRUPT = -4;
        internal const int MCOV_E_VERSION = -5;
        internal const int MCOV_E_INVALID_ARG = -6;
        internal const int MCOV_E_NO_SPACE = -7;
        internal const int MCOV_E_PERMISSION = -8;
        internal const int MCOV_E_SYSTEM = -9;

        // The resolver must be in place before the first call below binds: a copy found by the
        // default search could be a second runtime, with its own empty state.
        static Memcov() => MemcovLibrary.RegisterResolver();

        /// <summary>mcov_region_create: create region <paramref name="name"/> and attach to it.</summary>
        [LibraryImport(LibraryName, EntryPoint = "mcov_region_create", StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int RegionCreate(string name, ulong capacityEdges);

        /// <summary>mcov_attach: attach to region <paramref name="name"/>.</summary>
        [LibraryImport(LibraryName, EntryPoint = "mcov_attach", StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int Attach(string name);

        /// <summary>mcov_detach: keep the current view privately and record privately.</summary>
        [LibraryImport(LibraryName, EntryPoint = "mcov_detach")]
        internal static partial void Detach();

        /// <summary>mcov_region_remove: unlink the region's file.</summary>
        [LibraryImport(LibraryName, EntryPoint = "mcov_region_remove", StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int RegionRemove(string name);

        /// <summary>mcov_region_reset: clear the region's map.</summary>
        [LibraryImport(LibraryName, EntryPoint = "mcov_region_reset", StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int RegionReset(string name);

        /// <summary>
        /// mcov_last_error: a thread-local buffer of the runtime, returned as a pointer because a
        /// marshalled string would be freed.
        /// </summary>
        [LibraryImport(LibraryName, EntryPoint = "mcov_last_error")]
        internal static partial nint LastError();

        /// <summary>mcov_is_attached: 1 or 0.</summary>
        [LibraryImport(LibraryName, EntryPoint = "mcov_is_attached")]
        internal static partial int IsAttached();

        /// <summary>mcov_region_name: the runtime's buffer, valid until the next detach.</summary>
        [LibraryImport(LibraryName, EntryPoint = "mcov_region_name")]
        internal static partial nint RegionName();

        /// <summary>mcov_get_now64: edges set in the current view.</summary>
        [LibraryImport(LibraryName, EntryPoint = "mcov_get_now64")]
        internal static partial ulong GetNow64();

        /// <summary>mcov_get_total64: bytes of the hitmap; fixes the layout of copy/set_hitmap.</summary>
        [LibraryImport(LibraryName, EntryPoint = "mcov_get_total64")]
        internal static partial ulong GetTotal64();

        /// <summary>mcov_reset: switch to (or clear) this process's own view.</summary>
        [LibraryImport(LibraryName, EntryPoint = "mcov_reset")]
        internal static partial void Reset();

        /// <summary>mcov_push_coverage: open an empty scope on top of the current view.</summary>
        [LibraryImport(LibraryName, EntryPoint = "mcov_push_coverage")]
        internal static partial void PushCoverage();

        /// <summary>mcov_pop_coverage: OR the top scope into the view below; sets the last error without a push.</summary>
        [LibraryImport(LibraryName, EntryPoint = "mcov_pop_coverage")]
        internal static partial void PopCoverage();

        /// <summary>mcov_copy_hitmap_n: copy up to <paramref name="length"/> bytes of the current view.</summary>
        [LibraryImport(LibraryName, EntryPoint = "mcov_copy_hitmap_n")]
        internal static partial ulong CopyHitmapN(ref byte buffer, ulong length);

        /// <summary>mcov_module_count: modules registered in this process.</summary>
        [LibraryImport(LibraryName, EntryPoint = "mcov_module_count")]
        internal static partial uint ModuleCount();

        /// <summary>mcov_private_module_count: modules of this process outside the attached region.</summary>
        [LibraryImport(LibraryName, EntryPoint = "mcov_private_module_count")]
        internal static partial uint PrivateModuleCount();
    }
}
