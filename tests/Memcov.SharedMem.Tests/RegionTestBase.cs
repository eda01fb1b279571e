namespace Memcov.SharedMem.Tests;

/// <summary>Hands out unique region names and removes their files after each test.</summary>
public abstract class RegionTestBase : IDisposable
{
    private static int s_counter;
    private readonly List<string> _names = [];

    /// <summary>Removes what a test class made besides regions; runs before the regions are removed.</summary>
    protected virtual void Cleanup()
    {
    }

    /// <summary>A fresh region name that no other test or run uses.</summary>
    protected string NewName(string tag)
    {
        string name = $"dotnet-{tag}-{Environment.ProcessId}-{Interlocked.Increment(ref s_counter)}";
        _names.Add(name);
        return name;
    }

    public void Dispose()
    {
        Cleanup();
        foreach (string name in _names)
        {
            string path = RegionName.GetPath(name);
            if (File.Exists(path) || new FileInfo(path).LinkTarget != null)
            {
                File.Delete(path);
            }

            // Its lanes file and PC files too, whatever the region file said (a test may have broken it).
            DeleteSideFiles($".memcov-lanes-{name}-", 16);
            DeleteSideFiles($".memcov-pcs-{name}-", 33);
        }

        GC.SuppressFinalize(this);
    }

    private static void DeleteSideFiles(string prefix, int suffixLength)
    {
        foreach (string file in Directory.EnumerateFiles(RegionName.GetDirectory(), prefix + "*"))
        {
            string suffix = Path.GetFileName(file)[prefix.Length..];
            if (suffix.Length == suffixLength && suffix.All(c => c == '-' || char.IsAsciiHexDigitLower(c)))
            {
                File.Delete(file);
            }
        }
    }
}
