using System.IO.Pipelines;
using Memcov.SharedMem;

namespace Memcov.Cli;

/// <summary>A <see cref="CoverageFeed"/> sampling a region into a file until disposed (<c>--record</c>).</summary>
internal sealed class FeedRecording : IAsyncDisposable
{
    private readonly FileStream _file;
    private readonly PipeWriter _writer;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    private FeedRecording(CoverageRegion region, string path)
    {
        // Never through a symlink, never into a FIFO or a device: open() would wait for a reader, or write elsewhere.
        _file = RegularFile.CreateOrTruncate(path);
        _writer = PipeWriter.Create(_file);
        _loop = new CoverageFeed(region, _writer).RunAsync(TimeSpan.FromMilliseconds(20), _stop.Token);
    }

    public static FeedRecording Start(CoverageRegion region, string path) => new(region, path);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        await _writer.CompleteAsync().ConfigureAwait(false);
        await _file.DisposeAsync().ConfigureAwait(false);
        _stop.Dispose();
    }
}
