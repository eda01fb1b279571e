namespace Memcov.Redis;

/// <summary>Which ways a sync goes.</summary>
[Flags]
public enum SyncDirection
{
    /// <summary>Publish what the local region gained.</summary>
    Push = 1,

    /// <summary>Merge the campaign's union into the local region.</summary>
    Pull = 2,

    /// <summary>Both.</summary>
    Both = Push | Pull,
}
