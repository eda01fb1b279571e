using System.Collections.Concurrent;
using Memcov.SharedMem;

namespace Memcov.Cli;

/// <summary>
/// The edges each input reached on its own, read from a worker's scratch region after the input
/// ran (its lanes folded, so a crashed or killed run's edges count). Modules meet by identity, not
/// by slot: each identity gets a range of edge ids of its own, whichever region registered it first.
/// </summary>
internal sealed class InputEdges : IInputObserver
{
    private readonly Lock _gate = new();
    private readonly Dictionary<ModuleIdentity, (long First, RegionModule Module)> _modules = [];
    private readonly ConcurrentDictionary<int, int[]> _byInput = new();
    private long _nextId;

    /// <summary>Edge ids in use: every id is below this.</summary>
    public long IdCount => Volatile.Read(ref _nextId);

    /// <summary>The modules seen, with the first id of each.</summary>
    public IReadOnlyList<(ModuleIdentity Identity, long First, RegionModule Module)> Modules
    {
        get
        {
            lock (_gate)
            {
                return [.. _modules.Select(m => (m.Key, m.Value.First, m.Value.Module)).OrderBy(m => m.First)];
            }
        }
    }

    /// <summary>The sorted edge ids input <paramref name="index"/> reached, or null if it was not recorded.</summary>
    public int[]? Of(int index) => _byInput.TryGetValue(index, out int[]? ids) ? ids : null;

    /// <inheritdoc />
    public void Ran(int index, string? input, RunOutcome outcome, CoverageRegion scratch) => Record(index, scratch);

    /// <summary>Records what <paramref name="scratch"/> holds as input <paramref name="index"/>'s edges.</summary>
    /// <exception cref="InvalidOperationException">More edges than ids can number (2^31).</exception>
    public void Record(int index, CoverageRegion scratch)
    {
        var ids = new List<int>();
        foreach (RegionModule module in scratch.Modules)
        {
            long first = FirstId(module);
            ReadOnlySpan<byte> map = scratch.GetModuleMap(module);
            for (int i = map.IndexOfAnyExcept((byte)0); i >= 0;)
            {
                ids.Add(checked((int)(first + i)));
                int next = map[(i + 1)..].IndexOfAnyExcept((byte)0);
                i = next < 0 ? -1 : i + 1 + next;
            }
        }

        ids.Sort();
        _byInput[index] = [.. ids];
    }

    private long FirstId(RegionModule module)
    {
        lock (_gate)
        {
            if (!_modules.TryGetValue(module.Identity, out var known))
            {
                known = (_nextId, module);
                _modules[module.Identity] = known;
                _nextId = checked(_nextId + module.EdgeCount);
                if (_nextId > int.MaxValue)
                {
                    throw new InvalidOperationException("The corpus's modules have more than 2^31 edges together: too many to attribute to inputs.");
                }
            }

            return known.First;
        }
    }
}
