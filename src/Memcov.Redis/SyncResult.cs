namespace Memcov.Redis;

/// <summary>What one <see cref="CampaignSync.SyncAsync"/> did.</summary>
/// <param name="PushedModules">Modules whose host map gained bytes in Redis.</param>
/// <param name="PushedBytes">Map bytes sent (SETRANGE payloads).</param>
/// <param name="Republished">The host published everything again: a new session, or a server that lost the campaign.</param>
/// <param name="PulledModules">Modules whose union was downloaded.</param>
/// <param name="PulledEdges">Edges the local region gained from the campaign.</param>
/// <param name="LocalEdges">Edges covered in the local region after the sync.</param>
/// <param name="CampaignEdges">Edges covered in the campaign's union as this host last read it (its own published edges when it never pulls).</param>
/// <param name="Skipped">One line per module that could not be merged (a corrupt union, a region too small), else empty.</param>
public sealed record SyncResult(
    int PushedModules, long PushedBytes, bool Republished, int PulledModules, long PulledEdges, long LocalEdges, long CampaignEdges,
    IReadOnlyList<string> Skipped);
