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
    /// <param name="id">The identity bytes in hex: 1 to 32 bytes.</param>
    /// <param name="edgeCount">Guards in the module: 1 to 2^32.</param>
    /// <param name="mode">How the module records.</param>
    /// <param name="fileSize">The module file's size in bytes.</param>
    /// <exception cref="ArgumentException">
    /// <paramref name="id"/> is not 1 to 32 bytes of hex, or <paramref name="edgeCount"/> is not 1 to 2^32:
    /// such an identity could not be written to a region or a map file and read back.
    /// </exception>
    public ModuleIdentity(ModuleIdKind kind, string id, long edgeCount, ModuleMode mode, long fileSize)
    {
        ArgumentNullException.ThrowIfNull(id);
        if (id.Length is < 2 or > 64 || id.Length % 2 != 0 || !id.All(char.IsAsciiHexDigit))
        {
            throw new ArgumentException($"A module id is 1 to 32 bytes of hex; '{id}' is not.", nameof(id));
        }

        if (edgeCount < 1 || edgeCount > RegionFormat.MaxCapacity)
        {
            throw new ArgumentException($"A module has 1 to 2^32 edges; {edgeCount} is outside that.", nameof(edgeCount));
        }

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
