using System.CommandLine;
using Memcov.Cli.Campaign;
using Memcov.Cli.Reports;
using Memcov.SharedMem;
using Spectre.Console;

namespace Memcov.Cli.Commands;

/// <summary>
/// <c>memcov watch NAME [--interval MS] [--seconds S] [--record FILE]</c>: the live view of a region
/// others fill; <c>memcov watch --redis URL --campaign NAME</c>: of a campaign's hosts and union.
/// </summary>
internal static class WatchCommand
{
    // An hour: a view refreshed less often shows nothing live.
    private const int MaxIntervalMs = 3_600_000;

    public static Command Create(CliConsole console)
    {
        var name = CliApp.RegionArgument();
        name.Arity = ArgumentArity.ZeroOrOne;
        var campaign = new CampaignOptions(withHost: false);
        var interval = BoundedOption.Create("--interval", "Time between refreshes", 10, MaxIntervalMs, "ms", 500);
        var seconds = BoundedOption.Optional("--seconds", "Stop after this many seconds; by default at Ctrl-C", 0.0, CliApp.MaxSeconds, "seconds");
        var record = new Option<FileInfo?>("--record") { Description = "Write a coverage feed to this file, for 'memcov plot'." };
        var watch = new Command("watch", "Show a region's coverage live while other processes fill it, or a campaign's on Redis (--redis, --campaign).")
        {
            name, interval, seconds, record,
        };
        campaign.AddTo(watch);
        watch.Validators.Add(r =>
        {
            bool region = r.GetResult(name) is { Tokens.Count: > 0 }, redis = r.GetResult(campaign.Redis) is not null;
            if (region == redis)
            {
                r.AddError("Give either a region or --redis URL --campaign NAME.");
            }
            else if (redis && r.GetResult(record) is not null)
            {
                r.AddError("--record records a region; a campaign's samples are in its stream on Redis ('memcov plot --redis').");
            }
        });
        watch.SetAction((parse, cancel) => CliApp.Guard(console, async () =>
        {
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancel);
            if (parse.GetValue(seconds) is double s)
            {
                stop.CancelAfter(TimeSpan.FromSeconds(s));
            }

            var period = TimeSpan.FromMilliseconds(parse.GetValue(interval));
            if (campaign.IsGiven(parse))
            {
                return await WatchCampaignAsync(console, campaign, parse, period, stop.Token).ConfigureAwait(false);
            }

            using CoverageRegion region = CoverageRegion.Attach(parse.GetValue(name)!);

            var view = new CoverageView(region);
            FileInfo? recordTo = parse.GetValue(record);
            await using var feed = recordTo is null ? null : FeedRecording.Start(region, recordTo.FullName);
            await ShowAsync(console, period, stop.Token, () => Task.CompletedTask, () => view.Render(), () => view.Line()).ConfigureAwait(false);
            return 0;
        }));
        return watch;
    }

    private static async Task<int> WatchCampaignAsync(CliConsole console, CampaignOptions options, ParseResult parse, TimeSpan period, CancellationToken stop)
    {
        await using Memcov.Redis.CampaignConnection connection = await options.ConnectAsync(parse).ConfigureAwait(false);
        var view = new CampaignWatch(new Memcov.Redis.CampaignView(connection), connection.Campaign);
        await view.RefreshAsync().ConfigureAwait(false);
        await ShowAsync(console, period, stop, view.RefreshAsync, view.Render, view.Line).ConfigureAwait(false);
        return 0;
    }

    /// <summary>
    /// Shows a view until the watch stops: redrawn in place in a terminal (once more at the end), a
    /// line per period in a pipe; <paramref name="refresh"/> reads anew before each.
    /// </summary>
    private static async Task ShowAsync(CliConsole console, TimeSpan period, CancellationToken stop, Func<Task> refresh,
        Func<Spectre.Console.Rendering.IRenderable> render, Func<string> line)
    {
        if (console.IsInteractive)
        {
            await console.Ui.Live(render()).StartAsync(async live =>
            {
                while (await Tick(period, stop).ConfigureAwait(false))
                {
                    await refresh().ConfigureAwait(false);
                    live.UpdateTarget(render());
                }

                live.UpdateTarget(render());
            }).ConfigureAwait(false);
        }
        else
        {
            await console.Out.WriteLineAsync(line()).ConfigureAwait(false);
            while (await Tick(period, stop).ConfigureAwait(false))
            {
                await refresh().ConfigureAwait(false);
                await console.Out.WriteLineAsync(line()).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Waits one period; false once the watch should stop.</summary>
    private static async Task<bool> Tick(TimeSpan period, CancellationToken stop)
    {
        try
        {
            await Task.Delay(period, stop).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
