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
    /// <exception cref="InvalidDataException">The file beside the region is not this module's PC table (damaged, a symlink, another user's); the region itself is not affected.</exception>
    /// <exception cref="ObjectDisposedException">The region was disposed.</exception>
    public PcEntry[]? GetPcTable(RegionModule module) =>
        TryGetPcTable(module, out PcEntry[]? table, out string? problem) ? table
        : problem is null ? null
        : throw new InvalidDataException(problem);

    /// <summary>The PC table of <paramref name="module"/>, as <see cref="GetPcTable"/> reads it, without throwing for a bad PC file.</summary>
    /// <param name="module">A module of this region (from <see cref="Modules"/>).</param>
    /// <param name="table">The table, when there is one.</param>
    /// <param name="problem">Why the PC file beside the region was not used, when there is one that is not the module's table.</param>
    /// <returns>Whether the module has a table.</returns>
    /// <exception cref="ObjectDisposedException">The region was disposed.</exception>
    public unsafe bool TryGetPcTable(RegionModule module, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out PcEntry[]? table, out string? problem)
    {
        ArgumentNullException.ThrowIfNull(module);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (module.EdgeCount > Array.MaxLength)
        {
            throw new InvalidOperationException($"Module {module.Index} ('{module.Path}') has {module.EdgeCount} edges, more than one array holds.");
        }

        table = GC.AllocateUninitializedArray<PcEntry>((int)module.EdgeCount);
        long n;
        fixed (PcEntry* p = table)
        {
            n = Interop.Memcov.RegionFilePcs(_view.Handle, (uint)module.Index, p, (ulong)table.Length);
        }

        problem = n < 0 ? NativeStatus.LastError : null;
        if (n <= 0)
        {
            table = null;
            return false;
        }

        return true;
    }

    /// <summary>Keeps a module's PC table beside the region, unless it has one already; false if it cannot (no room, a name too long).</summary>
    internal unsafe bool TryPutPcTable(ModuleIdentity identity, string path, ReadOnlySpan<PcEntry> table)
    {
        ModuleEntry entry = ModuleEntry.Create(identity, path, 0);
        int status;
        fixed (PcEntry* p = table)
        {
            status = Interop.Memcov.RegionFilePutPcs(_view.Handle, entry, p);
        }

        return status == Interop.Memcov.MCOV_OK;
    }
}
