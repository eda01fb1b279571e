namespace Memcov.SharedMem.Tests;

/// <summary>Locates the repository and the native build the tests use.</summary>
internal static class RepoPaths
{
    /// <summary>libmemcov's soname, the file every copy of the runtime is named by (native/CMakeLists.txt).</summary>
    public const string LibraryFile = "libmemcov.so.2";

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

            if (!File.Exists(Path.Combine(dir, LibraryFile)))
            {
                throw new InvalidOperationException(
                    $"No {LibraryFile} in '{dir}': run ./build.sh build, or set MEMCOV_TEST_NATIVE_DIR.");
            }

            return dir;
        }
    }

    /// <summary>The native release build's libmemcov.so.2 (its soname), which the sample modules load.</summary>
    public static string NativeLibrary => Path.Combine(NativeDir, LibraryFile);

    /// <summary>The sample modules and mcov_worker of the native release build.</summary>
    public static string NativeTestsDir => Path.Combine(NativeDir, "tests");

    /// <summary>
    /// The copy of libmemcov.so that ./build.sh build publishes (artifacts/native): a file other
    /// than <see cref="NativeLibrary"/>, to show which copy a process binds to.
    /// </summary>
    public static string PublishedLibrary
    {
        get
        {
            string path = Path.Combine(Root, "artifacts", "native", LibraryFile);
            return File.Exists(path)
                ? path
                : throw new InvalidOperationException($"No '{path}': run ./build.sh build.");
        }
    }

    /// <summary>The .NET child of the cross-process tests, built beside the test assembly.</summary>
    public static string TestChild => Path.Combine(AppContext.BaseDirectory, "Memcov.TestChild");

    /// <summary>
    /// The published sample target (memcov-sample and its library): $MEMCOV_SAMPLE_DIR (set by
    /// build.sh), else artifacts/samples.
    /// </summary>
    public static string SampleDir
    {
        get
        {
            string? dir = Environment.GetEnvironmentVariable("MEMCOV_SAMPLE_DIR");
            if (string.IsNullOrEmpty(dir))
            {
                dir = Path.Combine(Root, "artifacts", "samples");
            }

            if (!File.Exists(Path.Combine(dir, "memcov-sample")))
            {
                throw new InvalidOperationException(
                    $"No memcov-sample in '{dir}': run ./build.sh build, or set MEMCOV_SAMPLE_DIR.");
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
