using Memcov.SharedMem.Tests;

namespace Memcov.Cli.Tests;

/// <summary>
/// A test of the memcov command: unique region names, and one temporary directory for its files;
/// both are removed after the test, so a test run leaves nothing behind.
/// </summary>
public abstract class CliTestBase : RegionTestBase
{
    /// <summary>The prefix of every test's directory in the temporary directory.</summary>
    public const string DirectoryPrefix = "memcov-cli-";

    private string? _directory;

    /// <summary>The test's own directory, created at first use.</summary>
    protected string TempDirectory => _directory ??= Directory.CreateTempSubdirectory(DirectoryPrefix).FullName;

    /// <summary>A path in the test's directory.</summary>
    protected string TempFile(string name) => Path.Combine(TempDirectory, name);

    protected override void Cleanup()
    {
        if (_directory is not null)
        {
            Directory.Delete(_directory, recursive: true);
        }
    }
}
