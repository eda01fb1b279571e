using Memcov.SharedMem.Tests;
using static Memcov.Cli.Tests.CliHarness;

namespace Memcov.Cli.Tests;

/// <summary>
/// A command line that does not parse — a value that is no number, one past its bounds, a missing
/// argument — ends as exactly one <c>memcov:</c> line naming the limit, and exit code 2.
/// </summary>
public sealed class UsageErrorTests : CliTestBase
{
    [Theory]
    [InlineData("--capacity must be 1 to 4294967296 edges", "create", "r", "--capacity", "abc")]
    [InlineData("--capacity must be 1 to 4294967296 edges", "create", "r", "--capacity", "9223372036854775808")]
    [InlineData("--capacity must be 1 to 4294967296 edges", "create", "r", "--capacity", "1e6")]
    [InlineData("--capacity must be 1 to 4294967296 edges", "create", "r", "--capacity", "4294967297")]
    [InlineData("--capacity must be 1 to 4294967296 edges", "create", "r", "--capacity", "0")]
    [InlineData("--capacity must be 1 to 4294967296 edges", "import", "map", "r", "--capacity", "abc")]
    [InlineData("--capacity must be 1 to 4294967296 edges", "run", "--capacity", "-1", "--", "true")]
    [InlineData("--jobs must be 1 to 1024 runs", "run", "--jobs", "abc", "--", "true")]
    [InlineData("--jobs must be 1 to 1024 runs", "run", "--jobs", "2147483648", "--", "true")]
    [InlineData("--jobs must be 1 to 1024 runs", "run", "-j", "0", "--", "true")]
    [InlineData("--timeout must be 0.001 to 2073600 seconds", "run", "--timeout", "abc", "--", "true")]
    [InlineData("--timeout must be 0.001 to 2073600 seconds", "run", "--timeout", "NaN", "--", "true")]
    [InlineData("--timeout must be 0.001 to 2073600 seconds", "run", "--timeout", "0", "--", "true")]
    [InlineData("--interval must be 10 to 3600000 ms", "watch", "r", "--interval", "abc")]
    [InlineData("--interval must be 10 to 3600000 ms", "watch", "r", "--interval", "9")]
    [InlineData("--seconds must be 0 to 2073600 seconds", "watch", "r", "--seconds", "1e308")]
    [InlineData("--seconds must be 0 to 2073600 seconds", "watch", "r", "--seconds", "-1")]
    [InlineData("--seconds must be 0 to 2073600 seconds", "watch", "r", "--seconds", "NaN")]
    [InlineData("--seconds must be 0 to 2073600 seconds", "watch", "r", "--seconds", "Infinity")]
    [InlineData("--width must be 64 to 8192 pixels", "plot", "f.feed", "-o", "p.png", "--width", "100000", "--height", "100000")]
    [InlineData("--height must be 64 to 8192 pixels", "plot", "f.feed", "-o", "p.png", "--height", "63")]
    public async Task ABadNumber_IsOneLineWithTheLimit_AndExitCode2(string message, params string[] args)
    {
        Result r = await Run(args);
        Assert.Equal(2, r.Code);
        string line = Assert.Single(Lines(r.Err));
        Assert.StartsWith($"memcov: {message}, not '", line);
        Assert.EndsWith($"(see memcov {args[0]} --help)", line);
        Assert.Equal("", r.Out);
    }

    [Theory]
    [InlineData("stat")]
    [InlineData("export", "r")]
    [InlineData("import", "map")]
    [InlineData("merge", "-o", "out.mcovmap")]
    [InlineData("diff", "a")]
    [InlineData("plot", "f.feed")]
    [InlineData("plot", "f.feed", "-o", "")]
    [InlineData("run")]
    [InlineData("create", "r", "--capacity")]
    [InlineData("sync", "r", "--redis", "redis://127.0.0.1:1", "--campaign")]
    [InlineData("sync", "r", "--redis", "redis://127.0.0.1:1", "--campaign", "--", "")]
    [InlineData("sync", "r", "--redis", "redis://127.0.0.1:1", "--campaign", "c", "--host")]
    [InlineData("stat", "r", "--no-such-option")]
    [InlineData("no-such-command")]
    [InlineData]
    public async Task AMissingOrUnknownArgument_IsOneLine_WithoutTheHelp_AndExitCode2(params string[] args)
    {
        Result r = await Run(args);
        Assert.Equal(2, r.Code);
        string line = Assert.Single(Lines(r.Err));
        Assert.StartsWith("memcov: ", line);
        string command = args.Length > 0 && args[0] != "no-such-command" ? $"memcov {args[0]}" : "memcov";
        Assert.EndsWith($"(see {command} --help)", line);
        Assert.DoesNotContain("Usage:", r.Out + r.Err);
    }

    [Theory]
    [InlineData("1", "create", "--capacity")]
    [InlineData("4294967296", "create", "--capacity")]
    public async Task TheBoundsThemselves_AreAccepted(string value, string command, string option)
    {
        string name = NewName("bound");
        Result r = await Run(command, name, option, value);
        Assert.True(r.Code == 0, r.Err);
    }

    [Fact]
    public async Task Help_StillPrintsTheUsage_WithTheLimits()
    {
        Result r = await Run("run", "--help");
        Assert.Equal(0, r.Code);
        Assert.Contains("Usage:", r.Out);
        Assert.Contains("1 to 1024 runs", r.Out);
        Assert.Equal("", r.Err);
    }

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
}
