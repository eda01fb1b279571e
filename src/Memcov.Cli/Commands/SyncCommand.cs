using System.CommandLine;
using Memcov.Cli.Campaign;
using Memcov.Cli.Reports;
using Memcov.Redis;
using Memcov.SharedMem;

namespace Memcov.Cli.Commands;

/// <summary>
/// <c>memcov sync REGION --redis URL --campaign NAME [--interval S] [--push-only|--pull-only] [--once]</c>:
/// a region and a campaign on Redis kept in step.
/// </summary>
internal static class SyncCommand
{
    public static Command Create(CliConsole console)
    {
        var name = CliApp.RegionArgument(description: "The local region to sync.");
        var campaign = new CampaignOptions(withHost: true);
        var interval = BoundedOption.Create("--interval", "Time between syncs", 0.01, CliApp.MaxSeconds, "seconds", 1.0);
        var seconds = BoundedOption.Optional("--seconds", "Stop after this many seconds; by default at Ctrl-C", 0.0, CliApp.MaxSeconds, "seconds");
        var pushOnly = new Option<bool>("--push-only") { Description = "Publish what the region gains; never merge the campaign into it." };
        var pullOnly = new Option<bool>("--pull-only") { Description = "Merge the campaign into the region; never publish." };
        var once = new Option<bool>("--once") { Description = "Sync once and exit." };
        var allModules = new Option<bool>("--all-modules")
        {
            Description = "Pull every module of the campaign into the region, also those it never loaded (other builds, other hosts' libraries): for a region that gathers a campaign.",
        };
        var sync = new Command("sync", "Keep a region in step with a campaign on a Redis server: publish what it gains, merge the campaign's union back.")
        {
            name, interval, seconds, pushOnly, pullOnly, once, allModules,
        };
        campaign.AddTo(sync);
        sync.Validators.Add(r =>
        {
            if (r.GetResult(campaign.Redis) is null)
            {
                r.AddError("sync needs --redis URL --campaign NAME.");
            }
            else if (r.GetValue(pushOnly) && r.GetValue(pullOnly))
            {
                r.AddError("--push-only and --pull-only exclude each other.");
            }
        });
        sync.SetAction((parse, cancel) => CliApp.Guard(console, async () =>
        {
            SyncDirection direction = parse.GetValue(pushOnly) ? SyncDirection.Push : parse.GetValue(pullOnly) ? SyncDirection.Pull : SyncDirection.Both;
            string regionName = parse.GetValue(name)!;
            using CoverageRegion region = CoverageRegion.Attach(regionName);
            await using CampaignConnection connection = await campaign.ConnectAsync(parse).ConfigureAwait(false);
            var sync = new CampaignSync(connection, region, campaign.HostName(parse, regionName)) { PullsUnseenModules = parse.GetValue(allModules) };
            var loop = new SyncLoop(sync, direction, TimeSpan.FromSeconds(parse.GetValue(interval)), console.Error)
            {
                Synced = r => Report(console, r),
                RegionLost = () => region.TryCheckPath(out string? problem) ? null : problem,
            };
            if (!parse.GetValue(once))
            {
                using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancel);
                if (parse.GetValue(seconds) is double s)
                {
                    stop.CancelAfter(TimeSpan.FromSeconds(s));
                }

                await loop.RunAsync(stop.Token).ConfigureAwait(false);
            }

            // The last sync: what the region gained since the one before reaches the campaign.
            if (!await loop.TryOnceAsync(last: true).ConfigureAwait(false))
            {
                return CliApp.Failed;
            }

            if (!Changed(loop.Last!))
            {
                console.Out.WriteLine(Line(loop.Last!)); // the state at the end, said once
            }

            return 0;
        }));
        return sync;
    }

    private static void Report(CliConsole console, SyncResult r)
    {
        if (Changed(r))
        {
            console.Out.WriteLine(Line(r));
        }
    }

    private static bool Changed(SyncResult r) => r.PushedBytes > 0 || r.PulledModules > 0 || r.Republished;

    private static string Line(SyncResult r) =>
        $"{(r.Republished ? "republished" : "pushed")} {r.PushedBytes} bytes of {r.PushedModules} module(s), " +
        $"pulled {r.PulledModules} module(s) (+{r.PulledEdges} edges): region {r.LocalEdges} edges, campaign {r.CampaignEdges}";
}
