using System.Runtime.InteropServices;
using System.Text;

namespace Memcov.SharedMem;

/// <summary>
/// The C# mirror of <c>mcov_module_entry</c>: 256 bytes each, entry <c>i</c> at
/// <c>module_table_offset + 256·i</c>. Checked against native/include/memcov_region.h by a test.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = RegionFormat.ModuleEntrySize)]
public unsafe struct ModuleEntry
{
    /// <summary><c>base</c>: the module's first edge slot; a multiple of 4096.</summary>
    [FieldOffset(0)]
    public ulong Base;

    /// <summary><c>edge_count</c>: guards in the module; its range is [Base, Base + EdgeCount).</summary>
    [FieldOffset(8)]
    public ulong EdgeCount;

    /// <summary><c>file_size</c>: size of the module's file in bytes; 0 when unknown.</summary>
    [FieldOffset(16)]
    public ulong FileSize;

    /// <summary><c>mode</c>: 1 = trace-pc-guard callbacks, 2 = no-call (inline-8bit-counters or inline-bool-flag).</summary>
    [FieldOffset(24)]
    public uint Mode;

    /// <summary><c>id_kind</c>: 1 = ELF build-id, 2 = FNV-1a-64 hash of the path.</summary>
    [FieldOffset(28)]
    public uint IdKind;

    /// <summary><c>id_len</c>: bytes of <see cref="Id"/> in use.</summary>
    [FieldOffset(32)]
    public uint IdLen;

    /// <summary><c>reserved0</c>: 0.</summary>
    [FieldOffset(36)]
    public uint Reserved0;

    /// <summary><c>id</c>: the identity bytes; those after <see cref="IdLen"/> are 0.</summary>
    [FieldOffset(40)]
    public fixed byte Id[32];

    /// <summary><c>path</c>: the module's realpath, NUL-terminated, keeping its last 183 bytes.</summary>
    [FieldOffset(72)]
    public fixed byte Path[184];

    /// <summary>An entry for a module at <paramref name="baseSlot"/>, as a registrant writes it.</summary>
    internal static ModuleEntry Create(ModuleIdentity id, string path, ulong baseSlot)
    {
        ModuleEntry e = default;
        e.Base = baseSlot;
        e.EdgeCount = (ulong)id.EdgeCount;
        e.FileSize = (ulong)id.FileSize;
        e.Mode = (uint)id.Mode;
        e.IdKind = (uint)id.Kind;
        byte[] idBytes = Convert.FromHexString(id.Id);
        e.IdLen = (uint)Math.Min(idBytes.Length, 32);
        idBytes.AsSpan(0, (int)e.IdLen).CopyTo(new Span<byte>(e.Id, 32));

        // Keep the last 183 bytes of a longer path, as the native runtime does.
        byte[] utf8 = Encoding.UTF8.GetBytes(path);
        utf8.AsSpan(Math.Max(0, utf8.Length - 183)).CopyTo(new Span<byte>(e.Path, 184));
        return e;
    }
}
