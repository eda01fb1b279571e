using Memcov.SharedMem;

namespace Memcov.Cli.Reports;

/// <summary>A map named on the command line: a map file when a file has that path, otherwise a region.</summary>
internal static class MapSource
{
    /// <summary>Loads <paramref name="source"/> as a map file, or copies the region it names.</summary>
    /// <exception cref="FileNotFoundException">It is neither a file nor a valid region name.</exception>
    public static CoverageMapFile Load(string source)
    {
        if (File.Exists(source))
        {
            return CoverageMapFile.Load(source);
        }

        if (!RegionName.IsValid(source))
        {
            throw new FileNotFoundException($"'{source}' is neither a map file nor a region name.", source);
        }

        using CoverageRegion region = CoverageRegion.Attach(source);
        return CoverageMapFile.FromRegion(region);
    }
}
