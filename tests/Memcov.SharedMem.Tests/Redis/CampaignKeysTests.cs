using Memcov.Redis;
using Xunit;

namespace Memcov.SharedMem.Tests.Redis;

public sealed class CampaignKeysTests
{
    private static readonly ModuleIdentity BuildId = new(ModuleIdKind.BuildId, "c4915e162132117c3cbcf60823c7f54e68a37ca6", 986, ModuleMode.Callback, 0);
    private static readonly ModuleIdentity PathHash = new(ModuleIdKind.PathHash, "00112233445566778899aabbccddeeff", 40, ModuleMode.Inline, 12345);

    [Fact]
    public void ABuildIdModuleKeyIsTheSameOnEveryHostAndReadsBack()
    {
        string key = CampaignKeys.Module(RegionKind.Flags, BuildId, "host-a");
        Assert.Equal("flags.build-id.c4915e162132117c3cbcf60823c7f54e68a37ca6.986.callback", key);
        Assert.Equal(key, CampaignKeys.Module(RegionKind.Flags, BuildId, "host-b"));
        Assert.True(CampaignKeys.TryParseModule(key, out RegionKind kind, out ModuleIdentity identity, out string? host));
        Assert.Equal((RegionKind.Flags, BuildId, (string?)null), (kind, identity, host));
    }

    [Fact]
    public void APathModuleKeyBelongsToItsHost()
    {
        string a = CampaignKeys.Module(RegionKind.Classes, PathHash, "host-a");
        Assert.NotEqual(a, CampaignKeys.Module(RegionKind.Classes, PathHash, "host-b"));
        Assert.True(CampaignKeys.TryParseModule(a, out RegionKind kind, out ModuleIdentity identity, out string? host));
        Assert.Equal((RegionKind.Classes, PathHash, "host-a"), (kind, identity, host));
    }

    [Fact]
    public void FlagAndClassBytesNeverShareAKey() =>
        Assert.NotEqual(CampaignKeys.Module(RegionKind.Flags, BuildId, "h"), CampaignKeys.Module(RegionKind.Classes, BuildId, "h"));

    [Theory]
    [InlineData("flags.build-id.abc.10.callback")]
    [InlineData("flags.build-id.ab.0.callback")]
    [InlineData("flags.build-id.ab.99999999999.callback")]
    [InlineData("bytes.build-id.ab.10.callback")]
    [InlineData("flags.build-id.ab.10.sometimes")]
    [InlineData("flags.path.ab.10.callback")]
    [InlineData("flags.build-id.ab.10.callback.5@h")]
    [InlineData("")]
    public void RefusesWhatIsNotAModuleKey(string key) => Assert.False(CampaignKeys.TryParseModule(key, out _, out _, out _));

    [Fact]
    public void EveryKeyOfACampaignSharesOneClusterSlot()
    {
        foreach (string key in new[]
        {
            CampaignKeys.Version("c"), CampaignKeys.Modules("c"), CampaignKeys.Union("c", "m"), CampaignKeys.HostMap("c", "h", "m"),
            CampaignKeys.HostOwner("c", "h"), CampaignKeys.Generation("c"), CampaignKeys.Samples("c"), CampaignKeys.Hosts("c"),
        })
        {
            Assert.StartsWith("memcov:{c}:", key, StringComparison.Ordinal);
        }
    }
}
