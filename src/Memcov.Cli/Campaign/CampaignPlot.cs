using Memcov.Cli.Commands;
using Memcov.Redis;

namespace Memcov.Cli.Campaign;

/// <summary>A campaign's coverage over time from its stream of samples: a line per host, one for the union.</summary>
internal static class CampaignPlot
{
    /// <summary>Reads every sample and draws the chart to <paramref name="path"/>.</summary>
    /// <returns>The samples, the hosts, and the union's edges at the last sample.</returns>
    /// <exception cref="CampaignException">The server could not be read.</exception>
    /// <exception cref="InvalidOperationException">The campaign has no samples.</exception>
    public static async Task<(int Samples, int Hosts, long Union)> DrawAsync(CampaignConnection connection, string path, int width, int height)
    {
        var view = new CampaignView(connection);
        var all = new List<CampaignSample>();
        string? last = null;
        while (true)
        {
            (IReadOnlyList<CampaignSample> page, string? next) = await view.ReadSamplesAsync(last).ConfigureAwait(false);
            all.AddRange(page);
            if (next == last)
            {
                break; // no entry after the last one read (entries that are no sample are passed over)
            }

            last = next;
        }

        if (all.Count == 0)
        {
            throw new InvalidOperationException($"The campaign '{connection.Campaign}' has no samples to plot: no host synced yet.");
        }

        DateTimeOffset start = all[0].Time;
        var chart = new ScottPlot.Plot();
        foreach (IGrouping<string, CampaignSample> host in all.GroupBy(s => s.Host).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var line = chart.Add.Scatter(host.Select(s => (s.Time - start).TotalSeconds).ToArray(), host.Select(s => (double)s.Edges).ToArray());
            line.MarkerSize = 0;
            line.LineWidth = 1.5f;
            line.LegendText = host.Key;
        }

        // The union as the hosts saw it: it only grows and holds every host's edges, so the running
        // maximum of what they report.
        long union = 0;
        double[] unionTimes = [.. all.Select(s => (s.Time - start).TotalSeconds)];
        double[] unionEdges = [.. all.Select(s => (double)(union = Math.Max(union, Math.Max(s.CampaignEdges, s.Edges))))];
        var total = chart.Add.Scatter(unionTimes, unionEdges);
        total.MarkerSize = 0;
        total.LineWidth = 3;
        total.LegendText = "union";
        chart.ShowLegend();
        chart.Title($"Campaign {connection.Campaign}: coverage over time");
        chart.XLabel("seconds");
        chart.YLabel("edges covered");
        PlotCommand.Save(chart, path, width, height);
        return (all.Count, all.Select(s => s.Host).Distinct(StringComparer.Ordinal).Count(), union);
    }
}
