namespace Memcov.Redis;

/// <summary>One sample of the campaign's stream: a host's coverage after a sync that changed it.</summary>
/// <param name="Time">When the server took it (the stream entry's id), so hosts' clocks do not matter.</param>
/// <param name="Host">The host.</param>
/// <param name="Edges">Edges covered in the host's region.</param>
/// <param name="CampaignEdges">Edges covered in the campaign's union as the host last read it.</param>
public sealed record CampaignSample(DateTimeOffset Time, string Host, long Edges, long CampaignEdges);
