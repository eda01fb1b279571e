namespace Memcov.SharedMem;

/// <summary>
/// What makes two module entries the same module in any process, region or map file
/// (docs/region-format.md, "Matching"): kind, identity bytes, edge count and mode, plus the file
/// size when the identity is a path hash. Equal identities have equal values.
/// </summary>
public readonly record struct ModuleIdentity
{
    /// <summary>Creates an identity; the file size only counts for <see cref="ModuleIdKind.PathHash"/>.</summary>
    /// <param name="kind">What <paramref name="id"/> is.</param>
    /// <param name="id">The identity bytes in hex, at most 32 bytes.</param>
    /// <param name="edgeCount">Guards in the module.</param>
    /// <param name="mode">How the module records.</param>
    /// <param name="fileSize">The module file's size in bytes.</param>
    public ModuleIdentity(ModuleIdKind kind, string id, long edgeCount, ModuleMode mode, long fileSize)
    {
        ArgumentNullException.ThrowIfNull(id);
        Kind = kind;
        Id = id.ToLowerInvariant();
        EdgeCount = edgeCount;
        Mode = mode;
        FileSize = kind == ModuleIdKind.PathHash ? fileSize : 0;
    }

    /// <summary>What <see cref="Id"/> is.</summary>
    public ModuleIdKind Kind { get; }

    /// <summary>The identity bytes in lowercase hex.</summary>
    public string Id { get; }

    /// <summary>Guards in the module.</summary>
    public long EdgeCount { get; }

    /// <summary>How the module records.</summary>
    public ModuleMode Mode { get; }

    /// <summary>The module file's size for a path identity; 0 for a build-id, where it does not count.</summary>
    public long FileSize { get; }

    /// <inheritdoc />
    public override string ToString() => $"{(Kind == ModuleIdKind.BuildId ? "build-id" : "path")}:{Id}/{EdgeCount}";
}
