namespace Memcov.Cli.Tests;

/// <summary>
/// <see cref="CorpusMinimizer"/>: the kept inputs cover every edge the candidates cover, none of
/// them is redundant on its own, new edges per byte decide, and ties go to the smaller, then the
/// earlier input.
/// </summary>
public sealed class CorpusMinimizerTests
{
    private static CorpusMinimizer.Candidate C(int order, long bytes, params int[] edges) => new(order, bytes, edges);

    [Fact]
    public void OneBigInputLosesToSmallOnesThatCoverTheSameEdgesForFewerBytes()
    {
        var candidates = new[] { C(0, 1000, 0, 1, 2, 3), C(1, 10, 0, 1), C(2, 10, 2, 3), C(3, 5, 1) };
        Assert.Equal([1, 2], CorpusMinimizer.Select(candidates, 4).Order());
    }

    [Fact]
    public void TiesGoToTheSmallerThenTheEarlierInput()
    {
        Assert.Equal([0], CorpusMinimizer.Select([C(0, 20, 0, 1), C(1, 10, 0)], 2));
        Assert.Equal([0], CorpusMinimizer.Select([C(0, 10, 0), C(1, 10, 0)], 1));
    }

    [Fact]
    public void AnInputMadeRedundantByLaterChoicesIsDropped()
    {
        // Greedy keeps 0 (3 edges per byte) first; 1 and 2 then cover everything 0 has.
        var candidates = new[] { C(0, 1, 0, 1, 2), C(1, 2, 0, 1, 3, 4), C(2, 2, 2, 5, 6, 7) };
        List<int> kept = CorpusMinimizer.Select(candidates, 8);
        Assert.Equal([1, 2], kept.Order());
    }

    [Fact]
    public void KeptInputsCoverTheUnionAndNoneIsRedundant()
    {
        var random = new Random(7);
        for (int round = 0; round < 50; round++)
        {
            int ids = random.Next(1, 200);
            var candidates = Enumerable.Range(0, random.Next(1, 60))
                .Select(i => C(i, random.Next(1, 500), [.. Enumerable.Range(0, random.Next(0, 20)).Select(_ => random.Next(ids)).Distinct().Order()]))
                .ToArray();
            List<int> kept = CorpusMinimizer.Select(candidates, ids);
            var union = candidates.SelectMany(c => c.Edges).ToHashSet();
            Assert.True(union.SetEquals(kept.SelectMany(k => candidates[k].Edges)), $"round {round}: the kept inputs miss edges");
            foreach (int k in kept)
            {
                var others = kept.Where(o => o != k).SelectMany(o => candidates[o].Edges).ToHashSet();
                Assert.False(candidates[k].Edges.All(others.Contains), $"round {round}: input {k} is redundant");
            }
        }
    }
}
