using System.CommandLine;
using System.IO.Pipelines;
using Memcov.Cli.Reports;
using Memcov.SharedMem;

namespace Memcov.Cli.Commands;

/// <summary><c>memcov plot FEED -o coverage.png|svg</c>: coverage over time from a recorded feed.</summary>
internal static class PlotCommand
{
    // Room for the title, the axes and their labels; and at most 8192 a side, an image of 256 MiB
    // while it is drawn.
    private const int MinPixels = 64;
    private const int MaxPixels = 8192;

    public static Command Create(CliConsole console)
    {
        var feed = new Argument<FileInfo>("feed") { Description = "A feed written by 'memcov run --record' or 'memcov watch --record'." };
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
        var plot = new Command("plot", "Draw edges covered over time from a coverage feed.") { feed, output, width, height };
        plot.SetAction((parse, cancel) => CliApp.Guard(console, async () =>
        {
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
            string path = parse.GetValue(output)!.FullName;
            int w = parse.GetValue(width), h = parse.GetValue(height);
            AtomicFile.Write(path, path.EndsWith(".svg", StringComparison.OrdinalIgnoreCase)
                ? System.Text.Encoding.UTF8.GetBytes(chart.GetSvgXml(w, h))
                : chart.GetImageBytes(w, h, ScottPlot.ImageFormat.Png));

            console.Out.WriteLine($"plotted {times.Count} samples, {covered[^1]} edges covered at {times[^1]:0.0} s, to {Printable.Escape(path)}");
            return 0;
        }));
        return plot;
    }
}
