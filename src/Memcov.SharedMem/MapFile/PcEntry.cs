using System.Runtime.InteropServices;

namespace Memcov.SharedMem;

/// <summary>
/// One entry of a module's PC table (<c>mcov_map_pc</c>, docs/map-file-format.md): where an edge's
/// code lies, as an offset from the module's load bias (an address in the module's ELF file), and
/// the flags clang gave it.
/// </summary>
/// <param name="Offset">The edge's address in the module's file; never 0 (the ELF header lies there).</param>
/// <param name="Flags">Bit 0: the edge is a function's entry block.</param>
[StructLayout(LayoutKind.Sequential)]
public readonly record struct PcEntry(ulong Offset, ulong Flags)
{
    /// <summary>Whether the edge is the entry block of a function.</summary>
    public bool IsFunctionEntry => (Flags & 1) != 0;
}
