using Memcov.Cli.Reports;
using Memcov.SharedMem;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Memcov.Cli.Reports;

/// <summary>
/// The live view of a region: edges covered of registered, the rate of new edges, per-module
/// coverage, and (for <c>memcov run</c>) inputs done, crashes and timeouts.
/// </summary>
internal sealed class CoverageView
{
    private readonly CoverageRegion _region;
    private readonly TimeProvider _time;
    private readonly long _start;
    private long _lastCovered;
    private long _lastTimestamp;
    private double _rate;

    public CoverageView(CoverageRegion region, TimeProvider? time = null)
    {
        _region = region;
        _time = time ?? TimeProvider.System;
        _start = _lastTimestamp = _time.GetTimestamp();
        _lastCovered = region.CountCovered();
    }

    /// <summary>Elapsed time since the view started.</summary>
    public TimeSpan Elapsed => _time.GetElapsedTime(_start);

    /// <summary>Reads the region and measures the rate of new edges since the last sample.</summary>
    public (long Covered, long Registered, double NewPerSecond) Sample()
    {
        long covered = _region.CountCovered();
        long now = _time.GetTimestamp();
        double seconds = _time.GetElapsedTime(_lastTimestamp, now).TotalSeconds;
        if (seconds >= 0.2)
        {
            _rate = Math.Max(0, covered - _lastCovered) / seconds;
            _lastCovered = covered;
            _lastTimestamp = now;
        }

        return (covered, _region.EdgesRegistered, _rate);
    }

    /// <summary>The view as Spectre renderables; <paramref name="run"/> adds the run's counters.</summary>
    public IRenderable Render(RunProgress? run = null)
    {
        (long covered, long registered, double rate) = Sample();
        var grid = new Grid().AddColumn().AddColumn();
        grid.AddWholeWordRow("[bold]region[/]", Printable.Markup(_region.Name));
        if (run is not null)
        {
            grid.AddWholeWordRow("[bold]inputs[/]", $"{run.Done}/{run.Total}");
            grid.AddWholeWordRow("[bold]crashes[/]", run.Crashes.ToString(System.Globalization.CultureInfo.InvariantCulture));
            grid.AddWholeWordRow("[bold]timeouts[/]", run.Timeouts.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        grid.AddWholeWordRow("[bold]edges[/]", $"{covered} covered / {registered} registered ({Percent(covered, registered)})");
        grid.AddWholeWordRow("[bold]new edges/s[/]", rate.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture));
        grid.AddWholeWordRow("[bold]elapsed[/]", Elapsed.ToString(@"hh\:mm\:ss\.f", System.Globalization.CultureInfo.InvariantCulture));

        var modules = new Table().AddColumn("module").AddColumn(new TableColumn("covered").RightAligned().NoWrap())
            .AddColumn(new TableColumn("edges").RightAligned().NoWrap()).AddColumn(new TableColumn("%").RightAligned().NoWrap());
        foreach (RegionModule m in _region.Modules)
        {
            long c = _region.CountCovered(m);
            modules.AddWholeWordRow(Printable.Markup(System.IO.Path.GetFileName(m.Path)), c.ToString(System.Globalization.CultureInfo.InvariantCulture),
                m.EdgeCount.ToString(System.Globalization.CultureInfo.InvariantCulture), Percent(c, m.EdgeCount));
        }

        if (_region.EdgesDropped > 0)
        {
            return new Rows(grid, modules, new Markup($"[yellow]{_region.ModulesPrivate} module(s) did not fit in the region: their edges are not counted[/]"));
        }

        return new Rows(grid, modules);
    }

    /// <summary>One line for logs and non-interactive terminals.</summary>
    public string Line(RunProgress? run = null)
    {
        (long covered, long registered, double rate) = Sample();
        string inputs = run is null ? string.Empty : $"inputs {run.Done}/{run.Total}, crashes {run.Crashes}, timeouts {run.Timeouts}, ";
        return string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"[{Elapsed.TotalSeconds:0.0}s] {inputs}edges {covered}/{registered}, new/s {rate:0.0}");
    }

    public static string Percent(long part, long whole) =>
        whole == 0 ? "-" : (100.0 * part / whole).ToString("0.0", System.Globalization.CultureInfo.InvariantCulture) + "%";
}
