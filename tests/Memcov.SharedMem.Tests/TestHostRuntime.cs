using System.Runtime.CompilerServices;

namespace Memcov.SharedMem.Tests;

/// <summary>The test host's one native runtime.</summary>
internal static class TestHostRuntime
{
    /// <summary>
    /// Loads the native release build's runtime before any test: the library would otherwise load the
    /// copy beside the test assembly first, and a later load of the release build by path would make a
    /// second copy with its own state.
    /// </summary>
    [ModuleInitializer]
    internal static void LoadReleaseRuntime() => NativeMemcov.Load();
}
