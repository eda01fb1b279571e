namespace Memcov.SharedMem;

/// <summary>No region file exists under the name (or its directory is missing).</summary>
public sealed class RegionNotFoundException : IOException
{
    /// <summary>Creates the exception for region <paramref name="name"/> at <paramref name="path"/>.</summary>
    /// <param name="name">The region name.</param>
    /// <param name="path">The file that was looked for.</param>
    public RegionNotFoundException(string name, string path)
        : base(
            $"No memcov region named '{name}' exists at '{path}'. Create it first " +
            $"(mcov_region_create), or set {RegionName.DirectoryVariable} to the directory its creator used.")
    {
        Name = name;
        Path = path;
    }

    private RegionNotFoundException(string name, string path, string message)
        : base(message)
    {
        Name = name;
        Path = path;
    }

    /// <summary>The region name.</summary>
    public string Name { get; }

    /// <summary>The file that was looked for.</summary>
    public string Path { get; }

    /// <summary>The exception with the native runtime's message (mcov_last_error), which names the remedy.</summary>
    internal static RegionNotFoundException FromRuntime(string name, string path, string message) =>
        new(name, path, message);
}
