namespace Memcov.SharedMem.Tests;

/// <summary>Tests that point MEMCOV_SHM_DIR at a directory of their own; they never run beside other tests.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class PrivateShmDirCollection
{
    public const string Name = "private MEMCOV_SHM_DIR";
}

/// <summary>Sets MEMCOV_SHM_DIR to a fresh directory for one test and restores it after.</summary>
internal sealed class PrivateShmDir : IDisposable
{
    private readonly string? _previous = Environment.GetEnvironmentVariable(RegionName.DirectoryVariable);

    public PrivateShmDir()
    {
        Path = Directory.CreateTempSubdirectory("memcov-test-").FullName;
        Environment.SetEnvironmentVariable(RegionName.DirectoryVariable, Path);
    }

    public string Path { get; }

    public void Dispose()
    {
        Environment.SetEnvironmentVariable(RegionName.DirectoryVariable, _previous);
        Directory.Delete(Path, recursive: true);
    }
}
