using System.Globalization;
using Memcov.Cli.Reports;
using Memcov.Redis;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Memcov.Cli.Campaign;

/// <summary>
/// The live view of a campaign (<c>memcov watch --redis URL --campaign NAME</c>): the union's edges,
/// and a row per host with its edges, new edges per second and when it last synced.
/// </summary>
internal sealed class CampaignWatch(CampaignView view, string campaign)
{
    private readonly Dictionary<string, (long Edges, DateTimeOffset Time, double Rate)> _previous = new(StringComparer.Ordinal);
    private long _union;
    private IReadOnlyList<HostStatus> _hosts = [];

    /// <summary>Reads the campaign again.</summary>
    /// <exception cref="CampaignException">The server could not be read.</exception>
    public async Task RefreshAsync()
    {
        _union = await view.CountUnionAsync().ConfigureAwait(false);
        _hosts = await view.ReadHostsAsync().ConfigureAwait(false);
        foreach (HostStatus h in _hosts)
        {
            double rate = 0;
            if (_previous.TryGetValue(h.Host, out var before))
            {
                double seconds = (h.LastSync - before.Time).TotalSeconds;
                rate = seconds > 0 ? Math.Max(0, h.Edges - before.Edges) / seconds : before.Rate;
            }

            _previous[h.Host] = (h.Edges, h.LastSync, rate);
        }
    }

    /// <summary>The view as a table.</summary>
    public IRenderable Render()
    {
        var table = new Table().Title(Markup.Escape($"campaign {campaign}: {_union} edges in the union"))
            .AddColumn("host").AddColumn(new TableColumn("edges").RightAligned()).AddColumn(new TableColumn("new/s").RightAligned())
            .AddColumn(new TableColumn("last sync").RightAligned());
        foreach (HostStatus h in _hosts)
        {
            table.AddWholeWordRow(Printable.Markup(h.Host), h.Edges.ToString(CultureInfo.InvariantCulture),
                _previous[h.Host].Rate.ToString("0.0", CultureInfo.InvariantCulture), Age(h.LastSync));
        }

        table.AddWholeWordRow("[bold]union[/]", _union.ToString(CultureInfo.InvariantCulture), "", "");
        return table;
    }

    /// <summary>The view as one line, for a pipe.</summary>
    public string Line() =>
        $"campaign {Printable.Escape(campaign)}: union {_union} edges; " +
        string.Join("; ", _hosts.Select(h => $"{Printable.Escape(h.Host)} {h.Edges} edges, {_previous[h.Host].Rate.ToString("0.0", CultureInfo.InvariantCulture)} new/s, last sync {Age(h.LastSync)}"));

    private static string Age(DateTimeOffset time)
    {
        double seconds = Math.Max(0, (DateTimeOffset.UtcNow - time).TotalSeconds);
        return seconds < 120 ? $"{seconds:0} s ago" : $"{seconds / 60:0} min ago";
    }
}
