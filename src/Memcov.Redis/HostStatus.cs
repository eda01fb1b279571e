namespace Memcov.Redis;

/// <summary>A host's row in the campaign's host table, as its last sync wrote it.</summary>
/// <param name="Host">The host's name.</param>
/// <param name="LastSync">When it last synced, by its clock.</param>
/// <param name="Edges">Edges covered in its region then.</param>
/// <param name="CampaignEdges">Edges covered in the campaign's union as it last read it.</param>
public sealed record HostStatus(string Host, DateTimeOffset LastSync, long Edges, long CampaignEdges);
