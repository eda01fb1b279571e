using System.Text.Json;
using Memcov.SharedMem;
using Memcov.SharedMem.Tests;
using static Memcov.Cli.Tests.CliHarness;

namespace Memcov.Cli.Tests;

/// <summary>memcov run end to end on the sample target: unions, crashes and hangs.</summary>
public sealed class RunCommandTests : CliTestBase
{
    private static string Sample => Path.Combine(RepoPaths.SampleDir, "memcov-sample");

    private static string Corpus => Path.Combine(RepoPaths.Root, "samples", "corpus");

    private static async Task<JsonElement> RunJson(params string[] args)
    {
        Result r = await Run(["run", "--json", .. args]);
        Assert.True(r.Code == 0, $"memcov run exited {r.Code}: {r.Err}");
        return JsonDocument.Parse(r.Out).RootElement.Clone();
    }

    private int _inputDirectories;

    private string CopyInputs(IEnumerable<string> files)
    {
        string dir = Directory.CreateDirectory(TempFile($"inputs-{++_inputDirectories}")).FullName;
        foreach (string f in files)
        {
            File.Copy(f, Path.Combine(dir, Path.GetFileName(f)));
        }

        return dir;
    }

    [Fact]
    public async Task Run_OnFourWorkers_GivesExactlyTheMapOfOneWorkerRunningEveryInput()
    {
        string parallel = NewName("run4");
        string serial = NewName("run1");
        JsonElement four = await RunJson("--jobs", "4", "--keep", "--region", parallel, "--inputs", Corpus, "--", Sample, "{}");
        JsonElement one = await RunJson("--jobs", "1", "--keep", "--region", serial, "--inputs", Corpus, "--", Sample, "{}");

        int inputs = Directory.GetFiles(Corpus).Length;
        Assert.Equal(inputs, four.GetProperty("done").GetInt32());
        Assert.Equal(0, four.GetProperty("crashes").GetInt32() + four.GetProperty("timeouts").GetInt32());
        long covered = four.GetProperty("region").GetProperty("covered_edges").GetInt64();
        Assert.True(covered > 300, $"the corpus covers only {covered} edges");
        Assert.Equal(one.GetProperty("region").GetProperty("covered_edges").GetInt64(), covered);

        using CoverageRegion a = CoverageRegion.Attach(parallel);
        using CoverageRegion b = CoverageRegion.Attach(serial);
        Assert.True(a.Map.SequenceEqual(b.Map), "four workers recorded another map than one");
        Assert.Equal(covered, a.CountCovered());
    }

    [Fact]
    public async Task CrashingAndHangingInputs_AreCounted_AndTheOthersCoverageIsKept()
    {
        string[] good = [.. Directory.GetFiles(Corpus).Order(StringComparer.Ordinal).Take(24)];
        string[] bad = Directory.GetFiles(Path.Combine(RepoPaths.Root, "samples", "corpus-bad"));
        string clean = NewName("clean");
        string mixed = NewName("mixed");
        await RunJson("--jobs", "2", "--keep", "--region", clean, "--inputs", CopyInputs(good), "--", Sample, "{}");
        JsonElement run = await RunJson("--jobs", "2", "--keep", "--timeout", "5", "--region", mixed,
            "--inputs", CopyInputs(good.Concat(bad)), "--", Sample, "{}");

        Assert.Equal(good.Length + bad.Length, run.GetProperty("done").GetInt32());
        Assert.Equal(1, run.GetProperty("crashes").GetInt32());
        Assert.Equal(1, run.GetProperty("timeouts").GetInt32());

        // Every edge of the clean run is there, plus what the crashing and hanging inputs reached first.
        using CoverageRegion withBad = CoverageRegion.Attach(mixed);
        using CoverageRegion withoutBad = CoverageRegion.Attach(clean);
        Assert.Equal(0, CoverageMap.CountOnlyIn(withoutBad.Map, withBad.Map));
        Assert.True(withBad.CountCovered() > withoutBad.CountCovered(), "the bad inputs added no edge before failing");
    }

    [Fact]
    public async Task InputsOnStdin_RecordTheSameAsInputsByPath()
    {
        string inputs = CopyInputs(Directory.GetFiles(Corpus).Order(StringComparer.Ordinal).Take(30));
        string byPath = NewName("bypath");
        string byStdin = NewName("bystdin");
        await RunJson("--keep", "--region", byPath, "--inputs", inputs, "--", Sample, "{}");
        JsonElement stdin = await RunJson("--keep", "--region", byStdin, "--inputs", inputs, "--", Sample);
        Assert.Equal(30, stdin.GetProperty("done").GetInt32());
        Assert.Equal(0, stdin.GetProperty("failures").GetInt32());

        using CoverageRegion a = CoverageRegion.Attach(byPath);
        using CoverageRegion b = CoverageRegion.Attach(byStdin);
        Assert.True(a.CountCovered() > 100);
        Assert.True(a.Map.SequenceEqual(b.Map));
    }

    [Fact]
    public async Task WithoutInputs_TheCommandRunsOnce_AndATemporaryRegionIsRemoved()
    {
        string script = Path.Combine(CopyInputs([]), "one.ms");
        File.Copy(Directory.GetFiles(Corpus).Order(StringComparer.Ordinal).First(), script);
        JsonElement run = await RunJson("--", Sample, script);
        Assert.Equal(1, run.GetProperty("inputs").GetInt32());
        Assert.True(run.GetProperty("region").GetProperty("covered_edges").GetInt64() > 10);
        Assert.False(CoverageRegion.Exists(run.GetProperty("region_name").GetString()!));
    }

    [Fact]
    public async Task ATargetThatLeavesABackgroundChild_EndsWhenTheTargetExits()
    {
        // The child keeps the target's stdout and stderr open for 20 s; the run must not wait for it.
        var clock = System.Diagnostics.Stopwatch.StartNew();
        JsonElement run = await RunJson("--timeout", "15", "--", "/bin/sh", "-c", "sleep 20 & exit 0");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(12), $"the run took {clock.Elapsed}");
        Assert.Equal(0, run.GetProperty("timeouts").GetInt32());
        Assert.Equal(1, run.GetProperty("done").GetInt32());
    }

    [Fact]
    public async Task AFeedThatCannotBeWritten_FailsTheRunBeforeAnyTargetStarts()
    {
        string name = NewName("norecord");
        string hang = CopyInputs([Path.Combine(RepoPaths.Root, "samples", "corpus-bad", "hang.ms")]);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Result r = await Run("run", "--region", name, "--timeout", "30", "--record", "/nonexistent/dir/cov.feed",
            "--inputs", hang, "--", Sample, "{}");
        Assert.Equal(1, r.Code);
        Assert.Contains("/nonexistent/dir/cov.feed", r.Err);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), "the run waited for the hanging target");
        Assert.False(CoverageRegion.Exists(name));
    }
}
