using System.IO.Pipelines;
using Memcov.SharedMem;
using Memcov.SharedMem.Tests;
using static Memcov.Cli.Tests.CliHarness;

namespace Memcov.Cli.Tests;

/// <summary>watch --record writes a feed; plot draws it as PNG and SVG.</summary>
public sealed class PlotTests : CliTestBase
{
    [Fact]
    public async Task WatchRecordsAFeed_ThatPlotDrawsAsPngAndSvg()
    {
        string name = NewName("plot");
        NativeMemcov.CreateRegion(name, 1 << 16);
        NativeMemcov.WaitOk(NativeMemcov.StartWorker(name, 0, 24));
        string feed = TempFile("coverage.feed");

        Result watch = await Run("watch", name, "--interval", "20", "--seconds", "0.3", "--record", feed);
        Assert.Equal(0, watch.Code);
        using (CoverageRegion region = CoverageRegion.Attach(name))
        {
            Assert.Contains($"edges {region.CountCovered()}/{region.EdgesRegistered}", watch.Out);

            // The feed ends with the region's state.
            await using FileStream stream = File.OpenRead(feed);
            var reader = new FeedReader(PipeReader.Create(stream));
            long last = -1;
            while (await reader.MoveNextAsync())
            {
                last = reader.Current.Covered;
            }

            Assert.Equal(region.CountCovered(), last);
        }

        string png = TempFile("coverage.png");
        Result plot = await Run("plot", feed, "-o", png);
        Assert.Equal(0, plot.Code);
        byte[] image = await File.ReadAllBytesAsync(png);
        Assert.True(image.AsSpan().StartsWith(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }), "not a PNG");
        Assert.True(image.Length > 1000);

        string svg = TempFile("coverage.svg");
        Assert.Equal(0, (await Run("plot", feed, "-o", svg, "--width", "640", "--height", "480")).Code);
        Assert.Contains("<svg", await File.ReadAllTextAsync(svg));
    }

    [Fact]
    public async Task ACutFeed_IsRefused_WithWhereAndHowMuchOfTheRecordIsThere()
    {
        string name = NewName("cut");
        NativeMemcov.CreateRegion(name, 1 << 16);
        NativeMemcov.WaitOk(NativeMemcov.StartWorker(name, 0, 24));
        string feed = TempFile("whole.feed");
        Assert.Equal(0, (await Run("watch", name, "--interval", "20", "--seconds", "0", "--record", feed)).Code);

        // The header, the first record (its new edges), and 10 bytes of the next.
        byte[] whole = await File.ReadAllBytesAsync(feed);
        int first = FeedFormat.HeaderSize + BitConverter.ToInt32(whole, FeedFormat.HeaderSize);
        string cut = TempFile("cut.feed");
        await File.WriteAllBytesAsync(cut, whole[..(first + 10)]);
        Result plot = await Run("plot", cut, "-o", TempFile("cut.png"));
        Assert.Equal(1, plot.Code);
        Assert.StartsWith($"memcov: The coverage feed is not valid at byte {first}: the feed ends after 10 of the 48 bytes of a record.", plot.Err);
    }
}
