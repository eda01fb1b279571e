namespace Memcov.Cli;

/// <summary>
/// The subset of a corpus that <c>memcov cmin</c> keeps: greedy set cover by new edges per byte,
/// as afl-cmin weighs inputs. Each step keeps the input that adds the most edges not yet covered
/// per byte of its size (ties: the smaller, then the earlier by name), until the kept inputs cover
/// every edge the candidates cover together. Gains only shrink as inputs are kept, so a stale gain
/// is an upper bound: an input is re-scored only when it reaches the top (lazy greedy). Then, in
/// the reverse of the order they were kept, an input whose every edge another kept input reaches
/// too goes: no kept input is redundant on its own.
/// </summary>
internal static class CorpusMinimizer
{
    /// <summary>One input that may be kept.</summary>
    /// <param name="Order">Its place in the corpus (by name), for ties.</param>
    /// <param name="Bytes">Its size.</param>
    /// <param name="Edges">The edge ids it reached on its own, sorted, below the id count.</param>
    internal readonly record struct Candidate(int Order, long Bytes, int[] Edges);

    /// <summary>The inputs to keep (their <see cref="Candidate.Order"/>), in the order they were chosen.</summary>
    /// <param name="candidates">Every input that may be kept.</param>
    /// <param name="idCount">Every edge id is below this.</param>
    public static List<int> Select(IReadOnlyList<Candidate> candidates, long idCount)
    {
        var covered = new bool[idCount];
        var queue = new PriorityQueue<int, (double NegRatio, long Bytes, int Order)>();
        for (int i = 0; i < candidates.Count; i++)
        {
            if (candidates[i].Edges.Length > 0)
            {
                queue.Enqueue(i, Priority(candidates[i], candidates[i].Edges.Length));
            }
        }

        var chosen = new List<int>();
        while (queue.TryDequeue(out int best, out _))
        {
            Candidate c = candidates[best];
            int gain = 0;
            foreach (int id in c.Edges)
            {
                gain += covered[id] ? 0 : 1;
            }

            if (gain == 0)
            {
                continue;
            }

            var priority = Priority(c, gain);
            if (queue.TryPeek(out _, out var next) && next.CompareTo(priority) < 0)
            {
                queue.Enqueue(best, priority); // another may now add more per byte
                continue;
            }

            chosen.Add(best);
            foreach (int id in c.Edges)
            {
                covered[id] = true;
            }
        }

        var reached = new int[idCount];
        foreach (int i in chosen)
        {
            foreach (int id in candidates[i].Edges)
            {
                reached[id]++;
            }
        }

        var kept = new List<int>();
        for (int k = chosen.Count - 1; k >= 0; k--)
        {
            int[] edges = candidates[chosen[k]].Edges;
            if (edges.All(id => reached[id] > 1))
            {
                foreach (int id in edges)
                {
                    reached[id]--;
                }
            }
            else
            {
                kept.Add(candidates[chosen[k]].Order);
            }
        }

        kept.Reverse();
        return kept;
    }

    private static (double, long, int) Priority(Candidate c, int gain) => (-(double)gain / Math.Max(1, c.Bytes), c.Bytes, c.Order);
}
