using Memcov.Redis;
using Xunit;

namespace Memcov.SharedMem.Tests.Redis;

public sealed class RedisAddressTests
{
    [Fact]
    public void ReadsEveryPartOfAUrl()
    {
        RedisAddress a = RedisAddress.Parse("rediss://fuzz%40lab:p%3Aw%2Fd@redis.example:6380/3");
        Assert.Equal(("redis.example", 6380, true, "fuzz@lab", "p:w/d", 3), (a.Host, a.Port, a.Tls, a.User, a.Password, a.Database));
    }

    [Fact]
    public void DefaultsArePortDatabaseZeroAndNoCredentials()
    {
        RedisAddress a = RedisAddress.Parse("redis://127.0.0.1");
        Assert.Equal((RedisAddress.DefaultPort, false, null, null, 0), (a.Port, a.Tls, a.User, a.Password, a.Database));
        RedisAddress p = RedisAddress.Parse("redis://:only-password@[::1]:7000/");
        Assert.Equal(("::1", 7000, null, "only-password"), (p.Host, p.Port, p.User, p.Password));
    }

    [Theory]
    [InlineData("http://127.0.0.1:6379")]
    [InlineData("127.0.0.1:6379")]
    [InlineData("redis:///0")]
    [InlineData("redis://h/db")]
    [InlineData("redis://h/70000")]
    [InlineData("redis://h/0?timeout=5")]
    public void RefusesWhatIsNotARedisUrl(string url) => Assert.Throws<FormatException>(() => RedisAddress.Parse(url));

    [Fact]
    public void NoPasswordInWhatIsShown()
    {
        RedisAddress a = RedisAddress.Parse("redis://u:hunter2@h:1/2");
        Assert.Equal("redis://u@h:1/2", a.ToString());
        Assert.Equal("redis://u:***@h:1/x", RedisAddress.Redact("redis://u:hunter2@h:1/x"));
        Assert.Equal("redis://h:1", RedisAddress.Redact("redis://h:1"));
        FormatException e = Assert.Throws<FormatException>(() => RedisAddress.Parse("redis://u:hunter2@h:1/x"));
        Assert.DoesNotContain("hunter2", e.Message, StringComparison.Ordinal);
    }
}
