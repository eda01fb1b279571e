using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;
using Names = Memcov.SharedMem.RegionName;

namespace Memcov.SharedMem;

/// <summary>
/// This process's native runtime, libmemcov.so: attach it to a region, read and scope what its
/// calls see, and create, clear or remove regions (native/include/memcov.h, docs/semantics.md).
/// </summary>
/// <remarks>
/// A process holds one runtime. When an instrumented library has loaded libmemcov.so already,
/// every member here binds to that copy; otherwise the copy named by <c>$MEMCOV_LIBRARY</c>, then
/// the one the NuGet package puts beside the application, then the default library search.
/// <para>
/// The runtime reads <c>MEMCOV_REGION</c>, <c>MEMCOV_SHM_DIR</c> and <c>MEMCOV_QUIET</c> from the C
/// environment, which <see cref="Environment.SetEnvironmentVariable(string, string)"/> does not
/// change on Unix: set them before the process starts. Errors are reported per thread, so
/// <see cref="LastError"/> describes the last failing call of the calling thread.
/// </para>
/// </remarks>
public static class MemcovNative
{
    /// <summary>The environment variable naming the libmemcov.so to load when no copy is loaded yet.</summary>
    public const string LibraryVariable = "MEMCOV_LIBRARY";

    /// <summary>The environment variable through which a starting process joins a region.</summary>
    public const string RegionVariable = "MEMCOV_REGION";

    /// <summary>The file the runtime was loaded from, or null if the process's maps do not say.</summary>
    /// <exception cref="DllNotFoundException">No libmemcov.so could be loaded.</exception>
    public static string? LibraryPath => MemcovLibrary.LoadedPath;

    /// <summary>Whether this process is attached to a region.</summary>
    /// <exception cref="DllNotFoundException">No libmemcov.so could be loaded.</exception>
    public static bool IsAttached => Interop.Memcov.IsAttached() != 0;

    /// <summary>The name of the region this process is attached to, or an empty string.</summary>
    /// <exception cref="DllNotFoundException">No libmemcov.so could be loaded.</exception>
    public static string RegionName => Marshal.PtrToStringUTF8(Interop.Memcov.RegionName()) ?? string.Empty;

    /// <summary>
    /// What went wrong in the last memcov call of this thread that can fail, and what to do; an
    /// empty string if it succeeded.
    /// </summary>
    /// <exception cref="DllNotFoundException">No libmemcov.so could be loaded.</exception>
    public static string LastError => NativeStatus.LastError;

    /// <summary>Modules (instrumented code objects) that registered in this process.</summary>
    /// <exception cref="DllNotFoundException">No libmemcov.so could be loaded.</exception>
    public static int ModuleCount => (int)Interop.Memcov.ModuleCount();

    /// <summary>This process's modules that record privately: all of them when detached.</summary>
    /// <exception cref="DllNotFoundException">No libmemcov.so could be loaded.</exception>
    public static int PrivateModuleCount => (int)Interop.Memcov.PrivateModuleCount();

    /// <summary>
    /// Attaches this process to region <paramref name="name"/>: each loaded module claims its range
    /// (or finds it), and the hits it has so far move into the region. Detaches first if attached;
    /// if the region cannot be opened, the process stays as it was.
    /// </summary>
    /// <param name="name">The region name.</param>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> is null.</exception>
    /// <exception cref="ArgumentException">The name breaks the naming rule, or the path is too long.</exception>
    /// <exception cref="RegionNotFoundException">No region of that name exists.</exception>
    /// <exception cref="UnauthorizedAccessException">The file is a symlink, not regular, or another user's.</exception>
    /// <exception cref="RegionFormatException">The region has another format version.</exception>
    /// <exception cref="RegionCorruptException">The region's header fails a check.</exception>
    /// <exception cref="IOException">A system call failed otherwise.</exception>
    /// <exception cref="DllNotFoundException">No libmemcov.so could be loaded.</exception>
    public static void Attach(string name)
    {
        Names.Validate(name);
        Check(Interop.Memcov.Attach(name), name);
    }

