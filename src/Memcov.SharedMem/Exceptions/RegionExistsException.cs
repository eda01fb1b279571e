namespace Memcov.SharedMem;

/// <summary>A region, or some other file, already exists under the name being created.</summary>
public sealed class RegionExistsException : IOException
{
    /// <summary>Creates the exception for region <paramref name="name"/> at <paramref name="path"/>.</summary>
    /// <param name="name">The region name.</param>
    /// <param name="path">The existing file.</param>
    public RegionExistsException(string name, string path)
        : base(
            $"A memcov region named '{name}' already exists at '{path}' and was left as it is. Attach to it " +
            "(CoverageRegion.Attach), pick another name, or remove it first (CoverageRegion.Remove) to start empty.")
    {
        Name = name;
        Path = path;
    }

    /// <summary>The region name.</summary>
    public string Name { get; }

    /// <summary>The existing file.</summary>
    public string Path { get; }
}
