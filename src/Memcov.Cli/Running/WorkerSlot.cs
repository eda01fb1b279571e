using Memcov.Cli.Commands;
using Memcov.SharedMem;

namespace Memcov.Cli;

/// <summary>
/// What one worker of a run keeps between inputs: its server (fork server or harness worker), and,
/// when the run attributes edges to inputs, a scratch region of its own that its targets record
/// into and that is read and cleared after each input. A scratch region has a temporary run name
/// (<c>run-PID-xxxxxx</c>), so that a run killed before it removed it leaves it to the next run's sweep.
/// </summary>
internal sealed class WorkerSlot : IDisposable
{
    private WorkerSlot(CoverageRegion? scratch, string? scratchName)
    {
        Scratch = scratch;
        ScratchName = scratchName;
    }

    /// <summary>The worker's server, once started; null in exec mode.</summary>
    public ServerWorker? Server { get; set; }

    /// <summary>The worker's scratch region, when the run attributes edges to inputs; else null.</summary>
    public CoverageRegion? Scratch { get; }

    /// <summary>The scratch region's name, or null.</summary>
    public string? ScratchName { get; }

    /// <summary>A slot; with a scratch region of <paramref name="capacity"/> edges and <paramref name="kind"/> when <paramref name="scratch"/>.</summary>
    public static WorkerSlot Create(bool scratch, long capacity, RegionKind kind)
    {
        if (!scratch)
        {
            return new WorkerSlot(null, null);
        }

        string name = RunCommand.NewTemporaryName();
        return new WorkerSlot(CoverageRegion.Create(name, capacity, kind), name);
    }

    public void Dispose()
    {
        Server?.Dispose();
        Server = null;
        if (Scratch is not null)
        {
            Scratch.Dispose();
            CoverageRegion.Remove(ScratchName!);
        }
    }
}