    /// <summary>
    /// Detaches from the region: each region module keeps the region's bytes for its range as a
    /// private map and records privately from now on. Does nothing when not attached.
    /// </summary>
    /// <exception cref="DllNotFoundException">No libmemcov.so could be loaded.</exception>
    public static void Detach() => Interop.Memcov.Detach();

    /// <summary>
    /// Creates region <paramref name="name"/> and attaches this process to it, then sets
    /// <c>MEMCOV_REGION</c> in this process's environment, so processes it starts join the region.
    /// </summary>
    /// <param name="name">The region name.</param>
    /// <param name="capacityEdges">Edge slots, 1 to 2^32; rounded up to a multiple of 4096.</param>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> is null.</exception>
    /// <exception cref="ArgumentException">The name breaks the naming rule, or the path is too long.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="capacityEdges"/> is not 1 to 2^32.</exception>
    /// <exception cref="RegionExistsException">A file exists under the name; it is left alone.</exception>
    /// <exception cref="DirectoryNotFoundException">The region directory does not exist.</exception>
    /// <exception cref="UnauthorizedAccessException">This user may not create files in the region directory.</exception>
    /// <exception cref="IOException">The directory is full, or a system call failed.</exception>
    /// <exception cref="DllNotFoundException">No libmemcov.so could be loaded.</exception>
    public static void CreateRegion(string name, long capacityEdges)
    {
        Names.Validate(name);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacityEdges);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(capacityEdges, RegionFormat.MaxCapacity);
        int status = Interop.Memcov.RegionCreate(name, (ulong)capacityEdges);
        if (status == Interop.Memcov.MCOV_E_EXISTS)
        {
            throw new RegionExistsException(name, Names.GetPath(name));
        }

        if (status == Interop.Memcov.MCOV_E_NOT_FOUND)
        {
            throw new DirectoryNotFoundException(LastError); // the native message names MEMCOV_SHM_DIR
        }

