using Memcov.SharedMem.Tests;
using static Memcov.Cli.Tests.CliHarness;

namespace Memcov.Cli.Tests;

/// <summary>Bad arguments and bad files: a non-zero exit and a message, never a stack trace.</summary>
public sealed class ErrorTests : CliTestBase
{
    [Theory]
    [InlineData("run")]
    [InlineData("run", "--jobs", "0", "--", "true")]
    [InlineData("run", "--timeout", "-1", "--", "true")]
    [InlineData("run", "--region", "bad/name", "--", "true")]
    [InlineData("create", "bad/name")]
    [InlineData("stat")]
    [InlineData("plot", "feed.bin", "-o", "plot.gif")]
    [InlineData("no-such-command")]
    public async Task BadArguments_ExitNonZero_WithAMessage(params string[] args)
    {
        Result r = await Run(args);
        Assert.NotEqual(0, r.Code);
        Assert.False(string.IsNullOrWhiteSpace(r.Err), "no message on stderr");
        Assert.DoesNotContain("   at ", r.Err);
    }

    [Fact]
    public async Task AMissingRegion_SaysHowToCreateIt()
    {
        Result r = await Run("stat", NewName("missing"));
        Assert.Equal(1, r.Code);
        Assert.StartsWith("memcov: no region", r.Err);
        Assert.Contains("create it first", r.Err);
    }

    [Fact]
    public async Task ATargetThatCannotStart_FailsTheRun_AndRemovesItsRegion()
    {
        string name = NewName("nostart");
        Result r = await Run("run", "--region", name, "--", "/nonexistent/target");
        Assert.Equal(1, r.Code);
        Assert.Contains("/nonexistent/target", r.Err);
        Assert.False(SharedMem.CoverageRegion.Exists(name));
    }

    [Fact]
    public async Task ACorruptFeedOrMapFile_IsRefusedWithTheReason()
    {
        string feed = TempFile("bad.feed");
        await File.WriteAllBytesAsync(feed, "MCOVFEEDjunk"u8.ToArray());
        Result plot = await Run("plot", feed, "-o", TempFile("out.png"));
        Assert.Equal(1, plot.Code);
        Assert.Contains("feed is not valid", plot.Err);

        string map = TempFile("bad.mcovmap");
        await File.WriteAllBytesAsync(map, new byte[100]);
        Result import = await Run("import", map, NewName("never"));
        Assert.Equal(1, import.Code);
        Assert.Contains("not a valid memcov map file", import.Err);
    }
}
