namespace Memcov.Cli;

/// <summary>
/// A sanitizer's report ends a target with a signal (<c>abort_on_error=1</c>), so that a run
/// counts it as a crash in every mode, and a target's own exit code stays its own. An option the
/// user set is kept: with <c>abort_on_error=0</c> a report ends the target with the sanitizer's
/// exit code, a non-zero exit. UBSan reports and goes on unless told to halt (<c>halt_on_error=1</c>).
/// </summary>
internal static class SanitizerOptions
{
    private static readonly string[] Variables = ["ASAN_OPTIONS", "MSAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS", "TSAN_OPTIONS"];

    /// <summary>Adds <c>abort_on_error=1</c> to each sanitizer's options in <paramref name="environment"/> (over this process's).</summary>
    public static void AbortOnError(IDictionary<string, string?> environment)
    {
        foreach (string name in Variables)
        {
            string current = environment.TryGetValue(name, out string? set) ? set ?? "" : Environment.GetEnvironmentVariable(name) ?? "";
            if (!current.Contains("abort_on_error=", StringComparison.Ordinal))
            {
                environment[name] = current.Length == 0 ? "abort_on_error=1" : current + ":abort_on_error=1";
            }
        }
    }
}
