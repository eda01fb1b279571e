namespace Memcov.SharedMem;

/// <summary>The PC tables kept beside a region (docs/region-format.md, "PC files").</summary>
public sealed partial class CoverageRegion
{
    /// <summary>
    /// The PC table of <paramref name="module"/>, which the first process that brought it into the
    /// region kept beside it: where each edge's code lies in the module's file.
    /// </summary>
    /// <param name="module">A module of this region (from <see cref="Modules"/>).</param>
    /// <returns>One entry per edge, or <see langword="null"/> when the module was compiled without <c>pc-table</c> (or its table could not be kept).</returns>
    /// <exception cref="RegionCorruptException">The file beside the region is not this module's PC table.</exception>
    /// <exception cref="ObjectDisposedException">The region was disposed.</exception>
    public unsafe PcEntry[]? GetPcTable(RegionModule module)
    {
        ArgumentNullException.ThrowIfNull(module);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (module.EdgeCount > Array.MaxLength)
        {
            throw new InvalidOperationException($"Module {module.Index} ('{module.Path}') has {module.EdgeCount} edges, more than one array holds.");
        }

        var table = GC.AllocateUninitializedArray<PcEntry>((int)module.EdgeCount);
        long n;
        fixed (PcEntry* p = table)
        {
            n = Interop.Memcov.RegionFilePcs(_view.Handle, (uint)module.Index, p, (ulong)table.Length);
        }

        if (n < 0)
        {
            throw new RegionCorruptException(Path, NativeStatus.LastError);
        }

        return n == 0 ? null : table;
    }

    /// <summary>Keeps a module's PC table beside the region, unless it has one already.</summary>
    internal unsafe void PutPcTable(ModuleIdentity identity, string path, ReadOnlySpan<PcEntry> table)
    {
        ModuleEntry entry = ModuleEntry.Create(identity, path, 0);
        int status;
        fixed (PcEntry* p = table)
        {
            status = Interop.Memcov.RegionFilePutPcs(_view.Handle, entry, p);
        }

        if (status != Interop.Memcov.MCOV_OK)
        {
            NativeStatus.ThrowForRegion(status, Name, Path);
        }
    }
}
