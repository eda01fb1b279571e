namespace Memcov.SharedMem.Tests;

/// <summary>Locates the repository and the native build the tests use.</summary>
internal static class RepoPaths
{
    /// <summary>The directory holding Memcov.sln, found by walking up from the test binaries.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>
    /// The native release build: $MEMCOV_TEST_NATIVE_DIR (set by build.sh), else
    /// artifacts/obj/native-release/native.
    /// </summary>
    public static string NativeDir
    {
        get
        {
            string? dir = Environment.GetEnvironmentVariable("MEMCOV_TEST_NATIVE_DIR");
            if (string.IsNullOrEmpty(dir))
            {
                dir = Path.Combine(Root, "artifacts", "obj", "native-release", "native");
            }

            if (!File.Exists(Path.Combine(dir, "libmemcov.so")))
            {
                throw new InvalidOperationException(
                    $"No libmemcov.so in '{dir}': run ./build.sh build, or set MEMCOV_TEST_NATIVE_DIR.");
            }

            return dir;
        }
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Memcov.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No Memcov.sln above '{AppContext.BaseDirectory}'.");
    }
}
