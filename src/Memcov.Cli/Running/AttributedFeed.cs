using System.IO.Pipelines;
using Memcov.SharedMem;

namespace Memcov.Cli;

/// <summary>
/// <c>memcov run --record</c> with inputs: after each input the edges it reached on its own (its
/// worker's scratch region) are ORed into the run's region, by module identity, and the feed gets a
/// record naming the input with the edges that were new to the region. One input at a time, so the
/// input a record names is the first that reached its edges.
/// </summary>
internal sealed class AttributedFeed : IInputObserver, IAsyncDisposable
{
    private readonly Lock _gate = new();
    private readonly CoverageRegion _region;
    private readonly FileStream _file;
    private readonly Pipe _pipe = new(new PipeOptions(pauseWriterThreshold: 0, readerScheduler: PipeScheduler.Inline,
        writerScheduler: PipeScheduler.Inline, useSynchronizationContext: false));
    private readonly CoverageFeed _feed;
    private readonly Dictionary<ModuleIdentity, long> _bases = [];

    private AttributedFeed(CoverageRegion region, string path)
    {
        _region = region;
        // Never through a symlink, never into a FIFO or a device (as FeedRecording).
        _file = RegularFile.CreateOrTruncate(path);
        _feed = new CoverageFeed(region, _pipe.Writer);
        Sample(null); // the header and where the region starts
    }

    // The workers' threads write the file themselves: a pipe with no back-pressure completes every
    // flush at once, and its bytes go to the file here, never through the thread pool.
    private void Sample(string? input)
    {
        ValueTask<FeedRecord> sampled = _feed.SampleAsync(input);
        if (!sampled.IsCompleted)
        {
            throw new InvalidOperationException("A feed's flush into an unbounded pipe did not complete at once.");
        }

        _ = sampled.Result;
        while (_pipe.Reader.TryRead(out ReadResult read))
        {
            foreach (ReadOnlyMemory<byte> segment in read.Buffer)
            {
                _file.Write(segment.Span);
            }

            _pipe.Reader.AdvanceTo(read.Buffer.End);
            if (read.Buffer.IsEmpty)
            {
                break;
            }
        }

        _file.Flush();
    }

    public static AttributedFeed Start(CoverageRegion region, string path) => new(region, path);

    public void Ran(int index, string? input, RunOutcome outcome, CoverageRegion scratch)
    {
        lock (_gate)
        {
            foreach (RegionModule module in scratch.Modules)
            {
                ReadOnlySpan<byte> edges = scratch.GetModuleMap(module);
                if (!edges.ContainsAnyExcept((byte)0))
                {
                    continue;
                }

                if (!_bases.TryGetValue(module.Identity, out long first))
                {
                    first = _region.ClaimRanges([(module.Identity, module.Path)])[0];
                    _bases[module.Identity] = first;
                }

                CoverageMap.AtomicOr(edges, _region.GetWritableSlots(first, module.EdgeCount, module.Index, module.Path));
            }

            Sample(input is null ? null : Path.GetFileName(input));
        }
    }

    public async ValueTask DisposeAsync()
    {
        lock (_gate)
        {
            Sample(null);
        }

        await _pipe.Writer.CompleteAsync().ConfigureAwait(false);
        await _pipe.Reader.CompleteAsync().ConfigureAwait(false);
        await _file.DisposeAsync().ConfigureAwait(false);
    }
}
