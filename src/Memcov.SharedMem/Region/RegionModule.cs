using System.Text;

namespace Memcov.SharedMem;

/// <summary>How a module records its edges (<c>mode</c> of a module entry).</summary>
public enum ModuleMode
{
    /// <summary>trace-pc-guard callbacks.</summary>
    Callback = 1,

    /// <summary>No-call mode: clang's inline-8bit-counters (or inline-bool-flag), with shared memory mapped over them.</summary>
    Inline = 2,
}

/// <summary>What a module's identity bytes are (<c>id_kind</c> of a module entry).</summary>
public enum ModuleIdKind
{
    /// <summary>The ELF <c>NT_GNU_BUILD_ID</c> note.</summary>
    BuildId = 1,

    /// <summary>The FNV-1a-64 hash of the module's realpath (with its file size).</summary>
    PathHash = 2,
}

/// <summary>
/// One module of a region's table: the range of edge slots <c>[Base, Base + EdgeCount)</c> it records
/// into, and the identity every process matches it by. A copy: it never changes once read.
/// </summary>
public sealed record RegionModule
{
    /// <summary>The entry's index in the module table.</summary>
    public required int Index { get; init; }

    /// <summary>The module's first edge slot; a multiple of 4096.</summary>
    public required long Base { get; init; }

    /// <summary>Guards (edges) in the module.</summary>
    public required long EdgeCount { get; init; }

    /// <summary>Size of the module's file in bytes; 0 when unknown.</summary>
    public required long FileSize { get; init; }

    /// <summary>How the module records; other values come from newer writers and are kept as they are.</summary>
    public required ModuleMode Mode { get; init; }

    /// <summary>What <see cref="Id"/> is.</summary>
    public required ModuleIdKind IdKind { get; init; }

    /// <summary>The identity bytes in lowercase hex (a build-id, or the 8-byte path hash).</summary>
    public required string Id { get; init; }

    /// <summary>The module's realpath; only its last 183 bytes when it was longer.</summary>
    public required string Path { get; init; }

    /// <summary>What every process matches this module by.</summary>
    public ModuleIdentity Identity => new(IdKind, Id, EdgeCount, Mode, FileSize);

    /// <summary>Copies a validated entry into a module.</summary>
    internal static unsafe RegionModule FromEntry(int index, in ModuleEntry e)
    {
        int idLen = (int)Math.Min(e.IdLen, 32u);
        string id;
        string path;
        fixed (byte* idBytes = e.Id)
        fixed (byte* pathBytes = e.Path)
        {
            id = Convert.ToHexStringLower(new ReadOnlySpan<byte>(idBytes, idLen));
            var raw = new ReadOnlySpan<byte>(pathBytes, 184);
            int end = raw.IndexOf((byte)0);
            path = Encoding.UTF8.GetString(end < 0 ? raw : raw[..end]);
        }

        return new RegionModule
        {
            Index = index,
            Base = (long)e.Base,
            EdgeCount = (long)e.EdgeCount,
            FileSize = (long)Math.Min(e.FileSize, long.MaxValue),
            Mode = (ModuleMode)e.Mode,
            IdKind = (ModuleIdKind)e.IdKind,
            Id = id,
            Path = path,
        };
    }
}
