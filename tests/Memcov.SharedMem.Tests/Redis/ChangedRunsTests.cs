using Memcov.Redis;
using Xunit;

namespace Memcov.SharedMem.Tests.Redis;

public sealed class ChangedRunsTests
{
    private const int Page = CampaignSync.ChunkBytes;

    [Fact]
    public void OnlyPagesWithNewBitsAreSentAndNeighboursMerge()
    {
        byte[] published = new byte[10 * Page + 100];
        byte[] current = new byte[published.Length];
        current[1] = 1;                      // page 0
        current[(2 * Page) + 5] = 1;         // pages 2 and 3: one run
        current[(3 * Page) + 7] = 0x40;
        current[^1] = 1;                     // the short last page
        published[(5 * Page) + 1] = 1;       // published and still there: not sent
        current[(5 * Page) + 1] = 1;
        Assert.Equal([(0, Page), (2 * Page, 2 * Page), (10 * Page, 100)], CampaignSync.ChangedRuns(current, published));
    }

    [Fact]
    public void AResetRegionSendsNothingAndNeverClearsWhatWasPublished()
    {
        byte[] published = new byte[3 * Page];
        published[Page + 3] = 1;
        byte[] current = new byte[3 * Page]; // reset: every byte zero
        Assert.Empty(CampaignSync.ChangedRuns(current, published));

        current[Page + 9] = 0x02;            // a new bit on a page that had another
        Assert.Equal([(Page, Page)], CampaignSync.ChangedRuns(current, published));
        Assert.Equal(1, current[Page + 3]);  // what goes out keeps the published bit
        Assert.Equal(0x02, current[Page + 9]);
    }

    [Fact]
    public void ANewClassBitInACoveredByteIsAChange()
    {
        byte[] published = new byte[Page];
        published[7] = 0x01;
        byte[] current = new byte[Page];
        current[7] = 0x03;
        Assert.Equal([(0, Page)], CampaignSync.ChangedRuns(current, published));
    }
}
