using Memcov.SharedMem;
using Memcov.SharedMem.Tests;
using static Memcov.Cli.Tests.CliHarness;

namespace Memcov.Cli.Tests;

/// <summary>
/// Files the command writes (export -o, merge -o, plot -o, run and watch --record) are never written
/// through a symlink and never replace a directory; a failed write leaves nothing beside the output.
/// </summary>
public sealed class OutputFileTests : CliTestBase
{
    private const string Kept = "someone else's file";

    private string FilledRegion()
    {
        string name = NewName("out");
        NativeMemcov.CreateRegion(name, 1 << 16);
        NativeMemcov.WaitOk(NativeMemcov.StartWorker(name, 0, 24));
        return name;
    }

    private async Task<string[]> WriteTo(string command, string region, string output)
    {
        if (command != "plot")
        {
            return [command, region, "-o", output];
        }

        string feed = TempFile("in.feed");
        Assert.Equal(0, (await Run("watch", region, "--seconds", "0", "--record", feed)).Code);
        return ["plot", feed, "-o", output];
    }

    private string Victim()
    {
        string victim = TempFile("victim");
        File.WriteAllText(victim, Kept);
        return victim;
    }

    [Fact]
    public async Task Export_NeverWritesThroughASymlinkPlantedAtAGuessableTemporaryName()
    {
        string region = FilledRegion();
        string victim = Victim();
        string output = TempFile("out.mcovmap");
        // The name the map writer used to give its temporary file: the output's name and the pid.
        string planted = $"{output}.tmp-{Environment.ProcessId}";
        File.CreateSymbolicLink(planted, victim);

        Result r = await Run("export", region, "-o", output);

        Assert.True(r.Code == 0, r.Err);
        Assert.Equal(Kept, File.ReadAllText(victim));
        Assert.Equal(victim, new FileInfo(planted).LinkTarget);
        Assert.Null(new FileInfo(output).LinkTarget);
        using CoverageRegion source = CoverageRegion.Attach(region);
        Assert.Equal(CoverageMapFile.FromRegion(source).ToBytes(), File.ReadAllBytes(output));
        Assert.Equal(["out.mcovmap", Path.GetFileName(planted), "victim"], Entries());
    }

    [Theory]
    [InlineData("export", "out.mcovmap")]
    [InlineData("merge", "out.mcovmap")]
    [InlineData("plot", "out.png")]
    [InlineData("plot", "out.svg")]
    public async Task ASymlinkAtTheOutput_IsReplaced_AndWhatItPointsToIsUntouched(string command, string name)
    {
        string region = FilledRegion();
        string victim = Victim();
        string output = TempFile(name);
        File.CreateSymbolicLink(output, victim);

        Result r = await Run(await WriteTo(command, region, output));

        Assert.True(r.Code == 0, r.Err);
        Assert.Equal(Kept, File.ReadAllText(victim));
        Assert.Null(new FileInfo(output).LinkTarget);
        Assert.True(new FileInfo(output).Length > 0);
    }

    [Theory]
    [InlineData("export", "out.mcovmap")]
    [InlineData("merge", "out.mcovmap")]
    [InlineData("plot", "out.png")]
    public async Task ADirectoryAtTheOutput_IsRefused_AndNothingIsLeftBesideIt(string command, string name)
    {
        string region = FilledRegion();
        string output = Directory.CreateDirectory(TempFile(name)).FullName;
        string[] args = await WriteTo(command, region, output);
        string[] before = Entries();

        Result r = await Run(args);

        Assert.Equal(1, r.Code);
        Assert.Equal($"memcov: '{output}' is a directory, not a regular file", r.Err[..r.Err.IndexOf(':', 9)]);
        Assert.Equal(before, Entries());
        Assert.Empty(Directory.EnumerateFileSystemEntries(output));
    }

    [Theory]
    [InlineData("run")]
    [InlineData("watch")]
    public async Task ARecordedFeed_IsNeverWrittenThroughASymlink(string command)
    {
        string region = FilledRegion();
        string victim = Victim();
        string link = TempFile("cov.feed");
        File.CreateSymbolicLink(link, victim);
        string[] args = command == "run"
            ? ["run", "--record", link, "--", "true"]
            : ["watch", region, "--seconds", "0", "--record", link];

        Result r = await Run(args);

        Assert.Equal(1, r.Code);
        Assert.StartsWith($"memcov: '{link}' is a symbolic link, not a regular file", r.Err);
        Assert.Equal(Kept, File.ReadAllText(victim));
        Assert.Equal(victim, new FileInfo(link).LinkTarget);
    }

    private string[] Entries() => [.. Directory.EnumerateFileSystemEntries(TempDirectory).Select(Path.GetFileName).Order(StringComparer.Ordinal)!];
}
