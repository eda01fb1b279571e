namespace Memcov.SharedMem.Tests;

/// <summary>
/// A <see cref="TargetServer"/> (memcov_spawn.h's servers) with the harness worker and the sample's
/// harness: inputs return; an input that crashes the worker ends it, with its signal, and the next
/// request says the server is gone; a hang is killed at its limit; a harness that does not load
/// is a <see cref="TargetServerException"/> with the worker's own line; a kill from another thread
/// ends the run under way.
/// </summary>
public sealed class TargetServerTests
{
    private static string Harness => Path.Combine(RepoPaths.SampleDir, "libmemcov_sample_fuzz.so");

    private static string Corpus(string dir, string file) => Path.Combine(RepoPaths.Root, "samples", dir, file);

    private static TargetServer StartWorker(string harness)
    {
        var info = new TargetStartInfo(TargetServer.FindHarnessWorker()) { CaptureStandardError = true };
        info.Arguments.Add(harness);
        info.Environment["MEMCOV_REGION"] = null;
        return TargetServer.Start(info, TimeSpan.FromSeconds(30));
    }

    [Fact]
    public void InputsReturn_UntilOneCrashesTheWorker()
    {
        using TargetServer server = StartWorker(Harness);
        foreach (string input in Directory.GetFiles(Path.Combine(RepoPaths.Root, "samples", "corpus")).Order().Take(20))
        {
            ServerRunResult ok = server.Run(input, TimeSpan.FromSeconds(30));
            Assert.Equal((ServerRunKind.Returned, 0, false), (ok.Kind, ok.Status, ok.ServerEnded));
        }

        ServerRunResult crash = server.Run(Corpus("corpus-bad", "crash.ms"), TimeSpan.FromSeconds(30));
        Assert.Equal(ServerRunKind.Ended, crash.Kind);
        Assert.True(crash.ServerEnded);
        Assert.Equal(6, crash.Exit!.Value.Signal); // SIGABRT
        ServerRunResult after = server.Run(Corpus("corpus", "algo-json-0.ms"), TimeSpan.FromSeconds(30));
        Assert.Equal((ServerRunKind.NotRun, true), (after.Kind, after.ServerEnded));
    }

    [Fact]
    public void AHangIsKilledAtItsLimit_AndAnUnreadableInputIsSaid()
    {
        using (TargetServer server = StartWorker(Harness))
        {
            ServerRunResult missing = server.Run("/nonexistent/input", TimeSpan.FromSeconds(30));
            Assert.Equal((ServerRunKind.Unreadable, 2, false), (missing.Kind, missing.Status, missing.ServerEnded)); // ENOENT
            ServerRunResult hang = server.Run(Corpus("corpus-bad", "hang.ms"), TimeSpan.FromMilliseconds(300));
            Assert.Equal((ServerRunKind.TimedOut, true), (hang.Kind, hang.ServerEnded));
        }

        using (TargetServer server = StartWorker(Harness))
        {
            using var kill = new Timer(_ => server.Kill(), null, 300, Timeout.Infinite);
            ServerRunResult killed = server.Run(Corpus("corpus-bad", "hang.ms"), TimeSpan.FromSeconds(60));
            Assert.Equal((ServerRunKind.Ended, 9, true), (killed.Kind, killed.Exit?.Signal, killed.ServerEnded));
        }
    }

    [Fact]
    public void AHarnessThatDoesNotLoad_IsAnExceptionWithTheWorkersLine()
    {
        var e = Assert.Throws<TargetServerException>(() => StartWorker(RepoPaths.NativeLibrary));
        Assert.Equal(2, e.Exit?.ExitCode);
        Assert.Contains("memcov: cannot load the harness", e.StandardError, StringComparison.Ordinal);
        Assert.Contains("does not export LLVMFuzzerTestOneInput", e.StandardError, StringComparison.Ordinal);
    }
}
