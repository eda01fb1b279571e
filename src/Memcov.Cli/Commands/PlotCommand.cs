using System.CommandLine;
using System.IO.Pipelines;
using Memcov.Cli.Campaign;
using Memcov.Cli.Reports;
using Memcov.SharedMem;

namespace Memcov.Cli.Commands;

/// <summary>
/// <c>memcov plot FEED -o coverage.png|svg</c>: coverage over time from a recorded feed; with
/// <c>--redis URL --campaign NAME</c>, a campaign's: a line per host and one for the union.
/// </summary>
internal static class PlotCommand
{
    // Room for the title, the axes and their labels; and at most 8192 a side, an image of 256 MiB
    // while it is drawn.
    private const int MinPixels = 64;
    private const int MaxPixels = 8192;

    public static Command Create(CliConsole console)
    {
        var feed = new Argument<FileInfo?>("feed") { Description = "A feed written by 'memcov run --record' or 'memcov watch --record'.", Arity = ArgumentArity.ZeroOrOne };
        var campaign = new CampaignOptions(withHost: false);
        var output = new Option<FileInfo>("--output", "-o") { Description = "The image: .png or .svg.", Required = true };
        var width = BoundedOption.Create("--width", "Width of the image", MinPixels, MaxPixels, "pixels", 800);
        var height = BoundedOption.Create("--height", "Height of the image", MinPixels, MaxPixels, "pixels", 450);
        output.Validators.Add(r =>
        {
            // The token, not the value: a path that is no FileInfo ('') has no value to read.
            string? ext = r.Tokens.Count > 0 ? Path.GetExtension(r.Tokens[^1].Value).ToLowerInvariant() : null;
            if (ext is not (".png" or ".svg"))
            {
                r.AddError("--output must end in .png or .svg.");
            }
        });
        var plot = new Command("plot", "Draw edges covered over time from a coverage feed, or a campaign's on Redis (--redis, --campaign).") { feed, output, width, height };
        campaign.AddTo(plot);
        plot.Validators.Add(r =>
        {
            if ((r.GetResult(feed) is { Tokens.Count: > 0 }) == (r.GetResult(campaign.Redis) is not null))
            {
                r.AddError("Give either a feed file or --redis URL --campaign NAME.");
            }
        });
        plot.SetAction((parse, cancel) => CliApp.Guard(console, async () =>
        {
            string path = parse.GetValue(output)!.FullName;
            int w = parse.GetValue(width), h = parse.GetValue(height);
            if (campaign.IsGiven(parse))
            {
                await using Memcov.Redis.CampaignConnection connection = await campaign.ConnectAsync(parse).ConfigureAwait(false);
                (int samples, int hosts, long union) = await CampaignPlot.DrawAsync(connection, path, w, h).ConfigureAwait(false);
                console.Out.WriteLine($"plotted {samples} samples of {hosts} host(s), {union} edges in the union, to {Printable.Escape(path)}");
                return 0;
            }

            FileInfo input = parse.GetValue(feed)!;
            var times = new List<double>();
            var covered = new List<double>();
            await using (FileStream stream = RegularFile.OpenRead(input.FullName))
            {
                var reader = new FeedReader(PipeReader.Create(stream));
                while (await reader.MoveNextAsync(cancel).ConfigureAwait(false))
                {
                    times.Add(reader.Current.Elapsed.TotalSeconds);
                    covered.Add(reader.Current.Covered);
                }
            }

            if (times.Count == 0)
            {
                throw new InvalidOperationException($"The feed '{input.FullName}' has no samples to plot.");
            }

            var chart = new ScottPlot.Plot();
            var line = chart.Add.Scatter(times.ToArray(), covered.ToArray());
            line.MarkerSize = 0;
            line.LineWidth = 2;
            chart.Title($"Coverage over time ({Path.GetFileName(input.Name)})");
            chart.XLabel("seconds");
            chart.YLabel("edges covered");
            Save(chart, path, w, h);

            console.Out.WriteLine($"plotted {times.Count} samples, {covered[^1]} edges covered at {times[^1]:0.0} s, to {Printable.Escape(path)}");
            return 0;
        }));
        return plot;
    }

    /// <summary>Writes the chart as the path's extension says: .svg, else .png.</summary>
    internal static void Save(ScottPlot.Plot chart, string path, int width, int height) =>
        AtomicFile.Write(path, path.EndsWith(".svg", StringComparison.OrdinalIgnoreCase)
            ? System.Text.Encoding.UTF8.GetBytes(chart.GetSvgXml(width, height))
            : chart.GetImageBytes(width, height, ScottPlot.ImageFormat.Png));
}
