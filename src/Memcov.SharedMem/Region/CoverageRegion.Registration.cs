namespace Memcov.SharedMem;

/// <summary>Adding modules to a region's table from .NET, under the native runtime's protocol.</summary>
public sealed partial class CoverageRegion
{
    /// <summary>
    /// Finds or allocates the range of each module, by identity, under the region's registration lock
    /// (docs/region-format.md, "Registration protocol"): every process that loads the same module
    /// later finds the same range. Either every module gets a range or nothing is written.
    /// </summary>
    /// <param name="modules">The modules, with the path to record for new entries.</param>
    /// <returns>Each module's base slot, in order.</returns>
    /// <exception cref="RegionTooSmallException">The modules that are not in the table do not fit.</exception>
    /// <exception cref="RegionNotFoundException">The region's file was removed or replaced since it was mapped.</exception>
    /// <exception cref="IOException">The lock stayed held by a live process for 3 seconds.</exception>
    internal unsafe long[] ClaimRanges(IReadOnlyList<(ModuleIdentity Identity, string Path)> modules)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var entries = new ModuleEntry[modules.Count];
        for (int i = 0; i < entries.Length; i++)
        {
            entries[i] = ModuleEntry.Create(modules[i].Identity, modules[i].Path, 0);
        }

        ulong[] bases = new ulong[entries.Length];
        int status;
        ulong needed;
        fixed (ModuleEntry* e = entries)
        fixed (ulong* b = bases)
        {
            status = Interop.Memcov.RegionFileClaim(_view.Handle, e, (uint)entries.Length, b, out needed);
        }

        if (status == Interop.Memcov.MCOV_E_TOO_SMALL)
        {
            throw RegionTooSmallException.ForImport(Name, CapacityEdges, (long)Math.Min(needed, long.MaxValue), NativeStatus.LastError);
        }

        if (status != Interop.Memcov.MCOV_OK)
        {
            NativeStatus.ThrowForRegion(status, Name, Path);
        }

        return [.. bases.Select(b => (long)b)];
    }
}