        Check(status, name);
        Environment.SetEnvironmentVariable(RegionVariable, name);
    }

    /// <summary>
    /// Removes region <paramref name="name"/>'s file; processes attached keep their mapping. Unsets
    /// <c>MEMCOV_REGION</c> in this process's environment if it names the region.
    /// </summary>
    /// <param name="name">The region name.</param>
    /// <returns><see langword="true"/> if the file was removed; <see langword="false"/> if there was none.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> is null.</exception>
    /// <exception cref="ArgumentException">The name breaks the naming rule, or the path is too long.</exception>
    /// <exception cref="UnauthorizedAccessException">This user may not remove the file.</exception>
    /// <exception cref="IOException">unlink failed otherwise.</exception>
    /// <exception cref="DllNotFoundException">No libmemcov.so could be loaded.</exception>
    public static bool RemoveRegion(string name)
    {
        Names.Validate(name);
        int status = Interop.Memcov.RegionRemove(name);
        if (status == Interop.Memcov.MCOV_E_NOT_FOUND)
        {
            return false;
        }

        Check(status, name);
        if (Environment.GetEnvironmentVariable(RegionVariable) == name)
        {
            Environment.SetEnvironmentVariable(RegionVariable, null);
        }

        return true;
    }

    /// <summary>
    /// Clears region <paramref name="name"/>'s map for every process: the only call that removes
    /// edges. The module table stays; own views (<see cref="Reset"/>, <see cref="PushCoverage"/>) are kept,
    /// and an edge a process's open own view already had reaches the region again at its first hit
    /// after that view is cleared or closed (docs/semantics.md, "Region reset inside an own view").
    /// </summary>
    /// <param name="name">The region name.</param>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> is null.</exception>
    /// <exception cref="ArgumentException">The name breaks the naming rule, or the path is too long.</exception>
    /// <exception cref="RegionNotFoundException">No region of that name exists.</exception>
    /// <exception cref="UnauthorizedAccessException">The file is a symlink, not regular, or another user's.</exception>
    /// <exception cref="RegionFormatException">The region has another format version.</exception>
    /// <exception cref="RegionCorruptException">The region's header fails a check.</exception>
    /// <exception cref="IOException">A system call failed otherwise.</exception>
    /// <exception cref="DllNotFoundException">No libmemcov.so could be loaded.</exception>
    public static void ResetRegion(string name)
    {
        Names.Validate(name);
        Check(Interop.Memcov.RegionReset(name), name);
    }

    /// <summary>
    /// Edges set in the current view: attached, the region's union plus this process's private
    /// modules; on an own view, this process's hits since it opened.
    /// </summary>
    /// <returns>The number of covered edges (mcov_get_now64).</returns>
    /// <exception cref="DllNotFoundException">No libmemcov.so could be loaded.</exception>
    public static long GetNow() => (long)Interop.Memcov.GetNow64();

    /// <summary>
    /// Bytes of the hitmap: the region's allocated slots plus this process's private modules. It
    /// also fixes the layout that the fork's copy/set calls use.
    /// </summary>
    /// <returns>The hitmap size (mcov_get_total64).</returns>
    /// <exception cref="DllNotFoundException">No libmemcov.so could be loaded.</exception>
    public static long GetTotal() => (long)Interop.Memcov.GetTotal64();

    /// <summary>
    /// Copies the current view, one byte (0 or 1) per edge, in the current layout.
    /// </summary>
    /// <param name="destination">Receives up to <see cref="GetTotal"/> bytes.</param>
    /// <returns>The bytes written: the smaller of the destination's length and the hitmap's.</returns>
    /// <exception cref="DllNotFoundException">No libmemcov.so could be loaded.</exception>
    public static int CopyHitmap(Span<byte> destination) =>
        (int)Interop.Memcov.CopyHitmapN(ref MemoryMarshal.GetReference(destination), (ulong)destination.Length);

    /// <summary>
    /// Switches to (or clears) this process's own view: its hits from now on. The region keeps
    /// every edge, and hits still go to it.
    /// </summary>
    /// <exception cref="DllNotFoundException">No libmemcov.so could be loaded.</exception>
    public static void Reset() => Interop.Memcov.Reset();

    /// <summary>Opens an empty scope on top of the current view; <see cref="PopCoverage"/> closes it.</summary>
    /// <exception cref="DllNotFoundException">No libmemcov.so could be loaded.</exception>
    public static void PushCoverage() => Interop.Memcov.PushCoverage();

    /// <summary>ORs the top scope into the view below and returns to that view.</summary>
    /// <exception cref="InvalidOperationException">No scope was pushed; the call did nothing.</exception>
    /// <exception cref="DllNotFoundException">No libmemcov.so could be loaded.</exception>
    public static void PopCoverage()
    {
        Interop.Memcov.PopCoverage();
        string error = LastError;
        if (error.Length != 0)
        {
            throw new InvalidOperationException(error);
        }
    }

    private static void Check(int status, string name)
    {
        if (status != Interop.Memcov.MCOV_OK)
        {
            ThrowForStatus(status, name);
        }
    }

    [DoesNotReturn]
    private static void ThrowForStatus(int status, string name)
    {
        string message = NativeStatus.LastError; // before the open below replaces it
        long version = status == Interop.Memcov.MCOV_E_VERSION ? ReadVersion(name) : -1;
        throw NativeStatus.ForRegion(status, name, Names.GetPath(name), version, message);
    }

    // The native message states the version; the exception carries it as a number too (-1 if
    // the file cannot be opened again).
    private static long ReadVersion(string name)
    {
        int status = Interop.Memcov.RegionFileOpen(Names.GetDirectory(), name, out RegionFileHandle handle, out Interop.Memcov.RegionFacts facts);
        handle.Dispose();
        return status is Interop.Memcov.MCOV_E_VERSION or Interop.Memcov.MCOV_OK ? facts.Version : -1;
    }
}
