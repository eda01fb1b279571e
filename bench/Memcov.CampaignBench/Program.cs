using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Memcov.Redis;
using Memcov.SharedMem;
using StackExchange.Redis;

namespace Memcov.CampaignBench;

/// <summary>
/// Simulated hosts of one campaign (bench/run.py, part "campaign"): each host a region of its own
/// with one module of EDGES edges and a connection of its own, connected and synced once before the
/// clock starts. Each round, every host's region gains a map of its own at once (a random DENSITY of
/// the edges), then every host syncs back to back; measured from the first host's first publish:
/// when the union in Redis is complete (the last push confirmed), and when every host's region holds
/// it. Then idle syncs, none with anything new: the server's own traffic counters per sync.
/// <c>dotnet run -c Release -- --url redis://127.0.0.1:PORT --hosts 16 --edges 1048576 --rounds 5</c>,
/// the password in MEMCOV_REDIS_PASSWORD, regions in MEMCOV_SHM_DIR. Prints one JSON object.
/// </summary>
public static class Program
{
    private const int IdleSyncs = 10;

    public static async Task<int> Main(string[] args)
    {
        string url = Arg(args, "--url");
        int hosts = int.Parse(Arg(args, "--hosts"), CultureInfo.InvariantCulture);

        // Each simulated host stands for a process of its own: a thread each from the start, so no
        // host waits for the pool to grow while another's client blocks one.
        ThreadPool.GetMinThreads(out int workers, out int io);
        ThreadPool.SetMinThreads(Math.Max(workers, (2 * hosts) + 4), io);
        int edges = int.Parse(Arg(args, "--edges"), CultureInfo.InvariantCulture);
        int rounds = int.Parse(Arg(args, "--rounds"), CultureInfo.InvariantCulture);
        double density = double.Parse(Arg(args, "--density", "0.05"), CultureInfo.InvariantCulture);
        RedisAddress address = RedisAddress.Parse(url) with { Password = Environment.GetEnvironmentVariable("MEMCOV_REDIS_PASSWORD") };
        var identity = new ModuleIdentity(ModuleIdKind.BuildId, "6d656d636f762d62656e6368", edges, ModuleMode.Callback, 0);

        var unionMs = new List<double>();
        var everyHostMs = new List<double>();
        var idleBytes = new List<double>();
        long unionEdges = 0;
        using ConnectionMultiplexer admin = await ConnectionMultiplexer.ConnectAsync(new ConfigurationOptions
        {
            EndPoints = { { address.Host, address.Port } },
            Password = address.Password,
            AllowAdmin = true,
        }).ConfigureAwait(false);

        for (int round = 0; round < rounds; round++)
        {
            string campaign = $"bench-{Environment.ProcessId}-{round}";
            var regions = new CoverageRegion[hosts];
            var connections = new CampaignConnection[hosts];
            var syncs = new CampaignSync[hosts];
            var maps = new byte[hosts][];
            var random = new Random(round);
            byte[] union = new byte[edges];
            try
            {
                for (int h = 0; h < hosts; h++)
                {
                    regions[h] = CoverageRegion.Create($"campaign-bench-{Environment.ProcessId}-{h}", edges);
                    _ = new CoverageMapFile([new MapModule(identity, "bench.so", new byte[edges])]).ImportInto(regions[h]);
                    connections[h] = await CampaignConnection.ConnectAsync(address, campaign, TimeSpan.FromSeconds(30)).ConfigureAwait(false);
                    syncs[h] = new CampaignSync(connections[h], regions[h], $"host{h}");
                    _ = await syncs[h].SyncAsync(SyncDirection.Both).ConfigureAwait(false);
                    maps[h] = new byte[edges];
                    for (int e = 0; e < edges; e++)
                    {
                        if (random.NextDouble() < density)
                        {
                            maps[h][e] = 1;
                            union[e] = 1;
                        }
                    }
                }

                unionEdges = CoverageMap.CountCovered(union);

                // Every region gains its map; then the clock, and every host syncing back to back.
                for (int h = 0; h < hosts; h++)
                {
                    _ = new CoverageMapFile([new MapModule(identity, "bench.so", maps[h])]).ImportInto(regions[h]);
                }

                var clock = Stopwatch.StartNew();
                var pushed = new double[hosts];
                var holding = new double[hosts];
                await Task.WhenAll(Enumerable.Range(0, hosts).Select(h => Task.Run(async () =>
                {
                    while (true)
                    {
                        SyncResult r = await syncs[h].SyncAsync(SyncDirection.Both).ConfigureAwait(false);
                        if (r.PushedBytes > 0)
                        {
                            pushed[h] = clock.Elapsed.TotalMilliseconds;
                        }

                        if (r.LocalEdges == unionEdges)
                        {
                            holding[h] = clock.Elapsed.TotalMilliseconds;
                            return;
                        }
                    }
                }))).ConfigureAwait(false);

                // The union in Redis is the expected one, bit for bit.
                byte[] inRedis = (byte[]?)await admin.GetDatabase(address.Database).StringGetAsync(
                    CampaignKeys.Union(campaign, CampaignKeys.Module(RegionKind.Flags, identity, "host0"))).ConfigureAwait(false) ?? [];
                if (!inRedis.AsSpan().SequenceEqual(union.AsSpan(0, inRedis.Length)) || CoverageMap.CountCovered(inRedis) != unionEdges)
                {
                    await Console.Error.WriteLineAsync($"round {round}: the union in Redis is not the OR of the hosts' maps").ConfigureAwait(false);
                    return 1;
                }

                unionMs.Add(pushed.Max());
                everyHostMs.Add(holding.Max());

                // Nothing new: what a sync costs on the wire, by the server's counters (INFO's own
                // reply measured alone and taken off).
                // One sync each first: a host that stopped as soon as it held the union has not yet
                // seen the last generation, and would download the union once more.
                await Task.WhenAll(syncs.Select(s => s.SyncAsync(SyncDirection.Both))).ConfigureAwait(false);
                IServer server = admin.GetServer(address.Host, address.Port);
                long first = await Traffic(server).ConfigureAwait(false);
                long before = await Traffic(server).ConfigureAwait(false);
                long infoCost = before - first;
                for (int i = 0; i < IdleSyncs; i++)
                {
                    await Task.WhenAll(syncs.Select(s => s.SyncAsync(SyncDirection.Both))).ConfigureAwait(false);
                }

                long after = await Traffic(server).ConfigureAwait(false);
                idleBytes.Add((double)(after - before - infoCost) / (IdleSyncs * hosts));
                foreach (RedisKey key in server.Keys(address.Database, CampaignKeys.Prefix(campaign).Replace("{", "\\{", StringComparison.Ordinal).Replace("}", "\\}", StringComparison.Ordinal) + "*"))
                {
                    _ = await admin.GetDatabase(address.Database).KeyDeleteAsync(key).ConfigureAwait(false);
                }
            }
            finally
            {
                foreach (CampaignConnection c in connections.Where(c => c is not null))
                {
                    await c.DisposeAsync().ConfigureAwait(false);
                }

                foreach (CoverageRegion r in regions.Where(r => r is not null))
                {
                    string name = r.Name;
                    r.Dispose();
                    CoverageRegion.Remove(name);
                }
            }
        }

        Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["hosts"] = hosts,
            ["edges"] = edges,
            ["union_edges"] = unionEdges,
            ["union_complete_ms"] = unionMs,
            ["every_host_holds_ms"] = everyHostMs,
            ["idle_sync_bytes"] = idleBytes,
        }));
        return 0;
    }

    /// <summary>Bytes the server read and wrote so far (INFO stats).</summary>
    private static async Task<long> Traffic(IServer server)
    {
        IGrouping<string, KeyValuePair<string, string>>[] info = await server.InfoAsync("stats").ConfigureAwait(false);
        var stats = info.SelectMany(g => g).ToDictionary(p => p.Key, p => p.Value);
        return long.Parse(stats["total_net_input_bytes"], CultureInfo.InvariantCulture) + long.Parse(stats["total_net_output_bytes"], CultureInfo.InvariantCulture);
    }

    private static string Arg(string[] args, string name, string? fallback = null)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback ?? throw new ArgumentException($"{name} is missing");
    }
}
